//! Byte-level field parsing for the hot paths: numbers, addresses and
//! times read straight from the line, with no allocation.

use jiff::tz::TimeZone;
use std::net::{IpAddr, Ipv4Addr};

/// An unsigned decimal integer (digits only, no sign or space).
pub(crate) fn uint(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// A port number.
pub(crate) fn port(s: &[u8]) -> Option<u16> {
    uint(s).and_then(|n| u16::try_from(n).ok())
}

/// An IPv4 or IPv6 address; dotted quads are read by hand (the common
/// case), everything else by the standard library.
pub(crate) fn ip(s: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = ipv4(s) {
        return Some(IpAddr::V4(v4));
    }
    if s.len() > 64 || !s.contains(&b':') {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    // Zeek and some exporters write IPv4-mapped or scoped forms; a scope
    // (`fe80::1%eth0`) names an interface, not part of the address.
    let text = text.split('%').next().unwrap_or(text);
    text.parse::<IpAddr>().ok()
}

fn ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    if s.len() < 7 || s.len() > 15 {
        return None;
    }
    let mut out = [0u8; 4];
    let mut i = 0;
    for (k, o) in out.iter_mut().enumerate() {
        let start = i;
        let mut v: u32 = 0;
        while i < s.len() && i - start < 3 {
            let d = s[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v * 10 + u32::from(d);
            i += 1;
        }
        let n = i - start;
        // No leading zeros, as the standard library: "010" is ambiguous.
        if n == 0 || v > 255 || (n > 1 && s[start] == b'0') {
            return None;
        }
        *o = v as u8;
        if k < 3 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == s.len()).then(|| Ipv4Addr::from(out))
}

/// Decimal seconds (`1591367999.305988`, `0.500`, `12`) as microseconds;
/// digits past the sixth decimal are dropped. A leading `-` is allowed.
pub(crate) fn secs_micros(s: &[u8]) -> Option<i64> {
    let (neg, s) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &s[..0]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let whole = if int.is_empty() { 0 } else { uint(int)? };
    let mut micros: u64 = 0;
    for (i, &c) in frac.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        if i < 6 {
            micros = micros * 10 + u64::from(d);
        }
    }
    for _ in frac.len()..6 {
        micros *= 10;
    }
    let v = i64::try_from(whole).ok()?.checked_mul(1_000_000)? + micros as i64;
    Some(if neg { -v } else { v })
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's
/// `days_from_civil`).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn two(s: &[u8]) -> Option<u32> {
    let a = s[0].wrapping_sub(b'0');
    let b = s[1].wrapping_sub(b'0');
    if a > 9 || b > 9 {
        return None;
    }
    Some(u32::from(a) * 10 + u32::from(b))
}

/// A naive calendar time: `YYYY-MM-DD hh:mm:ss[.f…]` (also with `T` or
/// `/` separators, `YYYY/MM/DD.hh:mm:ss` as nfdump's `-t` prints, and
/// without seconds). Returns the µs since the epoch as if it were UTC, and
/// what follows the time (a zone, say).
pub(crate) fn naive(s: &[u8]) -> Option<(i64, &[u8])> {
    if s.len() < 16 {
        return None;
    }
    let y = i64::from(two(&s[0..2])? * 100 + two(&s[2..4])?);
    if !matches!(s[4], b'-' | b'/') || s[7] != s[4] {
        return None;
    }
    let mo = two(&s[5..7])?;
    let d = two(&s[8..10])?;
    if !matches!(s[10], b' ' | b'T' | b'.' | b'_') || s[13] != b':' {
        return None;
    }
    let h = two(&s[11..13])?;
    let mi = two(&s[14..16])?;
    let mut rest = &s[16..];
    let mut sec = 0;
    let mut micros = 0i64;
    if rest.len() >= 3 && rest[0] == b':' {
        sec = two(&rest[1..3])?;
        rest = &rest[3..];
        if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
            let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            let frac = &rest[1..1 + digits];
            let mut v = 0i64;
            for (i, &c) in frac.iter().enumerate() {
                if i < 6 {
                    v = v * 10 + i64::from(c - b'0');
                }
            }
            for _ in digits..6 {
                v *= 10;
            }
            micros = v;
            rest = &rest[1 + digits..];
        }
    }
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
        return None;
    }
    // A leap second is logged as :60; it is read as the next second.
    if sec > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec);
    Some((secs * 1_000_000 + micros, rest))
}

/// A UTC offset as written after a time: `Z`, `+09:00`, `+0900`, `-05`.
/// Returns seconds east of UTC.
pub(crate) fn offset(s: &[u8]) -> Option<i64> {
    let s = s.trim_ascii();
    if s == b"Z" || s == b"z" {
        return Some(0);
    }
    let sign = match s.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &s[1..];
    let (h, m) = match rest.len() {
        2 => (two(rest)?, 0),
        4 => (two(&rest[0..2])?, two(&rest[2..4])?),
        5 if rest[2] == b':' => (two(&rest[0..2])?, two(&rest[3..5])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// An ISO 8601 / RFC 3339 time; a time with no zone is read in `zone`.
pub(crate) fn iso(s: &[u8], zone: &mut LocalClock) -> Option<i64> {
    let (naive_us, rest) = naive(s)?;
    if rest.is_empty() {
        return zone.to_utc(naive_us);
    }
    let off = offset(rest)?;
    Some(naive_us - off * 1_000_000)
}

/// Converts naive local times in one zone to UTC, remembering the offset
/// of the last local hour seen: logs are in time order, so nearly every
/// line reuses it.
#[derive(Clone, Debug)]
pub struct LocalClock {
    tz: TimeZone,
    utc: bool,
    /// The local hour (naive µs / 3600 s) whose offset is cached.
    hour: i64,
    /// Its offset, µs.
    offset: i64,
}

const HOUR: i64 = 3_600_000_000;

impl LocalClock {
    /// A clock for `tz`.
    pub fn new(tz: TimeZone) -> LocalClock {
        let utc = tz == TimeZone::UTC;
        LocalClock {
            tz,
            utc,
            hour: i64::MIN,
            offset: 0,
        }
    }

    /// The zone.
    pub fn zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The UTC time of a naive local time (µs, as if UTC). The repeated
    /// hour when DST ends resolves to the earlier instant, a skipped one
    /// to the later (jiff's "compatible" rule).
    pub fn to_utc(&mut self, naive_us: i64) -> Option<i64> {
        if self.utc {
            return Some(naive_us);
        }
        let hour = naive_us.div_euclid(HOUR);
        if hour == self.hour {
            return Some(naive_us - self.offset);
        }
        let at = |us: i64| -> Option<i64> {
            let secs = us.div_euclid(1_000_000);
            let dt = jiff::Timestamp::from_second(secs)
                .ok()?
                .to_zoned(TimeZone::UTC);
            let local = dt.datetime();
            let ts = self.tz.to_ambiguous_timestamp(local).compatible().ok()?;
            Some(secs - ts.as_second())
        };
        let start = at(hour * HOUR)?;
        let last = at(hour * HOUR + HOUR - 1)?;
        let off = at(naive_us)?;
        // Cache only hours with one offset throughout; hours with a change
        // (DST, or a zone whose shifts fall off the hour) are looked up
        // each time.
        if start == last && start == off {
            self.hour = hour;
            self.offset = off * 1_000_000;
        }
        Some(naive_us - off * 1_000_000)
    }
}

/// A field for a message: its bytes as text, invalid UTF-8 replaced.
pub(crate) fn lossy(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_addresses() {
        assert_eq!(uint(b"0"), Some(0));
        assert_eq!(uint(b"18446744073709551616"), None);
        assert_eq!(uint(b"1a"), None);
        assert_eq!(port(b"65536"), None);
        assert_eq!(ip(b"10.0.0.1"), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(ip(b"256.0.0.1"), None);
        assert_eq!(ip(b"1.2.3"), None);
        assert_eq!(ip(b"01.2.3.4"), None);
        assert_eq!(ip(b"2001:db8::1"), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(ip(b"fe80::1%eth0"), Some("fe80::1".parse().unwrap()));
        assert_eq!(ip(b"-"), None);
    }

    #[test]
    fn decimal_seconds() {
        assert_eq!(secs_micros(b"1.5"), Some(1_500_000));
        assert_eq!(
            secs_micros(b"1591367999.305988"),
            Some(1_591_367_999_305_988)
        );
        assert_eq!(secs_micros(b"0.0000019"), Some(1));
        assert_eq!(secs_micros(b"12"), Some(12_000_000));
        assert_eq!(secs_micros(b"-1.0"), Some(-1_000_000));
        assert_eq!(secs_micros(b"x"), None);
        assert_eq!(secs_micros(b"."), None);
    }

    #[test]
    fn naive_times() {
        let (t, rest) = naive(b"2021-02-22 10:15:23.456").unwrap();
        assert_eq!(t, 1_613_988_923_456_000);
        assert!(rest.is_empty());
        let (t, rest) = naive(b"2021/02/22.10:15:23+09:00").unwrap();
        assert_eq!(t, 1_613_988_923_000_000);
        assert_eq!(rest, b"+09:00");
        assert!(naive(b"2021-02-30 10:15:23").is_none());
        assert!(naive(b"2021-02-22 24:15:23").is_none());
    }

    #[test]
    fn local_clock_follows_dst() {
        let mut c = LocalClock::new(TimeZone::get("Europe/Berlin").unwrap());
        // 2021-03-28 01:30 CET = 00:30 UTC; 03:30 CEST = 01:30 UTC.
        let (a, _) = naive(b"2021-03-28 01:30:00").unwrap();
        let (b, _) = naive(b"2021-03-28 03:30:00").unwrap();
        assert_eq!(a - c.to_utc(a).unwrap(), 3_600_000_000);
        assert_eq!(b - c.to_utc(b).unwrap(), 7_200_000_000);
        assert_eq!(b - c.to_utc(b).unwrap(), 7_200_000_000);
        let mut tokyo = LocalClock::new(TimeZone::get("Asia/Tokyo").unwrap());
        let (t, _) = naive(b"2021-02-22 10:15:23").unwrap();
        assert_eq!(tokyo.to_utc(t), Some(t - 9 * 3_600_000_000));
    }
}
