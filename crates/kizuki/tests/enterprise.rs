//! The enterprise side through the binary: an ISP's notice (made by
//! kizuki's own ISP role) taken in from a Maildir, drills round trip,
//! EmoCheck evidence, metrics that leave drills out, and IMAP intake
//! against a real dovecot.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

fn kizuki(dir: &Path, data: &str, args: &[&str], now: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kizuki"));
    c.args(["--data-dir", data])
        .args(args)
        .current_dir(dir)
        .env_remove("KIZUKI_DATA")
        .env("KIZUKI_ACTOR", "csirt-test");
    match now {
        Some(t) => c.env("KIZUKI_NOW", t),
        None => c.env_remove("KIZUKI_NOW"),
    };
    c.output().expect("the kizuki binary runs")
}

fn ok(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The ISP role makes a notice to a company and "sends" it into its
/// Maildir outbox; returns that outbox.
fn isp_notice(dir: &Path) -> std::path::PathBuf {
    std::fs::write(
        dir.join("subscribers.csv"),
        "subscriber_id,name,kind,emails,language,timezone,postal_address,keys\n\
         C3,株式会社サンプル,company,somu@example.co.jp,ja,Asia/Tokyo,大阪府,user:c3\n",
    )
    .unwrap();
    let event = serde_json::json!({
        "time.source": "2021-02-22T01:15:23+00:00",
        "source.ip": "203.0.113.77",
        "malware.name": "emotet",
        "classification.taxonomy": "malicious-code",
        "classification.type": "infected-system",
        "feed.name": "test-feed",
        "extra.attribution.status": "exact",
        "extra.attribution.subscribers": ["C3"],
    });
    std::fs::write(dir.join("events.jsonl"), format!("{event}\n")).unwrap();
    ok(&kizuki(
        dir,
        "isp",
        &["subscribers", "import", "subscribers.csv"],
        None,
    ));
    ok(&kizuki(
        dir,
        "isp",
        &["notify", "--events", "events.jsonl"],
        None,
    ));
    ok(&kizuki(dir, "isp", &["send"], None));
    dir.join("isp/outbox")
}

#[test]
fn an_isp_notice_becomes_an_incident_with_its_playbook() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let outbox = isp_notice(dir);
    let out = ok(&kizuki(
        dir,
        "ent",
        &["intake", "--maildir", outbox.to_str().unwrap(), "--json"],
        None,
    ));
    let taken = lines(&out);
    assert_eq!(taken.len(), 1, "{out}");
    assert_eq!(taken[0]["outcome"], "opened");
    // New mail only: the message moved to cur/ and is not taken again.
    assert!(
        std::fs::read_dir(outbox.join("new"))
            .unwrap()
            .next()
            .is_none()
    );
    let again = ok(&kizuki(
        dir,
        "ent",
        &["intake", "--maildir", outbox.to_str().unwrap(), "--json"],
        None,
    ));
    assert!(again.trim().is_empty(), "{again}");

    let list = lines(&ok(&kizuki(dir, "ent", &["cases", "list", "--json"], None)));
    assert_eq!(list.len(), 1);
    let i = &list[0];
    assert_eq!(i["reports"][0]["address"], "203.0.113.77");
    assert_eq!(i["reports"][0]["time"], "2021-02-22T01:15:23Z");
    assert_eq!(i["malware"], "emotet");
    assert_eq!(i["drill"], false);
    // kizuki's own notices carry their code: the CSIRT can check it.
    let code = i["notices"][0]["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 24, "{code}");
    ok(&kizuki(dir, "isp", &["notices", "verify", &code], None));
    let tasks = i["tasks"].as_array().unwrap();
    assert!(tasks.len() >= 10, "the Emotet playbook: {tasks:?}");
    assert!(tasks.iter().any(|t| t["state"] == "waiting"));
    assert!(i["hosts"].as_array().unwrap().is_empty());
}

const EMO_INFECTED: &str = r#"{"scan_time":"2021-02-22 13:00:00","hostname":"PC-0317","emocheck_version":"2.0","is_infected":"yes","emotet_processes":[{"process_name":"mstask.exe","process_id":"716","image_path":"C:\\Users\\sato\\AppData\\Local\\mstask.exe","registry_key":""}]}"#;

const EMO_CLEAN: &str = "[EmoCheck v2.0]\r\nScan time: 2021-02-22 18:00:00\r\n\
____________________________________________________\r\n[Result] \r\nEmotet was not detected.\r\n\
____________________________________________________\r\n";

#[test]
fn a_drill_round_trip_is_measured_and_kept_out_of_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("kizuki.toml"),
        "[cases]\ntz = \"Asia/Tokyo\"\npublic_addresses = [\"198.51.100.7\"]\n\n\
         [[cases.mailbox]]\nname = \"soumu\"\nmaildir = \"mail/soumu\"\n",
    )
    .unwrap();
    let start = "2021-02-22T03:00:00Z";
    let out = ok(&kizuki(
        dir,
        "ent",
        &[
            "drill",
            "start",
            "--mailbox",
            "soumu",
            "--time",
            "2021-02-22 10:15:23",
        ],
        Some(start),
    ));
    assert!(out.starts_with("drill 1:"), "{out}");
    // The notice is plain ISO-2022-JP, as an ISP would send it.
    let new: Vec<_> = std::fs::read_dir(dir.join("mail/soumu/new"))
        .unwrap()
        .collect();
    assert_eq!(new.len(), 1);
    let raw = std::fs::read(new[0].as_ref().unwrap().path()).unwrap();
    assert!(
        raw.windows(11)
            .any(|w| w.eq_ignore_ascii_case(b"ISO-2022-JP"))
    );
    assert!(!raw.windows(5).any(|w| w.eq_ignore_ascii_case(b"drill")));

    ok(&kizuki(
        dir,
        "ent",
        &["intake", "--mailbox", "soumu"],
        Some("2021-02-22T03:05:00Z"),
    ));
    let list = lines(&ok(&kizuki(dir, "ent", &["cases", "list", "--json"], None)));
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["drill"], true);
    assert_eq!(list[0]["reports"][0]["address"], "198.51.100.7");
    assert_eq!(list[0]["reports"][0]["time"], "2021-02-22T01:15:23Z");
    let id = list[0]["id"].to_string();

    ok(&kizuki(
        dir,
        "ent",
        &["cases", "ack", &id],
        Some("2021-02-22T03:20:00Z"),
    ));
    ok(&kizuki(
        dir,
        "ent",
        &[
            "cases",
            "host",
            &id,
            "--ip",
            "10.20.3.17",
            "--hostname",
            "PC-0317",
        ],
        Some("2021-02-22T03:50:00Z"),
    ));
    std::fs::write(
        dir.join("PC-0317_20210222130000_emocheck.json"),
        EMO_INFECTED,
    )
    .unwrap();
    std::fs::write(dir.join("PC-0317_20210222180000_emocheck.txt"), EMO_CLEAN).unwrap();
    let o = ok(&kizuki(
        dir,
        "ent",
        &[
            "cases",
            "evidence",
            &id,
            "PC-0317_20210222130000_emocheck.json",
        ],
        Some("2021-02-22T04:05:00Z"),
    ));
    assert!(o.contains("infected"), "{o}");
    // The text report has no host name but its file name does.
    let o = ok(&kizuki(
        dir,
        "ent",
        &[
            "cases",
            "evidence",
            &id,
            "PC-0317_20210222180000_emocheck.txt",
        ],
        Some("2021-02-22T09:10:00Z"),
    ));
    assert!(o.contains("incident contained"), "{o}");
    let show: serde_json::Value = serde_json::from_str(&ok(&kizuki(
        dir,
        "ent",
        &["cases", "show", &id, "--json"],
        None,
    )))
    .unwrap();
    assert_eq!(show["state"], "contained");
    assert_eq!(show["hosts"][0]["state"], "clean");
    assert_eq!(show["evidence"].as_array().unwrap().len(), 2);
    assert!(show["timeline"].as_array().unwrap().len() >= 6);

    let report = lines(&ok(&kizuki(
        dir,
        "ent",
        &["drill", "report", "--json"],
        Some("2021-02-22T10:00:00Z"),
    )));
    let steps = report[0]["steps"].as_array().unwrap();
    let after = |name: &str| steps.iter().find(|s| s["step"] == name).unwrap()["after"].as_f64();
    assert_eq!(after("notice taken in"), Some(300.0));
    assert_eq!(after("acknowledged"), Some(1200.0));
    assert_eq!(after("infected host identified"), Some(3000.0));
    assert_eq!(after("contained (clean EmoCheck)"), Some(22_200.0));

    // Production metrics leave the drill out; --drills shows only it.
    let m: serde_json::Value = serde_json::from_str(&ok(&kizuki(
        dir,
        "ent",
        &["cases", "metrics", "--json"],
        None,
    )))
    .unwrap();
    assert!(m["incidents"].as_array().unwrap().is_empty());
    let m: serde_json::Value = serde_json::from_str(&ok(&kizuki(
        dir,
        "ent",
        &["cases", "metrics", "--drills", "--json"],
        None,
    )))
    .unwrap();
    assert_eq!(m["incidents"][0]["to_contain"], 22_200.0 - 300.0);
}

#[test]
fn unreadable_mail_is_kept_and_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("junk.eml"), b"\x00\x01 this is not a notice\r\n").unwrap();
    let out = ok(&kizuki(dir, "ent", &["intake", "junk.eml"], None));
    assert!(out.contains("KEPT FOR A PERSON"), "{out}");
    let list = lines(&ok(&kizuki(
        dir,
        "ent",
        &["intake", "--list", "--unparsed", "--json"],
        None,
    )));
    assert_eq!(list.len(), 1);
    let kept = dir.join("ent").join(list[0]["raw_path"].as_str().unwrap());
    assert_eq!(
        std::fs::read(kept).unwrap(),
        b"\x00\x01 this is not a notice\r\n"
    );
}

/// The IMAP test server (`.ci/services/dovecot.sh`), or None to skip.
fn imap_server() -> Option<(String, String, String)> {
    match (
        std::env::var("KIZUKI_TEST_IMAP"),
        std::env::var("KIZUKI_TEST_IMAP_CA"),
        std::env::var("KIZUKI_TEST_IMAP_USER"),
    ) {
        (Ok(addr), Ok(ca), Ok(user)) => Some((addr, ca, user)),
        _ => {
            assert!(
                std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
                "KIZUKI_TEST_IMAP is not set: run .ci/services/dovecot.sh"
            );
            eprintln!("skipped: KIZUKI_TEST_IMAP is not set (run .ci/services/dovecot.sh)");
            None
        }
    }
}

#[test]
fn imap_intake_takes_each_message_once() {
    let Some((addr, ca, user)) = imap_server() else {
        return;
    };
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mailbox = format!("kizuki-test-intake-{}", std::process::id());
    let cfg: kizuki_mailbox::ImapConfig = toml::from_str(&format!(
        "host = \"{host}\"\nport = {port}\nsecurity = \"starttls\"\nca_file = \"{ca}\"\n\
         user = \"{user}\"\npassword_env = \"KIZUKI_TEST_IMAP_PASSWORD\"\nmailbox = \"{mailbox}\"\n"
    ))
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let imap = kizuki_mailbox::Imap::from_config(cfg).unwrap();
    rt.block_on(imap.create_mailbox(&mailbox)).unwrap();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("kizuki.toml"),
        format!(
            "[cases]\ntz = \"Asia/Tokyo\"\n\n[[cases.mailbox]]\nname = \"legal\"\n\
             imap = {{ host = \"{host}\", port = {port}, security = \"starttls\", ca_file = \"{ca}\", \
             user = \"{user}\", password_env = \"KIZUKI_TEST_IMAP_PASSWORD\", mailbox = \"{mailbox}\" }}\n"
        ),
    )
    .unwrap();
    // A notice in Shift_JIS this time, put in by IMAP APPEND.
    ok(&kizuki(
        dir,
        "ent",
        &[
            "drill",
            "start",
            "--mailbox",
            "legal",
            "--address",
            "192.0.2.44",
            "--charset",
            "shift_jis",
        ],
        None,
    ));
    let first = lines(&ok(&kizuki(
        dir,
        "ent",
        &["intake", "--mailbox", "legal", "--json"],
        None,
    )));
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["outcome"], "opened");
    assert_eq!(first[0]["reports"][0]["address"], "192.0.2.44");
    let again = ok(&kizuki(
        dir,
        "ent",
        &["intake", "--mailbox", "legal", "--json"],
        None,
    ));
    assert!(again.trim().is_empty(), "taken once: {again}");
    ok(&kizuki(
        dir,
        "ent",
        &[
            "drill",
            "start",
            "--mailbox",
            "legal",
            "--address",
            "192.0.2.45",
        ],
        None,
    ));
    let next = lines(&ok(&kizuki(
        dir,
        "ent",
        &["intake", "--mailbox", "legal", "--json"],
        None,
    )));
    assert_eq!(next.len(), 1, "only the new message");
    assert_eq!(next[0]["reports"][0]["address"], "192.0.2.45");
    rt.block_on(imap.delete_mailbox(&mailbox)).unwrap();
}

#[test]
fn forwarded_and_japanese_charset_notices_open_incidents() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kizuki-feeds/tests/data/mail");
    // General affairs forwarded one (attached) and legal another (inline);
    // two came straight from ISPs in ISO-2022-JP and Shift_JIS.
    let names = [
        "fwd-attached",
        "fwd-inline-ja",
        "ja-iso2022jp",
        "ja-sjis-base64",
    ];
    let args: Vec<String> = names
        .iter()
        .map(|n| fixtures.join(format!("{n}.eml")).display().to_string())
        .collect();
    let mut argv = vec!["intake", "--json"];
    argv.extend(args.iter().map(String::as_str));
    let taken = lines(&ok(&kizuki(dir, "ent", &argv, None)));
    assert_eq!(taken.len(), 4);
    assert!(taken.iter().all(|t| t["outcome"] == "opened"), "{taken:?}");
    let list = lines(&ok(&kizuki(dir, "ent", &["cases", "list", "--json"], None)));
    let by_addr = |a: &str| {
        list.iter()
            .find(|i| {
                i["reports"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r["address"] == a)
            })
            .unwrap_or_else(|| panic!("no incident for {a}: {list:?}"))
            .clone()
    };
    let fwd = by_addr("203.0.113.50");
    assert_eq!(fwd["notices"][0]["forwarded_by"], "suzuki@example.co.jp");
    assert_eq!(fwd["notices"][0]["sender"], "abuse@isp.example");
    assert_eq!(fwd["reports"][0]["time"], "2021-02-22T01:15:23Z");
    // The time as the sender wrote it, and in which zone.
    let r = &by_addr("203.0.113.5")["reports"][0];
    assert_eq!(r["zone"], "Asia/Tokyo", "{r}");
    assert!(
        r["time_text"].as_str().unwrap().contains("１０時１５分"),
        "{r}"
    );
    assert_eq!(
        by_addr("203.0.113.60")["notices"][0]["forwarded_by"],
        "yamada@example.co.jp"
    );
    assert_eq!(by_addr("203.0.113.5")["malware"], "emotet");
    // One Shift_JIS notice names two addresses: one incident for both.
    let two = by_addr("203.0.113.17");
    assert_eq!(two["reports"].as_array().unwrap().len(), 2);
}

/// `kizuki correlate` on generated logs: for a generated C2 contact, the
/// host that made it comes first, every candidate made a contact through
/// that public address in the window (ground truth), and a time with no
/// contact finds no one.
#[test]
fn correlate_finds_the_ground_truth_host() {
    use kizuki_flows::synth::{
        FlowStream, SynthConfig, World, write_feodo_csv, write_inventory_csv, write_nfdump17,
        write_zeek_tsv,
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let world = World::new(&SynthConfig {
        hosts: 120,
        infected: 3,
        contacts_per_host: 4,
        flows: 20_000,
        ..SynthConfig::default()
    });
    let create = |n: &str| std::io::BufWriter::new(std::fs::File::create(dir.join(n)).unwrap());
    write_feodo_csv(&world, &mut create("feodo.csv")).unwrap();
    write_inventory_csv(&world, &mut create("assets.csv")).unwrap();
    let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
    write_nfdump17(
        FlowStream::new(&world),
        &mut create("flows.csv"),
        &tokyo,
        false,
    )
    .unwrap();
    write_zeek_tsv(FlowStream::new(&world), &mut create("conn.log")).unwrap();
    let contacts = FlowStream::new(&world).contacts().to_vec();
    assert!(!contacts.is_empty());
    let window = 5 * 60_000_000;
    for (flows, c) in [
        ("nfdump:flows.csv", &contacts[0]),
        ("zeek:conn.log", &contacts[contacts.len() - 1]),
    ] {
        let time = jiff::Timestamp::from_microsecond(c.at).unwrap().to_string();
        let out = ok(&kizuki(
            dir,
            "ent",
            &[
                "correlate",
                "--ip",
                &c.public.to_string(),
                "--time",
                &time,
                "--window",
                "5m",
                "--flows",
                flows,
                "--c2",
                "feodo.csv",
                "--assets",
                "assets.csv",
                "--tz",
                "Asia/Tokyo",
            ],
            None,
        ));
        let found = lines(&out);
        assert_eq!(found[0]["host"], c.host.to_string(), "{flows}: {out}");
        assert!(found[0]["asset"].is_string(), "{out}");
        let ev = &found[0]["evidence"][0];
        assert!(
            ev["line"].as_u64().unwrap() > 0 && ev["dst"].is_string(),
            "{ev}"
        );
        let truth: std::collections::BTreeSet<String> = contacts
            .iter()
            .filter(|x| x.public == c.public && (x.at - c.at).abs() <= window + (x.end - x.at))
            .map(|x| x.host.to_string())
            .collect();
        for f in &found {
            assert!(
                truth.contains(f["host"].as_str().unwrap()),
                "{flows}: {f} is not a ground-truth host"
            );
        }
    }
    // Long before the logs begin: nobody, exit status 3.
    let o = kizuki(
        dir,
        "ent",
        &[
            "correlate",
            "--ip",
            &contacts[0].public.to_string(),
            "--time",
            "2020-01-01T00:00:00Z",
            "--flows",
            "nfdump:flows.csv",
            "--c2",
            "feodo.csv",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(3));
}

#[test]
fn a_log_that_cannot_be_read_does_not_stop_intake() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("kizuki.toml"),
        "[cases.correlate]\nflows = [\"nfdump:missing.csv\"]\nc2 = \"missing-feodo.csv\"\n",
    )
    .unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kizuki-feeds/tests/data/mail/ja-iso2022jp.eml");
    let o = kizuki(dir, "ent", &["intake", fixture.to_str().unwrap()], None);
    let out = ok(&o);
    assert!(out.contains("opened incident 1"), "{out}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("correlation failed"), "{err}");
    let list = lines(&ok(&kizuki(dir, "ent", &["cases", "list", "--json"], None)));
    assert_eq!(list.len(), 1);
}

/// A NAT log through a named CSV mapping: the inside host behind the
/// reported public address, the refused rows named by file and line, and
/// nobody behind another public address.
#[test]
fn correlate_reads_a_nat_log_through_a_named_mapping() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kizuki-flows/tests/data/mapped");
    std::fs::write(
        dir.join("kizuki.toml"),
        format!(
            "[cases.correlate.mappings]\nnatlog = \"{}\"\n",
            data.join("natlog.mapping.toml").display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("feodo.csv"),
        "# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n\
         \"2021-01-30 00:00:00\",\"198.51.100.7\",\"8080\",\"offline\",\"2021-03-01\",\"Emotet\"\n",
    )
    .unwrap();
    let flows = format!("natlog:{}", data.join("natlog.csv").display());
    let args = |ip: &'static str| {
        vec![
            "correlate".to_owned(),
            "--ip".into(),
            ip.into(),
            "--time".into(),
            "2021-02-22 10:15:23".into(),
            "--tz".into(),
            "Asia/Tokyo".into(),
            "--flows".into(),
            flows.clone(),
            "--c2".into(),
            "feodo.csv".into(),
        ]
    };
    let a = args("203.0.113.5");
    let argv: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = kizuki(dir, "ent", &argv, None);
    let found = lines(&ok(&o));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["host"], "10.0.1.5");
    assert_eq!(found[0]["evidence"][0]["line"], 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("natlog.csv:5"),
        "refused rows are named: {err}"
    );
    let a = args("203.0.113.9");
    let argv: Vec<&str> = a.iter().map(String::as_str).collect();
    assert_eq!(kizuki(dir, "ent", &argv, None).status.code(), Some(3));
}
