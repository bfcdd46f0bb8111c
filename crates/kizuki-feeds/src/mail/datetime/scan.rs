//! Looking for dates along a line.

use super::found::{Found, Tod, ZoneHint};
use super::grammar::{Cur, parse_at, time_of_day, zone};
use std::ops::Range;

/// Whether a date could start at byte `i`.
fn candidate(b: &[u8], i: usize) -> bool {
    let c = b[i];
    let prev = if i == 0 { None } else { Some(b[i - 1]) };
    if c.is_ascii_digit() {
        return !prev.is_some_and(|p| p.is_ascii_digit() || p == b'.' || p == b':');
    }
    c.is_ascii_alphabetic() && !prev.is_some_and(|p| p.is_ascii_alphabetic())
}

/// Every date in a folded line, left to right, not overlapping.
fn find_all(s: &str) -> Vec<Found> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if s.is_char_boundary(i)
            && candidate(b, i)
            && let Some(f) = parse_at(s, i)
        {
            i = f.range.end.max(i + 1);
            out.push(f);
            continue;
        }
        i += 1;
    }
    out
}

/// The first date in a folded line with a time, else the first date.
pub(crate) fn find(s: &str) -> Option<Found> {
    let all = find_all(s);
    all.iter()
        .find(|f| f.time.is_some())
        .or_else(|| all.first())
        .cloned()
}

/// A time of day on its own (`10:15:23`, `10時15分 JST`), for notices that
/// put the date and the time on different lines.
pub(crate) fn find_time_only(s: &str) -> Option<(Range<usize>, Tod, Option<ZoneHint>)> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        let starts = s.is_char_boundary(i)
            && (b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_digit())
                || s[i..].starts_with("午"));
        if !starts {
            continue;
        }
        let mut c = Cur::new(s, i);
        if let Some(t) = time_of_day(&mut c) {
            let z = zone(&mut c, false);
            return Some((i..c.i, t, z));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::found::ZoneChoice;
    use super::*;
    use kizuki_event::time::Zone;

    fn utc(s: &str) -> (String, Option<String>) {
        let f = find(s).unwrap_or_else(|| panic!("no date in {s:?}"));
        let r = f.resolve(&ZoneChoice::of(Zone::Utc));
        let iso = |us: i64| {
            kizuki_event::Timestamp::from_micros(us)
                .map(|t| t.to_iso())
                .unwrap_or_default()
        };
        (
            format!("{} {}", r.time.map(iso).unwrap_or_default(), r.zone),
            r.end.map(iso),
        )
    }

    #[test]
    fn japanese_forms() {
        let t = "2021-02-22T01:15:23+00:00 Asia/Tokyo";
        assert_eq!(utc("2021/02/22 10:15:23 (日本時間)").0, t);
        assert_eq!(utc("2021/02/22 10:15:23 JST").0, t);
        assert_eq!(
            utc("2021/02/22 10:15 JST").0,
            "2021-02-22T01:15:00+00:00 Asia/Tokyo"
        );
        assert_eq!(
            utc("2021年2月22日 10時15分").0,
            "2021-02-22T10:15:00+00:00 UTC"
        );
        assert_eq!(
            utc("2021年2月22日(月) 午後3時15分20秒 日本時間").0,
            "2021-02-22T06:15:20+00:00 Asia/Tokyo"
        );
        assert_eq!(
            utc("2021 年 2 月 22 日 午前 10 時 15 分").0,
            "2021-02-22T10:15:00+00:00 UTC"
        );
    }

    #[test]
    fn numeric_and_english_forms() {
        let t = "2021-02-22T01:15:23+00:00";
        assert_eq!(utc("2021-02-22 10:15:23 +0900").0, format!("{t} +09:00"));
        assert_eq!(utc("2021-02-22T01:15:23Z").0, format!("{t} UTC"));
        assert_eq!(utc("2021-02-22T10:15:23+09:00").0, format!("{t} +09:00"));
        assert_eq!(utc("2021-02-22 01:15:23 UTC").0, format!("{t} UTC"));
        assert_eq!(utc("2021-02-22 01:15:23 (UTC)").0, format!("{t} UTC"));
        assert_eq!(
            utc("2021-02-22 01:15:23 (協定世界時)").0,
            format!("{t} UTC")
        );
        assert_eq!(utc("2021-02-22 01:15:23 (GMT)").0, format!("{t} UTC"));
        assert_eq!(
            utc("Feb 22, 2021 10:15:23 JST").0,
            format!("{t} Asia/Tokyo")
        );
        assert_eq!(utc("22 Feb 2021 10:15:23 +0900").0, format!("{t} +09:00"));
        assert_eq!(
            utc("Mon, 22 Feb 2021 10:15:23 +0900 (JST)").0,
            format!("{t} +09:00")
        );
        assert_eq!(
            utc("Mon, Feb 22, 2021 at 10:15 AM").0,
            "2021-02-22T10:15:00+00:00 UTC"
        );
        assert_eq!(
            utc("February 22, 2021 at 10:15:23 GMT+9").0,
            format!("{t} +09:00")
        );
    }

    #[test]
    fn ranges_keep_the_start_and_note_the_end() {
        let (start, end) = utc("2021/02/22 10:00~10:30 (日本時間)");
        assert_eq!(start, "2021-02-22T01:00:00+00:00 Asia/Tokyo");
        assert_eq!(end.as_deref(), Some("2021-02-22T01:30:00+00:00"));
        let (start, end) = utc("2021-02-22 10:15:23 JST ~ 2021-02-22 11:00:00 JST (3 回)");
        assert_eq!(start, "2021-02-22T01:15:23+00:00 Asia/Tokyo");
        assert_eq!(end.as_deref(), Some("2021-02-22T02:00:00+00:00"));
        let (_, end) = utc("2021/02/22 23:50-00:10 JST");
        assert_eq!(end.as_deref(), Some("2021-02-22T15:10:00+00:00"));
    }

    #[test]
    fn not_dates() {
        assert!(find("203.0.113.5").is_none());
        assert!(find("version 1.2.3").is_none());
        assert!(find("2021/13/40 10:00").is_none());
        let f = find("2021/02/22").unwrap();
        assert_eq!(f.time, None);
        let f = find("203.0.113.5 2021-02-22 10:15:23 JST emotet").unwrap();
        assert_eq!(f.range, 12..35);
        assert_eq!(
            find_time_only("10:15:23 (JST)"),
            Some((0..14, (10, 15, 23, 0), Some(ZoneHint::Tokyo)))
        );
    }
}
