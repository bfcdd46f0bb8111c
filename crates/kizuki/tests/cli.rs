//! The `kizuki` command as a user runs it: exit codes, messages that say
//! what to fix, files written.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn kizuki(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kizuki"))
        .args(args)
        .current_dir(dir)
        .env_remove("KIZUKI_DATA")
        .output()
        .expect("the kizuki binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gen_sinkhole(dir: &Path, rows: &str, bad: &str) -> String {
    let o = kizuki(
        dir,
        &[
            "gen",
            "feed",
            "--type",
            "event4_sinkhole",
            "--rows",
            rows,
            "--seed",
            "7",
            "--bad-share",
            bad,
            "--out-dir",
            "feeds",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    "feeds/2021-02-22-event4_sinkhole-jp-geo.csv".to_owned()
}

#[test]
fn ingest_writes_events_and_rejects_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let feed = gen_sinkhole(dir.path(), "500", "0.05");
    let o = kizuki(dir.path(), &["ingest", &feed, "--out", "out/events.jsonl"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let events = std::fs::read_to_string(dir.path().join("out/events.jsonl")).unwrap();
    let rejects = std::fs::read_to_string(dir.path().join("out/events.rejects.jsonl")).unwrap();
    let (ne, nr) = (events.lines().count(), rejects.lines().count());
    assert!(nr > 0 && ne + nr == 500, "{ne} events + {nr} rejects");
    let err = stderr(&o);
    assert!(err.contains("500 rows"), "{err}");
    assert!(err.contains(&format!("{ne} accepted")), "{err}");
    assert!(err.contains("[shadowserver/event4_sinkhole]"), "{err}");
    for line in rejects.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["line"].as_u64().unwrap() > 1 && !v["reason"].as_str().unwrap().is_empty());
        assert!(v["raw"].is_string());
    }
}

#[test]
fn global_options_go_before_or_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let feed = gen_sinkhole(dir.path(), "20", "0");
    for args in [
        vec!["--data-dir", "d", "ingest", &feed, "--out", "a.jsonl"],
        vec![
            "ingest",
            &feed,
            "--out",
            "b.jsonl",
            "--data-dir",
            "d",
            "--quiet",
        ],
    ] {
        let o = kizuki(dir.path(), &args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }
    let a = std::fs::read_to_string(dir.path().join("a.jsonl")).unwrap();
    assert_eq!(a.lines().count(), 20);
}

#[test]
fn gen_feed_says_what_it_wrote_unless_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "gen", "feed", "--type", "feodo", "--rows", "3", "-o", "f.csv",
    ];
    let o = kizuki(dir.path(), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("wrote 3 rows of feodo to f.csv"),
        "{}",
        stderr(&o)
    );
    let quiet: Vec<&str> = args.iter().copied().chain(["--quiet"]).collect();
    let o = kizuki(dir.path(), &quiet);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert!(std::fs::metadata(dir.path().join("f.csv")).unwrap().len() > 0);
}

#[test]
fn errors_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.csv"),
        "ip,timestamp\n192.0.2.1,2021-01-01 00:00:00\n",
    )
    .unwrap();

    let o = kizuki(dir.path(), &["ingest", "missing.csv", "--out", "o.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read missing.csv"),
        "{}",
        stderr(&o)
    );

    let o = kizuki(dir.path(), &["ingest", "list.csv", "--out", "o.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("pass --format"), "{}", stderr(&o));

    let o = kizuki(
        dir.path(),
        &[
            "ingest", "list.csv", "--format", "bogus", "--out", "o.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("known formats: shadowserver, feodo, xarf, intelmq, intelmq-csv, csv"),
        "{}",
        stderr(&o)
    );

    let o = kizuki(
        dir.path(),
        &[
            "ingest",
            "list.csv",
            "--format",
            "shadowserver",
            "--report-type",
            "scan_nope",
            "--out",
            "o.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("unknown Shadowserver report type \"scan_nope\""),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--schema"), "{}", stderr(&o));

    let o = kizuki(
        dir.path(),
        &["ingest", "list.csv", "--format", "csv", "--out", "o.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--mapping"), "{}", stderr(&o));

    std::fs::write(
        dir.path().join("kizuki.toml"),
        "data_dir = \"x\"\n[ingest]\nthreds = 2\n",
    )
    .unwrap();
    let o = kizuki(dir.path(), &["ingest", "list.csv", "--out", "o.jsonl"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("kizuki.toml is not a valid kizuki configuration"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("threds"), "{}", stderr(&o));
}

#[test]
fn a_failed_file_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let feed = gen_sinkhole(dir.path(), "10", "0");
    let o = kizuki(
        dir.path(),
        &["ingest", "nope.csv", &feed, "--out", "o.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    let events = std::fs::read_to_string(dir.path().join("o.jsonl")).unwrap();
    assert_eq!(events.lines().count(), 10);
}

#[test]
fn mapping_set_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let o = kizuki(
        p,
        &[
            "gen", "feed", "--type", "ip-list", "--rows", "30", "--out", "list.csv",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        p.join("m.toml"),
        "[time]\nformat = \"%Y/%m/%d %H:%M:%S\"\n[columns]\nip = \"source.ip\"\ntimestamp = \"time.source\"\n[constants]\n\"malware.name\" = \"emotet\"\n",
    )
    .unwrap();
    std::fs::write(
        p.join("kizuki.toml"),
        "[ingest]\nset = { \"feed.code\" = \"jp-npa\" }\n",
    )
    .unwrap();
    let o = kizuki(
        p,
        &[
            "ingest",
            "list.csv",
            "--mapping",
            "m.toml",
            "--tz",
            "Asia/Tokyo",
            "--set",
            "tlp=amber",
            "--out",
            "o.jsonl",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(p.join("o.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["feed.code"], "jp-npa");
    assert_eq!(first["tlp"], "AMBER");
    assert_eq!(first["malware.name"], "emotet");
    // The list is in Japan time; events are UTC.
    let line1 = std::fs::read_to_string(p.join("list.csv"))
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    let jst = line1.split(',').nth(1).unwrap();
    let hour: u32 = jst[11..13].parse().unwrap();
    let utc = first["time.source"].as_str().unwrap();
    let utc_hour: u32 = utc[11..13].parse().unwrap();
    assert_eq!((utc_hour + 9) % 24, hour, "{jst} vs {utc}");

    let o = kizuki(
        p,
        &[
            "ingest",
            "list.csv",
            "--mapping",
            "m.toml",
            "--set",
            "tlp=ultraviolet",
            "--out",
            "o2.jsonl",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("tlp"), "{}", stderr(&o));
}

#[test]
fn gen_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let run = |seed: &str| {
        let o = kizuki(
            dir.path(),
            &[
                "gen",
                "feed",
                "--type",
                "event4_sinkhole_http",
                "--rows",
                "50",
                "--seed",
                seed,
            ],
        );
        assert!(o.status.success());
        o.stdout
    };
    assert_eq!(run("3"), run("3"));
    assert_ne!(run("3"), run("4"));
}

#[test]
fn demo_runs_on_built_in_data() {
    let dir = tempfile::tempdir().unwrap();
    let o = kizuki(dir.path(), &["--data-dir", "data", "demo", "--rows", "400"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Emotet:"), "{out}");
    assert!(dir.path().join("data/demo/events.jsonl").exists());
    // The demo ends with notices in Japanese and English in the outbox.
    assert!(out.contains("7. Send"), "{out}");
    assert!(out.contains("   ja: 【"), "{out}");
    assert!(out.contains("   en: Emotet infection"), "{out}");
    let outbox = dir.path().join("data/demo/isp/data/outbox/new");
    assert!(std::fs::read_dir(outbox).unwrap().count() > 10);
}
