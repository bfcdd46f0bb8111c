//! Notices as an abuse desk makes them: `notify` on attributed events (ISP)
//! and on routed events (coordinator), `send` into the Maildir outbox, and
//! `notices list|show|explain|verify|review|approve|reject`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mail_parser::MimeHeaders;
use std::path::Path;
use std::process::{Command, Output};

fn kizuki(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kizuki"))
        .args(["--data-dir", "data"])
        .args(args)
        .current_dir(dir)
        .env_remove("KIZUKI_DATA")
        .env("KIZUKI_ACTOR", "notices-test")
        .output()
        .expect("the kizuki binary runs")
}

fn ok(o: &Output) -> (String, String) {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{err}");
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

const SUBSCRIBERS: &str = "\
subscriber_id,name,kind,emails,language,timezone,postal_address,keys
A1,山田 太郎,person,taro@example.jp,ja,Asia/Tokyo,東京都,user:a1
B2,Jane Doe,person,jane@example.com;jane2@example.com,en,Europe/London,London,user:b2
C3,株式会社サンプル,company,somu@example.co.jp,ja,Asia/Tokyo,大阪府,user:c3
D4,Kein Sprache,person,d4@example.de,de,Europe/Berlin,Berlin,user:d4
";

fn event(ip: &str, time: &str, status: &str, subs: &[&str], malware: &str) -> String {
    serde_json::json!({
        "time.source": time,
        "source.ip": ip,
        "source.port": 49152,
        "malware.name": malware,
        "classification.taxonomy": "malicious-code",
        "classification.type": "infected-system",
        "feed.name": "test-feed",
        "extra.attribution.status": status,
        "extra.attribution.subscribers": subs,
    })
    .to_string()
}

fn setup(d: &Path) {
    std::fs::write(d.join("subscribers.csv"), SUBSCRIBERS).unwrap();
    ok(&kizuki(d, &["subscribers", "import", "subscribers.csv"]));
    let lines = [
        event(
            "192.0.2.10",
            "2021-02-22T01:15:23+00:00",
            "exact",
            &["A1"],
            "emotet",
        ),
        event(
            "192.0.2.10",
            "2021-02-22T02:15:23+00:00",
            "exact",
            &["A1"],
            "emotet",
        ),
        event(
            "198.51.100.7",
            "2021-02-23T09:00:00+00:00",
            "exact",
            &["B2"],
            "emotet",
        ),
        // Hostile feed content in the malware name.
        event(
            "198.51.100.8",
            "2021-02-23T10:00:00+00:00",
            "exact",
            &["B2"],
            "qakbot http://evil.example/pay\u{202e}",
        ),
        event(
            "203.0.113.5",
            "2021-02-23T11:00:00+00:00",
            "shared",
            &["A1", "C3"],
            "emotet",
        ),
        event(
            "203.0.113.6",
            "2021-02-23T12:00:00+00:00",
            "exact",
            &["D4"],
            "emotet",
        ),
        event(
            "203.0.113.9",
            "2021-02-23T12:00:00+00:00",
            "none",
            &[],
            "emotet",
        ),
    ];
    let mut text = lines.join("\n");
    text.push_str("\nnot json at all\n");
    std::fs::write(d.join("attributed.jsonl"), text).unwrap();
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn notify_twice_makes_no_second_notice_and_send_writes_each_message_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    let (_, err) = ok(&kizuki(
        d,
        &["notify", "--events", "attributed.jsonl", "--dry-run"],
    ));
    assert!(err.contains("dry run, nothing written"), "{err}");
    assert!(err.contains("attributed.jsonl:8: skipped"), "{err}");
    let (out, _) = ok(&kizuki(d, &["notices", "list", "--json"]));
    assert!(out.is_empty(), "a dry run wrote notices: {out}");

    let (_, err) = ok(&kizuki(d, &["notify", "--events", "attributed.jsonl"]));
    assert!(err.contains("7 new event(s)"), "{err}");
    assert!(err.contains("2 notice(s) to send (1 en, 1 ja)"), "{err}");
    assert!(err.contains("2 held for review"), "{err}");
    let (_, err) = ok(&kizuki(d, &["notify", "--events", "attributed.jsonl"]));
    assert!(
        err.contains("0 new event(s), 7 seen before; 0 notice(s)"),
        "{err}"
    );

    let (out, _) = ok(&kizuki(d, &["notices", "list", "--json"]));
    let list = json_lines(&out);
    assert_eq!(list.len(), 4);
    for n in &list {
        for k in ["id", "code", "recipient", "language", "status", "events"] {
            assert!(n.get(k).is_some(), "{k} missing: {n}");
        }
    }
    let ja = list
        .iter()
        .find(|n| n["recipient"] == "subscriber:A1" && n["status"] == "queued")
        .unwrap();
    assert_eq!(ja["language"], "ja");
    assert_eq!(ja["events"].as_array().unwrap().len(), 2);

    // Send: each message once into the Maildir outbox, whatever happens
    // to the process afterwards.
    let (_, err) = ok(&kizuki(d, &["send"]));
    assert!(err.contains("2 sent"), "{err}");
    let (_, err) = ok(&kizuki(d, &["send"]));
    assert!(err.contains("0 sent"), "{err}");
    let files: Vec<_> = std::fs::read_dir(d.join("data/outbox/new"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 2);
    let mut texts = Vec::new();
    for f in &files {
        let raw = std::fs::read(f).unwrap();
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let text = m.body_text(0).unwrap().into_owned();
        let to: Vec<String> = m
            .to()
            .unwrap()
            .iter()
            .filter_map(|a| a.address().map(str::to_owned))
            .collect();
        texts.push((
            to,
            m.subject().unwrap().to_owned(),
            text,
            m.message_id().unwrap().to_owned(),
        ));
        // The machine-readable part carries no attribution details.
        let json = m
            .attachments()
            .find(|a| a.attachment_name() == Some("kizuki-notice.json"))
            .unwrap();
        let body = String::from_utf8_lossy(json.contents()).into_owned();
        assert!(body.contains("\"source.ip\""), "{body}");
        assert!(!body.contains("extra.attribution"), "{body}");
    }
    let en = texts
        .iter()
        .find(|t| t.0.contains(&"jane@example.com".to_owned()))
        .unwrap();
    // One message To all of the recipient's addresses.
    assert_eq!(en.0, ["jane@example.com", "jane2@example.com"]);
    assert!(
        !en.2
            .chars()
            .chain(en.1.chars())
            .any(|c| ('\u{3000}'..='\u{9fff}').contains(&c)
                || ('\u{ff00}'..='\u{ffef}').contains(&c)),
        "Japanese text in the English notice:\n{}",
        en.2
    );
    for needle in [
        "198.51.100.7",
        "2021-02-23 09:00:00 GMT",
        "EmoCheck",
        "never ask you for a password",
        "Notice code:",
        "hxxp[:]//evil[.]example/pay",
    ] {
        assert!(en.2.contains(needle), "{needle} missing:\n{}", en.2);
    }
    assert!(!en.2.contains("http://"), "a link in the notice:\n{}", en.2);
    assert!(!en.2.contains('\u{202e}'));
    let ja = texts.iter().find(|t| t.0 == ["taro@example.jp"]).unwrap();
    for needle in [
        "山田 太郎 様",
        "IPアドレス：192.0.2.10",
        "2021-02-22 10:15:23 JST ～ 2021-02-22 11:15:23 JST (2 回)",
        "EmoCheck",
        "パスワード",
        "通知番号：",
    ] {
        assert!(ja.2.contains(needle), "{needle} missing:\n{}", ja.2);
    }

    // The code checks out, typed any way; a made-up one does not.
    let n = list
        .iter()
        .find(|n| n["recipient"] == "subscriber:B2")
        .unwrap();
    let code = n["code"].as_str().unwrap();
    assert!(en.2.contains(code));
    assert!(en.3.starts_with("kizuki."), "{}", en.3);
    let typed = code.to_lowercase().replace('-', " ");
    let (out, _) = ok(&kizuki(d, &["notices", "verify", &typed]));
    assert!(out.starts_with("genuine"), "{out}");
    let o = kizuki(d, &["notices", "verify", "AAAA-BBBB-CCCC-DDDD-EEEE"]);
    assert!(!o.status.success());
    let o = kizuki(d, &["notices", "verify", "hello"]);
    assert!(!o.status.success());
}

#[test]
fn held_notices_wait_for_a_decision_and_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    ok(&kizuki(d, &["notify", "--events", "attributed.jsonl"]));
    let (out, _) = ok(&kizuki(d, &["notices", "review"]));
    assert!(
        out.contains("attribution shared with 2 candidate(s)"),
        "{out}"
    );
    assert!(out.contains("language \"de\""), "{out}");
    let (out, _) = ok(&kizuki(
        d,
        &["notices", "list", "--status", "held", "--json"],
    ));
    let held = json_lines(&out);
    let shared = held
        .iter()
        .find(|n| n["candidates"].as_array().unwrap().len() == 2)
        .unwrap();
    let id = shared["id"].as_i64().unwrap().to_string();
    // Nothing held is sent.
    let (_, err) = ok(&kizuki(d, &["send"]));
    assert!(err.contains("2 sent"), "{err}");
    // Several candidates: the operator must choose.
    let o = kizuki(d, &["notices", "approve", &id]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("choose with --to"));
    ok(&kizuki(d, &["notices", "assign", &id, "--to", "alice"]));
    let (out, _) = ok(&kizuki(
        d,
        &[
            "notices",
            "approve",
            &id,
            "--to",
            "subscriber:C3",
            "--reason",
            "port matched C3's block",
        ],
    ));
    assert!(out.contains("to subscriber:C3 queued"), "{out}");
    let (out, _) = ok(&kizuki(d, &["notices", "explain", &id]));
    assert!(out.contains("released"), "{out}");
    assert!(out.contains("assigned to alice"), "{out}");
    assert!(out.contains("port matched C3's block"), "{out}");
    // Decided once only.
    assert!(
        !kizuki(d, &["notices", "reject", &id, "--reason", "x"])
            .status
            .success()
    );
    let other = held.iter().find(|n| n["id"] != shared["id"]).unwrap();
    let oid = other["id"].as_i64().unwrap().to_string();
    ok(&kizuki(
        d,
        &[
            "notices",
            "reject",
            &oid,
            "--reason",
            "customer has no language on file",
        ],
    ));
    let (out, _) = ok(&kizuki(d, &["notices", "explain", &oid]));
    assert!(out.contains("rejected"), "{out}");
    let (_, err) = ok(&kizuki(d, &["send"]));
    assert!(err.contains("1 sent"), "{err}");
    // Explain an ordinary notice: why it was made.
    let (out, _) = ok(&kizuki(
        d,
        &["notices", "list", "--status", "sent", "--json"],
    ));
    let sent = json_lines(&out);
    let sid = sent[0]["id"].as_i64().unwrap().to_string();
    let (out, _) = ok(&kizuki(d, &["notices", "explain", &sid]));
    assert!(out.contains("notify") && out.contains("sent"), "{out}");
}

#[test]
fn routed_events_notify_contacts_with_their_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let contacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contacts.toml");
    let routed = [
        serde_json::json!({
            "time.source": "2021-02-22T01:00:00+00:00", "source.ip": "192.0.2.130",
            "malware.name": "emotet", "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system", "feed.name": "f", "extra.recipient": "corp-b"}),
        serde_json::json!({
            "time.source": "2021-02-22T02:00:00+00:00", "source.ip": "192.0.2.7",
            "malware.name": "emotet", "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system", "feed.name": "f", "extra.recipient": "isp-a"}),
    ];
    let text: Vec<String> = routed.iter().map(|v| v.to_string()).collect();
    std::fs::write(d.join("routed.jsonl"), text.join("\n")).unwrap();
    let (_, err) = ok(&kizuki(
        d,
        &["notify", "--events", "routed.jsonl", "--contacts", contacts],
    ));
    assert!(err.contains("2 notice(s) to send (1 en, 1 ja)"), "{err}");
    ok(&kizuki(d, &["send"]));
    let mut names = Vec::new();
    for f in std::fs::read_dir(d.join("data/outbox/new")).unwrap() {
        let raw = std::fs::read(f.unwrap().path()).unwrap();
        let m = mail_parser::MessageParser::default().parse(&raw).unwrap();
        for a in m.attachments() {
            names.push(a.attachment_name().unwrap_or_default().to_owned());
        }
        if m.to().unwrap().first().unwrap().address() == Some("abuse@isp-a.example.jp") {
            let cc: Vec<&str> = m.cc().unwrap().iter().filter_map(|a| a.address()).collect();
            assert_eq!(cc, ["noc@isp-a.example.jp"]);
        }
    }
    names.sort();
    assert_eq!(
        names,
        [
            "events.csv",
            "events.xarf.jsonl",
            "kizuki-notice.json",
            "kizuki-notice.json"
        ]
    );
}

#[test]
fn init_writes_the_example_and_keeps_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&kizuki(d, &["init", "--out", "kizuki.toml"]));
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kizuki.toml");
    assert_eq!(
        std::fs::read(d.join("kizuki.toml")).unwrap(),
        std::fs::read(example).unwrap()
    );
    assert!(
        !kizuki(d, &["init", "--out", "kizuki.toml"])
            .status
            .success()
    );
}

#[test]
fn run_chains_ingest_route_notify_and_send() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let contacts = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contacts.toml");
    std::fs::create_dir_all(d.join("feeds")).unwrap();
    let lines = [
        serde_json::json!({"time.source": "2021-02-22T01:00:00+00:00", "source.ip": "192.0.2.9",
            "malware.name": "emotet", "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system", "feed.name": "police-list"}),
        serde_json::json!({"time.source": "2021-02-22T02:00:00+00:00", "source.ip": "198.51.100.20",
            "malware.name": "emotet", "classification.taxonomy": "malicious-code",
            "classification.type": "infected-system", "feed.name": "police-list"}),
    ];
    let text: Vec<String> = lines.iter().map(|v| v.to_string()).collect();
    std::fs::write(d.join("feeds/list.jsonl"), text.join("\n") + "\n").unwrap();
    std::fs::write(
        d.join("kizuki.toml"),
        format!(
            "[notify]\nfrom = \"cert@coordinator.example.jp\"\n\n[run]\ncontacts = \"{contacts}\"\n\n[[run.input]]\nfiles = [\"feeds\"]\nformat = \"intelmq\"\n"
        ),
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_kizuki"))
        .args(["--data-dir", "data", "run"])
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("2 notice(s) made") && err.contains("2 sent"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(d.join("data/outbox/new"))
            .unwrap()
            .count(),
        2
    );
    // A second run on the same feeds tells no one again.
    let o = Command::new(env!("CARGO_BIN_EXE_kizuki"))
        .args(["--data-dir", "data", "run"])
        .current_dir(d)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("0 new event(s), 0 notice(s) made"), "{err}");
}

#[test]
fn a_bounce_is_attached_to_its_notice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d);
    ok(&kizuki(d, &["notify", "--events", "attributed.jsonl"]));
    ok(&kizuki(d, &["send"]));
    let (out, _) = ok(&kizuki(
        d,
        &["notices", "list", "--status", "sent", "--json"],
    ));
    let n = &json_lines(&out)[0];
    let mid = n["message_id"].as_str().unwrap();
    let dsn = format!(
        "From: MAILER-DAEMON@mx.example.jp\r\n\
         To: abuse@isp.example\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\
         \r\n\
         --B\r\n\
         Content-Type: text/plain\r\n\
         \r\n\
         The mail could not be delivered.\r\n\
         --B\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; mx.example.jp\r\n\
         \r\n\
         Final-Recipient: rfc822; gone@example.jp\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 mailbox unknown\r\n\
         \r\n\
         --B\r\n\
         Content-Type: text/rfc822-headers\r\n\
         \r\n\
         Message-ID: <{mid}>\r\n\
         Subject: notice\r\n\
         --B--\r\n"
    );
    std::fs::create_dir_all(d.join("bounces/new")).unwrap();
    std::fs::write(d.join("bounces/new/1.eml"), &dsn).unwrap();
    std::fs::write(
        d.join("bounces/new/2.eml"),
        "Subject: out of office\r\n\r\nI am away.\r\n",
    )
    .unwrap();
    let (_, err) = ok(&kizuki(d, &["bounces", "import", "bounces"]));
    assert!(err.contains("1 matched to a notice"), "{err}");
    assert!(err.contains("1 file(s) not a DSN"), "{err}");
    let (_, err) = ok(&kizuki(d, &["bounces", "import", "bounces"]));
    assert!(err.contains("1 read before"), "{err}");
    let id = n["id"].as_i64().unwrap().to_string();
    let (out, _) = ok(&kizuki(d, &["notices", "explain", &id]));
    assert!(
        out.contains("bounced") && out.contains("mailbox unknown"),
        "{out}"
    );
}
