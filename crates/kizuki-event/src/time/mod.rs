//! Points in time, always in UTC.
//!
//! [`Timestamp`] is a count of microseconds since the Unix epoch. It prints
//! the way IntelMQ's `DateTime` does (`2021-02-22T01:02:03+00:00`, with
//! `.ffffff` only when the microseconds are not zero), and it is parsed by
//! [`Timestamp::parse_iso`] (strict: a zone is required) or
//! [`parse_lenient`] (the many shapes feeds use, with a default zone for
//! naive times).

mod civil;
mod parse;

pub use civil::Civil;
pub use parse::{MONTH_NAMES, TimeError, Zone, parse_lenient, parse_with_format};

use std::fmt;

/// A point in time: microseconds since 1970-01-01T00:00:00Z.
///
/// The valid range is the years 1 to 9999, as in Python's `datetime`, so
/// every value prints in four-digit-year ISO form.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(i64);

/// 0001-01-01T00:00:00Z in microseconds since the epoch.
const MIN_MICROS: i64 = -62_135_596_800_000_000;
/// 9999-12-31T23:59:59.999999Z in microseconds since the epoch.
const MAX_MICROS: i64 = 253_402_300_799_999_999;

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// A timestamp from microseconds since the epoch, or `None` outside the
    /// years 1–9999.
    pub const fn from_micros(micros: i64) -> Option<Timestamp> {
        if micros < MIN_MICROS || micros > MAX_MICROS {
            None
        } else {
            Some(Timestamp(micros))
        }
    }

    /// A timestamp from whole seconds since the epoch.
    pub fn from_unix(seconds: i64) -> Option<Timestamp> {
        seconds
            .checked_mul(1_000_000)
            .and_then(Timestamp::from_micros)
    }

    /// Microseconds since the epoch.
    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded towards negative infinity).
    pub const fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The current time, truncated to whole seconds as IntelMQ does for
    /// `time.observation`.
    pub fn now() -> Timestamp {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Timestamp::from_unix(now).unwrap_or(Timestamp::EPOCH)
    }

    /// This timestamp moved by `micros` (saturating at the valid range).
    pub fn add_micros(self, micros: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(micros).clamp(MIN_MICROS, MAX_MICROS))
    }

    /// Builds a timestamp from UTC calendar fields, or `None` when a field is
    /// out of range (including days past the end of the month).
    pub fn from_civil(c: Civil) -> Option<Timestamp> {
        c.to_micros().and_then(Timestamp::from_micros)
    }

    /// The UTC calendar fields of this timestamp.
    pub fn to_civil(self) -> Civil {
        Civil::from_micros(self.0)
    }

    /// Parses IntelMQ's canonical form and any RFC 3339 / ISO 8601 time that
    /// carries a zone (`Z` or an offset). Naive times are rejected: use
    /// [`parse_lenient`] with a declared zone for those.
    pub fn parse_iso(s: &str) -> Result<Timestamp, TimeError> {
        parse::parse_iso_strict(s)
    }

    /// Appends the IntelMQ form (`YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`).
    pub fn write_iso(self, out: &mut Vec<u8>) {
        let c = self.to_civil();
        let mut buf = [0u8; 32];
        let n = c.write_iso_utc(&mut buf);
        out.extend_from_slice(&buf[..n]);
    }

    /// The IntelMQ form as a new string.
    pub fn to_iso(self) -> String {
        let mut v = Vec::with_capacity(32);
        self.write_iso(&mut v);
        // write_iso only writes ASCII digits and punctuation.
        String::from_utf8_lossy(&v).into_owned()
    }

    /// This time in a named zone, for showing it to a person.
    pub fn to_zoned(self, tz: &jiff::tz::TimeZone) -> Option<jiff::Zoned> {
        let ts = jiff::Timestamp::from_microsecond(self.0).ok()?;
        Some(ts.to_zoned(tz.clone()))
    }

    /// Converts from a `jiff` timestamp.
    pub fn from_jiff(ts: jiff::Timestamp) -> Option<Timestamp> {
        Timestamp::from_micros(ts.as_microsecond())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse_iso(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_python_isoformat() {
        let t = Timestamp::from_unix(1_614_042_902).unwrap();
        assert_eq!(t.to_iso(), "2021-02-23T01:15:02+00:00");
        let t = Timestamp::from_micros(1_614_042_902_000_123).unwrap();
        assert_eq!(t.to_iso(), "2021-02-23T01:15:02.000123+00:00");
        assert_eq!(Timestamp::EPOCH.to_iso(), "1970-01-01T00:00:00+00:00");
        let t = Timestamp::from_micros(-1).unwrap();
        assert_eq!(t.to_iso(), "1969-12-31T23:59:59.999999+00:00");
    }

    #[test]
    fn range_is_python_datetime_range() {
        assert!(Timestamp::from_micros(MIN_MICROS).is_some());
        assert!(Timestamp::from_micros(MIN_MICROS - 1).is_none());
        assert_eq!(
            Timestamp::from_micros(MAX_MICROS).unwrap().to_iso(),
            "9999-12-31T23:59:59.999999+00:00"
        );
        assert_eq!(
            Timestamp::from_micros(MIN_MICROS).unwrap().to_iso(),
            "0001-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn civil_round_trip_over_many_days() {
        let mut micros = MIN_MICROS;
        while micros < MAX_MICROS {
            let t = Timestamp(micros);
            assert_eq!(Timestamp::from_civil(t.to_civil()), Some(t));
            micros += 86_400_000_000 * 37 + 3_723_000_001;
        }
    }
}
