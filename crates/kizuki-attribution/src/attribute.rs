//! The attribution operator: (address, port?, time) → subscribers and a
//! status.
//!
//! * A public address with port blocks at that time (from port-block logs
//!   or a deterministic NAT) is shared. With a port inside exactly one
//!   block, the block's inside address is looked up again, at the same time,
//!   in the RADIUS and DHCP records: the second hop. Without a port, or with
//!   one in no block, every holder of a block on that address is listed
//!   (`shared`, even when that is only one: a port outside someone's block
//!   neither clears nor convicts them).
//! * Any other address is looked up in the RADIUS and DHCP records and the
//!   static assignments of the subscriber directory.
//! * One holder is `exact`; none is `none`; more than one, from records
//!   that overlap in time (or within the clock tolerance), is `conflict`.
//!   Holders are told apart by subscriber: a RADIUS user name and a DHCP
//!   MAC of the same subscriber are one holder.

use crate::db::Assignments;
use crate::detnat::DetNat;
use crate::index::Hit;
use crate::record::{Holder, SourceKind};
use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

/// How sure an attribution is.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// One subscriber (with the port matched where the address is shared).
    Exact,
    /// The address was shared and the port did not single anyone out.
    Shared,
    /// No record covers the observation.
    None,
    /// Records that overlap disagree.
    Conflict,
}

impl Status {
    /// `exact`, `shared`, `none` or `conflict`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Exact => "exact",
            Status::Shared => "shared",
            Status::None => "none",
            Status::Conflict => "conflict",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Who is behind subscriber keys and static prefixes. Shared by the
/// threads that attribute a batch, hence `Sync`.
pub trait SubscriberDirectory: Sync {
    /// The subscriber id of a key (`user:…`, `mac:…`, `client-id:…`).
    fn by_key(&self, key: &str) -> Option<String>;
    /// Subscribers with a static assignment (`prefix:…`) holding `ip`.
    fn static_holders(&self, ip: IpAddr) -> Vec<String>;
}

/// A directory that knows no one: holders stay keys.
pub struct NoDirectory;

impl SubscriberDirectory for NoDirectory {
    fn by_key(&self, _: &str) -> Option<String> {
        None
    }
    fn static_holders(&self, _: IpAddr) -> Vec<String> {
        Vec::new()
    }
}

/// An observation to attribute.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// The address seen.
    pub ip: IpAddr,
    /// Its source port, when the report has one.
    pub port: Option<u16>,
    /// When, UTC seconds.
    pub time: i64,
}

/// The answer for one observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    /// How sure.
    pub status: Status,
    /// Subscriber ids, sorted.
    pub subscribers: Vec<String>,
    /// Holder keys no subscriber in the directory has, sorted.
    pub unknown_keys: Vec<String>,
    /// Inside addresses, for a shared address.
    pub inside: Vec<IpAddr>,
    /// The sources used: log kinds, `detnat:<name>`, `static`.
    pub via: Vec<String>,
    /// Why, in words.
    pub reason: String,
}

/// Attributes observations against an [`Assignments`] database.
pub struct Attributor<'a> {
    db: &'a Assignments,
    nats: &'a [DetNat],
    dir: &'a dyn SubscriberDirectory,
    tolerance: i64,
}

/// Where the hits behind an answer go, when the caller wants them.
type Evidence<'e> = Option<&'e mut Vec<Hit>>;

/// A holder told apart by subscriber, or by key when the directory does
/// not know it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Subscriber(String),
    Key(String),
}

impl<'a> Attributor<'a> {
    /// An attributor with a clock tolerance of `tolerance` seconds either
    /// side of each observation.
    pub fn new(
        db: &'a Assignments,
        nats: &'a [DetNat],
        dir: &'a dyn SubscriberDirectory,
        tolerance: i64,
    ) -> Attributor<'a> {
        Attributor {
            db,
            nats,
            dir,
            tolerance: tolerance.max(0),
        }
    }

    fn window(&self, t: i64) -> (i64, i64) {
        (t - self.tolerance, t + self.tolerance + 1)
    }

    /// The holders of `ip` in the window, from everything but port blocks.
    fn holders(
        &self,
        ip: IpAddr,
        t0: i64,
        t1: i64,
        hits: &mut Vec<Hit>,
        via: &mut BTreeSet<String>,
        evidence: &mut Evidence<'_>,
    ) -> BTreeSet<Who> {
        let mut who = BTreeSet::new();
        hits.clear();
        for kind in SourceKind::ALL {
            if kind.is_port_block() {
                continue;
            }
            self.db.query_kind(kind, ip, t0, t1, hits);
        }
        for h in hits.iter() {
            if let Holder::Key(k) = &h.holder {
                via.insert(h.source.name().to_owned());
                who.insert(match self.dir.by_key(k) {
                    Some(id) => Who::Subscriber(id),
                    None => Who::Key(k.to_string()),
                });
            }
        }
        for id in self.dir.static_holders(ip) {
            via.insert("static".into());
            who.insert(Who::Subscriber(id));
        }
        if let Some(e) = evidence {
            e.extend(hits.iter().cloned());
        }
        who
    }

    /// Attributes one observation.
    pub fn attribute(&self, o: &Observation) -> Attribution {
        self.run(o, None)
    }

    /// Attributes one observation and returns the intervals it rests on.
    pub fn explain(&self, o: &Observation) -> (Attribution, Vec<Hit>) {
        let mut hits = Vec::new();
        let a = self.run(o, Some(&mut hits));
        (a, hits)
    }

    fn run(&self, o: &Observation, mut evidence: Evidence<'_>) -> Attribution {
        let (t0, t1) = self.window(o.time);
        let mut via = BTreeSet::new();
        let mut hits = Vec::new();
        // Port blocks on this address at that time: logged, then computed.
        // With a port, the blocks holding it are looked up first; all of
        // them only when none does (the address is then shared).
        if let Some(p) = o.port {
            self.db
                .query_kind_port(SourceKind::PortBlock, o.ip, p, t0, t1, &mut hits);
        }
        if hits.is_empty() {
            self.db
                .query_kind(SourceKind::PortBlock, o.ip, t0, t1, &mut hits);
        }
        if let Some(e) = evidence.as_mut() {
            e.extend(hits.iter().cloned());
        }
        let mut blocks: Vec<(IpAddr, crate::record::Ports, String)> = hits
            .iter()
            .filter_map(|h| match h.holder {
                Holder::Inside(inside) => Some((inside, h.ports, "pba".to_owned())),
                Holder::Key(_) => None,
            })
            .collect();
        if let IpAddr::V4(public) = o.ip {
            for n in self
                .nats
                .iter()
                .filter(|n| n.active(t0, t1) && n.is_outside(o.ip))
            {
                blocks.extend(
                    n.sharing(public)
                        .into_iter()
                        .map(|(i, p)| (IpAddr::V4(i), p, format!("detnat:{}", n.name))),
                );
            }
        }
        if blocks.is_empty() {
            let who = self.holders(o.ip, t0, t1, &mut hits, &mut via, &mut evidence);
            return self.conclude(who, Vec::new(), via, None);
        }
        let matching: Vec<&(IpAddr, _, String)> = match o.port {
            Some(p) => blocks.iter().filter(|b| b.1.contains(p)).collect(),
            None => Vec::new(),
        };
        let insides: BTreeSet<IpAddr> = matching.iter().map(|b| b.0).collect();
        if insides.len() == 1
            && let Some(&inside) = insides.first()
        {
            for b in &matching {
                via.insert(b.2.clone());
            }
            let who = self.holders(inside, t0, t1, &mut hits, &mut via, &mut evidence);
            let why = format!(
                "port {} is in the block of inside address {inside}",
                o.port.unwrap_or(0)
            );
            return self.conclude(who, vec![inside], via, Some(why));
        }
        if insides.len() > 1 {
            for b in &matching {
                via.insert(b.2.clone());
            }
            let mut who = BTreeSet::new();
            for i in &insides {
                who.extend(self.holders(*i, t0, t1, &mut hits, &mut via, &mut evidence));
            }
            let (subscribers, unknown_keys) = split(&who);
            return Attribution {
                status: Status::Conflict,
                subscribers,
                unknown_keys,
                inside: insides.into_iter().collect(),
                via: via.into_iter().collect(),
                reason: format!(
                    "port {} is in port blocks of {} inside addresses at once",
                    o.port.unwrap_or(0),
                    matching.len()
                ),
            };
        }
        // Shared: no port, or a port in no block.
        let all: BTreeSet<IpAddr> = blocks.iter().map(|b| b.0).collect();
        for b in &blocks {
            via.insert(b.2.clone());
        }
        let mut who = BTreeSet::new();
        for i in &all {
            who.extend(self.holders(*i, t0, t1, &mut hits, &mut via, &mut evidence));
        }
        let (subscribers, unknown_keys) = split(&who);
        let reason = match o.port {
            None => format!(
                "the address was shared by {} port blocks and the report has no port",
                all.len()
            ),
            Some(p) => format!(
                "port {p} is in none of the {} port blocks on the address",
                all.len()
            ),
        };
        Attribution {
            status: Status::Shared,
            subscribers,
            unknown_keys,
            inside: all.into_iter().collect(),
            via: via.into_iter().collect(),
            reason,
        }
    }

    fn conclude(
        &self,
        who: BTreeSet<Who>,
        inside: Vec<IpAddr>,
        via: BTreeSet<String>,
        why: Option<String>,
    ) -> Attribution {
        let (subscribers, unknown_keys) = split(&who);
        let (status, reason) = match who.len() {
            0 => (
                Status::None,
                match &why {
                    Some(w) => format!("{w}, which no record covers at that time"),
                    None => "no record covers the address at that time".to_owned(),
                },
            ),
            1 => (
                Status::Exact,
                why.unwrap_or_else(|| "one holder at that time".to_owned()),
            ),
            n => (
                Status::Conflict,
                format!(
                    "{n} holders at that time{}",
                    if self.tolerance > 0 {
                        format!(" (±{} s)", self.tolerance)
                    } else {
                        String::new()
                    }
                ),
            ),
        };
        Attribution {
            status,
            subscribers,
            unknown_keys,
            inside,
            via: via.into_iter().collect(),
            reason,
        }
    }
}

fn split(who: &BTreeSet<Who>) -> (Vec<String>, Vec<String>) {
    let mut subs = Vec::new();
    let mut keys = Vec::new();
    for w in who {
        match w {
            Who::Subscriber(s) => subs.push(s.clone()),
            Who::Key(k) => keys.push(k.clone()),
        }
    }
    (subs, keys)
}
