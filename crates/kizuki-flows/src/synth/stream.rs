//! The generated flows, in time order, and the contacts that must match.

use super::world::{Era, World};
use crate::flow::{Flow, Protocol};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// One C2 contact by an infected host: the ground truth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// The infected host.
    pub host: IpAddr,
    /// Its public (NAT) address.
    pub public: IpAddr,
    /// The C2 address.
    pub c2: IpAddr,
    /// The C2 port.
    pub port: u16,
    /// The family.
    pub malware: String,
    /// The entry's index in [`World::c2`].
    pub entry: usize,
    /// The flow's start (µs, UTC, whole milliseconds).
    pub at: i64,
    /// The flow's end.
    pub end: i64,
}

/// Ports no C2 entry uses: traffic to a C2 address on them must not match.
const OTHER_PORTS: [u16; 4] = [22, 25, 3389, 5060];

/// The flows of a [`World`], in start order: background traffic with the
/// contacts merged in. Every flow's file is `synth` and its line 0; the
/// writers number lines.
pub struct FlowStream<'w> {
    world: &'w World,
    rng: ChaCha8Rng,
    i: u64,
    n: u64,
    step: f64,
    contacts: Vec<Contact>,
    /// Each contact's host, as an index into the world's hosts.
    contact_host: Vec<usize>,
    next_contact: usize,
    expired: Vec<usize>,
    active: Vec<usize>,
    from_mid: Vec<usize>,
    file: Arc<str>,
}

impl<'w> FlowStream<'w> {
    /// The stream of `world`; the contacts are drawn first, so
    /// [`FlowStream::contacts`] is the whole ground truth from the start.
    pub fn new(world: &'w World) -> FlowStream<'w> {
        let cfg = &world.config;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed_f10f);
        let (start, end) = world.span;
        let usable = world.usable();
        let mut contacts = Vec::new();
        if !usable.is_empty() {
            for &h in &world.infected {
                // Each infected host keeps to a few C2 servers of one run.
                let mine: Vec<(usize, i64)> = (0..3)
                    .map(|_| usable[rng.random_range(0..usable.len())])
                    .collect();
                for _ in 0..cfg.contacts_per_host {
                    let (e, earliest) = mine[rng.random_range(0..mine.len())];
                    let last = end - 120_000_000;
                    if earliest >= last {
                        continue;
                    }
                    let at = rng.random_range(earliest..last) / 1000 * 1000;
                    let dur = rng.random_range(0..60_000i64) * 1000;
                    let entry = &world.c2[e];
                    contacts.push(Contact {
                        host: IpAddr::V4(world.hosts[h]),
                        public: IpAddr::V4(world.public_of[h]),
                        c2: entry.ip,
                        port: entry.port.unwrap_or(443),
                        malware: entry.malware.clone(),
                        entry: e,
                        at,
                        end: at + dur,
                    });
                }
            }
        }
        contacts.sort_by_key(|c| (c.at, c.host, c.entry));
        let index: std::collections::HashMap<IpAddr, usize> = world
            .hosts
            .iter()
            .enumerate()
            .map(|(i, a)| (IpAddr::V4(*a), i))
            .collect();
        let contact_host = contacts
            .iter()
            .map(|c| index.get(&c.host).copied().unwrap_or(0))
            .collect();
        let pick = |era: Era| -> Vec<usize> {
            world
                .eras
                .iter()
                .enumerate()
                .filter(|(_, e)| **e == era)
                .map(|(i, _)| i)
                .collect()
        };
        let mut expired = pick(Era::Expired);
        expired.extend(pick(Era::Future));
        let n = cfg.flows;
        FlowStream {
            world,
            rng,
            i: 0,
            n,
            step: (end - start - 120_000_000) as f64 / n.max(1) as f64,
            contacts,
            contact_host,
            next_contact: 0,
            expired,
            active: pick(Era::Active),
            from_mid: pick(Era::FromMid),
            file: "synth".into(),
        }
    }

    /// The contacts (ground truth), in start order.
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }

    fn host(&mut self) -> usize {
        self.rng.random_range(0..self.world.hosts.len())
    }

    fn base(&mut self, h: usize, t: i64, dst: IpAddr, port: Option<u16>, proto: Protocol) -> Flow {
        let dur = self.rng.random_range(0..120_000i64) * 1000;
        let packets = self.rng.random_range(1..200u64);
        let ports = proto != Protocol::ICMP;
        Flow {
            start: t,
            end: t + dur,
            src: IpAddr::V4(self.world.hosts[h]),
            src_port: ports.then(|| self.rng.random_range(49152..=65535)),
            dst,
            dst_port: if ports { port } else { None },
            protocol: Some(proto),
            nat_src: Some(IpAddr::V4(self.world.public_of[h])),
            nat_src_port: ports.then(|| self.rng.random_range(1024..=65535)),
            packets: Some(packets),
            bytes: Some(packets * self.rng.random_range(40..1400u64)),
            file: self.file.clone(),
            line: 0,
        }
    }

    fn background(&mut self, t: i64) -> Flow {
        let h = self.host();
        let kind = self.rng.random_range(0..1000);
        let internet = |s: &mut Self| -> IpAddr {
            IpAddr::V4(s.world.internet[s.rng.random_range(0..s.world.internet.len())])
        };
        // Traffic to C2 addresses that must not match.
        if kind < 20 && !self.expired.is_empty() {
            let e = &self.world.c2[self.expired[self.rng.random_range(0..self.expired.len())]];
            let (ip, port) = (e.ip, e.port);
            return self.base(h, t, ip, port, Protocol::TCP);
        }
        if kind < 30 && !self.active.is_empty() {
            let e = &self.world.c2[self.active[self.rng.random_range(0..self.active.len())]];
            let ip = e.ip;
            let port = OTHER_PORTS[self.rng.random_range(0..OTHER_PORTS.len())];
            return self.base(h, t, ip, Some(port), Protocol::TCP);
        }
        if kind < 40 && !self.from_mid.is_empty() {
            let e = &self.world.c2[self.from_mid[self.rng.random_range(0..self.from_mid.len())]];
            // Before the entry's first sighting (with room for the flow's
            // duration): it was not a known C2 yet.
            if t + 130_000_000 < e.valid_from {
                let (ip, port) = (e.ip, e.port);
                return self.base(h, t, ip, port, Protocol::TCP);
            }
        }
        match kind {
            40..=44 => {
                let dst = internet(self);
                self.base(h, t, dst, None, Protocol::ICMP)
            }
            45..=199 => {
                let dst = IpAddr::V4(Ipv4Addr::new(10, 0, 255, 53));
                self.base(h, t, dst, Some(53), Protocol::UDP)
            }
            200..=219 => {
                let dst = internet(self);
                self.base(h, t, dst, Some(123), Protocol::UDP)
            }
            _ => {
                let dst = internet(self);
                let port = [443, 443, 443, 80, 8080, 993][self.rng.random_range(0..6)];
                self.base(h, t, dst, Some(port), Protocol::TCP)
            }
        }
    }
}

impl Iterator for FlowStream<'_> {
    type Item = Flow;

    fn next(&mut self) -> Option<Flow> {
        let t = if self.i < self.n {
            Some(self.world.span.0 + ((self.i as f64 * self.step) as i64) / 1000 * 1000)
        } else {
            None
        };
        if let Some(c) = self.contacts.get(self.next_contact)
            && t.is_none_or(|t| c.at <= t)
        {
            let c = c.clone();
            let h = self.contact_host[self.next_contact];
            self.next_contact += 1;
            let mut f = self.base(h, c.at, c.c2, Some(c.port), Protocol::TCP);
            f.end = c.end;
            return Some(f);
        }
        let t = t?;
        self.i += 1;
        Some(self.background(t))
    }
}
