//! How fast incidents are worked: from the first notice's arrival to
//! acknowledgement, to the host being identified, and to containment (a
//! clean EmoCheck on every infected host), per incident and over time.
//! Drills are measured the same way but kept apart: production figures
//! never include them.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use kizuki_store::Incident;
use serde::Serialize;

/// One incident's times, in seconds from its first notice's arrival.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncidentTimes {
    /// The incident.
    pub id: i64,
    /// True for a drill.
    pub drill: bool,
    /// When its first notice arrived (UTC µs).
    pub opened_at: i64,
    /// Seconds to acknowledgement.
    pub to_acknowledge: Option<f64>,
    /// Seconds to the host being identified.
    pub to_identify: Option<f64>,
    /// Seconds to containment.
    pub to_contain: Option<f64>,
}

impl IncidentTimes {
    /// The times of one incident.
    pub fn of(i: &Incident) -> IncidentTimes {
        let since = |t: Option<i64>| t.map(|t| (t - i.opened_at).max(0) as f64 / 1e6);
        IncidentTimes {
            id: i.id,
            drill: i.drill_id.is_some(),
            opened_at: i.opened_at,
            to_acknowledge: since(i.acknowledged_at),
            to_identify: since(i.identified_at),
            to_contain: since(i.contained_at),
        }
    }
}

/// A summary of durations, in seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Stat {
    /// How many incidents reached the step.
    pub count: usize,
    /// Median.
    pub median: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90: Option<f64>,
    /// Mean.
    pub mean: Option<f64>,
    /// Longest.
    pub max: Option<f64>,
}

impl Stat {
    /// The summary of some durations.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Stat {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Stat::default();
        }
        v.sort_by(f64::total_cmp);
        let rank = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        let median = if v.len() % 2 == 1 {
            v[v.len() / 2]
        } else {
            (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
        };
        Stat {
            count: v.len(),
            median: Some(median),
            p90: Some(rank(0.9)),
            mean: Some(v.iter().sum::<f64>() / v.len() as f64),
            max: v.last().copied(),
        }
    }
}

/// How incidents are grouped over time.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// By calendar day.
    Day,
    /// By ISO week (starting Monday).
    Week,
    /// By calendar month.
    Month,
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            _ => Err(format!("unknown period {s:?}; one of: day, week, month")),
        }
    }
}

/// The figures of one period.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeriodStats {
    /// The period's first day (`YYYY-MM-DD`, in the zone asked for).
    pub period: String,
    /// Incidents opened in it.
    pub opened: usize,
    /// Of those, contained.
    pub contained: usize,
    /// Time to acknowledge.
    pub to_acknowledge: Stat,
    /// Time to identify the host.
    pub to_identify: Stat,
    /// Time to contain.
    pub to_contain: Stat,
}

/// Figures per period for the incidents given, drills left out unless
/// `drills` is true (then only drills are counted).
pub fn over_time(
    times: &[IncidentTimes],
    period: Period,
    tz: &TimeZone,
    drills: bool,
) -> Vec<PeriodStats> {
    let mut groups: std::collections::BTreeMap<String, Vec<&IncidentTimes>> = Default::default();
    for t in times.iter().filter(|t| t.drill == drills) {
        groups
            .entry(period_start(t.opened_at, period, tz))
            .or_default()
            .push(t);
    }
    groups
        .into_iter()
        .map(|(period, ts)| PeriodStats {
            period,
            opened: ts.len(),
            contained: ts.iter().filter(|t| t.to_contain.is_some()).count(),
            to_acknowledge: Stat::of(ts.iter().filter_map(|t| t.to_acknowledge)),
            to_identify: Stat::of(ts.iter().filter_map(|t| t.to_identify)),
            to_contain: Stat::of(ts.iter().filter_map(|t| t.to_contain)),
        })
        .collect()
}

fn period_start(micros: i64, period: Period, tz: &TimeZone) -> String {
    let Ok(ts) = Timestamp::from_microsecond(micros) else {
        return "invalid".into();
    };
    let d = ts.to_zoned(tz.clone()).date();
    let start = match period {
        Period::Day => d,
        Period::Week => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(back.days()).unwrap_or(d)
        }
        Period::Month => d.first_of_month(),
    };
    start.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;

    fn inc(
        id: i64,
        opened: i64,
        ack: Option<i64>,
        contained: Option<i64>,
        drill: bool,
    ) -> Incident {
        Incident {
            id,
            malware: "emotet".into(),
            playbook: "emotet".into(),
            state: "open".into(),
            drill_id: drill.then_some(1),
            window_start: opened,
            window_end: opened,
            opened_at: opened,
            acknowledged_at: ack,
            identified_at: None,
            contained_at: contained,
            closed_at: None,
            updated_at: opened,
        }
    }

    #[test]
    fn stat_median_and_p90() {
        let s = Stat::of([1.0, 2.0, 3.0, 4.0, 100.0]);
        assert_eq!(s.count, 5);
        assert_eq!(s.median, Some(3.0));
        assert_eq!(s.p90, Some(100.0));
        assert_eq!(s.max, Some(100.0));
        let e = Stat::of([2.0, 4.0]);
        assert_eq!(e.median, Some(3.0));
        assert_eq!(Stat::of([]), Stat::default());
    }

    #[test]
    fn drills_are_kept_out_of_production_figures() {
        // 2021-02-22 00:00 UTC is a Monday.
        let mon = 1_613_952_000_000_000;
        let times: Vec<IncidentTimes> = [
            inc(1, mon, Some(mon + H), Some(mon + 5 * H), false),
            inc(2, mon + 24 * H, Some(mon + 27 * H), None, false),
            inc(3, mon + 2 * H, Some(mon + 2 * H + 60_000_000), None, true),
            inc(4, mon + 8 * 24 * H, None, None, false),
        ]
        .iter()
        .map(IncidentTimes::of)
        .collect();
        let weeks = over_time(&times, Period::Week, &TimeZone::UTC, false);
        assert_eq!(weeks.len(), 2);
        assert_eq!(weeks[0].period, "2021-02-22");
        assert_eq!(weeks[0].opened, 2);
        assert_eq!(weeks[0].contained, 1);
        assert_eq!(weeks[0].to_acknowledge.median, Some(2.0 * 3600.0));
        assert_eq!(weeks[0].to_contain.max, Some(5.0 * 3600.0));
        assert_eq!(weeks[1].period, "2021-03-01");
        assert_eq!(weeks[1].to_acknowledge.count, 0);
        let drills = over_time(&times, Period::Month, &TimeZone::UTC, true);
        assert_eq!(drills.len(), 1);
        assert_eq!(drills[0].opened, 1);
        assert_eq!(drills[0].period, "2021-02-01");
        assert_eq!(drills[0].to_acknowledge.median, Some(60.0));
    }

    #[test]
    fn days_follow_the_zone_asked_for() {
        // 2021-02-22 20:00 UTC is already the 23rd in Tokyo.
        let t = 1_614_024_000_000_000;
        let times = vec![IncidentTimes::of(&inc(1, t, None, None, false))];
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(
            over_time(&times, Period::Day, &tokyo, false)[0].period,
            "2021-02-23"
        );
        assert_eq!(
            over_time(&times, Period::Day, &TimeZone::UTC, false)[0].period,
            "2021-02-22"
        );
    }
}
