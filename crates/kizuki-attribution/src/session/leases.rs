//! DHCP leases (Kea memfile, dhcpd.leases), one address or prefix at a
//! time.
//!
//! * A lease record holds its span. The same client again, before its
//!   lease ran out, renews it: the later record's end counts (the last
//!   declaration wins). Another client takes the address over from the
//!   record's start: the earlier holder's lease ends there.
//! * A release or expiry ends the lease at its time, when it comes from
//!   the client holding it.
//! * Leases end by themselves at their end. One that runs past midnight is
//!   emitted up to midnight and carried on: its end is known, so nothing a
//!   later day says can shorten what this day emitted.

use super::{Anomalies, Carry, DayOutput, Open, Rec, emit};
use crate::record::Action;
use rustc_hash::FxHashMap as HashMap;

pub(super) fn run_day(
    carry_in: &Carry,
    records: impl IntoIterator<Item = Rec>,
    day_end: i64,
) -> DayOutput {
    let mut open: HashMap<u64, Open> = carry_in.open.iter().map(|o| (o.session, *o)).collect();
    let mut out = DayOutput::default();
    let mut an = Anomalies::default();
    for r in records {
        let r = &r;
        match r.action {
            Action::Lease | Action::Start | Action::Interim => {
                let start = r.start.unwrap_or(r.time);
                if let Some(o) = open.get_mut(&r.session) {
                    let running = o.end.is_none_or(|e| start <= e);
                    if o.holder == r.holder && running {
                        // A renewal: the later record's end counts.
                        o.end = r.end;
                        o.last = r.time;
                        continue;
                    }
                    if let Some(o) = open.remove(&r.session) {
                        if running {
                            an.taken_over += 1;
                        }
                        let end = o.end.map_or(start, |e| e.min(start));
                        emit(&mut out.spans, &o, end);
                    }
                }
                open.insert(
                    r.session,
                    Open {
                        session: r.session,
                        group: r.group,
                        net: r.net,
                        ports: r.ports,
                        holder: r.holder,
                        from: start,
                        last: r.time,
                        end: r.end,
                        gap: None,
                    },
                );
            }
            // Only the holder's own release or expiry ends its lease: one
            // written late for an earlier client (Kea reclaims expired
            // leases on its own schedule, after the address may have gone
            // to someone else) says nothing about the current holder.
            Action::Stop => match open.get(&r.session) {
                Some(o) if o.holder == r.holder => {
                    let end = o.end.map_or(r.time, |e| e.min(r.time));
                    emit(&mut out.spans, o, end);
                    open.remove(&r.session);
                }
                _ => an.release_without_lease += 1,
            },
            Action::Reset => {}
        }
    }
    let mut rest: Vec<Open> = open.into_values().collect();
    rest.sort_by_key(|o| o.session);
    let mut carried = Vec::new();
    for o in rest {
        match o.end {
            Some(e) if e <= day_end => emit(&mut out.spans, &o, e),
            _ => {
                emit(&mut out.spans, &o, day_end);
                carried.push(Open {
                    from: day_end.max(o.from),
                    ..o
                });
            }
        }
    }
    out.carry = Carry {
        open: carried,
        ended: Vec::new(),
    };
    out.anomalies = an;
    out
}
