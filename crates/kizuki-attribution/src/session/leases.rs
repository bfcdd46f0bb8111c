//! DHCP leases (Kea memfile, dhcpd.leases), one address or prefix at a
//! time.
//!
//! * A lease record holds its span. The same client again, before its
//!   lease ran out, renews it: the later record's end counts (the last
//!   declaration wins). Another client takes the address over from the
//!   record's start: the earlier holder's lease ends there.
//! * A release or expiry ends the lease at its time.
//! * Leases end by themselves at their end. One that runs past midnight is
//!   emitted up to midnight and carried on: its end is known, so nothing a
//!   later day says can shorten what this day emitted.

use super::{Anomalies, Carry, DayOutput, Open};
use crate::record::{Action, Interval, LogRecord, SourceKind};
use std::collections::HashMap;

fn emit(out: &mut Vec<Interval>, kind: SourceKind, o: &Open, end: i64) {
    if end > o.from {
        out.push(Interval {
            net: o.net,
            ports: o.ports,
            start: o.from,
            end,
            holder: o.holder.clone(),
            source: kind,
            first: o.first.clone(),
            last: o.last_ref.clone(),
        });
    }
}

pub(super) fn run_day(
    kind: SourceKind,
    carry_in: &Carry,
    records: &[LogRecord],
    day_end: i64,
) -> DayOutput {
    let mut open: HashMap<u64, Open> = carry_in
        .open
        .iter()
        .map(|o| (o.session, o.clone()))
        .collect();
    let mut out = DayOutput::default();
    let mut an = Anomalies::default();
    for r in records {
        match r.action {
            Action::Lease | Action::Start | Action::Interim => {
                let start = r.start.unwrap_or(r.time);
                if let Some(o) = open.get_mut(&r.session) {
                    let running = o.end.is_none_or(|e| start <= e);
                    if o.holder == r.holder && running {
                        // A renewal: the later record's end counts.
                        o.end = r.end;
                        o.last = r.time;
                        o.last_ref = r.at.clone();
                        continue;
                    }
                    if let Some(o) = open.remove(&r.session) {
                        if running {
                            an.taken_over += 1;
                        }
                        let end = o.end.map_or(start, |e| e.min(start));
                        emit(&mut out.intervals, kind, &o, end);
                    }
                }
                open.insert(
                    r.session,
                    Open {
                        session: r.session,
                        group: r.group,
                        net: r.net,
                        ports: r.ports,
                        holder: r.holder.clone(),
                        from: start,
                        last: r.time,
                        end: r.end,
                        gap: None,
                        first: r.at.clone(),
                        last_ref: r.at.clone(),
                    },
                );
            }
            Action::Stop => match open.remove(&r.session) {
                Some(mut o) => {
                    let end = o.end.map_or(r.time, |e| e.min(r.time));
                    o.last_ref = r.at.clone();
                    emit(&mut out.intervals, kind, &o, end);
                }
                None => an.release_without_lease += 1,
            },
            Action::Reset => {}
        }
    }
    let mut rest: Vec<Open> = open.into_values().collect();
    rest.sort_by_key(|o| o.session);
    let mut carried = Vec::new();
    for o in rest {
        match o.end {
            Some(e) if e <= day_end => emit(&mut out.intervals, kind, &o, e),
            _ => {
                emit(&mut out.intervals, kind, &o, day_end);
                carried.push(Open {
                    from: day_end.max(o.from),
                    ..o
                });
            }
        }
    }
    out.carry = Carry { open: carried };
    out.anomalies = an;
    out
}
