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

use crate::record::{Action, Holder, Interval, LogRecord, Net, Ports, SourceKind};

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

/// A record as the state machines read it: small, copied, no strings.
/// The holder is its [`Holder::hash`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rec {
    /// When it happened.
    pub time: i64,
    /// What happened.
    pub action: Action,
    /// The session, lease or block identity.
    pub session: u64,
    /// The group a reset ends (the NAS).
    pub group: u64,
    /// The holder's hash.
    pub holder: u64,
    /// The address or prefix.
    pub net: Net,
    /// The ports.
    pub ports: Ports,
    /// An explicit start.
    pub start: Option<i64>,
    /// An explicit end.
    pub end: Option<i64>,
    /// The interim interval.
    pub interim: Option<u32>,
}

impl Rec {
    /// The machine's view of a log record.
    pub fn from_record(r: &LogRecord) -> Rec {
        Rec {
            time: r.time,
            action: r.action,
            session: r.session,
            group: r.group,
            holder: r.holder.hash(),
            net: r.net,
            ports: r.ports,
            start: r.start,
            end: r.end,
            interim: r.interim,
        }
    }
}

/// A span a state machine emits: who held what, from when to when. The
/// holder is its hash; [`run_day_records`] gives [`Interval`]s instead.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The address or prefix.
    pub net: Net,
    /// The ports.
    pub ports: Ports,
    /// Start, inclusive.
    pub start: i64,
    /// End, exclusive.
    pub end: i64,
    /// The holder's hash.
    pub holder: u64,
}

/// Emits what an open holding covered up to `end`, if anything.
pub(super) fn emit(out: &mut Vec<Span>, o: &Open, end: i64) {
    if end > o.from {
        out.push(Span {
            net: o.net,
            ports: o.ports,
            start: o.from,
            end,
            holder: o.holder,
        });
    }
}

/// Something open at the end of a day, carried into the next.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Open {
    /// The session, lease or block identity.
    pub session: u64,
    /// The NAS (RADIUS), for Accounting-On/Off.
    pub group: u64,
    /// The address or prefix.
    pub net: Net,
    /// The ports.
    pub ports: Ports,
    /// The holder's hash.
    pub holder: u64,
    /// Where the next day's interval for it starts: the last evidence
    /// before that day (sessions) or midnight (leases).
    pub from: i64,
    /// The last time something said it was alive.
    pub last: i64,
    /// When it ends, when known (leases).
    pub end: Option<i64>,
    /// The interim interval, given or observed.
    pub gap: Option<u32>,
}

/// What was open at the end of a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carry {
    /// The open sessions, leases or blocks, sorted by identity.
    pub open: Vec<Open>,
    /// Sessions that a reset ended, sorted by identity, with the interim
    /// interval they had, for a record that continues one later.
    pub ended: Vec<Ended>,
}

/// A session that an Accounting-On/Off ended. A NAS that sends one by
/// mistake keeps its sessions going: the next interim record opens the
/// session again, with no interval of its own yet, and takes this one.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// The session.
    pub session: u64,
    /// Its NAS.
    pub group: u64,
    /// When the reset ended it.
    pub time: i64,
    /// Its interim interval then.
    pub gap: u32,
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
    /// Releases or expiries by a client that did not hold the lease then.
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
    /// The spans, in no particular order.
    pub spans: Vec<Span>,
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
    records: impl IntoIterator<Item = Rec>,
    day_start: i64,
    day_end: i64,
    config: &SessionConfig,
) -> DayOutput {
    match kind {
        SourceKind::Radius | SourceKind::PortBlock => {
            sessions::run_day(carry_in, records, day_start, day_end, config)
        }
        SourceKind::Kea4 | SourceKind::Kea6 | SourceKind::Dhcpd => {
            leases::run_day(carry_in, records, day_end)
        }
    }
}

/// The share of a day's records one thread of [`run_day_parallel`] takes.
#[derive(Copy, Clone, Debug)]
pub struct Shard {
    by_group: bool,
    of: usize,
    index: usize,
}

impl Shard {
    /// Whether a record of this identity and group is in the share.
    pub fn holds(&self, session: u64, group: u64) -> bool {
        if self.of <= 1 {
            return true;
        }
        let k = if self.by_group { group } else { session };
        // The identities are hashes already; mix once more so that shards
        // do not follow any structure in them.
        (k.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % self.of == self.index
    }
}

/// [`run_day`] on `threads` threads: sessions (or, for RADIUS, NASes,
/// since Accounting-On/Off ends all of a NAS's sessions) are shared out
/// by their identity, and each thread runs the machine on its share.
/// `records` is called once per thread for the day's records; it may leave
/// out those its [`Shard`] does not hold. The result is the same as
/// [`run_day`]'s, spans in another order.
pub fn run_day_parallel<F, I>(
    kind: SourceKind,
    carry_in: &Carry,
    records: F,
    day_start: i64,
    day_end: i64,
    config: &SessionConfig,
    threads: usize,
) -> DayOutput
where
    F: Fn(Shard) -> I + Sync,
    I: Iterator<Item = Rec>,
{
    let threads = threads.max(1);
    let by_group = kind == SourceKind::Radius;
    if threads == 1 {
        let all = Shard {
            by_group,
            of: 1,
            index: 0,
        };
        return run_day(kind, carry_in, records(all), day_start, day_end, config);
    }
    let outs: Vec<DayOutput> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let records = &records;
                s.spawn(move || {
                    let shard = Shard {
                        by_group,
                        of: threads,
                        index: t,
                    };
                    let carry = Carry {
                        open: carry_in
                            .open
                            .iter()
                            .filter(|o| shard.holds(o.session, o.group))
                            .copied()
                            .collect(),
                        ended: carry_in
                            .ended
                            .iter()
                            .filter(|e| shard.holds(e.session, e.group))
                            .copied()
                            .collect(),
                    };
                    // A reset ends the sessions of its group: every shard
                    // that holds sessions of that NAS sees it.
                    let recs = records(shard).filter(|r| shard.holds(r.session, r.group));
                    run_day(kind, &carry, recs, day_start, day_end, config)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut out = DayOutput::default();
    for o in outs {
        out.spans.extend(o.spans);
        out.carry.open.extend(o.carry.open);
        out.carry.ended.extend(o.carry.ended);
        out.anomalies.add(&o.anomalies);
    }
    out.carry.open.sort_by_key(|o| o.session);
    out.carry.ended.sort_by_key(|e| e.session);
    out
}

/// [`run_day`] on log records, with the spans' holders resolved: the
/// intervals of the day.
pub fn run_day_records(
    kind: SourceKind,
    carry_in: &Carry,
    records: &[LogRecord],
    day_start: i64,
    day_end: i64,
    config: &SessionConfig,
    holders: &mut rustc_hash::FxHashMap<u64, Holder>,
) -> (Vec<Interval>, DayOutput) {
    for r in records {
        let h = r.holder.hash();
        if Holder::from_hash(h).is_none() {
            holders.entry(h).or_insert_with(|| r.holder.clone());
        }
    }
    let out = run_day(
        kind,
        carry_in,
        records.iter().map(Rec::from_record),
        day_start,
        day_end,
        config,
    );
    let intervals = out
        .spans
        .iter()
        .filter_map(|s| {
            Some(Interval {
                net: s.net,
                ports: s.ports,
                start: s.start,
                end: s.end,
                holder: crate::record::resolve_holder(s.holder, holders)?,
                source: kind,
            })
        })
        .collect();
    (intervals, out)
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
