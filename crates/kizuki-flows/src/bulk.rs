//! The bulk operator: every flow of a log against every C2 entry valid at
//! its time. It answers "which flows ever hit a known C2", and is what the
//! benchmark measures against DuckDB's join.

use crate::c2::C2List;
use crate::error::{FlowError, Reject};
use crate::flow::Flow;
use crate::sink::FlowSink;
use serde::Serialize;
use std::net::IpAddr;

/// Counts of a bulk match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BulkStats {
    /// Flows read.
    pub flows: u64,
    /// Flows that hit at least one entry.
    pub matched_flows: u64,
    /// (flow, entry) pairs: a flow hitting two entries counts twice, as a
    /// join does.
    pub matches: u64,
    /// Lines rejected by the reader.
    pub rejected: u64,
}

impl BulkStats {
    /// Adds another run's counts.
    pub fn add(&mut self, o: &BulkStats) {
        self.flows += o.flows;
        self.matched_flows += o.matched_flows;
        self.matches += o.matches;
        self.rejected += o.rejected;
    }
}

/// One (flow, entry) pair.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BulkMatch {
    /// The entry's index in [`C2List::entries`].
    pub entry: usize,
    /// The flow's source.
    pub src: IpAddr,
    /// The flow's start (µs, UTC).
    pub start: i64,
    /// The flow's line.
    pub line: u64,
}

/// A sink matching every flow against a C2 list: a flow hits an entry when
/// the destination address is the entry's, the port matches (or the entry
/// has none) and the flow's `[start, end]` meets the entry's validity.
pub struct BulkMatcher<'a> {
    c2: &'a C2List,
    keep: bool,
    /// The counts so far.
    pub stats: BulkStats,
    /// The pairs, when kept.
    pub matches: Vec<BulkMatch>,
    /// The rejects, when kept.
    pub rejects: Vec<Reject>,
}

impl<'a> BulkMatcher<'a> {
    /// A matcher that only counts.
    pub fn counting(c2: &'a C2List) -> BulkMatcher<'a> {
        BulkMatcher {
            c2,
            keep: false,
            stats: BulkStats::default(),
            matches: Vec::new(),
            rejects: Vec::new(),
        }
    }

    /// A matcher that keeps every pair and reject.
    pub fn keeping(c2: &'a C2List) -> BulkMatcher<'a> {
        BulkMatcher {
            keep: true,
            ..BulkMatcher::counting(c2)
        }
    }
}

impl FlowSink for BulkMatcher<'_> {
    #[inline]
    fn flow(&mut self, flow: &Flow) {
        self.stats.flows += 1;
        let (base, entries) = self.c2.at(flow.dst);
        if entries.is_empty() {
            return;
        }
        let mut n = 0;
        for (i, e) in entries.iter().enumerate() {
            if e.port_matches(flow.dst_port) && e.valid_during(flow.start, flow.end) {
                n += 1;
                if self.keep {
                    self.matches.push(BulkMatch {
                        entry: base + i,
                        src: flow.src,
                        start: flow.start,
                        line: flow.line,
                    });
                }
            }
        }
        if n > 0 {
            self.stats.matched_flows += 1;
            self.stats.matches += n;
        }
    }

    fn reject(&mut self, reject: Reject) {
        self.stats.rejected += 1;
        if self.keep {
            self.rejects.push(reject);
        }
    }
}

/// Matches an nfdump CSV log against `c2` on `threads` threads (the
/// fast path: rows are parsed in parallel blocks). Returns the counts and,
/// when `keep`, the pairs sorted by line and entry.
pub fn bulk_match_nfdump(
    input: impl std::io::Read,
    file: &std::sync::Arc<str>,
    opts: &crate::ReadOptions,
    c2: &C2List,
    threads: usize,
    keep: bool,
) -> Result<(BulkStats, Vec<BulkMatch>, crate::ReadSummary), FlowError> {
    let reader = crate::nfdump::NfdumpReader::new(opts.clone());
    let make = || {
        if keep {
            BulkMatcher::keeping(c2)
        } else {
            BulkMatcher::counting(c2)
        }
    };
    let (sinks, summary) = if threads <= 1 {
        let mut m = make();
        let s = reader.read(input, file, &mut m)?;
        (vec![m], s)
    } else {
        reader.read_parallel(input, file, threads, make)?
    };
    let mut stats = BulkStats::default();
    let mut all = Vec::new();
    for s in sinks {
        stats.add(&s.stats);
        all.extend(s.matches);
    }
    all.sort_by_key(|m| (m.line, m.entry));
    Ok((stats, all, summary))
}
