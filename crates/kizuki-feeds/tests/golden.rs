//! Golden files for every reader: each input in `tests/data/<format>/` is
//! read (on one thread and on two) and the events and refused rows must equal
//! `<input>.expected.jsonl` and `<input>.expected.rejects.jsonl`.
//!
//! `KIZUKI_BLESS=1 cargo test -p kizuki-feeds --test golden` rewrites the
//! expected files; check the difference by hand before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_event::{Timestamp, json};
use kizuki_feeds::generic::GenericCsvReader;
use kizuki_feeds::{Format, ReadContext, Reader, Reject};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples")
}

fn reject_line(r: &Reject) -> String {
    serde_json::json!({
        "file": &*r.file,
        "line": r.line,
        "reason": r.reason,
        "raw": String::from_utf8_lossy(&r.raw),
    })
    .to_string()
}

/// Reads `path` (named `name` in origins and rejects) and returns events and
/// rejects as text. With `direct`, readers write JSON themselves; without,
/// they make events, which are then written.
fn run(
    reader: &Reader,
    path: &Path,
    name: &str,
    threads: usize,
    direct: bool,
) -> (String, String, Format) {
    let data = std::fs::read(path).unwrap();
    let file_name = path.file_name().unwrap().to_string_lossy().into_owned();
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00").unwrap();
    let opts = json::WriteOptions::default();
    let mut ctx = ReadContext::new().threads(threads).observation(observation);
    if direct {
        ctx = ctx.json(opts.clone());
    }
    let read = reader
        .read_bytes(name, &file_name, data, &ctx, &opts)
        .unwrap();
    let rejects: String = read.rejects.iter().map(|r| reject_line(r) + "\n").collect();
    (
        String::from_utf8(read.events).unwrap(),
        rejects,
        *read.formats.last().unwrap(),
    )
}

fn check(reader: &Reader, input: &Path, name: &str, expected_dir: &Path, want_format: Format) {
    let stem = input.file_name().unwrap().to_string_lossy().into_owned();
    let want_events = expected_dir.join(format!("{stem}.expected.jsonl"));
    let want_rejects = expected_dir.join(format!("{stem}.expected.rejects.jsonl"));
    let (events, rejects, format) = run(reader, input, name, 1, true);
    assert_eq!(format, want_format, "{name}: format");
    for (threads, direct) in [(2, true), (1, false), (2, false)] {
        let (e, r, _) = run(reader, input, name, threads, direct);
        assert_eq!(
            events, e,
            "{name}: {threads} thread(s), direct JSON {direct}: events differ"
        );
        assert_eq!(
            rejects, r,
            "{name}: {threads} thread(s), direct JSON {direct}: rejects differ"
        );
    }
    if std::env::var_os("KIZUKI_BLESS").is_some() {
        std::fs::create_dir_all(expected_dir).unwrap();
        std::fs::write(&want_events, &events).unwrap();
        std::fs::write(&want_rejects, &rejects).unwrap();
        return;
    }
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap_or_else(|_| panic!("{} is missing; bless it", p.display()))
    };
    assert_eq!(
        events,
        read(&want_events),
        "{name}: events differ from {}",
        want_events.display()
    );
    assert_eq!(
        rejects,
        read(&want_rejects),
        "{name}: rejects differ from {}",
        want_rejects.display()
    );
}

fn auto() -> Reader {
    Reader::auto()
}

fn generic(mapping: &str) -> Reader {
    let mut r = Reader::auto();
    r.generic = Some(GenericCsvReader::load(&data_dir().join(mapping)).unwrap());
    r
}

#[test]
fn feodo() {
    for f in ["ipblocklist.csv", "ipblocklist.json"] {
        check(
            &auto(),
            &data_dir().join("feodo").join(f),
            &format!("feodo/{f}"),
            &data_dir().join("feodo"),
            Format::Feodo,
        );
    }
}

#[test]
fn xarf() {
    for f in [
        "v4-botnet-emotet.json",
        "v4-lines.jsonl",
        "legacy-login-attack.eml",
        "legacy-without-report.eml",
    ] {
        check(
            &auto(),
            &data_dir().join("xarf").join(f),
            &format!("xarf/{f}"),
            &data_dir().join("xarf"),
            Format::Xarf,
        );
    }
}

#[test]
fn xarf_shared_samples() {
    let dir = shared().join("xarf");
    if !dir.is_dir() {
        eprintln!("skipped: ../shared/samples/xarf is absent");
        return;
    }
    for f in [
        "v4-connection-infected-host.json",
        "v4-infrastructure-botnet.json",
    ] {
        check(
            &auto(),
            &dir.join(f),
            &format!("shared/xarf/{f}"),
            &data_dir().join("xarf/shared-expected"),
            Format::Xarf,
        );
    }
}

#[test]
fn intelmq() {
    for f in ["events.jsonl", "hierarchical.jsonl"] {
        check(
            &auto(),
            &data_dir().join("intelmq").join(f),
            &format!("intelmq/{f}"),
            &data_dir().join("intelmq"),
            Format::Intelmq,
        );
    }
}

/// IntelMQ lines come back byte for byte.
#[test]
fn intelmq_round_trip_is_lossless() {
    let text = std::fs::read_to_string(data_dir().join("intelmq/events.jsonl")).unwrap();
    let valid: Vec<&str> = text.lines().take(3).collect();
    for line in valid {
        let ev = json::parse_event(line.as_bytes(), None).unwrap();
        let mut out = Vec::new();
        json::write_event(&ev, &mut out, &json::WriteOptions::default());
        assert_eq!(String::from_utf8(out).unwrap(), format!("{line}\n"));
    }
}

#[test]
fn generic_csv() {
    check(
        &generic("csv/police-emotet.toml"),
        &data_dir().join("csv/police-emotet.csv"),
        "csv/police-emotet.csv",
        &data_dir().join("csv"),
        Format::Csv,
    );
    check(
        &generic("csv/sjis-list.toml"),
        &data_dir().join("csv/sjis-list.csv"),
        "csv/sjis-list.csv",
        &data_dir().join("csv"),
        Format::Csv,
    );
}

#[test]
fn shadowserver_builtin() {
    for f in [
        "2021-02-22-botnet_drone-jp-geo.csv",
        "2021-02-22-event4_sinkhole-bad.csv",
    ] {
        check(
            &auto(),
            &data_dir().join("shadowserver-kizuki").join(f),
            &format!("shadowserver-kizuki/{f}"),
            &data_dir().join("shadowserver-kizuki"),
            Format::Shadowserver,
        );
    }
}
