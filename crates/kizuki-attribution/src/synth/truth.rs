//! The true answers, by a plain scan of the spans the logs establish: a
//! second, independent reading of the attribution rules, sharing no code
//! with the index or the operator.

use super::world::{
    Case, DHCP_BASE, FIRST_PORT, INSIDE_BASE, IspSpec, NOWHERE_BASE, PBA_BASE, PORTS_PER_BLOCK,
    PPPOE_BASE, Span, SpanKind, Sub, SubKind,
};
use crate::attribute::{Observation, Status};
use crate::detnat::DetNatConfig;
use rand::Rng;
use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A true answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Truth {
    /// The status.
    pub status: Status,
    /// Subscriber ids, sorted.
    pub subscribers: Vec<String>,
}

/// Spans by address, for the scan.
pub struct TruthIndex {
    hosts: HashMap<IpAddr, Vec<usize>>,
    blocks: HashMap<u32, Vec<usize>>,
    v6: HashMap<(u128, u8), Vec<usize>>,
    statics: HashMap<u32, u32>,
    nat: (u32, u32, u32, u32),
    ids: Vec<String>,
}

fn range(s: &str) -> (u32, u32) {
    let (a, l) = s.split_once('/').unwrap_or((s, "32"));
    let a: Ipv4Addr = a.parse().unwrap_or(Ipv4Addr::UNSPECIFIED);
    let l: u32 = l.parse().unwrap_or(32);
    (u32::from(a), 1u32 << (32 - l))
}

impl TruthIndex {
    /// Indexes the spans.
    pub fn new(spans: &[Span], subs: &[Sub], nat: &DetNatConfig) -> TruthIndex {
        let mut t = TruthIndex {
            hosts: HashMap::new(),
            blocks: HashMap::new(),
            v6: HashMap::new(),
            statics: HashMap::new(),
            nat: {
                let (ib, is) = range(&nat.inside);
                let (ob, os) = range(&nat.outside);
                (ib, is, ob, os)
            },
            ids: subs.iter().map(|s| s.id.clone()).collect(),
        };
        for (i, s) in spans.iter().enumerate() {
            match (s.kind, s.addr) {
                (SpanKind::Block, IpAddr::V4(a)) => {
                    t.blocks.entry(u32::from(a)).or_default().push(i)
                }
                (_, IpAddr::V6(a)) => t.v6.entry((u128::from(a), s.len)).or_default().push(i),
                (_, IpAddr::V4(a)) if s.len == 29 => {
                    t.statics.insert(u32::from(a), s.sub);
                }
                (_, a) => t.hosts.entry(a).or_default().push(i),
            }
        }
        t
    }

    /// Subscribers holding `ip` (not through a port block) in `[w0, w1)`.
    fn holders(&self, spans: &[Span], ip: IpAddr, w0: i64, w1: i64) -> BTreeSet<u32> {
        let live = |s: &Span| s.start < s.end && s.start < w1 && w0 < s.end;
        let mut out = BTreeSet::new();
        for i in self.hosts.get(&ip).into_iter().flatten() {
            if live(&spans[*i]) {
                out.insert(spans[*i].sub);
            }
        }
        match ip {
            IpAddr::V6(a) => {
                let a = u128::from(a);
                for len in [56u8, 64] {
                    let key = (a & (u128::MAX << (128 - u32::from(len))), len);
                    for i in self.v6.get(&key).into_iter().flatten() {
                        if live(&spans[*i]) {
                            out.insert(spans[*i].sub);
                        }
                    }
                }
            }
            IpAddr::V4(a) => {
                if let Some(s) = self.statics.get(&(u32::from(a) & !7)) {
                    out.insert(*s);
                }
            }
        }
        out
    }

    fn ids(&self, s: &BTreeSet<u32>) -> Vec<String> {
        let mut v: Vec<String> = s.iter().map(|i| self.ids[*i as usize].clone()).collect();
        v.sort();
        v
    }

    /// The true answer for an observation, with a clock tolerance.
    pub fn truth(&self, spans: &[Span], o: &Observation, tol: i64) -> Truth {
        let (w0, w1) = (o.time - tol, o.time + tol + 1);
        let mut blocks: Vec<(u32, u16, u16)> = Vec::new();
        if let IpAddr::V4(a) = o.ip {
            let a = u32::from(a);
            for i in self.blocks.get(&a).into_iter().flatten() {
                let s = &spans[*i];
                if s.start < s.end && s.start < w1 && w0 < s.end {
                    blocks.push((s.inside, s.lo, s.hi));
                }
            }
            let (ib, is, ob, os) = self.nat;
            if a >= ob && a - ob < os {
                let ratio = is / os;
                for k in 0..ratio {
                    let lo = FIRST_PORT + k as u16 * PORTS_PER_BLOCK;
                    blocks.push((ib + (a - ob) * ratio + k, lo, lo + PORTS_PER_BLOCK - 1));
                }
            }
        }
        let count = |who: BTreeSet<u32>| -> Truth {
            let status = match who.len() {
                0 => Status::None,
                1 => Status::Exact,
                _ => Status::Conflict,
            };
            Truth {
                status,
                subscribers: self.ids(&who),
            }
        };
        if blocks.is_empty() {
            return count(self.holders(spans, o.ip, w0, w1));
        }
        let inside_of =
            |v: &[(u32, u16, u16)]| -> BTreeSet<u32> { v.iter().map(|b| b.0).collect() };
        if let Some(p) = o.port {
            let hit: Vec<(u32, u16, u16)> = blocks
                .iter()
                .copied()
                .filter(|b| b.1 <= p && p <= b.2)
                .collect();
            let insides = inside_of(&hit);
            if insides.len() == 1 {
                let i = insides.iter().next().copied().unwrap_or(0);
                return count(self.holders(spans, IpAddr::V4(Ipv4Addr::from(i)), w0, w1));
            }
            if insides.len() > 1 {
                let mut who = BTreeSet::new();
                for i in insides {
                    who.extend(self.holders(spans, IpAddr::V4(Ipv4Addr::from(i)), w0, w1));
                }
                return Truth {
                    status: Status::Conflict,
                    subscribers: self.ids(&who),
                };
            }
        }
        let mut who = BTreeSet::new();
        for i in inside_of(&blocks) {
            who.extend(self.holders(spans, IpAddr::V4(Ipv4Addr::from(i)), w0, w1));
        }
        Truth {
            status: Status::Shared,
            subscribers: self.ids(&who),
        }
    }
}

/// Draws observations across the cases, with their true answers.
pub(crate) fn draw(
    rng: &mut impl Rng,
    spec: &IspSpec,
    subs: &[Sub],
    spans: &[Span],
    index: &TruthIndex,
    pba_ips: u32,
    ghost_from: usize,
) -> Vec<(Observation, Case, Truth)> {
    let s0 = spec.start;
    let s1 = spec.start + i64::from(spec.days) * 86_400;
    let any_time = |rng: &mut dyn rand::RngCore| rng.random_range(s0..s1);
    let within = |rng: &mut dyn rand::RngCore, s: &Span| {
        rng.random_range(s.start.max(s0)..s.end.min(s1).max(s.start.max(s0) + 1))
    };
    let pick = |rng: &mut dyn rand::RngCore, v: &[usize]| v[rng.random_range(0..v.len())];
    let held: Vec<usize> = (0..spans.len())
        .filter(|i| {
            matches!(spans[*i].kind, SpanKind::Session | SpanKind::Lease)
                && spans[*i].len == 32
                && spans[*i].addr.is_ipv4()
        })
        .collect();
    let blocks: Vec<usize> = (0..spans.len())
        .filter(|i| spans[*i].kind == SpanKind::Block)
        .collect();
    let dynamic: Vec<usize> = (0..spans.len()).filter(|i| spans[*i].len != 29).collect();
    let ghosts: Vec<usize> = (ghost_from..spans.len()).collect();
    let pppoe: Vec<u32> = (0..subs.len() as u32)
        .filter(|i| subs[*i as usize].kind == SubKind::Pppoe)
        .collect();
    let statics: Vec<u32> = (0..subs.len() as u32)
        .filter(|i| subs[*i as usize].kind == SubKind::Static)
        .collect();
    let (_, _, nat_out, nat_size) = index.nat;
    let mut out = Vec::with_capacity(spec.observations as usize);
    let ip4 = |a: u32| IpAddr::V4(Ipv4Addr::from(a));
    while out.len() < spec.observations as usize {
        let r = rng.random_range(0..100u32);
        let (case, ip, port, time): (Case, IpAddr, Option<u16>, i64) = match r {
            0..25 if !held.is_empty() => {
                let s = &spans[pick(rng, &held)];
                let port = rng.random_bool(0.5).then(|| rng.random_range(1024..65535));
                (Case::Held, s.addr, port, within(rng, s))
            }
            25..40 if !blocks.is_empty() => {
                let s = &spans[pick(rng, &blocks)];
                (
                    Case::PortInBlock,
                    s.addr,
                    Some(rng.random_range(s.lo..=s.hi)),
                    within(rng, s),
                )
            }
            40..47 if !blocks.is_empty() => {
                let s = &spans[pick(rng, &blocks)];
                (Case::NoPort, s.addr, None, within(rng, s))
            }
            47..52 if !blocks.is_empty() => {
                let s = &spans[pick(rng, &blocks)];
                let p = if rng.random_bool(0.5) {
                    rng.random_range(1..FIRST_PORT)
                } else {
                    rng.random_range(65_100..=u16::MAX)
                };
                (Case::PortOutside, s.addr, Some(p), within(rng, s))
            }
            52..60 => {
                let a = nat_out + rng.random_range(0..nat_size);
                let port = rng
                    .random_bool(0.6)
                    .then(|| rng.random_range(FIRST_PORT..FIRST_PORT + 64 * PORTS_PER_BLOCK));
                (Case::DetNat, ip4(a), port, any_time(rng))
            }
            60..68 if !pppoe.is_empty() => {
                let s = &subs[pppoe[rng.random_range(0..pppoe.len())] as usize];
                let a = s.v6 | rng.random_range(0..1u128 << 72);
                (Case::V6, IpAddr::V6(Ipv6Addr::from(a)), None, any_time(rng))
            }
            68..78 => {
                let base = [PPPOE_BASE, DHCP_BASE, INSIDE_BASE, PBA_BASE][rng.random_range(0..4)];
                let span = if base == PBA_BASE {
                    pba_ips
                } else {
                    (subs.len() as u32 / 2).max(8)
                };
                let port = rng.random_bool(0.5).then(|| rng.random_range(0..=u16::MAX));
                (
                    Case::Anytime,
                    ip4(base + rng.random_range(0..span)),
                    port,
                    any_time(rng),
                )
            }
            78..82 => (
                Case::Nowhere,
                ip4(NOWHERE_BASE + rng.random_range(0..1 << 20)),
                None,
                any_time(rng),
            ),
            82..92 if !dynamic.is_empty() => {
                let s = &spans[pick(rng, &dynamic)];
                let t = [s.start, s.end - 1, s.end][rng.random_range(0..3)];
                let port = (s.kind == SpanKind::Block).then_some(s.lo);
                let ip = match s.addr {
                    IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) | 1)),
                    a => a,
                };
                (Case::Edge, ip, port, t)
            }
            92..96 if !statics.is_empty() => {
                let s = &subs[statics[rng.random_range(0..statics.len())] as usize];
                (
                    Case::Static,
                    ip4(s.static_net + rng.random_range(0..8)),
                    None,
                    any_time(rng),
                )
            }
            96..100 if !ghosts.is_empty() => {
                let s = &spans[pick(rng, &ghosts)];
                (Case::Ghost, s.addr, None, within(rng, s))
            }
            _ => continue,
        };
        if time < s0 || time >= s1 {
            continue;
        }
        let o = Observation { ip, port, time };
        let t = index.truth(spans, &o, 0);
        out.push((o, case, t));
    }
    out
}
