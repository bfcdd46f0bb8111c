//! Known C2 servers and when they were active: the abuse.ch Feodo Tracker
//! list (or any list of the same shape), indexed by address.
//!
//! Feodo gives `first_seen` as a time and `last_online` as a date: an entry
//! is valid from `first_seen` through the end of the `last_online` day
//! (UTC). Without `last_online`, an `online` entry is open-ended and any
//! other is valid for [`C2Options::offline_validity`] after `first_seen`.

use crate::error::Reject;
use crate::flow::iso_micros;
use crate::parse;
use kizuki_event::{Event, Field};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::sync::Arc;

const DAY: i64 = 86_400_000_000;

/// How entries without a `last_online` date are bounded.
#[derive(Clone, Debug)]
pub struct C2Options {
    offline_validity: i64,
}

impl Default for C2Options {
    fn default() -> Self {
        C2Options {
            offline_validity: 30 * DAY,
        }
    }
}

impl C2Options {
    /// Options with every default.
    pub fn new() -> C2Options {
        C2Options::default()
    }

    /// How long (µs) after `first_seen` an entry that is not `online` and
    /// has no `last_online` date stays valid. By default, 30 days: Feodo
    /// drops entries it has not seen for about that long.
    pub fn offline_validity(mut self, micros: i64) -> Self {
        self.offline_validity = micros.max(0);
        self
    }
}

/// One C2 server (address, port) of a malware family, with its validity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct C2Entry {
    /// The C2 address.
    pub ip: IpAddr,
    /// The C2 port; `None` matches any port.
    pub port: Option<u16>,
    /// The malware family, lower-case (`emotet`).
    pub malware: String,
    /// When the list first saw it (µs, UTC).
    #[serde(with = "iso_micros")]
    pub first_seen: i64,
    /// The start (00:00 UTC, µs) of the day it was last seen online.
    #[serde(with = "opt_iso")]
    pub last_online: Option<i64>,
    /// The list's status (`online`, `offline`).
    pub status: Option<String>,
    /// Valid from (µs, UTC): `first_seen`.
    #[serde(with = "iso_micros")]
    pub valid_from: i64,
    /// Valid through (µs, UTC, inclusive); `i64::MAX` when open-ended.
    #[serde(with = "iso_micros")]
    pub valid_to: i64,
}

mod opt_iso {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&crate::flow::iso(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        v.map(|s| {
            kizuki_event::Timestamp::parse_iso(&s)
                .map(|t| t.as_micros())
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

impl C2Entry {
    /// An entry; the validity window is worked out from `first_seen`,
    /// `last_online` (a day's start) and `status`.
    pub fn new(
        ip: IpAddr,
        port: Option<u16>,
        malware: &str,
        first_seen: i64,
        last_online: Option<i64>,
        status: Option<&str>,
        opts: &C2Options,
    ) -> C2Entry {
        let online = status.is_some_and(|s| s.eq_ignore_ascii_case("online"));
        let valid_to = match last_online {
            // The whole day, and never before first_seen (an inconsistent
            // entry is valid at its first sighting at least).
            Some(day) => (day.div_euclid(DAY) * DAY + DAY - 1).max(first_seen),
            None if online => i64::MAX,
            None => first_seen.saturating_add(opts.offline_validity),
        };
        C2Entry {
            ip,
            port,
            malware: malware.to_ascii_lowercase(),
            first_seen,
            last_online,
            status: status.map(str::to_owned),
            valid_from: first_seen,
            valid_to,
        }
    }

    /// Whether the entry was valid at some time in `[from, to]`.
    pub fn valid_during(&self, from: i64, to: i64) -> bool {
        self.valid_from <= to && self.valid_to >= from
    }

    /// Whether a connection to `port` matches the entry's port.
    pub fn port_matches(&self, port: Option<u16>) -> bool {
        match self.port {
            None => true,
            Some(p) => port == Some(p),
        }
    }
}

/// C2 entries indexed by address: a lookup is one hash probe and a scan of
/// that address's few entries (one per port and validity window).
#[derive(Clone, Debug, Default)]
pub struct C2List {
    entries: Vec<C2Entry>,
    v4: FxHashMap<u32, (u32, u32)>,
    v6: FxHashMap<u128, (u32, u32)>,
}

impl C2List {
    /// Indexes entries (kept in address, port and time order).
    pub fn from_entries(mut entries: Vec<C2Entry>) -> C2List {
        entries.sort_by(|a, b| {
            (a.ip, a.port, a.valid_from, &a.malware).cmp(&(b.ip, b.port, b.valid_from, &b.malware))
        });
        let mut v4 = FxHashMap::default();
        let mut v6 = FxHashMap::default();
        let mut i = 0;
        while i < entries.len() {
            let ip = entries[i].ip;
            let mut j = i + 1;
            while j < entries.len() && entries[j].ip == ip {
                j += 1;
            }
            let span = (i as u32, (j - i) as u32);
            match ip {
                IpAddr::V4(a) => {
                    v4.insert(u32::from(a), span);
                }
                IpAddr::V6(a) => {
                    v6.insert(u128::from(a), span);
                }
            }
            i = j;
        }
        C2List { entries, v4, v6 }
    }

    /// Builds the list from `c2-server` events as the Feodo reader makes
    /// them: the C2 in `source.ip`/`source.port`, `malware.name`,
    /// `extra.first_seen` (ISO time; else `time.source`),
    /// `extra.last_online` (a date) and `status`. Events that lack an
    /// address, a time or a family come back as rejects naming their origin.
    pub fn from_events<'e>(
        events: impl IntoIterator<Item = &'e Event>,
        opts: &C2Options,
    ) -> (C2List, Vec<Reject>) {
        let mut entries = Vec::new();
        let mut rejects = Vec::new();
        for ev in events {
            match entry_of(ev, opts) {
                Ok(e) => entries.push(e),
                Err(reason) => {
                    let (file, line) = ev
                        .origin()
                        .map(|o| (o.file.clone(), o.line))
                        .unwrap_or_else(|| (Arc::from(""), 0));
                    rejects.push(Reject::new(&file, line, reason, b""));
                }
            }
        }
        (C2List::from_entries(entries), rejects)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, in address, port and time order.
    pub fn entries(&self) -> &[C2Entry] {
        &self.entries
    }

    /// The entries for one address (any port, any time), with their
    /// indexes in [`C2List::entries`].
    pub fn at(&self, ip: IpAddr) -> (usize, &[C2Entry]) {
        let span = match ip {
            IpAddr::V4(a) => self.v4.get(&u32::from(a)),
            IpAddr::V6(a) => self.v6.get(&u128::from(a)),
        };
        match span {
            Some(&(start, len)) => {
                let s = start as usize;
                (s, &self.entries[s..s + len as usize])
            }
            None => (0, &[]),
        }
    }

    /// The entries a connection to `ip`:`port` during `[from, to]` hits,
    /// optionally of one malware family (lower-case), with their indexes.
    pub fn lookup<'a>(
        &'a self,
        ip: IpAddr,
        port: Option<u16>,
        from: i64,
        to: i64,
        malware: Option<&'a str>,
    ) -> impl Iterator<Item = (usize, &'a C2Entry)> + 'a {
        let (base, slice) = self.at(ip);
        slice.iter().enumerate().filter_map(move |(i, e)| {
            (e.port_matches(port)
                && e.valid_during(from, to)
                && malware.is_none_or(|m| e.malware == m))
            .then_some((base + i, e))
        })
    }
}

fn entry_of(ev: &Event, opts: &C2Options) -> Result<C2Entry, String> {
    let ip = ev.source_ip().ok_or("no C2 address (source.ip)")?;
    let port = ev.source_port();
    let malware = ev
        .malware_name()
        .ok_or("no malware family (malware.name)")?;
    let first_seen = match ev.extra().get("first_seen").and_then(|v| v.as_str()) {
        Some(s) => kizuki_event::Timestamp::parse_iso(s)
            .map_err(|e| format!("extra.first_seen: {e}"))?
            .as_micros(),
        None => ev
            .time_source()
            .ok_or("no first_seen time (extra.first_seen or time.source)")?
            .as_micros(),
    };
    let last_online = match ev.extra().get("last_online").and_then(|v| v.as_str()) {
        Some(s) => Some(date(s).ok_or_else(|| format!("extra.last_online {s:?} is not a date"))?),
        None => None,
    };
    let status = ev.str(Field::Status);
    Ok(C2Entry::new(
        ip,
        port,
        malware,
        first_seen,
        last_online,
        status,
        opts,
    ))
}

/// `YYYY-MM-DD` (anything after the date, such as a time, is ignored) as
/// the µs of that day's start in UTC.
pub fn date(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = parse::uint(&b[0..4])? as i64;
    let m = parse::uint(&b[5..7])? as u32;
    let d = parse::uint(&b[8..10])? as u32;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Reject days past the month's end by a round trip through the
    // naive-time parser.
    let text = format!("{}-{:02}-{:02} 00:00:00", y, m, d);
    let (us, _) = parse::naive(text.as_bytes())?;
    Some(us)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuki_event::{ExtraValue, Input, Origin};

    fn t(s: &str) -> i64 {
        kizuki_event::Timestamp::parse_iso(s).unwrap().as_micros()
    }

    #[test]
    fn validity_runs_to_the_end_of_the_last_online_day() {
        let o = C2Options::new();
        let e = C2Entry::new(
            "192.0.2.1".parse().unwrap(),
            Some(8080),
            "Emotet",
            t("2021-01-10T05:00:00Z"),
            date("2021-01-20"),
            Some("offline"),
            &o,
        );
        assert_eq!(e.malware, "emotet");
        assert!(e.valid_during(t("2021-01-20T23:59:59Z"), t("2021-01-20T23:59:59Z")));
        assert!(!e.valid_during(t("2021-01-21T00:00:00Z"), t("2021-01-22T00:00:00Z")));
        assert!(!e.valid_during(t("2021-01-10T04:00:00Z"), t("2021-01-10T04:59:59Z")));
        let online = C2Entry::new(e.ip, None, "qakbot", e.first_seen, None, Some("online"), &o);
        assert_eq!(online.valid_to, i64::MAX);
        let offline = C2Entry::new(
            e.ip,
            None,
            "qakbot",
            e.first_seen,
            None,
            Some("offline"),
            &o,
        );
        assert_eq!(offline.valid_to, e.first_seen + 30 * DAY);
    }

    #[test]
    fn lookup_checks_port_time_and_family() {
        let o = C2Options::new();
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        let list = C2List::from_entries(vec![
            C2Entry::new(ip, Some(443), "emotet", 0, date("1970-01-02"), None, &o),
            C2Entry::new(
                ip,
                Some(443),
                "emotet",
                10 * DAY,
                date("1970-01-15"),
                None,
                &o,
            ),
            C2Entry::new(ip, Some(8080), "qakbot", 0, date("1970-01-15"), None, &o),
        ]);
        let hits = |port, at: i64, m| {
            list.lookup(ip, Some(port), at, at, m)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        assert_eq!(hits(443, DAY, None), vec![0]);
        assert_eq!(hits(443, 5 * DAY, None), Vec::<usize>::new());
        assert_eq!(hits(443, 11 * DAY, None), vec![1]);
        assert_eq!(hits(8080, 11 * DAY, Some("emotet")), Vec::<usize>::new());
        assert_eq!(hits(8080, 11 * DAY, Some("qakbot")), vec![2]);
        assert_eq!(
            list.lookup("192.0.2.9".parse().unwrap(), Some(443), 0, 0, None)
                .count(),
            0
        );
    }

    #[test]
    fn entries_from_feodo_events() {
        let mut ev = Event::new();
        ev.add(Field::SourceIp, Input::Str("162.243.103.246"))
            .unwrap();
        ev.add(Field::SourcePort, Input::Str("8080")).unwrap();
        ev.add(Field::MalwareName, Input::Str("Emotet")).unwrap();
        ev.add(Field::Status, Input::Str("offline")).unwrap();
        ev.set_extra(
            "first_seen",
            ExtraValue::Str("2022-06-04T21:24:53+00:00".into()),
        );
        ev.set_extra("last_online", ExtraValue::Str("2026-03-07".into()));
        let mut bad = Event::new();
        bad.add(Field::MalwareName, Input::Str("QakBot")).unwrap();
        bad.set_origin(Some(Origin::new("feodo.csv".into(), 7)));
        let (list, rejects) = C2List::from_events([&ev, &bad], &C2Options::new());
        assert_eq!(list.len(), 1);
        let e = &list.entries()[0];
        assert_eq!(e.port, Some(8080));
        assert_eq!(e.valid_to, t("2026-03-07T23:59:59.999999Z"));
        assert_eq!(rejects.len(), 1);
        assert_eq!((&*rejects[0].file, rejects[0].line), ("feodo.csv", 7));
    }
}
