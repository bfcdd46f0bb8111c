//! Where readers deliver: a [`FlowSink`] takes each flow (by reference, so
//! nothing is copied unless kept) and each reject; a [`ReadSummary`] counts.

use crate::error::Reject;
use crate::flow::Flow;
use serde::Serialize;
use std::sync::Arc;

/// Receives what a reader reads, in input order.
pub trait FlowSink {
    /// One flow. The reader reuses the value for the next line: clone it to
    /// keep it.
    fn flow(&mut self, flow: &Flow);
    /// One line that could not be read.
    fn reject(&mut self, reject: Reject);
}

impl<S: FlowSink + ?Sized> FlowSink for &mut S {
    fn flow(&mut self, flow: &Flow) {
        (**self).flow(flow);
    }
    fn reject(&mut self, reject: Reject) {
        (**self).reject(reject);
    }
}

/// A sink that keeps everything: for tests and small inputs.
#[derive(Clone, Debug, Default)]
pub struct Collect {
    /// The flows, in input order.
    pub flows: Vec<Flow>,
    /// The rejects, in input order.
    pub rejects: Vec<Reject>,
}

impl FlowSink for Collect {
    fn flow(&mut self, flow: &Flow) {
        self.flows.push(flow.clone());
    }
    fn reject(&mut self, reject: Reject) {
        self.rejects.push(reject);
    }
}

/// A sink made of two closures.
pub struct FnSink<F, R> {
    on_flow: F,
    on_reject: R,
}

impl<F: FnMut(&Flow), R: FnMut(Reject)> FnSink<F, R> {
    /// A sink calling `on_flow` for flows and `on_reject` for rejects.
    pub fn new(on_flow: F, on_reject: R) -> Self {
        FnSink { on_flow, on_reject }
    }
}

impl<F: FnMut(&Flow), R: FnMut(Reject)> FlowSink for FnSink<F, R> {
    fn flow(&mut self, flow: &Flow) {
        (self.on_flow)(flow);
    }
    fn reject(&mut self, reject: Reject) {
        (self.on_reject)(reject);
    }
}

/// What one read did: every line is counted once, as a flow, a reject or a
/// skipped line (headers, comments, trailers, blank lines, log lines that
/// are not flow records).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReadSummary {
    /// The input's name.
    pub file: Arc<str>,
    /// The layout found (`nfdump-1.7`, `zeek-tsv`, …).
    pub layout: String,
    /// Lines read.
    pub lines: u64,
    /// Flows delivered.
    pub flows: u64,
    /// Lines rejected.
    pub rejected: u64,
    /// Lines skipped on purpose.
    pub skipped: u64,
    /// Bytes read.
    pub bytes: u64,
}

impl ReadSummary {
    pub(crate) fn new(file: &Arc<str>, layout: &str) -> ReadSummary {
        ReadSummary {
            file: file.clone(),
            layout: layout.to_owned(),
            ..ReadSummary::default()
        }
    }

    /// Adds another summary's counts (for reads split across threads or
    /// files).
    pub fn add(&mut self, other: &ReadSummary) {
        self.lines += other.lines;
        self.flows += other.flows;
        self.rejected += other.rejected;
        self.skipped += other.skipped;
        self.bytes += other.bytes;
    }
}

/// Delivers to a sink and counts: the one path every reader goes through.
pub(crate) struct Counted<'s, S: FlowSink + ?Sized> {
    pub sink: &'s mut S,
    pub summary: ReadSummary,
}

impl<'s, S: FlowSink + ?Sized> Counted<'s, S> {
    pub fn new(sink: &'s mut S, file: &Arc<str>, layout: &str) -> Self {
        Counted {
            sink,
            summary: ReadSummary::new(file, layout),
        }
    }

    pub fn flow(&mut self, flow: &Flow) {
        self.summary.flows += 1;
        self.sink.flow(flow);
    }

    pub fn reject(&mut self, line: u64, reason: impl Into<String>, raw: &[u8]) {
        self.summary.rejected += 1;
        let file = self.summary.file.clone();
        self.sink.reject(Reject::new(&file, line, reason, raw));
    }

    pub fn skip(&mut self) {
        self.summary.skipped += 1;
    }
}
