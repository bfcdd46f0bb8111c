//! Counting events by day, recipient, malware and other keys, as CSV, JSON
//! or a trend chart (SVG).
//!
//! The 2021 example: how many `.jp` accounts may be sending Emotet mail, per
//! day: `--by day --count accounts --filter malware.name=emotet --filter
//! source.account=*.jp`.

use crate::RouteError;
use kizuki_event::{Event, Field};
use std::collections::{BTreeMap, HashSet};

/// A grouping key.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Key {
    /// The day of `time.source`.
    Day,
    /// `extra.recipient`.
    Recipient,
    /// `malware.name`.
    Malware,
    /// `source.asn`.
    Asn,
    /// `source.geolocation.cc`.
    Country,
    /// `feed.name`.
    Feed,
    /// `classification.type`.
    Type,
    /// The top-level domain of `source.account` or `source.fqdn`.
    Tld,
}

impl Key {
    /// Every key with its name.
    pub const ALL: &'static [(Key, &'static str)] = &[
        (Key::Day, "day"),
        (Key::Recipient, "recipient"),
        (Key::Malware, "malware"),
        (Key::Asn, "asn"),
        (Key::Country, "country"),
        (Key::Feed, "feed"),
        (Key::Type, "type"),
        (Key::Tld, "tld"),
    ];

    /// A key by name.
    pub fn parse(s: &str) -> Option<Key> {
        Key::ALL
            .iter()
            .find(|(_, n)| *n == s.trim())
            .map(|(k, _)| *k)
    }

    /// The key's name.
    pub fn name(self) -> &'static str {
        Key::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("?", |(_, n)| n)
    }
}

/// What is counted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Count {
    /// Events.
    Events,
    /// Distinct `source.ip`.
    Addresses,
    /// Distinct `source.account`.
    Accounts,
}

impl Count {
    /// Parses `events`, `addresses` or `accounts`.
    pub fn parse(s: &str) -> Option<Count> {
        match s {
            "events" => Some(Count::Events),
            "addresses" => Some(Count::Addresses),
            "accounts" => Some(Count::Accounts),
            _ => None,
        }
    }
}

/// `FIELD=VALUE`, with `*` allowed at the start or end of the value.
#[derive(Clone, Debug)]
pub struct Filter {
    key: String,
    pattern: String,
}

impl Filter {
    /// Parses `FIELD=VALUE`.
    pub fn parse(s: &str) -> Option<Filter> {
        let (k, v) = s.split_once('=')?;
        Some(Filter {
            key: k.trim().to_owned(),
            pattern: v.trim().to_lowercase(),
        })
    }

    fn value(ev: &Event, key: &str) -> Option<String> {
        if let Some(x) = key.strip_prefix("extra.") {
            return ev.extra().get(x).map(|v| match v.as_str() {
                Some(s) => s.to_owned(),
                None => v.to_json().to_string(),
            });
        }
        let f = Field::from_name(key)?;
        let v = ev.get(f)?;
        Some(match v {
            kizuki_event::Value::Str(s) => s.to_string(),
            kizuki_event::Value::Int(i) => i.to_string(),
            kizuki_event::Value::Ip(ip) => ip.to_string(),
            kizuki_event::Value::Time(t) => t.to_iso(),
            other => format!("{other:?}"),
        })
    }

    fn matches(&self, ev: &Event) -> bool {
        let Some(v) = Filter::value(ev, &self.key) else {
            return false;
        };
        let v = v.to_lowercase();
        match (
            self.pattern.strip_prefix('*'),
            self.pattern.strip_suffix('*'),
        ) {
            (Some(suffix), _) => v.ends_with(suffix),
            (_, Some(prefix)) => v.starts_with(prefix),
            _ => v == self.pattern,
        }
    }
}

/// Counts, grouped.
pub struct Stats {
    keys: Vec<Key>,
    count: Count,
    filters: Vec<Filter>,
    tz: jiff::tz::TimeZone,
    groups: BTreeMap<Vec<String>, (u64, HashSet<String>)>,
}

impl Stats {
    /// Counts `count` grouped by `keys`, of events passing every filter;
    /// days are in `tz`.
    pub fn new(
        keys: Vec<Key>,
        count: Count,
        filters: Vec<Filter>,
        tz: jiff::tz::TimeZone,
    ) -> Stats {
        Stats {
            keys,
            count,
            filters,
            tz,
            groups: BTreeMap::new(),
        }
    }

    fn key_value(&self, ev: &Event, k: Key) -> String {
        let s = match k {
            Key::Day => ev
                .time_source()
                .and_then(|t| t.to_zoned(&self.tz))
                .map(|z| z.date().to_string()),
            Key::Recipient => ev
                .extra()
                .get(crate::RECIPIENT_KEY)
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            Key::Malware => ev.malware_name().map(str::to_owned),
            Key::Asn => ev.int(Field::SourceAsn).map(|a| a.to_string()),
            Key::Country => ev.str(Field::SourceGeolocationCc).map(str::to_owned),
            Key::Feed => ev.feed_name().map(str::to_owned),
            Key::Type => ev.classification_type().map(str::to_owned),
            Key::Tld => ev
                .str(Field::SourceAccount)
                .or(ev.str(Field::SourceFqdn))
                .and_then(|n| n.rsplit('.').next())
                .map(|t| t.to_ascii_lowercase()),
        };
        s.unwrap_or_else(|| "-".into())
    }

    /// Counts one event.
    pub fn add(&mut self, ev: &Event) {
        if !self.filters.iter().all(|f| f.matches(ev)) {
            return;
        }
        let key: Vec<String> = self.keys.iter().map(|k| self.key_value(ev, *k)).collect();
        let what = match self.count {
            Count::Events => None,
            Count::Addresses => match ev.source_ip() {
                Some(ip) => Some(ip.to_string()),
                None => return,
            },
            Count::Accounts => match ev.str(Field::SourceAccount) {
                Some(a) => Some(a.to_lowercase()),
                None => return,
            },
        };
        let g = self.groups.entry(key).or_default();
        match what {
            None => g.0 += 1,
            Some(w) => {
                g.1.insert(w);
            }
        }
    }

    /// The groups and their counts, in key order.
    pub fn rows(&self) -> Vec<(Vec<String>, u64)> {
        self.groups
            .iter()
            .map(|(k, (n, set))| {
                (
                    k.clone(),
                    if self.count == Count::Events {
                        *n
                    } else {
                        set.len() as u64
                    },
                )
            })
            .collect()
    }

    fn count_name(&self) -> &'static str {
        match self.count {
            Count::Events => "events",
            Count::Addresses => "addresses",
            Count::Accounts => "accounts",
        }
    }

    /// CSV: the keys, then the count.
    pub fn to_csv(&self) -> String {
        let esc = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let mut out: Vec<String> = Vec::new();
        let mut head: Vec<&str> = self.keys.iter().map(|k| k.name()).collect();
        head.push(self.count_name());
        out.push(head.join(","));
        for (k, n) in self.rows() {
            let mut cells: Vec<String> = k.iter().map(|c| esc(c)).collect();
            cells.push(n.to_string());
            out.push(cells.join(","));
        }
        out.join("\n") + "\n"
    }

    /// JSON lines: one object per group.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        for (k, n) in self.rows() {
            let mut m = serde_json::Map::new();
            for (key, v) in self.keys.iter().zip(k) {
                m.insert(key.name().into(), serde_json::Value::String(v));
            }
            m.insert(self.count_name().into(), n.into());
            out.push_str(&serde_json::Value::Object(m).to_string());
            out.push('\n');
        }
        out
    }

    /// Draws the counts per day as lines (one per group of the other keys,
    /// the eight largest; the rest summed as "other") into an SVG file.
    pub fn chart(&self, path: &std::path::Path, title: &str) -> Result<(), RouteError> {
        use plotters::prelude::*;
        let err = |reason: String| RouteError::Report {
            recipient: "chart".into(),
            reason,
        };
        let day_at = self
            .keys
            .iter()
            .position(|k| *k == Key::Day)
            .ok_or_else(|| err("the chart needs day among the --by keys".into()))?;
        let mut days: Vec<String> = Vec::new();
        let mut series: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for (k, n) in self.rows() {
            let day = k[day_at].clone();
            if day == "-" {
                continue;
            }
            let name: Vec<&str> = k
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != day_at)
                // "-" (no value) reads badly in a legend.
                .map(|(_, s)| if s == "-" { "(none)" } else { s.as_str() })
                .collect();
            let name = if name.is_empty() {
                self.count_name().to_owned()
            } else {
                name.join(" / ")
            };
            *series
                .entry(name)
                .or_default()
                .entry(day.clone())
                .or_default() += n;
            days.push(day);
        }
        days.sort();
        days.dedup();
        if days.is_empty() {
            return Err(err("no dated events to draw".into()));
        }
        // The largest series by total; the rest summed.
        let mut order: Vec<(String, u64)> = series
            .iter()
            .map(|(k, v)| (k.clone(), v.values().sum()))
            .collect();
        order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut shown: Vec<(String, Vec<u64>)> = Vec::new();
        let mut other = vec![0u64; days.len()];
        for (i, (name, _)) in order.iter().enumerate() {
            let per_day: Vec<u64> = days
                .iter()
                .map(|d| series[name].get(d).copied().unwrap_or(0))
                .collect();
            if i < 8 {
                shown.push((name.clone(), per_day));
            } else {
                other.iter_mut().zip(per_day).for_each(|(o, v)| *o += v);
            }
        }
        if other.iter().any(|v| *v > 0) {
            shown.push(("other".into(), other));
        }
        let max = shown
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .max()
            .unwrap_or(1)
            .max(1);
        let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            // Room for the last day's label, centred on the right edge.
            .margin_right(48)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(
                0usize..days.len().saturating_sub(1).max(1),
                0u64..max + max / 10 + 1,
            )
            .map_err(|e| err(e.to_string()))?;
        let labels = days.clone();
        chart
            .configure_mesh()
            .x_labels(days.len().min(12))
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .y_desc(self.count_name())
            .draw()
            .map_err(|e| err(e.to_string()))?;
        for (i, (name, values)) in shown.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(x, y)| (x, *y)),
                    color.stroke_width(2),
                ))
                .map_err(|e| err(e.to_string()))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(e.to_string()))?;
        root.present().map_err(|e| err(e.to_string()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuki_event::Input;

    fn ev(day: &str, malware: &str, account: Option<&str>, ip: &str) -> Event {
        let mut e = Event::new();
        e.add(
            Field::TimeSource,
            Input::Str(&format!("{day}T12:00:00+00:00")),
        )
        .unwrap();
        e.add(Field::MalwareName, Input::Str(malware)).unwrap();
        e.add(Field::SourceIp, Input::Str(ip)).unwrap();
        if let Some(a) = account {
            e.add(Field::SourceAccount, Input::Str(a)).unwrap();
        }
        e
    }

    #[test]
    fn jp_accounts_sending_emotet_per_day() {
        let mut s = Stats::new(
            vec![Key::Day],
            Count::Accounts,
            vec![
                Filter::parse("malware.name=emotet").unwrap(),
                Filter::parse("source.account=*.jp").unwrap(),
            ],
            jiff::tz::TimeZone::UTC,
        );
        for e in [
            ev("2021-02-22", "emotet", Some("a@x.co.jp"), "192.0.2.1"),
            ev("2021-02-22", "emotet", Some("A@X.co.jp"), "192.0.2.2"),
            ev("2021-02-22", "emotet", Some("b@y.com"), "192.0.2.3"),
            ev("2021-02-22", "qakbot", Some("c@z.jp"), "192.0.2.4"),
            ev("2021-02-23", "emotet", Some("d@w.ne.jp"), "192.0.2.5"),
            ev("2021-02-23", "emotet", None, "192.0.2.6"),
        ] {
            s.add(&e);
        }
        assert_eq!(s.to_csv(), "day,accounts\n2021-02-22,1\n2021-02-23,1\n");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.svg");
        s.chart(&p, "Emotet .jp accounts").unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("2021-02-22"));
    }

    #[test]
    fn grouped_counts_in_json() {
        let mut s = Stats::new(
            vec![Key::Day, Key::Malware],
            Count::Events,
            vec![],
            jiff::tz::TimeZone::UTC,
        );
        for e in [
            ev("2021-02-22", "emotet", None, "192.0.2.1"),
            ev("2021-02-22", "emotet", None, "192.0.2.1"),
            ev("2021-02-22", "mirai", None, "192.0.2.1"),
        ] {
            s.add(&e);
        }
        assert_eq!(
            s.to_json(),
            "{\"day\":\"2021-02-22\",\"events\":2,\"malware\":\"emotet\"}\n{\"day\":\"2021-02-22\",\"events\":1,\"malware\":\"mirai\"}\n"
        );
    }
}
