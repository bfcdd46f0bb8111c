//! Bad input is normal input: every flow and NAT log reader, and the asset
//! inventory, is given its own fixtures damaged at random, and with each
//! number in turn made too large for any integer. None may panic;
//! every line is a flow, a reject or skipped; every reject names the input
//! and a line that exists; nfdump read on several threads gives what one
//! thread gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_damage::{Damage, Report, crlf, lines};
mod common;

use common::{LOG_DIRS, data, logs};
use kizuki_flows::{Collect, Flow, FlowFormat, Inventory, ReadOptions, Reject};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;

/// Damaged copies made of each fixture.
const VARIANTS: usize = 150;

/// Pieces of the formats read here, besides the common ones.
const PIECES: &[&[u8]] = &[
    b"=",
    b"\"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b"#fields",
    b"#separator \\x09",
    b"(empty)",
    b"-1.5",
    b"1e309",
    b"srcip=",
    b"date=2021-02-30 time=25:00:00",
    b"RT_FLOW_SESSION_CREATE",
    b"[junos@2636.1.1.1.2.26 ",
    b"|",
    b";",
];

/// Every log fixture, with its format and options.
fn all_logs() -> Vec<(PathBuf, FlowFormat, ReadOptions)> {
    let v: Vec<_> = LOG_DIRS
        .iter()
        .flat_map(|(dir, format)| logs(dir, format))
        .collect();
    assert!(v.len() >= 8, "{} fixtures", v.len());
    v
}

fn check_rejects(rejects: &[Reject], name: &str, lines: u64) -> Result<(), String> {
    for r in rejects {
        if &*r.file != name || r.line == 0 || r.line > lines.max(1) {
            return Err(format!(
                "a reject names {}:{} (the input has {lines} lines): {}",
                r.file, r.line, r.reason
            ));
        }
    }
    Ok(())
}

fn check_log(
    fmt: &FlowFormat,
    ro: &ReadOptions,
    name: &Arc<str>,
    nfdump: bool,
    data: &[u8],
) -> Result<(), String> {
    let nlines = lines(data).len() as u64;
    let mut seq = Collect::default();
    let read = catch_unwind(AssertUnwindSafe(|| {
        fmt.read(std::io::Cursor::new(data), name, ro, &mut seq)
    }))
    .map_err(|_| "the reader panicked".to_string())?;
    // An input that cannot be read at all is an error, not a panic.
    let Ok(summary) = read else {
        return Ok(());
    };
    if summary.lines != summary.flows + summary.rejected + summary.skipped {
        return Err(format!(
            "lines are not flows, rejects and skipped lines: {summary:?}"
        ));
    }
    if summary.flows != seq.flows.len() as u64 || summary.rejected != seq.rejects.len() as u64 {
        return Err(format!(
            "the summary counts {} flows and {} rejects, the sink got {} and {}",
            summary.flows,
            summary.rejected,
            seq.flows.len(),
            seq.rejects.len()
        ));
    }
    check_rejects(&seq.rejects, name, nlines)?;
    if nfdump {
        let reader = kizuki_flows::nfdump::NfdumpReader::new(ro.clone());
        let (sinks, s2) = catch_unwind(AssertUnwindSafe(|| {
            reader.read_parallel(std::io::Cursor::new(data), name, 3, Collect::default)
        }))
        .map_err(|_| "the parallel reader panicked".to_string())?
        .map_err(|e| format!("the parallel reader failed where one thread did not: {e}"))?;
        let mut flows: Vec<Flow> = sinks.iter().flat_map(|s| s.flows.clone()).collect();
        let mut rejects: Vec<Reject> = sinks.iter().flat_map(|s| s.rejects.clone()).collect();
        flows.sort_by_key(|f| f.line);
        rejects.sort_by_key(|r| r.line);
        if flows != seq.flows || rejects != seq.rejects || s2 != summary {
            return Err("three threads read differently from one".into());
        }
    }
    Ok(())
}

#[test]
fn damaged_logs_never_panic_and_account_for_every_line() {
    // KIZUKI_DAMAGE_SEED=7 KIZUKI_DAMAGE_VARIANTS=2000 searches further.
    let mut damage = Damage::new(2021, VARIANTS, PIECES);
    let mut report = Report::new();
    for (path, fmt, ro) in all_logs() {
        let data = std::fs::read(&path).unwrap();
        let name: Arc<str> = path.file_name().unwrap().to_string_lossy().into();
        let nfdump = path.parent().unwrap().ends_with("nfdump");
        let label = path.display().to_string();
        report.each(&mut damage, &label, &data, 2000, |_, d| {
            check_log(&fmt, &ro, &name, nfdump, d)
        });
    }
    // The inventory.
    let data = std::fs::read(data().join("inventory/assets.csv")).unwrap();
    let name: Arc<str> = "assets.csv".into();
    report.each(&mut damage, "assets.csv", &data, 2000, |_, d| {
        let read = catch_unwind(AssertUnwindSafe(|| {
            Inventory::read(std::io::Cursor::new(d), &name)
        }))
        .map_err(|_| "the inventory reader panicked".to_string())?;
        match read {
            Ok((_, rejects)) => check_rejects(&rejects, &name, lines(d).len() as u64),
            Err(_) => Ok(()),
        }
    });
    report.assert_clean(1000);
}

/// A mapped CSV with CRLF line ends reads as with LF (quoted last fields
/// too), and a lone CR inside a line does not split it into two rows.
#[test]
fn crlf_and_lone_cr_in_mapped_csv() {
    let (path, fmt, ro) = all_logs()
        .into_iter()
        .find(|(p, _, _)| p.ends_with("mapped/natlog.csv"))
        .unwrap();
    let lf = std::fs::read(&path).unwrap();
    let crlf: Vec<u8> = lf
        .iter()
        .flat_map(|&c| {
            if c == b'\n' {
                vec![b'\r', b'\n']
            } else {
                vec![c]
            }
        })
        .collect();
    let name: Arc<str> = "natlog.csv".into();
    let read = |d: &[u8]| {
        let mut c = Collect::default();
        let s = fmt
            .read(std::io::Cursor::new(d), &name, &ro, &mut c)
            .unwrap();
        (c, s)
    };
    let (a, sa) = read(&lf);
    let (b, sb) = read(&crlf);
    assert!(!a.flows.is_empty());
    assert_eq!(a.flows, b.flows);
    assert_eq!(a.rejects.len(), b.rejects.len());
    assert_eq!(
        (sa.lines, sa.flows, sa.rejected, sa.skipped),
        (sb.lines, sb.flows, sb.rejected, sb.skipped)
    );
    // A CR in the middle of the second line: still one row for that line.
    let mut cr = lf.clone();
    let second = cr.iter().position(|&c| c == b'\n').unwrap() + 10;
    cr.insert(second, b'\r');
    let (c, sc) = read(&cr);
    assert_eq!(sc.lines, sa.lines);
    assert_eq!(sc.lines, sc.flows + sc.rejected + sc.skipped);
    assert_eq!(
        c.flows.len() + c.rejects.len(),
        a.flows.len() + a.rejects.len()
    );
}

/// Every log fixture with CRLF line ends gives the flows (line numbers
/// included) and the rejects' lines it gives with LF.
#[test]
fn crlf_reads_as_lf() {
    for (path, fmt, ro) in all_logs() {
        let lf = std::fs::read(&path).unwrap();
        let name: Arc<str> = path.file_name().unwrap().to_string_lossy().into();
        let read = |d: &[u8]| {
            let mut c = Collect::default();
            let s = fmt
                .read(std::io::Cursor::new(d), &name, &ro, &mut c)
                .unwrap();
            let lines: Vec<u64> = c.rejects.iter().map(|r| r.line).collect();
            (c.flows, lines, (s.lines, s.flows, s.rejected, s.skipped))
        };
        assert_eq!(read(&lf), read(&crlf(&lf)), "{}", path.display());
    }
}
