//! Bad input is normal input: every feed reader is given its own fixtures
//! damaged at random (bytes changed, pieces of CSV and JSON put in, lines
//! cut, dropped, doubled or swapped, bytes that are not UTF-8, the file cut
//! short). None may panic; every refused row names the file and a line
//! that exists; one thread and two give the same events and refusals, as
//! do events made and written against JSON written directly.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_event::{Timestamp, json};
use kizuki_feeds::generic::GenericCsvReader;
use kizuki_feeds::{ReadContext, Reader, input};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
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

const PIECES: &[&[u8]] = &[
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"null",
    b"true",
    b"-",
    b"N/A",
    b"0",
    b"99999999999999999999",
    b"65536",
    b"-1",
    b"1e309",
    b"256.1.1.1",
    b"::ffff:",
    b"2021-02-30T25:61:61+99:00",
    b"\xff\xfe",
    b"\xe3\x81",
    b"\x82\xa0",
    b"\x1b$B",
    b"\x00",
    b"#",
    b"=?ISO-2022-JP?B?",
    b"Content-Type: multipart/mixed; boundary=x\n",
    b"--x\n",
    b"\t",
    b" ",
];

fn damage(rng: &mut ChaCha8Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    if d.is_empty() {
        return PIECES[rng.random_range(0..PIECES.len())].to_vec();
    }
    match rng.random_range(0..8) {
        0 => {
            let i = rng.random_range(0..d.len());
            d[i] = rng.random();
        }
        1 | 2 => {
            let i = rng.random_range(0..=d.len());
            let cut = rng.random_range(0..=(d.len() - i).min(12));
            let piece = PIECES[rng.random_range(0..PIECES.len())];
            d.splice(i..i + cut, piece.iter().copied());
        }
        3 => d.truncate(rng.random_range(0..d.len())),
        4..=6 => {
            let mut ls: Vec<&[u8]> = data.split_inclusive(|&c| c == b'\n').collect();
            let i = rng.random_range(0..ls.len());
            let j = rng.random_range(0..ls.len());
            match rng.random_range(0..3) {
                0 => {
                    ls.remove(i);
                }
                1 => ls.insert(j, ls[i]),
                _ => ls.swap(i, j),
            }
            d = ls.concat();
        }
        _ => {
            for _ in 0..rng.random_range(1..6) {
                let i = rng.random_range(0..d.len());
                let j = rng.random_range(0..d.len());
                d.swap(i, j);
            }
        }
    }
    d
}

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
) -> Result<(String, Vec<Refusal>), String> {
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00").unwrap();
    let opts = json::WriteOptions::default();
    let mut ctx = ReadContext::new().threads(threads).observation(observation);
    if direct {
        ctx = ctx.json(opts.clone());
    }
    let mut events = Vec::new();
    let mut rejects = Vec::new();
    let sources =
        input::from_bytes(file_name, file_name, data.to_vec()).map_err(|e| e.to_string())?;
    for src in sources {
        reader
            .read(&src, &ctx, &mut |b| {
                events.extend_from_slice(&b.encoded);
                for ev in &b.events {
                    json::write_event(ev, &mut events, &opts);
                }
                for r in &b.rejects {
                    rejects.push((r.file.to_string(), r.line, r.reason.clone()));
                }
            })
            .map_err(|e| e.to_string())?;
    }
    Ok((String::from_utf8_lossy(&events).into_owned(), rejects))
}

fn check(reader: &Reader, file_name: &str, data: &[u8]) -> Result<(), String> {
    let lines = data.split_inclusive(|&c| c == b'\n').count() as u64;
    let mut first = None;
    for (threads, direct) in [(1, true), (2, true), (1, false), (2, false)] {
        let got = catch_unwind(AssertUnwindSafe(|| {
            run(reader, file_name, data, threads, direct)
        }))
        .map_err(|_| format!("the reader panicked ({threads} thread(s), direct {direct})"))?;
        if let Ok((_, rejects)) = &got {
            for (file, line, reason) in rejects {
                // A reject names the file it was in (an archive member's
                // name starts with the archive's) and a line that exists.
                if !file.starts_with(file_name) || *line > lines.max(1) {
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
                    "{threads} thread(s), direct {direct} differs from 1 thread, direct"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[test]
fn damaged_feeds_never_panic_and_read_alike_every_way() {
    // Another seed (and more variants) searches further:
    // KIZUKI_HOSTILE_SEED=7 KIZUKI_HOSTILE_VARIANTS=2000.
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let mut rng = ChaCha8Rng::seed_from_u64(env("KIZUKI_HOSTILE_SEED").unwrap_or(2021));
    let variants = env("KIZUKI_HOSTILE_VARIANTS").map_or(VARIANTS, |v| v as usize);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (path, reader) in fixtures() {
        let data = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for k in 0..variants {
            let mut d = data.clone();
            for _ in 0..rng.random_range(1..=3) {
                d = damage(&mut rng, &d);
            }
            checked += 1;
            if let Err(why) = check(&reader, &name, &d) {
                failures.push(format!(
                    "{name} variant {k}: {why}\n--- input ---\n{}",
                    String::from_utf8_lossy(&d)
                ));
            }
        }
    }
    assert!(checked > 1000, "{checked}");
    assert!(
        failures.is_empty(),
        "{} of {checked} damaged inputs failed; the first:\n{}",
        failures.len(),
        failures[0]
    );
}
