//! Settings every reader takes.

use jiff::tz::TimeZone;

/// How to read a log: the zone of its local times, and the year of syslog
/// timestamps that carry none.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    zone: TimeZone,
    year: Option<i16>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            zone: TimeZone::UTC,
            year: None,
        }
    }
}

impl ReadOptions {
    /// Options with every default.
    pub fn new() -> ReadOptions {
        ReadOptions::default()
    }

    /// The zone of times written without an offset (nfdump's local times,
    /// BSD syslog stamps, FortiGate `date`/`time` without `tz`). By
    /// default, UTC.
    pub fn zone(mut self, zone: TimeZone) -> Self {
        self.zone = zone;
        self
    }

    /// Looks a zone up by IANA name (`Asia/Tokyo`) or `UTC`.
    pub fn zone_name(self, name: &str) -> Result<Self, crate::FlowError> {
        let tz = if name.eq_ignore_ascii_case("utc") {
            TimeZone::UTC
        } else {
            TimeZone::get(name)
                .map_err(|e| crate::FlowError::Config(format!("time zone {name:?}: {e}")))?
        };
        Ok(self.zone(tz))
    }

    /// The year of BSD syslog stamps (`Feb 22 10:15:23`), which carry none.
    /// By default, the current year in the log's zone.
    pub fn year(mut self, year: Option<i16>) -> Self {
        self.year = year;
        self
    }

    /// The zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.zone
    }

    /// The year for yearless stamps.
    pub(crate) fn syslog_year(&self) -> i16 {
        self.year
            .unwrap_or_else(|| jiff::Timestamp::now().to_zoned(self.zone.clone()).year())
    }

    pub(crate) fn clock(&self) -> crate::parse::LocalClock {
        crate::parse::LocalClock::new(self.zone.clone())
    }
}
