//! Bad input is normal input: every assignment-log reader is given its own
//! fixtures damaged at random (bytes changed, lines cut, dropped, doubled
//! or swapped, runs of digits, bytes that are not UTF-8, the file cut
//! short), and with each number in turn made too large for any integer,
//! and must not panic. Every reject names the file and a line that
//! exists. Where a format is also read straight into compact rows (port
//! blocks, RADIUS), that way must give what the record way gives on the
//! same damaged bytes, and both must import to the same database files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_attribution::readers::{self, Format, ReadOptions, Source};
use kizuki_attribution::session::SessionConfig;
use kizuki_attribution::{Assignments, Batch};
use kizuki_damage::{Damage, Report, crlf, lines};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Damaged copies made of each fixture.
const VARIANTS: usize = 150;
/// Of those, how many are also imported both ways.
const IMPORTED: usize = 4;

fn inputs(format: Format) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format.name());
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|p| {
        let n = p.file_name().unwrap().to_string_lossy();
        !n.ends_with(".expected.jsonl") && !n.ends_with(".opts.toml") && n != "README.md"
    });
    v.sort();
    v
}

/// Pieces of the formats read here, besides the common ones.
const PIECES: &[&[u8]] = &[
    b"=",
    b"/",
    b"255.255.255.256",
    b"&#x2c",
    b"}",
    b"{",
    b";",
    b"Acct-Status-Type = Stop",
    b"Acct-Status-Type = Accounting-On",
];

fn options(format: Format) -> ReadOptions {
    let o = ReadOptions::new().year(Some(2021));
    match format {
        Format::PbaJuniper | Format::PbaA10 | Format::PbaNfware | Format::RadiusDetail => {
            o.tz(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        }
        _ => o,
    }
}

fn compact(format: Format) -> bool {
    matches!(
        format,
        Format::PbaJuniper | Format::PbaA10 | Format::PbaNfware | Format::RadiusDetail
    )
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                m.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    m
}

/// Reads one damaged input every way it can be read; `Err` says what
/// went wrong.
fn check(format: Format, name: &str, data: Vec<u8>, import: bool) -> Result<(), String> {
    let opts = options(format);
    let nlines = lines(&data).len() as u64;
    let src = Source::from_bytes(name, data);
    let whole = catch_unwind(AssertUnwindSafe(|| readers::read(format, &src, &opts)))
        .map_err(|_| "the reader panicked".to_string())?;
    for r in whole
        .rejects
        .iter()
        .chain(whole.notes.iter().map(|(_, l)| l))
    {
        if r.file != name || r.line == 0 || r.line > nlines.max(1) {
            return Err(format!(
                "a reject or note names {}:{} (the file has {nlines} lines): {}",
                r.file, r.line, r.reason
            ));
        }
    }
    if !compact(format) {
        return Ok(());
    }
    let (batch, out) = catch_unwind(AssertUnwindSafe(|| Batch::read(format, &src, &opts)))
        .map_err(|_| "reading into compact rows panicked".to_string())?
        .map_err(|e| format!("reading into compact rows failed: {e}"))?;
    let seen = |o: &readers::ReadOutput| {
        format!(
            "{:?}",
            (&o.rejects, &o.notes, o.read, o.syslog_end, o.syslog_start)
        )
    };
    if batch.len() != whole.records.len() || seen(&out) != seen(&whole) {
        return Err(format!(
            "compact rows differ from records: {} rows against {} records\n{}\n{}",
            batch.len(),
            whole.records.len(),
            seen(&out),
            seen(&whole)
        ));
    }
    if import {
        let via_records = Batch::new(format.kind(), &whole.records).map_err(|e| e.to_string())?;
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for (dir, batch) in [(a.path(), batch), (b.path(), via_records)] {
            catch_unwind(AssertUnwindSafe(|| {
                let mut db = Assignments::open(dir, SessionConfig::new()).unwrap();
                db.import_batches(vec![batch]).map(|_| ())
            }))
            .map_err(|_| "the import panicked".to_string())?
            .map_err(|e| format!("the import failed: {e}"))?;
        }
        if snapshot(a.path()) != snapshot(b.path()) {
            return Err("compact rows and records import differently".into());
        }
    }
    Ok(())
}

#[test]
fn damaged_logs_never_panic_and_read_alike_both_ways() {
    // KIZUKI_DAMAGE_SEED=7 KIZUKI_DAMAGE_VARIANTS=2000 searches further.
    let mut damage = Damage::new(2021, VARIANTS, PIECES);
    let mut report = Report::new();
    for format in Format::ALL {
        let files = inputs(format);
        assert!(!files.is_empty(), "no fixtures for {}", format.name());
        for path in files {
            let data = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let label = format!("{} {name}", format.name());
            report.each(&mut damage, &label, &data, 2000, |k, d| {
                check(format, &name, d.to_vec(), k < IMPORTED)
            });
        }
    }
    report.assert_clean(1000);
}

/// The subscriber directory's CSV, damaged: no panic, and every refused
/// row names the file and a line that exists.
#[test]
fn a_damaged_subscriber_directory_never_panics() {
    let good = "subscriber_id,name,kind,emails,language,timezone,postal_address,keys\n\
        S001,Sato Taro,person,taro@example.jp,ja,Asia/Tokyo,\"Tokyo, Chiyoda 1-1\",user:taro;mac:00:11:22:33:44:55\n\
        S002,\"Example KK, General Affairs\",company,soumu@example.co.jp;it@example.co.jp,ja,Asia/Tokyo,Osaka 2-2,prefix:198.51.100.0/28;client-id:01:aa:bb\n\
        S003,Jane Doe,person,jane@example.org,en,Europe/Berlin,Berlin 3,user:jane;prefix:2001:db8:1::/48\n";
    let mut damage = Damage::new(7, VARIANTS * 4, PIECES);
    let mut report = Report::new();
    report.each(
        &mut damage,
        "subscribers.csv",
        good.as_bytes(),
        500,
        |_, d| {
            let lines = lines(d).len() as u64;
            let (_, errors) = catch_unwind(AssertUnwindSafe(|| {
                kizuki_attribution::directory::read_csv("subscribers.csv", d)
            }))
            .map_err(|_| "the reader panicked".to_string())?;
            match errors
                .iter()
                .find(|e| e.file != "subscribers.csv" || e.line == 0 || e.line > lines.max(1))
            {
                Some(e) => Err(format!(
                    "{}:{} of {lines} lines: {}",
                    e.file, e.line, e.reason
                )),
                None => Ok(()),
            }
        },
    );
    report.assert_clean(500);
}

/// Every log fixture with CRLF line ends gives the records (their lines
/// included), rejects and notes it gives with LF.
#[test]
fn crlf_reads_as_lf() {
    for format in Format::ALL {
        for path in inputs(format) {
            let lf = std::fs::read(&path).unwrap();
            let opts = options(format);
            let read = |d: Vec<u8>| {
                let out = readers::read(format, &Source::from_bytes("f", d), &opts);
                let lines = |v: &[kizuki_attribution::LineError]| {
                    v.iter().map(|e| e.line).collect::<Vec<_>>()
                };
                let notes: Vec<_> = out.notes.iter().map(|(_, l)| l.clone()).collect();
                (
                    format!("{:?}", out.records),
                    lines(&out.rejects),
                    lines(&notes),
                    out.read,
                )
            };
            assert_eq!(read(lf.clone()), read(crlf(&lf)), "{}", path.display());
        }
    }
}
