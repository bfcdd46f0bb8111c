//! The ISP's commands as a user runs them, on a generated ISP: the
//! directory and the logs imported as `manifest.json` says, every
//! observation attributed, and the answers compared with the ground truth.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn kizuki(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kizuki"))
        .args(args)
        .current_dir(dir)
        .env_remove("KIZUKI_DATA")
        .env("KIZUKI_ACTOR", "isp-test")
        .output()
        .expect("the kizuki binary runs")
}

fn ok(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    err
}

fn import_all(d: &Path) -> Vec<String> {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("isp/manifest.json")).unwrap()).unwrap();
    let mut summaries = Vec::new();
    for imp in manifest["imports"].as_array().unwrap() {
        let mut args: Vec<String> = vec![
            "--data-dir".into(),
            "data".into(),
            "assignments".into(),
            "import".into(),
            "--format".into(),
            imp["format"].as_str().unwrap().into(),
            "--tz".into(),
            imp["tz"].as_str().unwrap().into(),
        ];
        if let Some(y) = imp["year"].as_i64() {
            args.extend(["--year".into(), y.to_string()]);
        }
        for f in imp["files"].as_array().unwrap() {
            args.push(format!("isp/{}", f.as_str().unwrap()));
        }
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        summaries.push(ok(&kizuki(d, &a)));
    }
    summaries
}

#[test]
fn attribute_agrees_with_the_ground_truth_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&kizuki(
        d,
        &[
            "gen",
            "isp",
            "--subscribers",
            "300",
            "--days",
            "2",
            "--cgnat-share",
            "0.4",
            "--seed",
            "3",
            "--observations",
            "1500",
            "--out-dir",
            "isp",
        ],
    ));
    let err = ok(&kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "subscribers",
            "import",
            "isp/subscribers.csv",
        ],
    ));
    assert!(err.contains("300 subscriber(s) (300 new"), "{err}");
    let summaries = import_all(d);
    let all = summaries.join("\n");
    for s in &summaries {
        assert!(s.contains(", 0 log record(s) rejected"), "{s}");
    }
    assert!(all.contains("sessions ended by Accounting-On/Off"), "{all}");
    assert!(all.contains("sessions with no Stop"), "{all}");
    // Importing the same logs again adds nothing.
    for s in import_all(d) {
        assert!(s.contains("(0 new,"), "{s}");
    }
    let err = ok(&kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "--config",
            "isp/kizuki.toml",
            "attribute",
            "--events",
            "isp/observations.jsonl",
            "--out",
            "attributed.jsonl",
        ],
    ));
    assert!(err.contains("1,500 event(s)"), "{err}");
    let text = std::fs::read_to_string(d.join("attributed.jsonl")).unwrap();
    let mut wrong = Vec::new();
    let mut exact = None;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let same = v["extra.attribution.status"] == v["extra.truth.status"]
            && v["extra.attribution.subscribers"] == v["extra.truth.subscribers"];
        if !same {
            wrong.push(line.to_owned());
        }
        if exact.is_none()
            && v["extra.truth.status"] == "exact"
            && v["extra.truth.case"] == "portinblock"
        {
            exact = Some(v);
        }
    }
    assert_eq!(text.lines().count(), 1500);
    // In the order of the input, though the events are attributed on
    // several threads.
    let input = std::fs::read_to_string(d.join("isp/observations.jsonl")).unwrap();
    for (i, (a, b)) in input.lines().zip(text.lines()).enumerate() {
        let a: serde_json::Value = serde_json::from_str(a).unwrap();
        let b: serde_json::Value = serde_json::from_str(b).unwrap();
        for k in ["source.ip", "source.port", "time.source"] {
            assert_eq!(a[k], b[k], "line {} out of order", i + 1);
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagree:\n{}",
        wrong.len(),
        wrong[..wrong.len().min(5)].join("\n")
    );

    // The abuse desk's manual question, on one CGNAT observation.
    let v = exact.unwrap();
    let ip = v["source.ip"].as_str().unwrap();
    let port = v["source.port"].to_string();
    let time = v["time.source"].as_str().unwrap();
    let sub = v["extra.truth.subscribers"][0].as_str().unwrap();
    let o = kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "--config",
            "isp/kizuki.toml",
            "whois-at",
            ip,
            &port,
            time,
        ],
    );
    ok(&o);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("status: exact"), "{out}");
    assert!(out.contains(&format!("subscriber: {sub}")), "{out}");
    assert!(
        out.contains("pba ") && out.contains("radius "),
        "both hops shown: {out}"
    );
    assert!(
        out.contains("isp/pba/cgn-") && out.contains("isp/radius-"),
        "records named by file: {out}"
    );
    // The same question in local time.
    let local = jiff::Timestamp::from_second(time.parse::<jiff::Timestamp>().unwrap().as_second())
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Tokyo").unwrap())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string();
    let o = kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "--config",
            "isp/kizuki.toml",
            "whois-at",
            ip,
            &port,
            &local,
            "--tz",
            "Asia/Tokyo",
        ],
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("subscriber: {sub}")));
}

#[test]
fn whois_at_and_import_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "whois-at",
            "192.0.2.1",
            "2021-02-22T00:00:00Z",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("import them first"));
    let o = kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "assignments",
            "import",
            "--format",
            "syslog",
            "x.log",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected one of radius-detail"));
    let o = kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "assignments",
            "import",
            "--format",
            "radius-detail",
            "missing",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read missing"));
    std::fs::write(
        d.join("bad.detail"),
        "Tue Feb 23 10:00:00 2021\n\tAcct-Status-Type = Start\n\n",
    )
    .unwrap();
    let o = kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "assignments",
            "import",
            "--format",
            "radius-detail",
            "bad.detail",
            "--rejects",
            "r.jsonl",
        ],
    );
    let err = ok(&o);
    assert!(err.contains("1 log record(s) rejected"), "{err}");
    let r = std::fs::read_to_string(d.join("r.jsonl")).unwrap();
    assert!(
        r.contains("bad.detail") && r.contains("\"line\":1") && r.contains("User-Name"),
        "{r}"
    );
    let o = kizuki(
        d,
        &["--data-dir", "data", "whois-at", "192.0.2.1", "yesterday"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a time"));
}

/// Yearless syslog files given with `--year` are read in parallel, and the
/// year still carries from file to file in the order given: across a file
/// whose lines carry their own year, and into the January files after a
/// December one.
#[test]
fn the_year_carries_across_files_read_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let head =
        "mx960-cgn (FPC Slot 1, PIC Slot 0) {cgn-sset}[jservices-nat]: JSERVICES_NAT_PORT_BLOCK";
    let files = [
        (
            "a.log",
            format!(
                "<158>Dec 31 23:59:30 {head}_ALLOC: 100.64.7.1 -> 198.51.100.77:1024-1535\n\
                 <158>Dec 31 23:59:58 {head}_RELEASE: 100.64.7.1 -> 198.51.100.77:1024-1535\n"
            ),
        ),
        (
            "b.log",
            "Dec 31 23:59:50 cgn-a (FPC Slot 1, PIC Slot 0) 2020-12-31 23:59:50 [FWNAT]:ASP_NAT_PORT_BLOCK_ALLOC: 100.64.0.9 -> 198.51.100.78:1024-2023\n".to_owned(),
        ),
        (
            "c.log",
            format!(
                "<158>Jan  1 00:00:10 {head}_ALLOC: 100.64.7.2 -> 198.51.100.77:1536-2047\n\
                 <158>Jan  1 01:05:00 {head}_RELEASE: 100.64.7.2 -> 198.51.100.77:1536-2047\n"
            ),
        ),
        (
            "d.log",
            format!(
                "<158>Jan  1 02:00:00 {head}_ALLOC: 100.64.7.3 -> 198.51.100.77:2048-2559\n\
                 <158>Jan  1 03:00:00 {head}_RELEASE: 100.64.7.3 -> 198.51.100.77:2048-2559\n"
            ),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(d.join(name), text).unwrap();
    }
    ok(&kizuki(
        d,
        &[
            "--data-dir",
            "data",
            "assignments",
            "import",
            "--format",
            "pba-juniper",
            "--year",
            "2020",
            "--threads",
            "2",
            "a.log",
            "b.log",
            "c.log",
            "d.log",
        ],
    ));
    for (port, time, inside) in [
        ("1100", "2020-12-31T23:59:40Z", "100.64.7.1"),
        ("1600", "2021-01-01T00:30:00Z", "100.64.7.2"),
        ("2100", "2021-01-01T02:30:00Z", "100.64.7.3"),
    ] {
        let o = kizuki(
            d,
            &[
                "--data-dir",
                "data",
                "whois-at",
                "198.51.100.77",
                port,
                time,
            ],
        );
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(inside), "{port} at {time}: {out}");
    }
}
