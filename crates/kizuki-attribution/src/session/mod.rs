//! From records to intervals, one UTC day at a time.
//!
//! A day's records, in time order, run through the state machine of their
//! log kind, starting from what was still open at the end of the day
//! before (the [`Carry`]). The machine emits the day's [`Interval`]s and
//! what is still open at the day's end. Because a day only adds to what
//! earlier days emitted (an interval that continues past midnight is
//! emitted up to midnight, or up to its last evidence plus grace, and the
//! next day carries on from there), a new day never changes an old one.
//!
//! * [`sessions`]: RADIUS sessions and CGNAT port blocks (Start, Interim,
//!   Stop; Accounting-On/Off ends every session of a NAS).
//! * [`leases`]: Kea and dhcpd leases (a known span, renewed, released,
//!   taken over by another client).

pub mod leases;
pub mod sessions;

use crate::record::{Holder, Interval, LogRecord, Net, Ports, RecordRef, SourceKind};

/// Settings of the state machines.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    grace: Option<u32>,
    stale_days: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            grace: None,
            stale_days: 7,
        }
    }
}

impl SessionConfig {
    /// Settings with every default.
    pub fn new() -> SessionConfig {
        SessionConfig::default()
    }

    /// How long a session (or port block) with no Stop is taken to last
    /// after its last record. By default, one interim interval of that
    /// session (its `Acct-Interim-Interval`, or the time between its last
    /// two records), or 0 when it had no interim records.
    pub fn grace(mut self, seconds: Option<u32>) -> Self {
        self.grace = seconds;
        self
    }

    /// How many days a session with no news is remembered, so that a late
    /// record can still continue it. By default, 7.
    pub fn stale_days(mut self, days: u32) -> Self {
        self.stale_days = days;
        self
    }

    pub(crate) fn grace_for(&self, observed: Option<u32>) -> i64 {
        i64::from(self.grace.or(observed).unwrap_or(0))
    }
}

/// Something open at the end of a day, carried into the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    /// The session, lease or block identity.
    pub session: u64,
    /// The NAS (RADIUS), for Accounting-On/Off.
    pub group: u64,
    /// The address or prefix.
    pub net: Net,
    /// The ports.
    pub ports: Ports,
    /// The holder.
    pub holder: Holder,
    /// Where the next day's interval for it starts: the last evidence
    /// before that day (sessions) or midnight (leases).
    pub from: i64,
    /// The last time something said it was alive.
    pub last: i64,
    /// When it ends, when known (leases).
    pub end: Option<i64>,
    /// The interim interval, given or observed.
    pub gap: Option<u32>,
    /// The record that opened it.
    pub first: RecordRef,
    /// The record that last extended it.
    pub last_ref: RecordRef,
}

/// What was open at the end of a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carry {
    /// The open sessions, leases or blocks, sorted by identity.
    pub open: Vec<Open>,
}

/// Things worth telling the operator about a day's records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Anomalies {
    /// Stops with no Start (the session's start came from
    /// Acct-Session-Time when there was one).
    pub stop_without_start: u64,
    /// Interim records of sessions never started.
    pub interim_without_start: u64,
    /// Starts of sessions already open (a Stop was lost).
    pub start_while_open: u64,
    /// Sessions that ended with no Stop (by grace).
    pub missing_stop: u64,
    /// Sessions ended by a NAS's Accounting-On/Off.
    pub ended_by_reset: u64,
    /// Releases or expiries of leases nobody held.
    pub release_without_lease: u64,
    /// Leases taken over by another client before they ended.
    pub taken_over: u64,
}

impl Anomalies {
    /// Adds another day's counts.
    pub fn add(&mut self, o: &Anomalies) {
        self.stop_without_start += o.stop_without_start;
        self.interim_without_start += o.interim_without_start;
        self.start_while_open += o.start_while_open;
        self.missing_stop += o.missing_stop;
        self.ended_by_reset += o.ended_by_reset;
        self.release_without_lease += o.release_without_lease;
        self.taken_over += o.taken_over;
    }
}

/// What a day gave.
#[derive(Clone, Debug, Default)]
pub struct DayOutput {
    /// The intervals, in no particular order.
    pub intervals: Vec<Interval>,
    /// What is still open at the day's end.
    pub carry: Carry,
    /// Counts of odd things.
    pub anomalies: Anomalies,
}

/// Runs one day, `[day_start, day_end)`, of one log kind. `records` must
/// be sorted by time, then file and line (see [`sort_records`]).
pub fn run_day(
    kind: SourceKind,
    carry_in: &Carry,
    records: &[LogRecord],
    day_start: i64,
    day_end: i64,
    config: &SessionConfig,
) -> DayOutput {
    match kind {
        SourceKind::Radius | SourceKind::PortBlock => {
            sessions::run_day(kind, carry_in, records, day_start, day_end, config)
        }
        SourceKind::Kea4 | SourceKind::Kea6 | SourceKind::Dhcpd => {
            leases::run_day(kind, carry_in, records, day_end)
        }
    }
}

/// Sorts records into the order the state machines read them: by time,
/// then by file and line (a file's own order breaks ties).
pub fn sort_records(records: &mut [LogRecord]) {
    records.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.at.file.cmp(&b.at.file))
            .then(a.at.line.cmp(&b.at.line))
            .then(a.session.cmp(&b.session))
    });
}

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The UTC day `[start, end)` that holds `t`.
pub fn day_of(t: i64) -> (i64, i64) {
    let start = t.div_euclid(DAY) * DAY;
    (start, start + DAY)
}

#[cfg(test)]
mod tests;
