//! The records each simulated subscriber leaves: RADIUS sessions, Kea
//! leases, port blocks, and the ghost sessions a confused NAS reports.

use super::*;

/// Writes a session's RADIUS records; returns its logged end.
#[allow(clippy::too_many_arguments)]
pub(super) fn session(
    p: &Period,
    s: &Sub,
    addr: u32,
    id: u32,
    reboot: i64,
    end_all: i64,
    radius: &mut Vec<RadEv>,
    cases: &mut Cases,
) -> i64 {
    cases.sessions += 1;
    let v6 = s.kind == SubKind::Pppoe;
    let ev = |t: i64, kind: u8| RadEv {
        t,
        kind,
        nas: s.nas,
        sub: p.sub,
        session: id,
        addr,
        session_start: p.start,
        v6,
    };
    radius.push(ev(p.start, 1));
    let mut last = p.start;
    let stop = p.end.min(end_all);
    let mut k = p.start + 3600;
    while k < stop {
        radius.push(ev(k, 2));
        last = k;
        k += 3600;
    }
    if p.end.div_euclid(86_400) != p.start.div_euclid(86_400) {
        cases.across_midnight += 1;
    }
    if s.nas == 0 && dst_changes_between(p.start, p.end.min(end_all)) {
        cases.across_dst += 1;
    }
    if p.rebooted {
        cases.ended_by_reboot += 1;
        // Ended by Accounting-On: the sooner of it and the grace.
        return (last + GRACE).min(reboot + 30);
    }
    if p.end >= end_all {
        // Still open when the logs end.
        return (last + GRACE).min(end_all);
    }
    if p.lost {
        cases.lost_stops += 1;
        let end = last + GRACE;
        // A lost Stop on the rebooting NAS, still open at the Accounting-On,
        // is ended by it, unless records of the session come after it: an
        // Interim-Update of a session that is not open opens it again from
        // its start (Acct-Session-Time), so the logs then say it ran to its
        // last record plus grace. (Only a session started between the
        // reboot and the Accounting-On has such records, and `periods`
        // starts none there; a hand-made world may.)
        if s.nas == REBOOTING_NAS
            && p.start < reboot + 30
            && last < reboot + 30
            && end > reboot + 30
        {
            return reboot + 30;
        }
        return end;
    }
    radius.push(ev(p.end, 3));
    p.end
}

/// Whether Europe/Berlin changes its offset between two times.
fn dst_changes_between(a: i64, b: i64) -> bool {
    let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or(jiff::tz::TimeZone::UTC);
    let off = |t: i64| {
        jiff::Timestamp::from_second(t)
            .map(|ts| tz.to_offset(ts).seconds())
            .unwrap_or(0)
    };
    off(a) != off(b)
}

/// A DHCP online period as Kea leases: a lease, renewals every hour, then
/// a release or an expiry.
pub(super) fn lease(
    rng: &mut impl Rng,
    p: &Period,
    pool: &mut Pool,
    end_all: i64,
    kea: &mut Vec<KeaEv>,
    spans: &mut Vec<Span>,
    cases: &mut Cases,
) {
    const VALID: u32 = 7200;
    let release = rng.random_bool(0.5);
    // The last renewal before the period ends.
    let mut renewals = vec![p.start];
    let mut k = p.start + 3600;
    while k < p.end && k < end_all {
        renewals.push(k);
        k += 3600;
    }
    let last = *renewals.last().unwrap_or(&p.start);
    // A release ends the lease when it is logged; otherwise it runs to the
    // expiry of its last renewal.
    let end = if release && p.end < end_all {
        p.end
    } else {
        last + i64::from(VALID)
    };
    let Some(addr) = pool.take(p.start, end, p.sub) else {
        return;
    };
    cases.leases += 1;
    for t in &renewals {
        kea.push(KeaEv {
            t: *t,
            addr,
            sub: p.sub,
            valid: VALID,
            expire: t + i64::from(VALID),
            state: 0,
        });
    }
    if release && p.end < end_all {
        kea.push(KeaEv {
            t: p.end,
            addr,
            sub: p.sub,
            valid: 0,
            expire: p.end,
            state: 0,
        });
    } else if !release && end < end_all {
        // (A release after the logs end is not written either.)
        // Reclaimed a little after it expired.
        kea.push(KeaEv {
            t: end + rng.random_range(0..300),
            addr,
            sub: p.sub,
            valid: VALID,
            expire: end,
            state: 2,
        });
    }
    spans.push(Span {
        kind: SpanKind::Lease,
        addr: ip(addr),
        len: 32,
        lo: 0,
        hi: u16::MAX,
        start: p.start,
        end,
        sub: p.sub,
        inside: 0,
    });
}

/// A CGNAT session's port block: allocated 2 s after the session starts,
/// active records hourly (Juniper only), released 1 s after it ends.
#[allow(clippy::too_many_arguments)]
pub(super) fn block(
    rng: &mut impl Rng,
    p: &Period,
    inside: u32,
    pool: &mut Pool,
    end_all: i64,
    pba: &mut [Vec<PbaEv>; 3],
    spans: &mut Vec<Span>,
    cases: &mut Cases,
) {
    let alloc = p.start + 2;
    let release = p.end + 1;
    let lost = rng.random_bool(0.01);
    if alloc >= end_all {
        return;
    }
    // Free again at the real release, logged or not.
    let Some(slot) = pool.take(alloc, release, inside) else {
        return;
    };
    cases.blocks += 1;
    let ip_index = slot / BLOCKS_PER_IP;
    let public = PBA_BASE + ip_index;
    let lo = FIRST_PORT + (slot % BLOCKS_PER_IP) as u16 * PORTS_PER_BLOCK;
    let device = (ip_index % 3) as usize;
    let ev = |t: i64, kind: u8| PbaEv {
        t,
        kind,
        inside,
        public,
        lo,
    };
    pba[device].push(ev(alloc, 1));
    let mut last = alloc;
    let mut gap = 0;
    if device == 0 {
        let mut k = alloc + 3600;
        while k < release.min(end_all) {
            pba[device].push(ev(k, 2));
            last = k;
            gap = 3600;
            k += 3600;
        }
    }
    let end = if release >= end_all {
        (last + gap).max(last + 1).min(end_all)
    } else if lost {
        (last + gap).max(last + 1)
    } else {
        pba[device].push(ev(release, 3));
        release
    };
    spans.push(Span {
        kind: SpanKind::Block,
        addr: ip(public),
        len: 32,
        lo,
        hi: lo + PORTS_PER_BLOCK - 1,
        start: alloc,
        end,
        sub: u32::MAX,
        inside,
    });
}

/// What the port-block logs say when a block whose release was lost is
/// allocated again to the same inside address before its evidence runs out
/// (its last record plus one interval): one block, ended by the later
/// release. (Allocated to another inside address, both blocks stand for
/// the overlap, and an observation in it names both holders.) The pool
/// never hands out a slot before its real release, so only that extension
/// can overlap.
pub(super) fn settle_blocks(spans: &mut [Span]) {
    let mut order: Vec<usize> = (0..spans.len())
        .filter(|&i| spans[i].kind == SpanKind::Block)
        .collect();
    order.sort_by_key(|&i| (spans[i].addr, spans[i].lo, spans[i].start));
    for w in 0..order.len().saturating_sub(1) {
        let (a, b) = (order[w], order[w + 1]);
        let (x, y) = (spans[a].clone(), spans[b].clone());
        if x.addr != y.addr || x.lo != y.lo || y.start >= x.end {
            continue;
        }
        if x.inside == y.inside {
            // One block in the logs: it runs from the first allocation to
            // the later one's end; the later span carries it.
            spans[b].start = x.start;
            spans[a].end = x.start;
        }
    }
}

/// Ghost sessions: NAS 2 reports, for ten minutes, a PPPoE subscriber on an
/// address another one holds.
pub(super) fn ghosts(
    rng: &mut impl Rng,
    spec: &IspSpec,
    subs: &[Sub],
    session_id: &mut u32,
    radius: &mut Vec<RadEv>,
    spans: &mut Vec<Span>,
    cases: &mut Cases,
) {
    let candidates: Vec<usize> = spans
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            s.kind == SpanKind::Session
                && s.len == 32
                && s.end - s.start > 1200
                && subs[s.sub as usize].kind == SubKind::Pppoe
        })
        .map(|(i, _)| i)
        .collect();
    let pppoe: Vec<u32> = (0..subs.len() as u32)
        .filter(|i| subs[*i as usize].kind == SubKind::Pppoe)
        .collect();
    if candidates.is_empty() || pppoe.len() < 2 {
        return;
    }
    for _ in 0..spec.ghosts {
        let s = spans[candidates[rng.random_range(0..candidates.len())]].clone();
        let IpAddr::V4(a) = s.addr else {
            continue;
        };
        let mut other = pppoe[rng.random_range(0..pppoe.len())];
        if other == s.sub {
            other = pppoe[(pppoe.iter().position(|x| *x == other).unwrap_or(0) + 1) % pppoe.len()];
        }
        let t = rng.random_range(s.start..s.end - 600);
        *session_id += 1;
        for (time, kind) in [(t, 1u8), (t + 600, 3u8)] {
            radius.push(RadEv {
                t: time,
                kind,
                nas: 2,
                sub: other,
                session: *session_id,
                addr: u32::from(a),
                session_start: t,
                v6: false,
            });
        }
        spans.push(Span {
            kind: SpanKind::Session,
            addr: s.addr,
            len: 32,
            lo: 0,
            hi: u16::MAX,
            start: t,
            end: t + 600,
            sub: other,
            inside: 0,
        });
        cases.ghosts += 1;
    }
}
