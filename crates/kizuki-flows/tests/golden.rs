//! Golden-file tests: every input under `tests/data/<format>/` is read and
//! its normalized output (flows, rejects and the summary, as JSON lines)
//! compared with `<input>.expected.jsonl` beside it. An optional
//! `<input>.opts.toml` sets `zone`, `year` and `mapping` (a mapping file in
//! the same folder). `KIZUKI_BLESS=1` rewrites the expected files (check
//! them by hand before committing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{inputs, logs};
use kizuki_flows::{Flow, FlowSink, Inventory, Reject};
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Lines(Vec<String>);

impl FlowSink for Lines {
    fn flow(&mut self, flow: &Flow) {
        self.0.push(serde_json::json!({ "flow": flow }).to_string());
    }
    fn reject(&mut self, reject: Reject) {
        self.0
            .push(serde_json::json!({ "reject": reject }).to_string());
    }
}

fn check(path: &Path, got: Vec<String>) {
    let expected = PathBuf::from(format!("{}.expected.jsonl", path.display()));
    let text = got.join("\n") + "\n";
    if std::env::var_os("KIZUKI_BLESS").is_some() {
        std::fs::write(&expected, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&expected).unwrap_or_else(|_| {
        panic!(
            "{} is missing (run with KIZUKI_BLESS=1)",
            expected.display()
        )
    });
    if want != text {
        for (i, (a, b)) in want.lines().zip(text.lines()).enumerate() {
            if a != b {
                panic!(
                    "{}: line {} differs\n want: {a}\n  got: {b}",
                    path.display(),
                    i + 1
                );
            }
        }
        panic!(
            "{}: {} lines expected, {} read",
            path.display(),
            want.lines().count(),
            text.lines().count()
        );
    }
}

fn run(dir: &str, format: &str) {
    for (path, fmt, ro) in logs(dir, format) {
        let name: Arc<str> = path.file_name().unwrap().to_string_lossy().into();
        let mut out = Lines(Vec::new());
        let f = std::fs::File::open(&path).unwrap();
        let summary = fmt.read(f, &name, &ro, &mut out).unwrap();
        assert_eq!(
            summary.lines,
            summary.flows + summary.rejected + summary.skipped,
            "{}: every line is a flow, a reject or skipped",
            path.display()
        );
        out.0
            .push(serde_json::json!({ "summary": summary }).to_string());
        check(&path, out.0);
    }
}

#[test]
fn nfdump() {
    run("nfdump", "nfdump");
}

#[test]
fn nfdump_parallel_matches_sequential() {
    // The threaded reader must deliver the same flows and rejects.
    for (path, _, ro) in logs("nfdump", "nfdump") {
        let name: Arc<str> = "x".into();
        let reader = kizuki_flows::nfdump::NfdumpReader::new(ro);
        let mut seq = kizuki_flows::Collect::default();
        let s1 = reader
            .read(std::fs::File::open(&path).unwrap(), &name, &mut seq)
            .unwrap();
        let (sinks, s2) = reader
            .read_parallel(
                std::fs::File::open(&path).unwrap(),
                &name,
                3,
                kizuki_flows::Collect::default,
            )
            .unwrap();
        let mut flows: Vec<Flow> = sinks.iter().flat_map(|s| s.flows.clone()).collect();
        let mut rejects: Vec<Reject> = sinks.iter().flat_map(|s| s.rejects.clone()).collect();
        flows.sort_by_key(|f| f.line);
        rejects.sort_by_key(|r| r.line);
        assert_eq!(flows, seq.flows, "{}", path.display());
        assert_eq!(rejects, seq.rejects, "{}", path.display());
        assert_eq!(s1, s2, "{}", path.display());
    }
}

#[test]
fn zeek() {
    run("zeek", "zeek");
}

#[test]
fn srx() {
    run("srx", "srx");
}

#[test]
fn fortigate() {
    run("fortigate", "fortigate");
}

#[test]
fn mapped() {
    run("mapped", "csv:unused");
}

#[test]
fn inventory() {
    for path in inputs("inventory") {
        let name: Arc<str> = path.file_name().unwrap().to_string_lossy().into();
        let (inv, rejects) = Inventory::read(std::fs::File::open(&path).unwrap(), &name).unwrap();
        let mut out: Vec<String> = inv
            .assets()
            .iter()
            .map(|a| serde_json::json!({ "asset": a }).to_string())
            .collect();
        out.extend(
            rejects
                .iter()
                .map(|r| serde_json::json!({ "reject": r }).to_string()),
        );
        out.push(serde_json::json!({ "duplicates": inv.duplicates() }).to_string());
        check(&path, out);
    }
}
