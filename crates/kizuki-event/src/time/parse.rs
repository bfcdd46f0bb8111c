//! Parsing the time shapes that feeds and logs use.
//!
//! Feeds write times in many ways: `2021-03-04 00:00:00` (Shadowserver, UTC
//! by contract), `2021-02-22T10:15:23+09:00`, `Feb 23 2021 10:15:01 JST`
//! (FreeRADIUS), `Tue Sep 13 16:24:27 2011` (ctime), `02/22/2021 10:15`.
//! [`parse_lenient`] accepts these and nothing vaguer: unlike dateutil's
//! fuzzy mode, a time with missing date parts or surrounding junk is an error,
//! because a guessed date is worse than a rejected row in a notice.

use super::{Civil, Timestamp};
use std::fmt;

/// Why a time could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The text is empty.
    #[error("empty time")]
    Empty,
    /// The text is not a time in any known shape.
    #[error("not a time: {0:?}")]
    Unrecognised(String),
    /// The shape is known but a field is out of range (e.g. February 30).
    #[error("time out of range: {0:?}")]
    OutOfRange(String),
    /// A zone is required and the text has none.
    #[error("time has no zone: {0:?}")]
    NoZone(String),
    /// A `strftime`-style format did not match.
    #[error("time {value:?} does not match format {format:?}: {reason}")]
    Format {
        /// The value that was read.
        value: String,
        /// The format it was read with.
        format: String,
        /// What went wrong.
        reason: String,
    },
}

/// The zone a naive time (one with no offset of its own) is read in.
#[derive(Clone, Debug, Default)]
pub enum Zone {
    /// Coordinated Universal Time.
    #[default]
    Utc,
    /// A fixed offset from UTC, in seconds east.
    Fixed(i32),
    /// A named IANA zone such as `Asia/Tokyo`; DST is applied.
    Named(jiff::tz::TimeZone),
}

impl Zone {
    /// Looks up an IANA name (`Asia/Tokyo`), `UTC`, or a fixed offset
    /// (`+09:00`).
    pub fn parse(name: &str) -> Result<Zone, TimeError> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("utc") || name == "Z" {
            return Ok(Zone::Utc);
        }
        if let Some(off) = parse_offset(name) {
            return Ok(Zone::Fixed(off));
        }
        jiff::tz::TimeZone::get(name)
            .map(Zone::Named)
            .map_err(|_| TimeError::Unrecognised(format!("unknown time zone {name}")))
    }

    /// Converts a naive local time in this zone to a timestamp. An ambiguous
    /// local time (the repeated hour when DST ends) resolves to the earlier
    /// instant, a skipped one (when DST starts) to the later, as RFC 5545 and
    /// most log tools do.
    pub fn to_timestamp(&self, c: Civil) -> Option<Timestamp> {
        match self {
            Zone::Utc => Timestamp::from_civil(c),
            Zone::Fixed(off) => Timestamp::from_civil(c)?.checked_sub_secs(i64::from(*off)),
            Zone::Named(tz) => {
                if !c.is_valid() {
                    return None;
                }
                let dt = jiff::civil::DateTime::new(
                    c.year as i16,
                    c.month as i8,
                    c.day as i8,
                    c.hour as i8,
                    c.minute as i8,
                    c.second as i8,
                    (c.micro * 1000) as i32,
                )
                .ok()?;
                let ts = tz.to_ambiguous_timestamp(dt).compatible().ok()?;
                Timestamp::from_jiff(ts)
            }
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Utc => f.write_str("UTC"),
            Zone::Fixed(off) => {
                let sign = if *off < 0 { '-' } else { '+' };
                let a = off.unsigned_abs();
                write!(f, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
            }
            Zone::Named(tz) => f.write_str(tz.iana_name().unwrap_or("?")),
        }
    }
}

impl Timestamp {
    fn checked_sub_secs(self, secs: i64) -> Option<Timestamp> {
        Timestamp::from_micros(self.as_micros().checked_sub(secs.checked_mul(1_000_000)?)?)
    }
}

/// `+09:00`, `+0900`, `+09`, `-05:30` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: Vec<u8> = b[1..].iter().copied().filter(|c| *c != b':').collect();
    if !digits.iter().all(u8::is_ascii_digit) || b[1..].iter().filter(|c| **c == b':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (num(&digits[..2])?, 0),
        4 => (num(&digits[..2])?, num(&digits[2..])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

fn num(d: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for c in d {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u32::from(c - b'0'))?;
    }
    Some(v)
}

/// Common zone abbreviations. Ambiguous ones (IST, CST in Asia) follow the
/// most common reading in abuse reports; anything else is unknown.
fn abbreviation_offset(word: &str) -> Option<i32> {
    let h = |x: i32| Some(x * 3600);
    match word.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "UT" | "Z" | "WET" => h(0),
        "BST" | "CET" | "MET" | "WEST" => h(1),
        "CEST" | "MEST" | "EET" => h(2),
        "EEST" | "MSK" => h(3),
        "SGT" | "HKT" | "AWST" => h(8),
        "JST" | "KST" => h(9),
        "AEST" => h(10),
        "AEDT" => h(11),
        "NZST" => h(12),
        "NZDT" => h(13),
        "EST" => h(-5),
        "EDT" | "CDT" => Some(
            if word.eq_ignore_ascii_case("EDT") {
                -4
            } else {
                -5
            } * 3600,
        ),
        "CST" => h(-6),
        "MST" => h(-7),
        "MDT" => h(-6),
        "PST" => h(-8),
        "PDT" => h(-7),
        "AKST" => h(-9),
        "HST" => h(-10),
        _ => None,
    }
}

/// The English month names, lower case, January first; their first three
/// letters are the abbreviations.
pub const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

fn month_from_name(word: &str) -> Option<u8> {
    let lower = word.to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let pos = MONTH_NAMES
        .iter()
        .position(|n| lower.starts_with(&n[..3]))? as u8
        + 1;
    // Accept the abbreviation and the full English name only.
    let full = MONTH_NAMES[usize::from(pos - 1)];
    (lower.len() == 3 || lower == full || (lower == "sept" && pos == 9)).then_some(pos)
}

/// A weekday name or an abbreviation of at least three letters (`Thu`,
/// `Thur`, `Thurs`, `Thursday`), which carry no information and are skipped.
fn is_weekday(word: &str) -> bool {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let lower = word.to_ascii_lowercase();
    lower.len() >= 3 && FULL.iter().any(|d| d.starts_with(&lower))
}

/// An offset written in a time: `Z`, `UTC`, `+09:00`, `JST`, `UTC+9`.
fn zone_token(tok: &str) -> Option<i32> {
    if let Some(off) = parse_offset(tok) {
        return Some(off);
    }
    for prefix in ["UTC", "GMT"] {
        if let Some(rest) = tok.strip_prefix(prefix)
            && !rest.is_empty()
        {
            let b = rest.as_bytes();
            if (b[0] == b'+' || b[0] == b'-')
                && b.len() <= 3
                && b[1..].iter().all(u8::is_ascii_digit)
            {
                let h: i32 = rest[1..].parse().ok()?;
                return (h <= 14).then_some(if b[0] == b'-' { -h * 3600 } else { h * 3600 });
            }
            return parse_offset(rest);
        }
    }
    if tok.bytes().all(|c| c.is_ascii_alphabetic()) {
        return abbreviation_offset(tok);
    }
    None
}

/// `HH:MM[:SS[.ffffff]]` → (h, m, s, micro).
fn parse_clock(tok: &str) -> Option<(u8, u8, u8, u32)> {
    let mut parts = tok.splitn(3, ':');
    let h = parts.next()?;
    let m = parts.next()?;
    let s = parts.next();
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (sec, micro) = match s {
        None => (0, 0),
        Some(s) => {
            let (whole, frac) = match s.find(['.', ',']) {
                Some(i) => (&s[..i], Some(&s[i + 1..])),
                None => (s, None),
            };
            if whole.len() != 2 {
                return None;
            }
            let micro = match frac {
                None => 0,
                Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
                    // Keep microseconds, truncate beyond.
                    let mut v = 0u32;
                    for i in 0..6 {
                        v = v * 10 + f.as_bytes().get(i).map_or(0, |c| u32::from(c - b'0'));
                    }
                    v
                }
                Some(_) => return None,
            };
            (num(whole.as_bytes())?, micro)
        }
    };
    Some((
        num(h.as_bytes())? as u8,
        num(m.as_bytes())? as u8,
        sec as u8,
        micro,
    ))
}

/// Splits `2021-03-04T10:00:00+09:00` style text into date, clock and zone.
fn split_iso(s: &str) -> Option<(&str, Option<&str>, Option<&str>)> {
    let b = s.as_bytes();
    // Date part: up to the first 'T', 't' or space.
    let date_end = b
        .iter()
        .position(|c| matches!(c, b'T' | b't' | b' '))
        .unwrap_or(b.len());
    let date = &s[..date_end];
    let rest = s[date_end..].trim_start_matches(['T', 't', ' ']);
    if rest.is_empty() {
        return Some((date, None, None));
    }
    // Clock: digits, ':', '.', ','; the zone follows.
    let clock_end = rest
        .bytes()
        .position(|c| !(c.is_ascii_digit() || c == b':' || c == b'.' || c == b','))
        .unwrap_or(rest.len());
    let clock = &rest[..clock_end];
    let zone = rest[clock_end..].trim();
    Some((date, Some(clock), (!zone.is_empty()).then_some(zone)))
}

/// `YYYY-MM-DD` or `YYYY/MM/DD`.
fn parse_ymd(date: &str) -> Option<(i32, u8, u8)> {
    let sep = if date.contains('-') { '-' } else { '/' };
    let mut it = date.split(sep);
    let y = it.next()?;
    let m = it.next()?;
    let d = it.next()?;
    if it.next().is_some()
        || y.len() != 4
        || m.is_empty()
        || m.len() > 2
        || d.is_empty()
        || d.len() > 2
    {
        return None;
    }
    Some((
        num(y.as_bytes())? as i32,
        num(m.as_bytes())? as u8,
        num(d.as_bytes())? as u8,
    ))
}

/// `MM/DD/YYYY` (or `DD/MM/YYYY` when the first number cannot be a month),
/// also with `.` or `-` separators.
fn parse_mdy(date: &str) -> Option<(i32, u8, u8)> {
    let sep = date.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut it = date.split(sep);
    let a = it.next()?;
    let b = it.next()?;
    let y = it.next()?;
    if it.next().is_some()
        || y.len() != 4
        || a.is_empty()
        || a.len() > 2
        || b.is_empty()
        || b.len() > 2
    {
        return None;
    }
    let (a, b) = (num(a.as_bytes())? as u8, num(b.as_bytes())? as u8);
    let (m, d) = if a > 12 { (b, a) } else { (a, b) };
    Some((num(y.as_bytes())? as i32, m, d))
}

/// A parsed time before a zone is applied.
struct Parsed {
    civil: Civil,
    offset: Option<i32>,
}

fn parse_numeric(s: &str) -> Option<Result<Parsed, TimeError>> {
    let (date, clock, zone) = split_iso(s)?;
    let (y, mo, d) = parse_ymd(date).or_else(|| parse_mdy(date))?;
    let (h, mi, sec, micro) = match clock {
        None => (0, 0, 0, 0),
        Some("") => (0, 0, 0, 0),
        Some(c) => parse_clock(c)?,
    };
    let offset = match zone {
        None => None,
        Some(z) => {
            // Several zone words may follow (`... JST UTC`); the first known one
            // decides, and an unknown word makes the whole text unknown.
            let mut first = None;
            for tok in z.split_whitespace() {
                let off = match zone_token(tok) {
                    Some(off) => off,
                    // Zones glued together: `Z+00:00`.
                    None => {
                        let i = tok.find(['+', '-']).filter(|i| *i > 0)?;
                        let head = zone_token(&tok[..i])?;
                        zone_token(&tok[i..])?;
                        head
                    }
                };
                first.get_or_insert(off);
            }
            first
        }
    };
    let civil = Civil {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
        second: sec,
        micro,
    };
    Some(Ok(Parsed { civil, offset }))
}

/// Word forms: `Feb 23 2021 10:15:01 JST`, `Tue Sep 13 16:24:27 2011`,
/// `Mon, 22 Feb 2021 10:15:23 +0900`, `22 February 2021`.
fn parse_words(s: &str) -> Option<Result<Parsed, TimeError>> {
    let mut month = None;
    let mut day = None;
    let mut year = None;
    let mut clock = None;
    let mut offset = None;
    for tok in s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        if let Some(m) = month_from_name(tok) {
            if month.replace(m).is_some() {
                return None;
            }
        } else if is_weekday(tok) {
        } else if tok.contains(':') && clock.is_none() && tok.as_bytes()[0].is_ascii_digit() {
            // A clock may carry its offset glued on: 10:15:01+0900.
            let end = tok.find(['+', '-']).unwrap_or(tok.len());
            clock = Some(parse_clock(&tok[..end])?);
            if end < tok.len() {
                offset = Some(parse_offset(&tok[end..])?);
            }
        } else if tok.bytes().all(|c| c.is_ascii_digit()) {
            match tok.len() {
                1 | 2 if day.is_none() => day = Some(num(tok.as_bytes())? as u8),
                4 if year.is_none() => year = Some(num(tok.as_bytes())? as i32),
                _ => return None,
            }
        } else if let Some(off) = zone_token(tok) {
            offset.get_or_insert(off);
        } else {
            return None;
        }
    }
    let (month, day, year) = (month?, day?, year?);
    let (hour, minute, second, micro) = clock.unwrap_or((0, 0, 0, 0));
    let civil = Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
        micro,
    };
    Some(Ok(Parsed { civil, offset }))
}

fn finish(s: &str, p: Parsed, zone: Option<&Zone>) -> Result<Timestamp, TimeError> {
    if !p.civil.is_valid() {
        return Err(TimeError::OutOfRange(s.to_owned()));
    }
    let ts = match (p.offset, zone) {
        (Some(off), _) => Zone::Fixed(off).to_timestamp(p.civil),
        (None, Some(z)) => z.to_timestamp(p.civil),
        (None, None) => return Err(TimeError::NoZone(s.to_owned())),
    };
    ts.ok_or_else(|| TimeError::OutOfRange(s.to_owned()))
}

/// Reads a time in any of the shapes this module knows. A time with its own
/// offset or zone abbreviation is read in that zone; a naive time is read in
/// `zone`, and is an error when `zone` is `None`.
pub fn parse_lenient(s: &str, zone: Option<&Zone>) -> Result<Timestamp, TimeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(TimeError::Empty);
    }
    if let (Some(c), Some(z)) = (fixed_form(s.as_bytes()), zone) {
        return finish(
            s,
            Parsed {
                civil: c,
                offset: None,
            },
            Some(z),
        );
    }
    let parsed = parse_numeric(s)
        .or_else(|| parse_words(s))
        .ok_or_else(|| TimeError::Unrecognised(s.to_owned()))??;
    finish(s, parsed, zone)
}

/// `YYYY-MM-DD HH:MM:SS` exactly (what Shadowserver writes), read without
/// tokenizing; anything else goes the general way.
fn fixed_form(b: &[u8]) -> Option<Civil> {
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || (b[10] != b' ' && b[10] != b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let d = |i: usize| -> Option<u32> {
        let (x, y) = (b[i].wrapping_sub(b'0'), b[i + 1].wrapping_sub(b'0'));
        (x < 10 && y < 10).then_some(u32::from(x) * 10 + u32::from(y))
    };
    let year = d(0)? * 100 + d(2)?;
    Some(Civil {
        year: year as i32,
        month: d(5)? as u8,
        day: d(8)? as u8,
        hour: d(11)? as u8,
        minute: d(14)? as u8,
        second: d(17)? as u8,
        micro: 0,
    })
}

/// Strict ISO 8601 with a zone, as IntelMQ JSON carries it.
pub(super) fn parse_iso_strict(s: &str) -> Result<Timestamp, TimeError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TimeError::Empty);
    }
    let (date, clock, zone) = split_iso(t).ok_or_else(|| TimeError::Unrecognised(s.to_owned()))?;
    let zone = match zone {
        Some(z) if z == "Z" || z == "z" => 0,
        Some(z) => parse_offset(z).ok_or_else(|| TimeError::Unrecognised(s.to_owned()))?,
        None => return Err(TimeError::NoZone(s.to_owned())),
    };
    let (y, mo, d) = parse_ymd(date).ok_or_else(|| TimeError::Unrecognised(s.to_owned()))?;
    if date.contains('/') {
        return Err(TimeError::Unrecognised(s.to_owned()));
    }
    let (h, mi, sec, micro) = match clock {
        Some(c) if !c.is_empty() => {
            parse_clock(c).ok_or_else(|| TimeError::Unrecognised(s.to_owned()))?
        }
        _ => return Err(TimeError::Unrecognised(s.to_owned())),
    };
    let civil = Civil {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
        second: sec,
        micro,
    };
    finish(
        s,
        Parsed {
            civil,
            offset: Some(zone),
        },
        None,
    )
}

/// Reads a time with an explicit format:
///
/// * `epoch` — seconds since the epoch, with an optional fraction;
/// * `epoch_ms` — milliseconds since the epoch;
/// * `auto` — any shape [`parse_lenient`] knows;
/// * anything else is a `strftime` format (`%Y-%m-%d %H:%M:%S`, `%d/%m/%Y %H:%M`, …).
///
/// Naive results are read in `zone`.
pub fn parse_with_format(s: &str, format: &str, zone: &Zone) -> Result<Timestamp, TimeError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(TimeError::Empty);
    }
    match format {
        "auto" | "" => parse_lenient(t, Some(zone)),
        "epoch" => parse_epoch(t, 1_000_000),
        "epoch_ms" => parse_epoch(t, 1_000),
        fmt => {
            let err = |reason: String| TimeError::Format {
                value: t.to_owned(),
                format: fmt.to_owned(),
                reason,
            };
            let tm = jiff::fmt::strtime::parse(fmt, t).map_err(|e| err(e.to_string()))?;
            if tm.offset().is_some() {
                let ts = tm.to_timestamp().map_err(|e| err(e.to_string()))?;
                return Timestamp::from_jiff(ts).ok_or_else(|| TimeError::OutOfRange(t.to_owned()));
            }
            let date = tm.to_date().map_err(|e| err(e.to_string()))?;
            let time = tm.to_time().unwrap_or(jiff::civil::Time::midnight());
            let civil = Civil {
                year: i32::from(date.year()),
                month: date.month() as u8,
                day: date.day() as u8,
                hour: time.hour() as u8,
                minute: time.minute() as u8,
                second: time.second() as u8,
                micro: (time.subsec_nanosecond() / 1000) as u32,
            };
            zone.to_timestamp(civil)
                .ok_or_else(|| TimeError::OutOfRange(t.to_owned()))
        }
    }
}

fn parse_epoch(t: &str, scale: i64) -> Result<Timestamp, TimeError> {
    let bad = || TimeError::Unrecognised(t.to_owned());
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    let neg = whole.starts_with('-');
    let digits = whole.trim_start_matches(['-', '+']);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let w: i64 = digits
        .parse()
        .map_err(|_| TimeError::OutOfRange(t.to_owned()))?;
    // `scale` is microseconds per unit: 1e6 for seconds, 1e3 for milliseconds.
    let per_unit = scale;
    let mut f_micros = 0i64;
    let mut place = per_unit / 10;
    for c in frac.bytes() {
        if place == 0 {
            break;
        }
        f_micros += i64::from(c - b'0') * place;
        place /= 10;
    }
    let v = w
        .checked_mul(per_unit)
        .and_then(|x| x.checked_add(f_micros))
        .ok_or_else(|| TimeError::OutOfRange(t.to_owned()))?;
    Timestamp::from_micros(if neg { -v } else { v })
        .ok_or_else(|| TimeError::OutOfRange(t.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(s: &str) -> String {
        parse_lenient(s, Some(&Zone::Utc))
            .map(|t| t.to_iso())
            .unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn shapes_feeds_use() {
        assert_eq!(iso("2021-03-04 00:00:00"), "2021-03-04T00:00:00+00:00");
        assert_eq!(iso("2021-03-04 00:00:00 UTC"), "2021-03-04T00:00:00+00:00");
        assert_eq!(iso("2021-03-04T00:00:00Z"), "2021-03-04T00:00:00+00:00");
        assert_eq!(iso("2021-03-04T00:00:00Z UTC"), "2021-03-04T00:00:00+00:00");
        assert_eq!(
            iso("2021-03-04 00:00:00+09:00 UTC"),
            "2021-03-03T15:00:00+00:00"
        );
        assert_eq!(
            iso("2021-03-04 00:00:00.123 UTC"),
            "2021-03-04T00:00:00.123000+00:00"
        );
        assert_eq!(iso("2021/03/04 10:00 UTC"), "2021-03-04T10:00:00+00:00");
        assert_eq!(iso("03/04/2021 10:00:00 UTC"), "2021-03-04T10:00:00+00:00");
        assert_eq!(iso("2021-03-04 UTC"), "2021-03-04T00:00:00+00:00");
        assert_eq!(iso("Mar 4 2021 UTC"), "2021-03-04T00:00:00+00:00");
        assert_eq!(iso("Feb 23 2021 10:15:01 JST"), "2021-02-23T01:15:01+00:00");
        assert_eq!(iso("Tue Sep 13 16:24:27 2011"), "2011-09-13T16:24:27+00:00");
        assert_eq!(
            iso("Mon, 22 Feb 2021 10:15:23 +0900"),
            "2021-02-22T01:15:23+00:00"
        );
        assert_eq!(
            iso("Thur, 19 Apr 2018 13:32:41 GMT"),
            "2018-04-19T13:32:41+00:00"
        );
        assert_eq!(iso("2021-02-22T10:15:23+0900"), "2021-02-22T01:15:23+00:00");
        assert_eq!(
            iso("2021-02-22 10:15:23 UTC+9"),
            "2021-02-22T01:15:23+00:00"
        );
        assert_eq!(
            iso("2021-03-27T00:00:00.521730Z+00:00"),
            "2021-03-27T00:00:00.521730+00:00"
        );
    }

    #[test]
    fn refuses_what_it_would_have_to_guess() {
        for bad in [
            "",
            " UTC",
            "garbage UTC",
            "12 UTC",
            "2021 UTC",
            "x 2021-03-04 10:00:00 y",
        ] {
            assert!(parse_lenient(bad, Some(&Zone::Utc)).is_err(), "{bad:?}");
        }
        assert!(matches!(
            parse_lenient("2021-02-30 00:00:00", Some(&Zone::Utc)),
            Err(TimeError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_lenient("2021-03-04 25:00:00", Some(&Zone::Utc)),
            Err(TimeError::OutOfRange(_))
        ));
        assert!(matches!(
            parse_lenient("2021-03-04 10:00", None),
            Err(TimeError::NoZone(_))
        ));
    }

    #[test]
    fn strict_iso_requires_a_zone() {
        assert_eq!(
            Timestamp::parse_iso("2021-03-04T00:00:00+00:00")
                .unwrap()
                .to_iso(),
            "2021-03-04T00:00:00+00:00"
        );
        assert_eq!(
            Timestamp::parse_iso("2021-03-04T09:00:00+09:00")
                .unwrap()
                .to_iso(),
            "2021-03-04T00:00:00+00:00"
        );
        assert!(Timestamp::parse_iso("2021-03-04T00:00:00").is_err());
        assert!(Timestamp::parse_iso("2021-03-04").is_err());
    }

    #[test]
    fn named_zones_follow_dst() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        // Winter: +01:00, summer: +02:00.
        let w = parse_lenient("2021-01-10 12:00:00", Some(&berlin)).unwrap();
        assert_eq!(w.to_iso(), "2021-01-10T11:00:00+00:00");
        let s = parse_lenient("2021-07-10 12:00:00", Some(&berlin)).unwrap();
        assert_eq!(s.to_iso(), "2021-07-10T10:00:00+00:00");
        // 02:30 on 2021-03-28 does not exist; it resolves forward.
        let gap = parse_lenient("2021-03-28 02:30:00", Some(&berlin)).unwrap();
        assert_eq!(gap.to_iso(), "2021-03-28T01:30:00+00:00");
        // 02:30 on 2021-10-31 happens twice; the earlier one is taken.
        let fold = parse_lenient("2021-10-31 02:30:00", Some(&berlin)).unwrap();
        assert_eq!(fold.to_iso(), "2021-10-31T00:30:00+00:00");
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        let t = parse_lenient("2021-02-22 10:15:23", Some(&tokyo)).unwrap();
        assert_eq!(t.to_iso(), "2021-02-22T01:15:23+00:00");
    }

    #[test]
    fn explicit_formats() {
        let z = Zone::parse("Asia/Tokyo").unwrap();
        assert_eq!(
            parse_with_format("2021/02/22 10:15", "%Y/%m/%d %H:%M", &z)
                .unwrap()
                .to_iso(),
            "2021-02-22T01:15:00+00:00"
        );
        assert_eq!(
            parse_with_format("1614042902", "epoch", &z)
                .unwrap()
                .to_iso(),
            "2021-02-23T01:15:02+00:00"
        );
        assert_eq!(
            parse_with_format("1614042902.5", "epoch", &z)
                .unwrap()
                .to_iso(),
            "2021-02-23T01:15:02.500000+00:00"
        );
        assert_eq!(
            parse_with_format("1614042902123", "epoch_ms", &z)
                .unwrap()
                .to_iso(),
            "2021-02-23T01:15:02.123000+00:00"
        );
        assert!(parse_with_format("yesterday", "%Y-%m-%d", &z).is_err());
        assert_eq!(Zone::parse("+09:00").unwrap().to_string(), "+09:00");
    }
}
