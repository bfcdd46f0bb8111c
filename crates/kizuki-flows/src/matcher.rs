//! The correlation operator: which internal hosts talked to a known C2
//! server around the time a notice names, seen from the company's own
//! flow, NAT and firewall logs.
//!
//! The [`Matcher`] is a [`FlowSink`]: feed it one or more logs, then
//! [`Matcher::finish`] ranks one [`Candidate`] per internal source address.

use crate::c2::{C2Entry, C2List};
use crate::error::Reject;
use crate::flow::{Flow, iso_micros};
use crate::inventory::{Asset, AssetLookup};
use crate::sink::FlowSink;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

/// What a notice says: a public address, a time, and maybe a family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The company's public address the notice names. Flows whose
    /// translated source is known and differs are left out.
    pub public: Option<IpAddr>,
    /// The time of the C2 contact in the notice (µs, UTC).
    #[serde(with = "iso_micros")]
    pub at: i64,
    /// How far (µs) either side of `at` to look: flows overlapping
    /// `[at - window, at + window]` are considered.
    pub window: i64,
    /// Only C2 servers of this family (any case), when given.
    pub malware: Option<String>,
}

/// One connection that made a host a candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The flow, with its file and line.
    #[serde(flatten)]
    pub flow: Flow,
    /// How far (µs) the flow is from the notice's time (0 when the time
    /// falls inside it).
    pub distance_us: i64,
}

/// A C2 server a candidate talked to, and how often.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct C2Hit {
    /// The entry from the C2 list.
    #[serde(flatten)]
    pub entry: C2Entry,
    /// Matching flows to it.
    pub flows: u64,
}

/// An internal host that talked to known C2 servers in the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// 1 for the most likely host.
    pub rank: u32,
    /// The host: the flows' source address.
    pub host: IpAddr,
    /// The flows' source is the notice's public address itself: the log
    /// holds only translated (post-NAT) records, so the internal host is
    /// still to be found (from a NAT log, say).
    pub public_source: bool,
    /// 0..1: mostly how close the nearest flow is to the notice's time,
    /// partly how many flows there are.
    pub score: f64,
    /// Matching flows.
    pub flows: u64,
    /// The first matching flow's start.
    #[serde(with = "iso_micros")]
    pub first: i64,
    /// The last matching flow's end.
    #[serde(with = "iso_micros")]
    pub last: i64,
    /// The distance (µs) of the nearest flow from the notice's time.
    pub closest_us: i64,
    /// The C2 servers hit.
    pub c2: Vec<C2Hit>,
    /// The flows nearest the notice's time, nearest first.
    pub evidence: Vec<Evidence>,
    /// The asset with this address, when the inventory knows it.
    pub asset: Option<Asset>,
    /// The asset's owner.
    pub owner: Option<String>,
    /// The owner's department.
    pub department: Option<String>,
}

/// What a match run found and left out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MatchReport {
    /// Candidates, best first.
    pub candidates: Vec<Candidate>,
    /// Flows read.
    pub flows: u64,
    /// Flows in the time window.
    pub in_window: u64,
    /// Flows in the window left out because their translated source was
    /// another public address.
    pub other_public: u64,
    /// Flows that hit a C2 entry.
    pub matched: u64,
    /// Lines the readers refused, with file and line.
    pub rejects: Vec<Reject>,
}

#[derive(Default)]
struct Host {
    flows: u64,
    first: i64,
    last: i64,
    closest: i64,
    public_source: bool,
    hits: BTreeMap<usize, u64>,
    evidence: Vec<Evidence>,
}

/// Matches flows against a C2 list for one [`Query`].
pub struct Matcher<'a> {
    c2: &'a C2List,
    query: Query,
    malware: Option<String>,
    from: i64,
    to: i64,
    evidence: usize,
    hosts: HashMap<IpAddr, Host>,
    report: MatchReport,
}

impl<'a> Matcher<'a> {
    /// A matcher for `query` against `c2`.
    pub fn new(c2: &'a C2List, query: Query) -> Matcher<'a> {
        let window = query.window.max(0);
        Matcher {
            c2,
            malware: query.malware.as_ref().map(|m| m.to_ascii_lowercase()),
            from: query.at.saturating_sub(window),
            to: query.at.saturating_add(window),
            query,
            evidence: 5,
            hosts: HashMap::new(),
            report: MatchReport::default(),
        }
    }

    /// How many evidence flows to keep per candidate. By default, 5.
    pub fn evidence(mut self, n: usize) -> Self {
        self.evidence = n;
        self
    }

    /// Ranks the candidates and looks their assets up.
    pub fn finish(self, assets: Option<&dyn AssetLookup>) -> MatchReport {
        let Matcher {
            c2,
            query,
            hosts,
            mut report,
            ..
        } = self;
        let window = query.window.max(1) as f64;
        let mut out: Vec<Candidate> = hosts
            .into_iter()
            .map(|(ip, h)| {
                let closeness = 1.0 - (h.closest as f64 / window).min(1.0);
                let volume = 1.0 - 1.0 / (1.0 + h.flows as f64);
                let score = ((0.75 * closeness + 0.25 * volume) * 10_000.0).round() / 10_000.0;
                let asset = assets.and_then(|a| a.by_ip(ip));
                Candidate {
                    rank: 0,
                    host: ip,
                    public_source: h.public_source,
                    score,
                    flows: h.flows,
                    first: h.first,
                    last: h.last,
                    closest_us: h.closest,
                    c2: h
                        .hits
                        .into_iter()
                        .map(|(i, n)| C2Hit {
                            entry: c2.entries()[i].clone(),
                            flows: n,
                        })
                        .collect(),
                    evidence: h.evidence,
                    owner: asset.as_ref().and_then(|a| a.owner.clone()),
                    department: asset.as_ref().and_then(|a| a.department.clone()),
                    asset,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.closest_us.cmp(&b.closest_us))
                .then(b.flows.cmp(&a.flows))
                .then(a.host.cmp(&b.host))
        });
        for (i, c) in out.iter_mut().enumerate() {
            c.rank = i as u32 + 1;
        }
        report.candidates = out;
        report
    }
}

impl FlowSink for Matcher<'_> {
    fn flow(&mut self, flow: &Flow) {
        self.report.flows += 1;
        if !flow.overlaps(self.from, self.to) {
            return;
        }
        self.report.in_window += 1;
        if let (Some(p), Some(n)) = (self.query.public, flow.nat_src)
            && p != n
        {
            self.report.other_public += 1;
            return;
        }
        let mut hit = false;
        let malware = self.malware.as_deref();
        for (i, _) in self
            .c2
            .lookup(flow.dst, flow.dst_port, flow.start, flow.end, malware)
        {
            let h = self.hosts.entry(flow.src).or_insert_with(|| Host {
                first: i64::MAX,
                last: i64::MIN,
                closest: i64::MAX,
                ..Host::default()
            });
            *h.hits.entry(i).or_insert(0) += 1;
            hit = true;
        }
        if !hit {
            return;
        }
        self.report.matched += 1;
        let Some(h) = self.hosts.get_mut(&flow.src) else {
            return;
        };
        h.flows += 1;
        h.first = h.first.min(flow.start);
        h.last = h.last.max(flow.end);
        let d = flow.distance(self.query.at);
        h.closest = h.closest.min(d);
        if self.query.public == Some(flow.src) {
            h.public_source = true;
        }
        keep_evidence(&mut h.evidence, self.evidence, flow, d);
    }

    fn reject(&mut self, reject: Reject) {
        self.report.rejects.push(reject);
    }
}

/// Keeps the `n` flows nearest in time (then by file and line, so the
/// choice does not depend on reading order).
fn keep_evidence(ev: &mut Vec<Evidence>, n: usize, flow: &Flow, d: i64) {
    if n == 0 {
        return;
    }
    let key = |e: &Evidence| (e.distance_us, e.flow.file.clone(), e.flow.line);
    let new_key = (d, flow.file.clone(), flow.line);
    if ev.len() == n {
        match ev.last() {
            Some(worst) if key(worst) <= new_key => return,
            _ => {
                ev.pop();
            }
        }
    }
    let at = ev.partition_point(|e| key(e) < new_key);
    ev.insert(
        at,
        Evidence {
            flow: flow.clone(),
            distance_us: d,
        },
    );
}
