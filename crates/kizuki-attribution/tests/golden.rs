//! Golden files for every assignment-log reader.
//!
//! Each `tests/data/<format>/<case>.<ext>` is read with the options in
//! `<case>.opts.toml` (if any: `tz`, `year`, `radius_key`), and the records,
//! rejects and notes are compared with `<case>.expected.jsonl`. The shared
//! real-format samples in `../shared/samples/` are read the same way, their
//! expected output kept here as `shared-<name>.expected.jsonl`; they are
//! skipped, saying so, when that folder is absent.
//!
//! `KIZUKI_BLESS=1 cargo test -p kizuki-attribution --test golden` rewrites
//! the expected files; check the difference by hand.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_attribution::LogRecord;
use kizuki_attribution::readers::{self, Format, ReadOptions, ReadOutput, Source};
use std::path::{Path, PathBuf};

fn iso(t: i64) -> String {
    jiff::Timestamp::from_second(t).unwrap().to_string()
}

fn record_json(r: &LogRecord) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("at".into(), r.at.to_string().into());
    m.insert("time".into(), iso(r.time).into());
    m.insert(
        "action".into(),
        format!("{:?}", r.action).to_lowercase().into(),
    );
    m.insert("source".into(), r.source.name().into());
    m.insert("net".into(), r.net.to_string().into());
    if !r.ports.is_all() {
        m.insert("ports".into(), r.ports.to_string().into());
    }
    m.insert("holder".into(), r.holder.to_string().into());
    m.insert("session".into(), format!("{:016x}", r.session).into());
    m.insert("group".into(), format!("{:016x}", r.group).into());
    if let Some(s) = r.start {
        m.insert("start".into(), iso(s).into());
    }
    if let Some(e) = r.end {
        m.insert("end".into(), iso(e).into());
    }
    if let Some(i) = r.interim {
        m.insert("interim".into(), i.into());
    }
    serde_json::Value::Object(m)
}

fn render(out: &ReadOutput) -> String {
    let mut s = String::new();
    for r in &out.records {
        s.push_str(&record_json(r).to_string());
        s.push('\n');
    }
    for r in &out.rejects {
        s.push_str(&serde_json::json!({ "reject": r.to_string() }).to_string());
        s.push('\n');
    }
    for (note, l) in &out.notes {
        s.push_str(
            &serde_json::json!({ "note": format!("{note:?}"), "at": l.to_string() }).to_string(),
        );
        s.push('\n');
    }
    s.push_str(&serde_json::json!({ "read": out.read }).to_string());
    s.push('\n');
    s
}

fn options(path: &Path) -> ReadOptions {
    let mut o = ReadOptions::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return o;
    };
    let v: toml::Table = text.parse().unwrap();
    if let Some(tz) = v.get("tz").and_then(|t| t.as_str()) {
        o = o.tz(jiff::tz::TimeZone::get(tz).unwrap());
    }
    if let Some(y) = v.get("year").and_then(|t| t.as_integer()) {
        o = o.year(Some(y as i16));
    }
    if let Some(k) = v.get("radius_key").and_then(|t| t.as_str()) {
        o = o.radius_key(k);
    }
    o
}

fn check(format: Format, input: &Path, expected: &Path, opts_file: &Path) -> Option<String> {
    let name = input.file_name().unwrap().to_string_lossy().into_owned();
    let src = Source::from_bytes(&name, std::fs::read(input).unwrap());
    let got = render(&readers::read(format, &src, &options(opts_file)));
    if std::env::var_os("KIZUKI_BLESS").is_some() {
        std::fs::write(expected, &got).unwrap();
        return None;
    }
    let want = std::fs::read_to_string(expected).unwrap_or_default();
    (got != want).then(|| {
        format!(
            "{}: differs from {}:\n{got}",
            input.display(),
            expected.display()
        )
    })
}

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| {
        let n = p.file_name().unwrap().to_string_lossy();
        !n.ends_with(".expected.jsonl") && !n.ends_with(".opts.toml") && n != "README.md"
    });
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    let n = p.file_name().unwrap().to_string_lossy();
    n.split('.').next().unwrap().to_owned()
}

const SHARED: &[(Format, &str)] = &[
    (Format::RadiusDetail, "radius/freeradius-detail-one.txt"),
    (Format::KeaLease4, "kea/lease4-dump-reference.csv"),
];

#[test]
fn every_reader_matches_its_golden_files() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut failures = Vec::new();
    let mut checked = 0;
    for format in Format::ALL {
        let dir = data.join(format.name());
        for input in cases(&dir) {
            let s = stem(&input);
            let expected = dir.join(format!("{s}.expected.jsonl"));
            checked += 1;
            failures.extend(check(
                format,
                &input,
                &expected,
                &dir.join(format!("{s}.opts.toml")),
            ));
        }
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    if shared.is_dir() {
        for (format, rel) in SHARED {
            let input = shared.join(rel);
            let dir = data.join(format.name());
            let s = format!("shared-{}", stem(&input));
            checked += 1;
            failures.extend(check(
                *format,
                &input,
                &dir.join(format!("{s}.expected.jsonl")),
                &dir.join(format!("{s}.opts.toml")),
            ));
        }
    } else {
        eprintln!("skipped the shared samples: {} is absent", shared.display());
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
