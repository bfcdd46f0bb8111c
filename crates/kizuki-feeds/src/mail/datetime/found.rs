//! What was found: a date, a time, a zone, a range end; and how it
//! becomes UTC.

use kizuki_event::time::{Civil, Zone};
use std::ops::Range;

/// A zone written beside a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneHint {
    /// `JST`, `日本時間`, `日本標準時`.
    Tokyo,
    /// `UTC`, `GMT`, `Z`, `協定世界時`.
    Utc,
    /// A numeric offset, in seconds east of UTC.
    Offset(i32),
}

/// A zone to read naive times in, and the name reports give it.
#[derive(Clone, Debug)]
pub(crate) struct ZoneChoice {
    /// The zone.
    pub zone: Zone,
    /// `Asia/Tokyo`, `UTC`, `+09:00`.
    pub name: String,
}

impl ZoneChoice {
    /// From a [`Zone`].
    pub fn of(zone: Zone) -> ZoneChoice {
        let name = zone.to_string();
        ZoneChoice { zone, name }
    }
}

/// `+09:00` for an offset in seconds.
pub(crate) fn offset_name(secs: i32) -> String {
    if secs == 0 {
        return "UTC".into();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
}

impl ZoneHint {
    /// The zone and its name.
    pub fn choice(self) -> ZoneChoice {
        match self {
            ZoneHint::Tokyo => ZoneChoice {
                zone: Zone::parse("Asia/Tokyo").unwrap_or(Zone::Fixed(9 * 3600)),
                name: "Asia/Tokyo".into(),
            },
            ZoneHint::Utc => ZoneChoice {
                zone: Zone::Utc,
                name: "UTC".into(),
            },
            ZoneHint::Offset(s) => ZoneChoice {
                zone: if s == 0 { Zone::Utc } else { Zone::Fixed(s) },
                name: offset_name(s),
            },
        }
    }
}

/// A calendar date.
pub(crate) type Date = (i32, u8, u8);
/// A time of day: hour, minute, second, microsecond.
pub(crate) type Tod = (u8, u8, u8, u32);

/// A date (and usually a time) found in a line.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Found {
    /// Where it is in the folded line, zone and range end included.
    pub range: Range<usize>,
    /// The date.
    pub date: Date,
    /// The time of day, when written.
    pub time: Option<Tod>,
    /// The zone, when written.
    pub zone: Option<ZoneHint>,
    /// The end of a range (`10:00～10:30`): its own date when written.
    pub end: Option<(Option<Date>, Tod)>,
}

/// A time resolved to UTC.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Resolved {
    /// µs since the epoch.
    pub time: Option<i64>,
    /// The end of a range, µs since the epoch.
    pub end: Option<i64>,
    /// The zone it was read in.
    pub zone: String,
}

pub(super) fn civil(d: Date, t: Tod) -> Civil {
    Civil {
        year: d.0,
        month: d.1,
        day: d.2,
        hour: t.0,
        minute: t.1,
        second: t.2,
        micro: t.3,
    }
}

impl Found {
    /// The times in UTC: in the written zone, else in `fallback`.
    pub fn resolve(&self, fallback: &ZoneChoice) -> Resolved {
        let z = self.zone.map(ZoneHint::choice);
        let z = z.as_ref().unwrap_or(fallback);
        let at = |d: Date, t: Tod| z.zone.to_timestamp(civil(d, t)).map(|t| t.as_micros());
        let time = self.time.and_then(|t| at(self.date, t));
        let end = match (self.end, time) {
            (Some((d, t)), Some(start)) => at(d.unwrap_or(self.date), t).map(|e| {
                // `23:50～00:10` ends the next day.
                if e < start && d.is_none() {
                    e + 86_400_000_000
                } else {
                    e
                }
            }),
            _ => None,
        };
        Resolved {
            time,
            end,
            zone: z.name.clone(),
        }
    }
}
