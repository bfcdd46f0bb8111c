//! The coordinator's commands as a user runs them: `contacts check`,
//! `route`, `report` and `stats`, with the files they write, the summaries
//! they print and the errors that say what to fix.

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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read(dir: &Path, f: &str) -> String {
    std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const CONTACTS: &str = r#"
[[contact]]
id = "isp-east"
name = "ISP East"
kind = "operator"
asns = [64500]
domains = ["east.example.jp"]
to = ["abuse@east.example.jp"]
language = "ja"
format = "csv"
timezone = "Asia/Tokyo"

[[contact]]
id = "corp"
name = "Corp"
kind = "organisation"
ranges = ["192.0.2.10-192.0.2.20"]
to = ["csirt@corp.example.com"]
language = "en"
format = "xarf"
timezone = "UTC"

[[contact]]
id = "isp-v6"
name = "ISP V6"
kind = "operator"
prefixes = ["2001:db8:1::/48"]
to = ["abuse@v6.example.net"]
language = "en"
format = "intelmq"
timezone = "Europe/London"
"#;

/// ip2asn rows; line 3 is malformed on purpose.
const TABLE: &str = "192.0.2.0\t192.0.2.255\t64500\tJP\tEAST-NET\n\
198.51.100.0\t198.51.100.255\t64999\tUS\tNOBODY-NET\n\
this is not a table row\n\
2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64501\tJP\tV6-NET\n";

fn event(src: &str, malware: &str, time: &str) -> String {
    let key = if src.contains('@') {
        "source.account"
    } else {
        "source.ip"
    };
    format!(
        r#"{{"{key}": "{src}", "malware.name": "{malware}", "classification.type": "infected-system", "classification.taxonomy": "malicious-code", "time.source": "{time}"}}"#
    )
}

/// Writes the contacts, the table and an event file; returns the lines.
fn setup(dir: &Path) -> Vec<String> {
    std::fs::write(dir.join("contacts.toml"), CONTACTS).unwrap();
    std::fs::write(dir.join("ip2asn.tsv"), TABLE).unwrap();
    let events = vec![
        event("192.0.2.1", "emotet", "2021-02-21T23:00:00+00:00"), // AS 64500
        event("192.0.2.15", "emotet", "2021-02-22T01:00:00+00:00"), // corp's range
        event("192.0.2.15", "qakbot", "2021-02-22T02:00:00+00:00"), // corp's range
        event("2001:db8:1::5", "emotet", "2021-02-22T03:00:00+00:00"), // v6 prefix
        event("2001:db8:2::5", "emotet", "2021-02-22T03:00:00+00:00"), // AS 64501: no one
        event("198.51.100.7", "mirai", "2021-02-23T00:00:00+00:00"), // AS 64999: no one
        event("203.0.113.1", "emotet", "2021-02-23T00:00:00+00:00"), // not in the table
        event("taro@mail.east.example.jp", "emotet", "2021-02-23T01:00:00+00:00"), // domain
        r#"{"malware.name": "emotet", "classification.type": "infected-system", "time.source": "2021-02-23T01:00:00+00:00"}"#.to_owned(),
    ];
    let mut text = events.join("\n");
    text.push('\n');
    std::fs::write(dir.join("events.jsonl"), text).unwrap();
    events
}

fn route(dir: &Path) -> Output {
    kizuki(
        dir,
        &[
            "--data-dir",
            "data",
            "route",
            "--events",
            "events.jsonl",
            "--contacts",
            "contacts.toml",
            "--asn-table",
            "ip2asn.tsv",
            "--out",
            "routed",
        ],
    )
}

#[test]
fn route_sends_every_event_to_its_contact_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = route(d);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);

    // The malformed table line is named by file and line, and the rest of
    // the table still works.
    assert!(err.contains("ip2asn.tsv:3"), "{err}");

    let ips = |f: &str| -> Vec<String> {
        json_lines(&read(d, f))
            .iter()
            .map(|v| {
                v.get("source.ip")
                    .or(v.get("source.account"))
                    .map_or("-".into(), |s| s.as_str().unwrap().to_owned())
            })
            .collect()
    };
    assert_eq!(
        ips("routed/isp-east.jsonl"),
        ["192.0.2.1", "taro@mail.east.example.jp"]
    );
    assert_eq!(ips("routed/corp.jsonl"), ["192.0.2.15", "192.0.2.15"]);
    assert_eq!(ips("routed/isp-v6.jsonl"), ["2001:db8:1::5"]);
    assert_eq!(
        ips("routed/_unrouted.jsonl"),
        ["2001:db8:2::5", "198.51.100.7", "203.0.113.1", "-"]
    );

    // Routed events carry their recipient and are enriched from the table,
    // without losing what the feed said.
    for v in json_lines(&read(d, "routed/isp-east.jsonl")) {
        assert_eq!(v["extra.recipient"], "isp-east");
    }
    let east = json_lines(&read(d, "routed/isp-east.jsonl"));
    assert_eq!(east[0]["source.asn"], 64500);
    assert_eq!(east[0]["source.as_name"], "EAST-NET");
    assert_eq!(east[0]["source.geolocation.cc"], "JP");
    assert_eq!(east[0]["malware.name"], "emotet");

    // Every unrouted event says why.
    let unrouted = json_lines(&read(d, "routed/_unrouted.jsonl"));
    let reasons: Vec<&str> = unrouted
        .iter()
        .map(|v| v["extra.unrouted_reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("64501"), "{reasons:?}");
    assert!(reasons[1].contains("64999"), "{reasons:?}");
    assert!(reasons[2].contains("no AS table knows it"), "{reasons:?}");
    assert!(reasons[3].contains("no source.ip"), "{reasons:?}");

    // The summary per recipient, on stderr.
    assert!(err.contains("isp-east (ISP East): 2 event(s)"), "{err}");
    assert!(
        err.contains("corp (Corp): 2 event(s), 1 address(es)"),
        "{err}"
    );
    assert!(err.contains("unrouted: 4 event(s)"), "{err}");

    // The compiled table is kept in the data directory and used next time.
    let kept: Vec<_> = std::fs::read_dir(d.join("data/lookup")).unwrap().collect();
    assert_eq!(kept.len(), 1);
    let again = route(d);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(read(d, "routed/corp.jsonl").lines().count(), 2);
}

#[test]
fn route_keeps_lines_that_are_not_events() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = setup(d);
    lines.insert(2, "{\"source.ip\": \"192.0.2.300\"}".to_owned());
    lines.insert(3, "not json at all".to_owned());
    std::fs::write(d.join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    let o = route(d);
    assert!(o.status.success(), "{}", stderr(&o));
    let rejects = json_lines(&read(d, "routed/_rejects.jsonl"));
    assert_eq!(rejects.len(), 2);
    assert_eq!(rejects[0]["line"], 3);
    assert_eq!(rejects[1]["line"], 4);
    assert_eq!(rejects[1]["raw"], "not json at all");
    // The good lines still went where they belong.
    assert_eq!(read(d, "routed/corp.jsonl").lines().count(), 2);
    // `report` does not take _rejects.jsonl for a contact.
    let o = kizuki(
        d,
        &[
            "report",
            "--routed",
            "routed",
            "--contacts",
            "contacts.toml",
            "--out",
            "reports",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn route_errors_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let o = kizuki(
        d,
        &[
            "route",
            "--events",
            "events.jsonl",
            "--contacts",
            "contacts.toml",
            "--asn-table",
            "missing.tsv",
            "--out",
            "routed",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("AS table missing.tsv: cannot read it"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("routed/_route.json").exists());

    std::fs::write(d.join("bad.toml"), "[[contact]]\nid = \"x\"\n").unwrap();
    let o = kizuki(
        d,
        &[
            "route",
            "--events",
            "events.jsonl",
            "--contacts",
            "bad.toml",
            "--out",
            "routed",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.toml"), "{}", stderr(&o));

    std::fs::write(d.join("empty.tsv"), "").unwrap();
    let o = kizuki(
        d,
        &[
            "route",
            "--events",
            "nothing.jsonl",
            "--contacts",
            "contacts.toml",
            "--out",
            "routed",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nothing.jsonl"), "{}", stderr(&o));
}

#[test]
fn contacts_check_names_both_sides_of_an_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("ok.toml"), CONTACTS).unwrap();
    let o = kizuki(d, &["contacts", "check", "ok.toml"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("3 contact(s)"), "{}", stdout(&o));

    let clash = format!(
        "{CONTACTS}\n[[contact]]\nid = \"corp2\"\nname = \"Corp Two\"\nkind = \"organisation\"\n\
         prefixes = [\"192.0.2.0/28\"]\nto = [\"a@corp2.example\"]\nlanguage = \"en\"\n\
         format = \"csv\"\ntimezone = \"UTC\"\n"
    );
    std::fs::write(d.join("clash.toml"), clash).unwrap();
    let o = kizuki(d, &["contacts", "check", "clash.toml"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("corp") && out.contains("corp2"), "{out}");

    std::fs::write(
        d.join("invalid.toml"),
        CONTACTS.replace("2001:db8:1::/48", "2001:db8:1::/129"),
    )
    .unwrap();
    let o = kizuki(d, &["contacts", "check", "invalid.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("2001:db8:1::/129"), "{}", stderr(&o));
}

#[test]
fn report_writes_a_file_and_a_message_per_contact_that_ingest_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    assert!(route(d).status.success());
    let o = kizuki(
        d,
        &[
            "report",
            "--routed",
            "routed",
            "--contacts",
            "contacts.toml",
            "--out",
            "reports",
            "--from",
            "Example CERT <cert@coordinator.example.jp>",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(d.join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    for id in ["corp", "isp-east", "isp-v6"] {
        assert!(names.contains(&format!("{id}.eml")), "{names:?}");
    }
    // Each attachment, ingested as the receiving ISP would, gives back the
    // routed events.
    for (id, ext) in [
        ("isp-east", ".csv"),
        ("corp", ".xarf.jsonl"),
        ("isp-v6", ".jsonl"),
    ] {
        let file = names
            .iter()
            .find(|n| n.contains(&format!("-{id}-")) && n.ends_with(ext) && !n.ends_with(".eml"))
            .unwrap_or_else(|| panic!("{id}{ext} in {names:?}"));
        let back = format!("back-{id}.jsonl");
        let o = kizuki(d, &["ingest", &format!("reports/{file}"), "--out", &back]);
        assert!(o.status.success(), "{file}: {}", stderr(&o));
        assert!(
            !d.join(format!("back-{id}.rejects.jsonl")).exists(),
            "{file}"
        );
        assert_eq!(
            read(d, &back),
            read(d, &format!("routed/{id}.jsonl")),
            "{file} read back"
        );
    }
    // --format overrides each contact's own.
    let o = kizuki(
        d,
        &[
            "report",
            "--routed",
            "routed",
            "--contacts",
            "contacts.toml",
            "--out",
            "x",
            "--format",
            "xarf",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let n = std::fs::read_dir(d.join("x"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".xarf.jsonl")
        })
        .count();
    assert_eq!(n, 3);
    let o = kizuki(
        d,
        &[
            "report",
            "--routed",
            "routed",
            "--contacts",
            "contacts.toml",
            "--out",
            "x",
            "--format",
            "pdf",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("expected csv, intelmq or xarf"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn stats_counts_by_day_recipient_and_malware_and_draws_a_chart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    assert!(route(d).status.success());
    let routed: Vec<String> = ["isp-east", "corp", "isp-v6", "_unrouted"]
        .iter()
        .map(|f| format!("routed/{f}.jsonl"))
        .collect();
    let mut args = vec!["stats", "--by", "day,recipient,malware", "--events"];
    args.extend(routed.iter().map(String::as_str));
    let o = kizuki(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("day,recipient,malware,events"));
    let rows: Vec<&str> = lines.collect();
    assert!(rows.contains(&"2021-02-21,isp-east,emotet,1"), "{csv}");
    assert!(rows.contains(&"2021-02-22,corp,emotet,1"), "{csv}");
    assert!(rows.contains(&"2021-02-22,corp,qakbot,1"), "{csv}");
    let total: u64 = rows
        .iter()
        .map(|r| r.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(total, 9);

    // In Japan time the 23:00 UTC event falls on the 22nd.
    let mut args = vec![
        "stats",
        "--by",
        "day",
        "--tz",
        "Asia/Tokyo",
        "--format",
        "json",
        "--count",
        "addresses",
        "--filter",
        "malware.name=emotet",
        "--chart",
        "trend.svg",
        "--events",
    ];
    args.extend(routed.iter().map(String::as_str));
    let o = kizuki(d, &args);
    assert!(o.status.success(), "{}", stderr(&o));
    // JSON lines; distinct addresses (the account and the event without an
    // address count for none).
    assert_eq!(
        json_lines(&stdout(&o)),
        [
            serde_json::json!({"day": "2021-02-22", "addresses": 4}),
            serde_json::json!({"day": "2021-02-23", "addresses": 1}),
        ]
    );
    let svg = read(d, "trend.svg");
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    assert!(svg.contains("2021-02-22"), "the chart labels its days");

    let o = kizuki(
        d,
        &["stats", "--by", "colour", "--events", "routed/corp.jsonl"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("expected one of day, recipient, malware"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_shipped_examples_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = tempfile::tempdir().unwrap();
    let o = kizuki(
        dir.path(),
        &[
            "contacts",
            "check",
            root.join("examples/contacts.toml").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // The example configuration, with every setting switched on.
    let example = std::fs::read_to_string(root.join("examples/kizuki.toml")).unwrap();
    let on: String = example
        .lines()
        .filter(|l| !l.contains("schema ="))
        .map(|l| {
            l.strip_prefix("# ")
                .filter(|r| r.contains(" = ") || r.starts_with('['))
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(on, example, "the example has settings to switch on");
    std::fs::write(dir.path().join("kizuki.toml"), on).unwrap();
    let o = kizuki(
        dir.path(),
        &[
            "contacts",
            "check",
            root.join("examples/contacts.toml").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}
