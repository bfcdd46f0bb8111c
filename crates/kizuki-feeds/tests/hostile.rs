//! Bad input is normal input: every feed reader is given its own fixtures
//! damaged at random (bytes changed, pieces of CSV and JSON put in, lines
//! cut, dropped, doubled or swapped, bytes that are not UTF-8, the file cut
//! short), and with each number in turn made too large for any integer.
//! None may panic; every refused row names the file and a line
//! that exists; one thread and two give the same events and refusals, as
//! do events made and written against JSON written directly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use kizuki_damage::{Damage, Report, crlf, lines};
use kizuki_event::{Timestamp, json};
use kizuki_feeds::generic::GenericCsvReader;
use kizuki_feeds::{ReadContext, Reader};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// Damaged copies made of each fixture.
const VARIANTS: usize = 120;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Each fixture with the reader its golden test uses.
fn fixtures() -> Vec<(PathBuf, Reader)> {
    let generic = |mapping: &str| {
        let mut r = Reader::auto();
        r.generic = Some(GenericCsvReader::load(&data_dir().join(mapping)).unwrap());
        r
    };
    let mut v = Vec::new();
    for f in [
        "feodo/ipblocklist.csv",
        "feodo/ipblocklist.json",
        "xarf/v4-botnet-emotet.json",
        "xarf/v4-lines.jsonl",
        "xarf/legacy-login-attack.eml",
        "xarf/legacy-without-report.eml",
        "intelmq/events.jsonl",
        "intelmq/hierarchical.jsonl",
        "shadowserver-kizuki/2021-02-22-botnet_drone-jp-geo.csv",
        "shadowserver-kizuki/2021-02-22-event4_sinkhole-bad.csv",
    ] {
        v.push((data_dir().join(f), Reader::auto()));
    }
    v.push((
        data_dir().join("csv/police-emotet.csv"),
        generic("csv/police-emotet.toml"),
    ));
    v.push((
        data_dir().join("csv/sjis-list.csv"),
        generic("csv/sjis-list.toml"),
    ));
    v
}

/// Pieces of the formats read here, besides the common ones.
const PIECES: &[&[u8]] = &[
    b"\"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b"\\u",
    b"\\ud800",
    b"null",
    b"true",
    b"N/A",
    b"1e309",
    b"::ffff:",
    b"2021-02-30T25:61:61+99:00",
    b"\x1b$B",
    b"#",
    b"=?ISO-2022-JP?B?",
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"--x\n",
];

/// A refusal: file, line and reason.
type Refusal = (String, u64, String);

/// Events and refusals as text, or the error that made the file
/// unreadable.
fn run(
    reader: &Reader,
    file_name: &str,
    data: &[u8],
    threads: usize,
    direct: bool,
    piece: Option<usize>,
) -> Result<(String, Vec<Refusal>), String> {
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00").unwrap();
    let opts = json::WriteOptions::default();
    let mut ctx = ReadContext::new().threads(threads).observation(observation);
    if direct {
        ctx = ctx.json(opts.clone());
    }
    if let Some(n) = piece {
        ctx = ctx.piece_bytes(n);
    }
    let read = reader
        .read_bytes(file_name, file_name, data.to_vec(), &ctx, &opts)
        .map_err(|e| e.to_string())?;
    let rejects = read
        .rejects
        .into_iter()
        .map(|r| (r.file.to_string(), r.line, r.reason))
        .collect();
    Ok((String::from_utf8_lossy(&read.events).into_owned(), rejects))
}

fn check(reader: &Reader, file_name: &str, data: &[u8]) -> Result<(), String> {
    let lines = lines(data).len() as u64;
    let mut first = None;
    // Pieces of 97 bytes: most rows, and many quoted fields, are cut
    // between two pieces, which the reader must join as one thread would.
    for (threads, direct, piece) in [
        (1, true, None),
        (2, true, None),
        (1, false, None),
        (2, false, None),
        (2, true, Some(97)),
    ] {
        let got = catch_unwind(AssertUnwindSafe(|| {
            run(reader, file_name, data, threads, direct, piece)
        }))
        .map_err(|_| {
            format!("the reader panicked ({threads} thread(s), direct {direct}, pieces {piece:?})")
        })?;
        if let Ok((_, rejects)) = &got {
            for (file, line, reason) in rejects {
                // A reject names the file it was in (an archive member's
                // name starts with the archive's) and a line that exists.
                if !file.starts_with(file_name) || *line == 0 || *line > lines.max(1) {
                    return Err(format!(
                        "a reject names {file}:{line} (the file has {lines} lines): {reason}"
                    ));
                }
            }
        }
        match &first {
            None => first = Some(got),
            Some(f) if *f != got => {
                return Err(format!(
                    "{threads} thread(s), direct {direct}, pieces {piece:?} differs from 1 thread, direct"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[test]
fn damaged_feeds_never_panic_and_read_alike_every_way() {
    // KIZUKI_DAMAGE_SEED=7 KIZUKI_DAMAGE_VARIANTS=2000 searches further.
    let mut damage = Damage::new(2021, VARIANTS, PIECES);
    let mut report = Report::new();
    for (path, reader) in fixtures() {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        report.each(&mut damage, &name, &data, 300, |_, d| {
            check(&reader, &name, d)
        });
    }
    report.assert_clean(1000);
}

/// Inputs the fuzzer (`fuzz/`, target `feeds`) found reading differently
/// one way and another, made small.
#[test]
fn fuzzer_finds_read_alike_every_way() {
    let cases: &[(&str, &[u8])] = &[
        // A column named like kizuki's own `extra.origin.file`: the origin
        // was written directly, the column's (empty) value once made into
        // an event.
        (
            "2021-02-22-event6_sinkhole-jp-geo.csv",
            b"\"timestamp\",\"src_ip\",\"src_port\",\"origin.file\"\n\"2021-02-2\"8\n",
        ),
        (
            "2021-02-22-event4_sinkhole-jp-geo.csv",
            b"timestamp,src_ip,src_port,origin.file,origin.line\n2021-02-22 00:00:01,192.0.2.1,5555,forged.csv,99\n",
        ),
    ];
    for (name, data) in cases {
        check(&Reader::auto(), name, data).unwrap_or_else(|e| panic!("{name}: {e}"));
        // The origin is where the row really was.
        let (events, _) = run(&Reader::auto(), name, data, 1, false, None).unwrap();
        let ev: serde_json::Value = serde_json::from_str(events.lines().next().unwrap()).unwrap();
        assert_eq!(ev["extra.origin.file"], *name, "{events}");
        assert_eq!(ev["extra.origin.line"], 2, "{events}");
    }
}

/// Every fixture with CRLF line ends gives as many events, from the same
/// lines, and refuses the same lines as with LF.
#[test]
fn crlf_reads_as_lf() {
    for (path, reader) in fixtures() {
        let lf = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let read = |d: &[u8]| {
            let (events, rejects) = run(&reader, &name, d, 1, true, None).unwrap();
            let lines: Vec<serde_json::Value> = events
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["extra.origin.line"]
                        .clone()
                })
                .collect();
            let refused: Vec<u64> = rejects.iter().map(|r| r.1).collect();
            (lines, refused)
        };
        let (a, b) = (read(&lf), read(&crlf(&lf)));
        assert!(!a.0.is_empty() || !a.1.is_empty(), "{name}");
        assert!(
            a.0.iter().all(|l| l.is_u64()),
            "{name}: events carry their line"
        );
        assert_eq!(a, b, "{name}");
    }
}

/// Every Shadowserver sample report in `../shared/samples/shadowserver/`,
/// read with Shadowserver's published schema (the mapping for all report
/// types, not only the built-in sinkhole ones), damaged the same ways.
#[test]
fn damaged_schema_reports_never_panic_and_read_alike_every_way() {
    let Some((dir, files)) = common::shadowserver_samples() else {
        return;
    };
    let schema =
        kizuki_feeds::shadowserver::Schema::load(&dir.join("intelmq-schema.json")).unwrap();
    let mut reader = Reader::auto();
    reader.shadowserver = kizuki_feeds::shadowserver::ShadowserverReader::new(schema.into());
    // Fewer copies per file than for the fixtures: there are ninety files.
    let mut damage = Damage::new(2026, VARIANTS / 8, PIECES);
    let mut report = Report::new();
    for path in files {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        report.each(&mut damage, &name, &data, 20, |_, d| {
            check(&reader, &name, d)
        });
    }
    report.assert_clean(1000);
}
