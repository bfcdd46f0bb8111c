//! Log times to UTC: local wall-clock times in a declared zone (with DST
//! folds and gaps), ctime headers, syslog timestamps with no year, ISO 8601
//! with an offset, epoch seconds.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

/// Turns local wall-clock times of one log into UTC seconds.
///
/// In the hour a DST change repeats (the autumn fold) a local time names
/// two instants. Logs are written in order, so the earlier instant is taken
/// unless it would put the record well before the one read just before it;
/// then the later one is. A time in the spring gap does not exist; it is
/// read with the offset from before the gap, as a clock that had not yet
/// moved would have written it.
#[derive(Clone, Debug)]
pub struct LocalClock {
    tz: TimeZone,
    last: Option<i64>,
    /// The local hour last resolved (UTC-style seconds of its start) and
    /// its offset, when that whole hour has one offset: logs come in time
    /// order, so most lines need no zone lookup.
    hour: Option<(i64, i64)>,
}

/// How far back (in seconds) a record may go before a folded local time is
/// read as the second of its two instants.
const FOLD_SLACK: i64 = 300;

impl LocalClock {
    /// A clock for local times in `tz`.
    pub fn new(tz: TimeZone) -> LocalClock {
        LocalClock {
            tz,
            last: None,
            hour: None,
        }
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// UTC seconds for a local date and time.
    pub fn resolve(&mut self, dt: DateTime) -> Option<i64> {
        let local = utc(dt)?;
        let hour = local.div_euclid(3600) * 3600;
        if let Some((h, offset)) = self.hour
            && h == hour
        {
            let t = local - offset;
            self.note(t);
            return Some(t);
        }
        let amb = self.tz.to_ambiguous_timestamp(dt);
        if let AmbiguousOffset::Unambiguous { offset } = amb.offset() {
            // The whole hour shares the offset when its first and last
            // second do (zone changes fall on whole hours or halves of
            // them; a half-hour change makes them differ and is looked up
            // line by line).
            let last = dt.saturating_add(jiff::SignedDuration::from_secs(
                3599 - local.rem_euclid(3600),
            ));
            let first = dt.saturating_sub(jiff::SignedDuration::from_secs(local.rem_euclid(3600)));
            let same = |d: DateTime| {
                matches!(self.tz.to_ambiguous_timestamp(d).offset(),
                    AmbiguousOffset::Unambiguous { offset: o } if o == offset)
            };
            if same(first) && same(last) {
                self.hour = Some((hour, i64::from(offset.seconds())));
            }
        }
        let t = match amb.offset() {
            AmbiguousOffset::Unambiguous { offset } => local - i64::from(offset.seconds()),
            AmbiguousOffset::Gap { before, .. } => local - i64::from(before.seconds()),
            AmbiguousOffset::Fold { before, after } => {
                let first = local - i64::from(before.seconds());
                let second = local - i64::from(after.seconds());
                match self.last {
                    Some(last) if first + FOLD_SLACK < last => second,
                    _ => first,
                }
            }
        };
        self.note(t);
        Some(t)
    }

    /// Tells the clock about a time read some other way (an epoch), so
    /// that the next folded local time is judged against it.
    pub fn note(&mut self, t: i64) {
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A month from its English abbreviation (any case).
pub fn month(s: &str) -> Option<i8> {
    let s = s.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .map(|i| i as i8 + 1)
}

fn num<T: std::str::FromStr>(s: &str) -> Option<T> {
    s.trim().parse().ok()
}

/// `HH:MM:SS` (fractions of a second are dropped).
fn hms(s: &str) -> Option<(i8, i8, i8)> {
    let mut it = s.split(':');
    let h = num(it.next()?)?;
    let m = num(it.next()?)?;
    let sec = it.next()?;
    let sec = sec.split('.').next()?;
    if it.next().is_some() {
        return None;
    }
    Some((h, m, num(sec)?))
}

fn datetime(y: i16, mo: i8, d: i8, (h, mi, s): (i8, i8, i8)) -> Option<DateTime> {
    DateTime::new(y, mo, d, h, mi, s, 0).ok()
}

/// A ctime-style time, `Tue Sep 13 16:24:27 2011` (the FreeRADIUS `detail`
/// header), as a local date and time.
pub fn parse_ctime(s: &str) -> Option<DateTime> {
    let mut it = s.split_ascii_whitespace();
    let _weekday = it.next()?;
    let mo = month(it.next()?)?;
    let d = num(it.next()?)?;
    let t = hms(it.next()?)?;
    let y = num(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    datetime(y, mo, d, t)
}

/// A RADIUS Event-Timestamp as FreeRADIUS writes it, `Feb 23 2021 10:15:01
/// JST`: the local date and time, and the zone abbreviation when there is
/// one.
pub fn parse_event_timestamp(s: &str) -> Option<(DateTime, Option<&str>)> {
    let mut it = s.split_ascii_whitespace();
    let mo = month(it.next()?)?;
    let d = num(it.next()?)?;
    let y = num(it.next()?)?;
    let t = hms(it.next()?)?;
    let zone = it.next();
    if it.next().is_some() {
        return None;
    }
    Some((datetime(y, mo, d, t)?, zone))
}

/// An ISO 8601 / RFC 3339 time with an offset or `Z` (RFC 5424 syslog),
/// as UTC seconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let ts: jiff::Timestamp = s.trim().parse().ok()?;
    Some(ts.as_second())
}

/// `YYYY-MM-DD HH:MM:SS` with no zone (the UTC time Juniper MS-DPC lines
/// carry after the slot).
pub fn parse_plain(date: &str, time: &str) -> Option<DateTime> {
    // The usual shape, `YYYY-MM-DD` and `HH:MM:SS`, read digit by digit
    // (the same result as the general path below, without its splitting).
    if let (Some(d), Some(t)) = (
        fixed_digits(date.as_bytes(), b"dddd-dd-dd"),
        fixed_digits(time.as_bytes(), b"dd:dd:dd"),
    ) {
        let two = |v: &[u8], i: usize| (v[i] * 10 + v[i + 1]) as i8;
        let year = i16::from(d[0]) * 1000 + i16::from(d[1]) * 100 + i16::from(d[2]) * 10;
        return datetime(
            year + i16::from(d[3]),
            two(&d, 5),
            two(&d, 8),
            (two(&t, 0), two(&t, 3), two(&t, 6)),
        );
    }
    let mut it = date.split('-');
    let y = num(it.next()?)?;
    let mo = num(it.next()?)?;
    let d = num(it.next()?)?;
    if it.next().is_some() {
        return None;
    }
    datetime(y, mo, d, hms(time)?)
}

/// `text` as digit values when it has `shape`'s length and a digit
/// wherever `shape` has `d` (other bytes must match exactly).
fn fixed_digits<const N: usize>(text: &[u8], shape: &[u8; N]) -> Option<[u8; N]> {
    let text: &[u8; N] = text.try_into().ok()?;
    let mut out = [0u8; N];
    for i in 0..N {
        if shape[i] == b'd' {
            if !text[i].is_ascii_digit() {
                return None;
            }
            out[i] = text[i] - b'0';
        } else if text[i] != shape[i] {
            return None;
        }
    }
    Some(out)
}

/// UTC seconds of a civil date and time taken as UTC.
pub fn utc(dt: DateTime) -> Option<i64> {
    Some(unix(
        i64::from(dt.year()),
        i64::from(dt.month()),
        i64::from(dt.day()),
        i64::from(dt.hour()) * 3600 + i64::from(dt.minute()) * 60 + i64::from(dt.second()),
    ))
}

/// An epoch time a log may carry: from 1970 until the index's seconds run
/// out (2106), else `None`. A number outside that is damage, and
/// refusing it keeps arithmetic on times from overflowing.
pub fn epoch(t: i64) -> Option<i64> {
    (0..=i64::from(u32::MAX)).contains(&t).then_some(t)
}

/// `YYYY-MM-DD` and `HH:MM:SS` exactly, in UTC, as seconds: what
/// [`parse_plain`] and [`utc`] give for that shape, read in place (no
/// calendar type), or `None` for anything else.
pub fn utc_fixed(date: &[u8], time: &[u8]) -> Option<i64> {
    Some(day_fixed(date)? + second_of_day_fixed(time)?)
}

/// `YYYY-MM-DD` exactly, as the seconds of its midnight UTC.
pub fn day_fixed(date: &[u8]) -> Option<i64> {
    let d = fixed_digits(date, b"dddd-dd-dd")?;
    let two = |i: usize| i64::from(d[i] * 10 + d[i + 1]);
    let year = i64::from(d[0]) * 1000 + i64::from(d[1]) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then(|| unix(year, month, day, 0))
}

/// `HH:MM:SS` exactly (no leap second), as seconds into the day.
pub fn second_of_day_fixed(time: &[u8]) -> Option<i64> {
    let t = fixed_digits(time, b"dd:dd:dd")?;
    let two = |i: usize| i64::from(t[i] * 10 + t[i + 1]);
    let (h, m, sec) = (two(0), two(3), two(6));
    (h <= 23 && m <= 59 && sec <= 59).then_some(h * 3600 + m * 60 + sec)
}

/// Seconds since 1970 of a proleptic Gregorian date and a second of the
/// day (Howard Hinnant's days-from-civil): no zone lookup.
pub fn unix(y: i64, m: i64, d: i64, second_of_day: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400 + second_of_day
}

/// Syslog's RFC 3164 timestamps carry no year: `Feb 22 10:15:01`. The year
/// starts at a given one and moves on when the month steps back (December
/// to January).
#[derive(Clone, Debug)]
pub struct SyslogYear {
    year: i16,
    last_month: Option<i8>,
}

impl SyslogYear {
    /// Starts in `year`.
    pub fn new(year: i16) -> SyslogYear {
        SyslogYear {
            year,
            last_month: None,
        }
    }

    /// Carries on after a file whose last line was in `month` of `year`:
    /// a next file starting in January after a December moves on a year.
    pub fn continuing(year: i16, month: i8) -> SyslogYear {
        SyslogYear {
            year,
            last_month: Some(month),
        }
    }

    /// The year and month of the last line seen.
    pub fn state(&self) -> Option<(i16, i8)> {
        self.last_month.map(|m| (self.year, m))
    }

    /// The year to use for a line in `month`.
    pub fn year_for(&mut self, month: i8) -> i16 {
        if self.last_month.is_some_and(|last| rolls_over(last, month)) {
            self.year += 1;
        }
        self.last_month = Some(month);
        self.year
    }
}

/// Whether a yearless line in `month` after one in `last` is in the next
/// year: the month goes back by half a year or more (December, then
/// January), where a few months back is a late line.
pub fn rolls_over(last: i8, month: i8) -> bool {
    month < last && last - month >= 6
}

/// An RFC 3164 timestamp, `Mmm dd HH:MM:SS` (day space-padded), from the
/// start of `s`: the local date and time, and the rest of the line.
pub fn parse_rfc3164<'a>(s: &'a str, year: &mut SyslogYear) -> Option<(DateTime, &'a str)> {
    let mo = month(s.get(..3)?)?;
    let rest = s.get(3..)?.trim_start();
    let (d, rest) = rest.split_once(' ')?;
    let rest = rest.trim_start();
    let (t, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let d: i8 = num(d)?;
    let t = hms(t)?;
    let y = year.year_for(mo);
    Some((datetime(y, mo, d, t)?, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tz(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn dt(s: &str) -> DateTime {
        s.parse().unwrap()
    }

    #[test]
    fn fold_hour_follows_the_log_order() {
        // Europe/Berlin, 2021-10-31: 02:00-03:00 local happens twice.
        let mut c = LocalClock::new(tz("Europe/Berlin"));
        let a = c.resolve(dt("2021-10-31T02:30:00")).unwrap();
        let b = c.resolve(dt("2021-10-31T02:50:00")).unwrap();
        let again = c.resolve(dt("2021-10-31T02:10:00")).unwrap();
        assert_eq!(a, utc(dt("2021-10-31T00:30:00")).unwrap());
        assert_eq!(b, utc(dt("2021-10-31T00:50:00")).unwrap());
        // Back to 02:10, so the second 02:10 (CET, UTC+1).
        assert_eq!(again, utc(dt("2021-10-31T01:10:00")).unwrap());
        let after = c.resolve(dt("2021-10-31T03:05:00")).unwrap();
        assert_eq!(after, utc(dt("2021-10-31T02:05:00")).unwrap());
    }

    #[test]
    fn gap_and_plain_times() {
        let mut c = LocalClock::new(tz("Europe/Berlin"));
        // 2021-03-28 02:30 does not exist in Berlin.
        let t = c.resolve(dt("2021-03-28T02:30:00")).unwrap();
        assert_eq!(t, utc(dt("2021-03-28T01:30:00")).unwrap());
        let mut j = LocalClock::new(tz("Asia/Tokyo"));
        assert_eq!(
            j.resolve(dt("2021-02-23T10:15:02")),
            utc(dt("2021-02-23T01:15:02"))
        );
    }

    #[test]
    fn ctime_event_timestamp_rfc3339() {
        assert_eq!(
            parse_ctime("Tue Sep 13 16:24:27 2011"),
            Some(dt("2011-09-13T16:24:27"))
        );
        assert_eq!(parse_ctime("Tue Sep 13 16:24:27"), None);
        assert_eq!(
            parse_event_timestamp("Jun  9 2015 00:03:47 CEST"),
            Some((dt("2015-06-09T00:03:47"), Some("CEST")))
        );
        assert_eq!(
            parse_rfc3339("2021-02-22T10:15:01.123+09:00"),
            utc(dt("2021-02-22T01:15:01"))
        );
        assert_eq!(parse_rfc3339("2021-02-22 10:15:01"), None);
    }

    /// The in-place reading agrees with the calendar's, valid or not.
    #[test]
    fn fixed_times_agree_with_the_calendar() {
        let mut x = 77u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut checked = 0;
        for _ in 0..50_000 {
            let year = [1970, 2000, 1900, 2024, 2021, 2100, 0, 9999][(next() % 8) as usize];
            let date = format!("{year:04}-{:02}-{:02}", next() % 14, next() % 33);
            let time = format!("{:02}:{:02}:{:02}", next() % 26, next() % 62, next() % 62);
            let want = parse_plain(&date, &time).and_then(utc);
            assert_eq!(
                utc_fixed(date.as_bytes(), time.as_bytes()),
                want,
                "{date} {time}"
            );
            checked += usize::from(want.is_some());
        }
        assert!(checked > 10_000, "valid times were tried too");
        for (d, t) in [
            ("2021-2-22", "00:00:00"),
            ("2021-02-22", "0:00:00"),
            ("2021-02-22 ", "00:00:00"),
        ] {
            assert_eq!(utc_fixed(d.as_bytes(), t.as_bytes()), None);
        }
    }

    #[test]
    fn unix_matches_jiff() {
        for s in [
            "1970-01-01T00:00:00",
            "2000-02-29T12:34:56",
            "2021-02-22T10:15:01",
            "2100-03-01T00:00:00",
            "1969-12-31T23:59:59",
        ] {
            let d = dt(s);
            let want = d.to_zoned(TimeZone::UTC).unwrap().timestamp().as_second();
            assert_eq!(utc(d), Some(want), "{s}");
        }
    }

    #[test]
    fn the_hour_cache_sees_a_change_within_the_hour() {
        // Lord Howe Island changes by half an hour at 02:00 local.
        let mut c = LocalClock::new(tz("Australia/Lord_Howe"));
        let a = c.resolve(dt("2021-10-03T01:10:00")).unwrap();
        let b = c.resolve(dt("2021-10-03T01:50:00")).unwrap();
        assert_eq!(b - a, 2400);
        let mut berlin = LocalClock::new(tz("Europe/Berlin"));
        let x = berlin.resolve(dt("2021-03-28T01:59:00")).unwrap();
        let y = berlin.resolve(dt("2021-03-28T03:01:00")).unwrap();
        assert_eq!(y - x, 120);
    }

    #[test]
    fn syslog_year_rolls_over_in_january() {
        let mut y = SyslogYear::new(2020);
        let (a, rest) = parse_rfc3164("Dec 31 23:59:59 host x", &mut y).unwrap();
        assert_eq!(a, dt("2020-12-31T23:59:59"));
        assert_eq!(rest, "host x");
        let (b, _) = parse_rfc3164("Jan  1 00:00:01 host x", &mut y).unwrap();
        assert_eq!(b, dt("2021-01-01T00:00:01"));
        // A small step back in the same season is not a new year.
        let mut y = SyslogYear::new(2021);
        parse_rfc3164("Mar  1 00:00:00 h", &mut y).unwrap();
        let (c, _) = parse_rfc3164("Feb 28 23:59:00 h", &mut y).unwrap();
        assert_eq!(c, dt("2021-02-28T23:59:00"));
        assert!(parse_rfc3164("Foo  1 00:00:00 h", &mut y).is_none());
    }
}
