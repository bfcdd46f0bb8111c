//! RADIUS sessions and CGNAT port blocks: Start, Interim and Stop records
//! of one identity, and Accounting-On/Off ending every session of a NAS.
//!
//! * A Start opens; an Interim extends (or opens, when the Start was
//!   never seen: from the record's own start when it gives one, e.g. by
//!   Acct-Session-Time); a Stop closes at its time.
//! * Accounting-On/Off from a NAS closes every open session of that NAS at
//!   its time (or at the session's last record plus grace, when that came
//!   first).
//! * A session with no Stop lasts until its last record plus grace
//!   ([`SessionConfig::grace`]); it is remembered a few days so that a late
//!   record still continues it.

use super::{Anomalies, Carry, DAY, DayOutput, Ended, Open, Rec, SessionConfig, emit};
use crate::record::Action;
use rustc_hash::FxHashMap as HashMap;

fn open_from(r: &Rec, from: i64) -> Open {
    Open {
        session: r.session,
        group: r.group,
        net: r.net,
        ports: r.ports,
        holder: r.holder,
        from,
        last: r.time,
        end: None,
        gap: r.interim,
    }
}

/// The open sessions of a run, by identity.
///
/// Most records only move their session's last time on (a port block's
/// hourly interims: 23 of its 25 records in a day), so those two values
/// live in an array of their own, which with the identity map stays in the
/// cache for a large day where whole sessions would not.
#[derive(Default)]
struct OpenTable {
    slot: HashMap<u64, u32>,
    /// `last` and `gap` of each slot, which win over those in `cold`.
    hot: Vec<Hot>,
    cold: Vec<Open>,
    free: Vec<u32>,
}

/// What an interim record changes.
#[derive(Copy, Clone)]
struct Hot {
    last: i64,
    gap: Option<u32>,
}

impl OpenTable {
    /// Opens `o`, replacing what was open under its identity.
    fn insert(&mut self, o: Open) {
        let hot = Hot {
            last: o.last,
            gap: o.gap,
        };
        if let Some(&i) = self.slot.get(&o.session) {
            self.hot[i as usize] = hot;
            self.cold[i as usize] = o;
            return;
        }
        let i = match self.free.pop() {
            Some(i) => {
                self.hot[i as usize] = hot;
                self.cold[i as usize] = o;
                i
            }
            None => {
                self.hot.push(hot);
                self.cold.push(o);
                (self.cold.len() - 1) as u32
            }
        };
        self.slot.insert(o.session, i);
    }

    /// Closes a session, returning it.
    fn remove(&mut self, session: u64) -> Option<Open> {
        let i = self.slot.remove(&session)? as usize;
        self.free.push(i as u32);
        Some(self.whole(i))
    }

    /// The session's last time and gap, to move on.
    fn hot_mut(&mut self, session: u64) -> Option<&mut Hot> {
        let i = *self.slot.get(&session)? as usize;
        self.hot.get_mut(i)
    }

    /// Looks up the sessions of `recs` without using the answers, so that
    /// the table's lines they need are on their way to the cache together
    /// rather than one miss after another as each record is handled.
    fn warm(&self, recs: &[Rec]) {
        for r in recs {
            if let Some(&i) = self.slot.get(&r.session) {
                std::hint::black_box(self.hot.get(i as usize));
            }
        }
    }

    /// The identities open in `group`.
    fn sessions_of_group(&self, group: u64) -> Vec<u64> {
        self.slot
            .iter()
            .filter(|(_, i)| self.cold[**i as usize].group == group)
            .map(|(s, _)| *s)
            .collect()
    }

    /// Everything still open.
    fn into_opens(self) -> Vec<Open> {
        self.slot
            .values()
            .map(|&i| self.whole(i as usize))
            .collect()
    }

    fn whole(&self, i: usize) -> Open {
        let h = self.hot[i];
        Open {
            last: h.last,
            gap: h.gap,
            ..self.cold[i]
        }
    }
}

/// The end of an unclosed session's evidence: its last record plus grace,
/// and at least the second of its last record.
fn alive_to(o: &Open, config: &SessionConfig) -> i64 {
    (o.last + config.grace_for(o.gap)).max(o.last + 1)
}

/// Records looked up together ahead of their handling (see
/// [`OpenTable::warm`]).
const AHEAD: usize = 16;

pub(super) fn run_day(
    carry_in: &Carry,
    records: impl IntoIterator<Item = Rec>,
    day_start: i64,
    day_end: i64,
    config: &SessionConfig,
) -> DayOutput {
    let mut open = OpenTable::default();
    for o in &carry_in.open {
        open.insert(*o);
    }
    // Sessions a reset ended, by identity: (group, when, interval).
    let mut ended: HashMap<u64, (u64, i64, u32)> = carry_in
        .ended
        .iter()
        .map(|e| (e.session, (e.group, e.time, e.gap)))
        .collect();
    let mut out = DayOutput::default();
    let mut an = Anomalies::default();
    let mut records = records.into_iter();
    let mut ahead: Vec<Rec> = Vec::with_capacity(AHEAD);
    loop {
        ahead.clear();
        ahead.extend(records.by_ref().take(AHEAD));
        if ahead.is_empty() {
            break;
        }
        open.warm(&ahead);
        for r in &ahead {
            match r.action {
                Action::Start => {
                    ended.remove(&r.session);
                    if let Some(o) = open.remove(r.session) {
                        an.start_while_open += 1;
                        let end = alive_to(&o, config).min(r.time);
                        emit(&mut out.spans, &o, end);
                    }
                    open.insert(open_from(r, r.time));
                }
                Action::Interim | Action::Lease => match open.hot_mut(r.session) {
                    Some(o) => {
                        if r.time > o.last {
                            let seen = u32::try_from(r.time - o.last).unwrap_or(u32::MAX);
                            o.gap = r.interim.or(Some(seen));
                            o.last = r.time;
                        } else if r.interim.is_some() {
                            o.gap = r.interim;
                        }
                    }
                    None => {
                        if r.start.is_none() {
                            an.interim_without_start += 1;
                        }
                        let from = r.start.unwrap_or(r.time).min(r.time);
                        let mut o = open_from(r, from);
                        // Continuing a session a reset ended: its interval.
                        if let Some((_, _, gap)) = ended.remove(&r.session) {
                            o.gap = o.gap.or(Some(gap));
                        }
                        open.insert(o);
                    }
                },
                Action::Stop => {
                    ended.remove(&r.session);
                    match open.remove(r.session) {
                        Some(o) => emit(&mut out.spans, &o, r.time),
                        None => {
                            an.stop_without_start += 1;
                            let o = open_from(r, r.start.unwrap_or(r.time - 1));
                            emit(&mut out.spans, &o, r.time);
                        }
                    }
                }
                Action::Reset => {
                    let mut ending = open.sessions_of_group(r.group);
                    ending.sort_unstable();
                    for s in ending {
                        if let Some(o) = open.remove(s) {
                            an.ended_by_reset += 1;
                            if let Some(gap) = o.gap {
                                ended.insert(s, (o.group, r.time, gap));
                            }
                            let grace = config.grace_for(o.gap);
                            let end = if grace > 0 {
                                alive_to(&o, config).min(r.time)
                            } else {
                                r.time
                            };
                            emit(&mut out.spans, &o, end);
                        }
                    }
                }
            }
        }
    }
    // The day's end: what is open is emitted up to midnight or to its
    // evidence plus grace, and carried on.
    let mut carried: Vec<Open> = Vec::new();
    let mut rest: Vec<Open> = open.into_opens();
    rest.sort_by_key(|o| o.session);
    for o in rest {
        let to = alive_to(&o, config);
        if to > day_start {
            emit(&mut out.spans, &o, to.min(day_end));
        }
        if to > day_start && to < day_end {
            an.missing_stop += 1;
        }
        if to >= day_end {
            carried.push(Open { from: day_end, ..o });
        } else if to + i64::from(config.stale_days) * DAY > day_end {
            // Stale, but a late record may still continue it: the gap
            // since its last record is then covered.
            carried.push(Open { from: o.last, ..o });
        }
    }
    // A reset is remembered as long as a stale session would be.
    let mut ended: Vec<Ended> = ended
        .into_iter()
        .filter(|(_, (_, time, _))| time + i64::from(config.stale_days) * DAY > day_end)
        .map(|(session, (group, time, gap))| Ended {
            session,
            group,
            time,
            gap,
        })
        .collect();
    ended.sort_by_key(|e| e.session);
    out.carry = Carry {
        open: carried,
        ended,
    };
    out.anomalies = an;
    out
}
