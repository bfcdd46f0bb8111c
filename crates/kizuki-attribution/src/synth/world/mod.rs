//! The simulation: subscribers, sessions, leases, port blocks, and the
//! spans the logs establish.

use super::truth::{Truth, TruthIndex};
use crate::attribute::Observation;
use crate::detnat::DetNatConfig;
use rand::{Rng, SeedableRng};
use std::collections::{BinaryHeap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

mod records;
use records::{block, ghosts, lease, session, settle_blocks};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct IspSpec {
    /// Subscribers.
    pub subscribers: u32,
    /// Days of logs.
    pub days: u32,
    /// The first day, UTC seconds at midnight.
    pub start: i64,
    /// The share of subscribers behind CGNAT (a quarter of them behind
    /// deterministic NAT, the rest behind logged port blocks).
    pub cgnat_share: f64,
    /// The seed: the same seed gives the same ISP.
    pub seed: u64,
    /// Observations to draw.
    pub observations: u32,
    /// Sessions a misbehaving NAS reports for an address someone else
    /// holds (conflicts).
    pub ghosts: u32,
}

impl Default for IspSpec {
    fn default() -> Self {
        IspSpec {
            subscribers: 1000,
            days: 2,
            start: 1_613_952_000, // 2021-02-22
            cgnat_share: 0.3,
            seed: 1,
            observations: 2000,
            ghosts: 3,
        }
    }
}

/// How a subscriber is connected.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SubKind {
    /// PPPoE with a public address (RADIUS), and a delegated IPv6 prefix.
    Pppoe,
    /// DHCP with a public address (Kea).
    Dhcp,
    /// CGNAT with logged port blocks (RADIUS gives the inside address).
    PortBlock,
    /// CGNAT with deterministic NAT (RADIUS gives the inside address).
    DetNat,
    /// A static prefix from the subscriber directory.
    Static,
}

/// One subscriber.
#[derive(Clone, Debug)]
pub struct Sub {
    /// Subscriber id.
    pub id: String,
    /// How it is connected.
    pub kind: SubKind,
    /// The NAS it connects through (0 is in Europe, logged in local time).
    pub nas: u8,
    /// Its delegated /56 (PPPoE).
    pub v6: u128,
    /// Its static /29 (static), as the first address.
    pub static_net: u32,
    /// Its MAC (DHCP).
    pub mac: [u8; 6],
}

impl Sub {
    /// The key the logs name it by.
    pub fn key(&self, index: u32) -> String {
        match self.kind {
            SubKind::Dhcp => {
                let m = self.mac;
                format!(
                    "mac:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    m[0], m[1], m[2], m[3], m[4], m[5]
                )
            }
            SubKind::Static => format!("prefix:{}/29", Ipv4Addr::from(self.static_net)),
            _ => format!("user:u{index}@isp.example"),
        }
    }
}

/// What a span is.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// A RADIUS session's address or prefix, held by a subscriber.
    Session,
    /// A DHCP lease, held by a subscriber.
    Lease,
    /// A port block on a public address, held by an inside address.
    Block,
}

/// A span the logs establish, by kizuki's documented rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// What it is.
    pub kind: SpanKind,
    /// The address or prefix.
    pub addr: IpAddr,
    /// The prefix length.
    pub len: u8,
    /// First port.
    pub lo: u16,
    /// Last port.
    pub hi: u16,
    /// Start, inclusive.
    pub start: i64,
    /// End, exclusive.
    pub end: i64,
    /// The subscriber (sessions, leases).
    pub sub: u32,
    /// The inside address (blocks).
    pub inside: u32,
}

/// Things the data is meant to contain, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cases {
    /// RADIUS sessions.
    pub sessions: u64,
    /// Sessions that run across a midnight (UTC).
    pub across_midnight: u64,
    /// Sessions whose Stop was lost.
    pub lost_stops: u64,
    /// NAS reboots (Accounting-On).
    pub nas_reboots: u64,
    /// Sessions ended by a reboot.
    pub ended_by_reboot: u64,
    /// Addresses held by more than one subscriber over the days.
    pub reused_addresses: u64,
    /// Ghost sessions (conflicts).
    pub ghosts: u64,
    /// DHCP leases.
    pub leases: u64,
    /// Port blocks.
    pub blocks: u64,
    /// Sessions logged in local time across a DST change.
    pub across_dst: u64,
}

/// One kind of case an observation was drawn for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Case {
    /// A held address at a time inside its span.
    Held,
    /// A CGNAT address with the port.
    PortInBlock,
    /// A CGNAT address without a port.
    NoPort,
    /// A CGNAT address with a port in no block.
    PortOutside,
    /// A deterministic NAT address.
    DetNat,
    /// An address in a delegated IPv6 prefix.
    V6,
    /// A pool address at any time.
    Anytime,
    /// An address no one ever holds.
    Nowhere,
    /// A span's first second, last second, or first second after.
    Edge,
    /// A static prefix.
    Static,
    /// A ghost's span.
    Ghost,
}

pub(crate) const GRACE: i64 = 3600;
pub(crate) const PORTS_PER_BLOCK: u16 = 1000;
pub(crate) const FIRST_PORT: u16 = 1024;
pub(crate) const BLOCKS_PER_IP: u32 = 64;
/// The NAS that reboots.
pub(crate) const REBOOTING_NAS: u8 = 1;
pub(crate) const NAS_COUNT: u8 = 4;

/// A RADIUS record to write.
#[derive(Copy, Clone, Debug)]
pub(crate) struct RadEv {
    pub t: i64,
    pub kind: u8, // 1 Start, 2 Interim, 3 Stop, 7 Accounting-On
    pub nas: u8,
    pub sub: u32,
    pub session: u32,
    pub addr: u32,
    pub session_start: i64,
    pub v6: bool,
}

impl RadEv {
    /// The rebooting NAS's Accounting-On at `t`.
    pub(crate) fn accounting_on(t: i64) -> RadEv {
        RadEv {
            t,
            kind: 7,
            nas: REBOOTING_NAS,
            sub: 0,
            session: 0,
            addr: 0,
            session_start: 0,
            v6: false,
        }
    }
}

/// A Kea lease4 row to write.
#[derive(Copy, Clone, Debug)]
pub(crate) struct KeaEv {
    /// When it is written (file order).
    pub t: i64,
    pub addr: u32,
    pub sub: u32,
    pub valid: u32,
    pub expire: i64,
    pub state: u8,
}

/// A port-block record to write.
#[derive(Copy, Clone, Debug)]
pub(crate) struct PbaEv {
    pub t: i64,
    pub kind: u8, // 1 alloc, 2 active, 3 release
    pub inside: u32,
    pub public: u32,
    pub lo: u16,
}

/// The simulated ISP.
pub struct Isp {
    /// What was simulated.
    pub spec: IspSpec,
    /// Subscribers.
    pub subs: Vec<Sub>,
    pub(crate) radius: Vec<RadEv>,
    pub(crate) kea: Vec<KeaEv>,
    /// Port-block records per CGN device (Juniper, A10, NFWare).
    pub(crate) pba: [Vec<PbaEv>; 3],
    /// The spans the logs establish.
    pub spans: Vec<Span>,
    /// The deterministic NAT.
    pub nat: DetNatConfig,
    /// Observations, with their case and true answer.
    pub observations: Vec<(Observation, Case, Truth)>,
    /// What the data contains.
    pub cases: Cases,
}

/// Address plan. Public pools are in ranges a test can tell apart.
pub(crate) const PPPOE_BASE: u32 = 0x0b00_0000; // 11.0.0.0/8
pub(crate) const DHCP_BASE: u32 = 0x0c00_0000; // 12.0.0.0/8
pub(crate) const PBA_BASE: u32 = 0x0d00_0000; // 13.0.0.0/8
pub(crate) const STATIC_BASE: u32 = 0x0f00_0000; // 15.0.0.0/8
pub(crate) const INSIDE_BASE: u32 = 0x6440_0000; // 100.64.0.0/10
pub(crate) const NOWHERE_BASE: u32 = 0x1000_0000; // 16.0.0.0/8
const V6_BASE: u128 = 0x2001_0db8_0000_0000_0000_0000_0000_0000;

fn ip(a: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(a))
}

/// A pool of addresses (or blocks) handed out least recently freed first.
struct Pool {
    base: u32,
    size: u32,
    next_fresh: u32,
    free: VecDeque<u32>,
    busy: BinaryHeap<std::cmp::Reverse<(i64, u32)>>,
    /// Who had each address last (for counting reuse).
    last_holder: Vec<u32>,
    reused: u64,
}

impl Pool {
    fn new(base: u32, size: u32) -> Pool {
        Pool {
            base,
            size,
            next_fresh: 0,
            free: VecDeque::new(),
            busy: BinaryHeap::new(),
            last_holder: vec![u32::MAX; size as usize],
            reused: 0,
        }
    }

    /// An address free at `t`, held until `until`.
    fn take(&mut self, t: i64, until: i64, holder: u32) -> Option<u32> {
        while let Some(std::cmp::Reverse((end, a))) = self.busy.peek().copied() {
            if end > t {
                break;
            }
            self.busy.pop();
            self.free.push_back(a);
        }
        let a = match self.free.pop_front() {
            Some(a) => a,
            None if self.next_fresh < self.size => {
                self.next_fresh += 1;
                self.next_fresh - 1
            }
            None => return None,
        };
        let last = &mut self.last_holder[a as usize];
        if *last != u32::MAX && *last != holder {
            self.reused += 1;
        }
        *last = holder;
        self.busy.push(std::cmp::Reverse((until, a)));
        Some(self.base + a)
    }
}

/// One online period of a subscriber.
#[derive(Clone, Copy, Debug)]
struct Period {
    sub: u32,
    start: i64,
    end: i64,
    lost: bool,
    rebooted: bool,
}

fn periods(
    rng: &mut impl Rng,
    sub: u32,
    s: &Sub,
    spec: &IspSpec,
    reboot: i64,
    mean: f64,
) -> Vec<Period> {
    let end_all = spec.start + i64::from(spec.days) * 86_400;
    let mut out = Vec::new();
    let mut t = spec.start + rng.random_range(0..3 * 3600);
    while t < end_all {
        let u: f64 = rng.random_range(1e-9..1.0);
        let dur = ((-u.ln()) * mean).clamp(120.0, 3.0 * 86_400.0) as i64;
        let mut end = t + dur;
        let mut rebooted = false;
        if s.nas == REBOOTING_NAS && t < reboot && end > reboot && s.kind != SubKind::Dhcp {
            end = reboot;
            rebooted = true;
        }
        let lost = !rebooted && s.kind != SubKind::Dhcp && rng.random_bool(0.02);
        out.push(Period {
            sub,
            start: t,
            end,
            lost,
            rebooted,
        });
        t = if rebooted {
            reboot + 30 + rng.random_range(0..600)
        } else {
            end + rng.random_range(5..1800)
        };
        // The rebooting NAS is down from the reboot until its Accounting-On
        // 30 s later: no one connects through it in between. (A session
        // started then would be "ended" by the Accounting-On and go on
        // writing Interim-Updates after it.)
        if s.nas == REBOOTING_NAS && s.kind != SubKind::Dhcp && (reboot..reboot + 30).contains(&t) {
            t += 30;
        }
    }
    out
}

/// Simulates an ISP.
pub fn generate(spec: &IspSpec) -> Isp {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(spec.seed);
    let n = spec.subscribers.max(1);
    let end_all = spec.start + i64::from(spec.days) * 86_400;
    let reboot = spec.start + i64::from(spec.days) * 43_200 + rng.random_range(0..3600);
    let mut subs = Vec::with_capacity(n as usize);
    let mut statics = 0u32;
    for i in 0..n {
        let r: f64 = rng.random_range(0.0..1.0);
        let kind = if r < spec.cgnat_share {
            if rng.random_bool(0.25) {
                SubKind::DetNat
            } else {
                SubKind::PortBlock
            }
        } else {
            let r2: f64 = rng.random_range(0.0..1.0);
            if r2 < 0.2 {
                SubKind::Dhcp
            } else if r2 < 0.25 {
                SubKind::Static
            } else {
                SubKind::Pppoe
            }
        };
        let static_net = if kind == SubKind::Static {
            statics += 1;
            STATIC_BASE + (statics - 1) * 8
        } else {
            0
        };
        subs.push(Sub {
            id: format!("S{i:07}"),
            kind,
            nas: (i % u32::from(NAS_COUNT)) as u8,
            v6: V6_BASE | (u128::from(i) << 72),
            static_net,
            mac: [
                0x02,
                0x00,
                (i >> 24) as u8,
                (i >> 16) as u8,
                (i >> 8) as u8,
                i as u8,
            ],
        });
    }
    let count = |k: SubKind| subs.iter().filter(|s| s.kind == k).count() as u32;
    let (n_pppoe, n_dhcp, n_pba, n_det) = (
        count(SubKind::Pppoe),
        count(SubKind::Dhcp),
        count(SubKind::PortBlock),
        count(SubKind::DetNat),
    );
    // Pools a little larger than the subscribers that use them, so that
    // addresses are reused within hours.
    let mut pppoe_pool = Pool::new(PPPOE_BASE, n_pppoe + n_pppoe / 10 + 4);
    let mut dhcp_pool = Pool::new(DHCP_BASE, n_dhcp + n_dhcp / 10 + 4);
    let mut inside_pool = Pool::new(INSIDE_BASE, n_pba + n_pba / 10 + 4);
    let pba_ips = (n_pba / 40).max(3);
    let mut block_pool = Pool::new(0, pba_ips * BLOCKS_PER_IP);
    // Deterministic NAT: 64 inside addresses per outside address.
    let det_in_len = 32
        - (u64::from(n_det + n_det / 5 + 64))
            .next_power_of_two()
            .trailing_zeros()
            .max(6);
    let det_in_size = 1u32 << (32 - det_in_len);
    let det_in_base = 0x6478_0000u32; // 100.120.0.0
    let det_out_base = 0x0e00_0000u32; // 14.0.0.0
    let det_out_len = det_in_len + 6;
    let nat = DetNatConfig {
        name: Some("detnat-1".into()),
        inside: format!("{}/{det_in_len}", Ipv4Addr::from(det_in_base)),
        outside: format!("{}/{det_out_len}", Ipv4Addr::from(det_out_base)),
        ports_per_host: PORTS_PER_BLOCK,
        first_port: FIRST_PORT,
        valid_from: None,
        valid_until: None,
    };
    let mut det_pool = Pool::new(det_in_base, det_in_size);

    let mut cases = Cases::default();
    let mut radius = Vec::new();
    let mut kea = Vec::new();
    let mut pba: [Vec<PbaEv>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut spans = Vec::new();

    // Online periods of everyone, then addresses in time order.
    let mut all: Vec<Period> = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        if s.kind == SubKind::Static {
            spans.push(Span {
                kind: SpanKind::Lease,
                addr: ip(s.static_net),
                len: 29,
                lo: 0,
                hi: u16::MAX,
                start: i64::MIN / 4,
                end: i64::MAX / 4,
                sub: i as u32,
                inside: 0,
            });
            continue;
        }
        let mean = if s.kind == SubKind::Dhcp {
            12.0 * 3600.0
        } else {
            10.0 * 3600.0
        };
        all.extend(periods(&mut rng, i as u32, s, spec, reboot, mean));
    }
    all.sort_by_key(|p| (p.start, p.sub));
    let mut session_id = 0u32;
    for p in &all {
        let s = &subs[p.sub as usize];
        match s.kind {
            SubKind::Dhcp => {
                lease(
                    &mut rng,
                    p,
                    &mut dhcp_pool,
                    end_all,
                    &mut kea,
                    &mut spans,
                    &mut cases,
                );
            }
            SubKind::Pppoe | SubKind::PortBlock | SubKind::DetNat => {
                let pool = match s.kind {
                    SubKind::Pppoe => &mut pppoe_pool,
                    SubKind::PortBlock => &mut inside_pool,
                    _ => &mut det_pool,
                };
                // The address is free again when the session really ends;
                // a lost Stop or a reboot leaves the logs saying it ran on,
                // so another subscriber may then appear on it: a conflict,
                // as in real logs.
                let Some(addr) = pool.take(p.start, p.end, p.sub) else {
                    continue;
                };
                session_id += 1;
                let logged = session(
                    p,
                    s,
                    addr,
                    session_id,
                    reboot,
                    end_all,
                    &mut radius,
                    &mut cases,
                );
                // The IPv4 address, and a PPPoE line's two IPv6 prefixes.
                let mut nets = vec![(ip(addr), 32u8)];
                if s.kind == SubKind::Pppoe {
                    let v6 = IpAddr::V6(Ipv6Addr::from(s.v6));
                    nets.extend([(v6, 56), (v6, 64)]);
                }
                for (addr, len) in nets {
                    spans.push(Span {
                        kind: SpanKind::Session,
                        addr,
                        len,
                        lo: 0,
                        hi: u16::MAX,
                        start: p.start,
                        end: logged,
                        sub: p.sub,
                        inside: 0,
                    });
                }
                if s.kind == SubKind::PortBlock {
                    block(
                        &mut rng,
                        p,
                        addr,
                        &mut block_pool,
                        end_all,
                        &mut pba,
                        &mut spans,
                        &mut cases,
                    );
                }
            }
            SubKind::Static => {}
        }
    }
    // The reboot, announced 30 s later by Accounting-On.
    if all.iter().any(|p| p.rebooted) {
        cases.nas_reboots = 1;
        radius.push(RadEv::accounting_on(reboot + 30));
    }
    let ghost_from = spans.len();
    ghosts(
        &mut rng,
        spec,
        &subs,
        &mut session_id,
        &mut radius,
        &mut spans,
        &mut cases,
    );
    cases.reused_addresses =
        pppoe_pool.reused + dhcp_pool.reused + inside_pool.reused + det_pool.reused;
    radius.sort_by_key(|e| (e.t, e.session, e.kind));
    kea.sort_by_key(|e| (e.t, e.addr));
    for p in &mut pba {
        p.sort_by_key(|e| (e.t, e.public, e.lo, e.kind));
    }
    settle_blocks(&mut spans);
    let index = TruthIndex::new(&spans, &subs, &nat);
    let observations =
        super::truth::draw(&mut rng, spec, &subs, &spans, &index, pba_ips, ghost_from);
    Isp {
        spec: spec.clone(),
        subs,
        radius,
        kea,
        pba,
        spans,
        nat,
        observations,
        cases,
    }
}

#[cfg(test)]
mod tests;
