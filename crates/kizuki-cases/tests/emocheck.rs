//! EmoCheck reports: golden files, round trips through the writers, hostile
//! input, errors and time zones.
//!
//! `KIZUKI_BLESS=1 cargo test -p kizuki-cases --test emocheck` rewrites the
//! `*.expected.json` files; check the diff by hand before keeping it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::civil::{DateTime, date};
use jiff::tz::TimeZone;
use kizuki_cases::emocheck::{
    self, EmoCheckError, EmoCheckReport, EmoProcess, IssueKind, Repair, ReportFormat, TextEncoding,
};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/emocheck")
}

/// Every report fixture (not the expected outputs or the README), sorted.
fn fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.contains("_emocheck.") && !name.ends_with(".expected.json")
        })
        .map(|p| {
            let name = p.file_name().unwrap().to_str().unwrap().to_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn golden_reports() {
    let bless = std::env::var_os("KIZUKI_BLESS").is_some();
    let all = fixtures();
    assert!(all.len() >= 14, "fixtures missing: {}", all.len());
    let mut failed = Vec::new();
    for (name, bytes) in &all {
        let got = match emocheck::parse(bytes, Some(name)) {
            Ok(r) => serde_json::to_string_pretty(&r).unwrap() + "\n",
            Err(e) => panic!("{name}: {e}"),
        };
        let path = data_dir().join(format!("{name}.expected.json"));
        if bless {
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing; bless it", path.display()));
        if got != want {
            eprintln!("--- {name}: got\n{got}");
            failed.push(name.clone());
        }
    }
    assert!(failed.is_empty(), "golden mismatch: {failed:?}");
}

/// The expected files read back as reports, so the golden text is a report
/// and not just a string.
#[test]
fn expected_files_are_reports() {
    for (name, _) in fixtures() {
        let path = data_dir().join(format!("{name}.expected.json"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let r: EmoCheckReport = serde_json::from_str(&text).unwrap();
        assert_eq!(
            serde_json::to_string_pretty(&r).unwrap() + "\n",
            text,
            "{name}"
        );
    }
}

/// Parsing a fixture the tool could have written and rendering it again
/// gives back the same bytes: the writers produce the tool's layout.
#[test]
fn writers_reproduce_the_fixtures_byte_for_byte() {
    let mut checked = 0;
    for (name, bytes) in fixtures() {
        let r = emocheck::parse(&bytes, Some(&name)).unwrap();
        // A fork's JSON and cut reports are not the tool's own output.
        if name.starts_with("WS-DEV07")
            || r.issues
                .iter()
                .any(|i| matches!(i.kind, IssueKind::Truncated { .. }))
        {
            continue;
        }
        let text = emocheck::render(&r);
        let again = emocheck::encode(&text, r.encoding);
        assert_eq!(
            String::from_utf8_lossy(&again),
            String::from_utf8_lossy(&bytes),
            "{name}"
        );
        assert_eq!(again, bytes, "{name}");
        assert_eq!(
            emocheck::file_name(
                r.hostname.as_deref().unwrap_or(""),
                r.scan_time_local,
                r.format
            ),
            name.replace("20200203130620", "_20200203130620"),
        );
        checked += 1;
    }
    assert_eq!(checked, 11);
}

fn t(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8) -> DateTime {
    date(y, mo, d).at(h, mi, s, 0)
}

fn proc(name: &str, pid: Option<u32>, path: &str, key: Option<&str>) -> EmoProcess {
    EmoProcess {
        name: name.into(),
        pid,
        image_path: path.into(),
        registry_key: key.map(str::to_owned),
    }
}

fn samples() -> Vec<EmoCheckReport> {
    let two = vec![
        proc(
            "rundll32.exe",
            Some(4628),
            "C:\\Users\\田中\\AppData\\Local\\Ywxb\\otr.dll",
            None,
        ),
        proc(
            "KBDYAK.exe",
            Some(7712),
            "C:\\Users\\tanaka\\AppData\\Local\\KBDYAK\\KBDYAK.exe",
            Some("HKCU\\Run\\x"),
        ),
    ];
    let mut out = Vec::new();
    for format in [
        ReportFormat::Json,
        ReportFormat::TextEn,
        ReportFormat::TextJa,
        ReportFormat::TextFr,
    ] {
        for version in ["0.0.1", "0.0.2", "1.0", "2.0", "2.4.0"] {
            if format == ReportFormat::TextFr && version != "2.0" {
                continue;
            }
            for processes in [Vec::new(), two.clone()] {
                let mut r =
                    EmoCheckReport::new(format, "PC-01", t(2021, 2, 22, 23, 59, 59), processes);
                r.tool_version = Some(version.into());
                let old = !version.starts_with('2');
                if old {
                    // Before 2.0 there is no registry key to carry.
                    for p in &mut r.processes {
                        p.registry_key = None;
                    }
                }
                if format == ReportFormat::Json && version == "0.0.1" {
                    continue; // 0.0.1 had no JSON report
                }
                out.push(r);
            }
        }
    }
    out
}

#[test]
fn render_then_parse_gives_the_same_report() {
    for r in samples() {
        let name = emocheck::file_name("PC-01", r.scan_time_local, r.format);
        let text = emocheck::render(&r);
        let back = emocheck::parse(text.as_bytes(), Some(&name)).unwrap();
        assert_eq!(back, r, "{:?} {:?}:\n{text}", r.format, r.tool_version);
    }
}

#[test]
fn render_then_parse_in_every_windows_encoding() {
    for r in samples()
        .into_iter()
        .filter(|r| r.format == ReportFormat::TextJa)
    {
        for enc in [
            TextEncoding::ShiftJis,
            TextEncoding::Utf16Le,
            TextEncoding::Utf8Bom,
            TextEncoding::Utf16Be,
        ] {
            let bytes = emocheck::encode(&emocheck::render(&r), enc);
            let back = emocheck::parse(&bytes, Some("PC-01_20210222235959_emocheck.txt")).unwrap();
            assert_eq!(
                back,
                EmoCheckReport {
                    encoding: enc,
                    ..r.clone()
                }
            );
        }
    }
}

#[test]
fn text_reports_take_the_host_from_the_file_name() {
    let r = samples()
        .into_iter()
        .find(|r| r.format == ReportFormat::TextEn)
        .unwrap();
    let text = emocheck::render_text_en(&r);
    let back = emocheck::parse(
        text.as_bytes(),
        Some("C:\\reports\\WS_12_20210222235959_emocheck (1).txt"),
    )
    .unwrap();
    assert_eq!(back.hostname.as_deref(), Some("WS_12"));
    let back = emocheck::parse(text.as_bytes(), None).unwrap();
    assert_eq!(back.hostname, None);
    assert!(back.issues.is_empty());
}

#[test]
fn json_host_wins_over_the_file_name_and_differences_are_noted() {
    let r = EmoCheckReport::new(
        ReportFormat::Json,
        "PC-01",
        t(2021, 2, 22, 10, 0, 0),
        Vec::new(),
    );
    let json = emocheck::render_json(&r);
    let back =
        emocheck::parse(json.as_bytes(), Some("PC-02_20210222100001_emocheck.json")).unwrap();
    assert_eq!(back.hostname.as_deref(), Some("PC-01"));
    assert_eq!(back.scan_time_local, t(2021, 2, 22, 10, 0, 0));
    let kinds: Vec<_> = back.issues.iter().map(|i| &i.kind).collect();
    assert_eq!(
        kinds,
        [
            &IssueKind::HostnameMismatch {
                file_name: "PC-02".into()
            },
            &IssueKind::ScanTimeMismatch {
                file_name: "2021-02-22T10:00:01".into()
            },
        ]
    );
}

#[test]
fn control_characters_and_bad_escapes_are_repaired() {
    let json = "{\r\n  \"scan_time\":\"2021-02-22 10:00:00\",\r\n  \"hostname\":\"PC\tX\",\r\n  \
                \"emocheck_version\":\"2.0\",\r\n  \"is_infected\":\"yes\",\r\n  \"emotet_processes\":[\r\n    {\r\n      \
                \"process_name\":\"a\\qb.exe\",\r\n      \"process_id\":\"12\",\r\n      \
                \"image_path\":\"C:\\\\x\\u00e9.exe\",\r\n      \"registry_key\":\"\"\r\n    }\r\n  ]\r\n}\r\n";
    let r = emocheck::parse(json.as_bytes(), None).unwrap();
    assert_eq!(r.hostname.as_deref(), Some("PC\tX"));
    assert_eq!(
        r.processes,
        [proc("a\\qb.exe", Some(12), "C:\\xé.exe", None)]
    );
    let repairs: Vec<_> = r
        .issues
        .iter()
        .filter_map(|i| match &i.kind {
            IssueKind::RepairedValue { key, repair } => Some((i.line, key.as_str(), *repair)),
            _ => None,
        })
        .collect();
    assert_eq!(
        repairs,
        [
            (Some(3), "hostname", Repair::ControlCharacter),
            (Some(8), "process_name", Repair::InvalidEscape)
        ]
    );
    assert!(matches!(r.issues[0].kind, IssueKind::InvalidJson { .. }));
}

#[test]
fn verdicts_that_disagree_with_the_processes() {
    let clean_with_process = "{\"scan_time\":\"2021-02-22 10:00:00\",\"emocheck_version\":\"2.0\",\
        \"is_infected\":\"no\",\"emotet_processes\":[{\"process_name\":\"x.exe\",\"process_id\":\"1\",\"image_path\":\"C:\\\\x.exe\"}]}";
    let r = emocheck::parse(clean_with_process.as_bytes(), None).unwrap();
    assert!(r.infected);
    assert!(
        r.issues
            .iter()
            .any(|i| i.kind == IssueKind::VerdictConflict)
    );

    let no_verdict = "[EmoCheck v2.0]\nScan time: 2021-02-22 10:00:00\n[Emotet Process] \n     Process Name  : x.exe\n";
    let r = emocheck::parse(no_verdict.as_bytes(), None).unwrap();
    assert!(r.infected);
    let kinds: Vec<_> = r.issues.iter().map(|i| i.kind.clone()).collect();
    assert!(kinds.contains(&IssueKind::VerdictInferred), "{kinds:?}");
    assert!(
        kinds.contains(&IssueKind::MissingField {
            field: "image_path".into()
        }),
        "{kinds:?}"
    );
}

#[test]
fn errors_say_what_is_wrong() {
    let cases: Vec<(&[u8], Option<&str>, &str)> = vec![
        (b"", None, "empty"),
        (b" \r\n\t", None, "empty"),
        (
            b"<html><body>hello</body></html>",
            None,
            "not an EmoCheck report",
        ),
        (b"[1, 2, 3]", None, "not an EmoCheck report"),
        (b"{\"name\": \"x\"}", None, "not an EmoCheck report"),
        (b"{", None, "not an EmoCheck report"),
        (
            b"[EmoCheck v2.0]\r\n[Result] \r\nEmotet was not detected.\r\n",
            None,
            "no scan time",
        ),
        (
            b"[EmoCheck v2.0]\r\nScan time: 2021-02-3\r\n",
            None,
            "scan time \"2021-02-3\" is not",
        ),
        (
            b"[EmoCheck v2.0]\r\nScan time: 2021-02-22 10:00:00\r\n____\r\n",
            None,
            "no result",
        ),
        (
            b"{\"scan_time\":\"2021-02-22 10:00:00\",\"hostname\":\"PC\"",
            None,
            "no result",
        ),
    ];
    for (bytes, name, want) in cases {
        let err = emocheck::parse(bytes, name).unwrap_err().to_string();
        assert!(
            err.contains(want),
            "{:?}: {err}",
            String::from_utf8_lossy(bytes)
        );
    }
    let big = vec![b' '; emocheck::MAX_REPORT_BYTES + 1];
    assert!(matches!(
        emocheck::parse(&big, None),
        Err(EmoCheckError::TooLarge { .. })
    ));
    let err = emocheck::parse(b"[EmoCheck v2.0]\r\nScan time: 2021-02-3\r\n", None).unwrap_err();
    assert!(
        matches!(err, EmoCheckError::BadScanTime { line: Some(2), .. }),
        "{err:?}"
    );
}

#[test]
fn a_missing_or_bad_scan_time_falls_back_to_the_file_name() {
    let text =
        b"[EmoCheck v2.0]\r\nScan time: 2021-02-2\r\n[Result] \r\nEmotet was not detected.\r\n";
    let r = emocheck::parse(text, Some("PC_20210222100000_emocheck.txt")).unwrap();
    assert_eq!(r.scan_time_local, t(2021, 2, 22, 10, 0, 0));
    assert!(
        r.issues
            .iter()
            .any(|i| i.kind == IssueKind::ScanTimeFromFileName)
    );
}

#[test]
fn scan_time_in_a_zone() {
    let mut r = EmoCheckReport::new(
        ReportFormat::Json,
        "PC",
        t(2021, 2, 22, 10, 0, 0),
        Vec::new(),
    );
    let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
    assert_eq!(
        r.scan_time_in(&tokyo).unwrap().to_iso(),
        "2021-02-22T01:00:00+00:00"
    );
    assert_eq!(
        r.scan_time_micros_in(&tokyo).unwrap(),
        1_613_955_600_000_000
    );

    let ny = TimeZone::get("America/New_York").unwrap();
    // Ambiguous (clocks went back at 02:00 EDT): the earlier, EDT instant.
    r.scan_time_local = t(2021, 11, 7, 1, 30, 0);
    assert_eq!(
        r.scan_time_in(&ny).unwrap().to_iso(),
        "2021-11-07T05:30:00+00:00"
    );
    // Skipped (clocks went forward at 02:00 EST): moved on by the gap.
    r.scan_time_local = t(2021, 3, 14, 2, 30, 0);
    assert_eq!(
        r.scan_time_in(&ny).unwrap().to_iso(),
        "2021-03-14T07:30:00+00:00"
    );
    // Paris in summer.
    let paris = TimeZone::get("Europe/Paris").unwrap();
    r.scan_time_local = t(2021, 7, 1, 14, 30, 0);
    assert_eq!(
        r.scan_time_in(&paris).unwrap().to_iso(),
        "2021-07-01T12:30:00+00:00"
    );
}

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn check_invariants(bytes: &[u8], name: &str) {
    if let Ok(r) = emocheck::parse(bytes, Some(name)) {
        assert!(
            r.infected || r.processes.is_empty(),
            "{name}: clean with processes"
        );
        // Whatever was read renders without panicking too.
        let _ = emocheck::render(&r);
    }
}

#[test]
fn never_panics_on_cut_or_damaged_reports() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    const NASTY: &[u8] = b"\"\\{}[],:\r\n\x00\xff\xfe\x83\x5c ";
    let mut runs = 0;
    for (name, bytes) in fixtures() {
        for cut in 0..=bytes.len() {
            check_invariants(&bytes[..cut], &name);
            runs += 1;
        }
        for _ in 0..400 {
            let mut b = bytes.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len().max(1));
                match rng.below(4) {
                    0 if !b.is_empty() => b[at] = rng.next() as u8,
                    1 if !b.is_empty() => b[at] = NASTY[rng.below(NASTY.len())],
                    2 => b.insert(at.min(b.len()), NASTY[rng.below(NASTY.len())]),
                    _ if !b.is_empty() => {
                        b.remove(at);
                    }
                    _ => {}
                }
            }
            check_invariants(&b, &name);
            // The same bytes without a usable file name.
            check_invariants(&b, "report.bin");
            runs += 2;
        }
    }
    assert!(runs > 10_000, "{runs}");
}
