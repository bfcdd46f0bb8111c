//! Reports: the ready e-mails are well-formed RFC 5322 in the recipient's
//! language, X-ARF output is valid v4 `infrastructure/botnet`, and an ISP
//! running `kizuki ingest` on any attachment gets the same events back.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_event::{Event, Field, Input, Timestamp, json};
use kizuki_feeds::{ReadContext, Reader, input};
use kizuki_route::contacts::{Directory, ReportFormat};
use kizuki_route::report::{self, Sender};
use mail_parser::MimeHeaders;
use std::path::Path;

const CONTACTS: &str = r#"
[[contact]]
id = "isp-ja"
name = "日本のISP"
kind = "operator"
asns = [64500]
to = ["abuse@isp.example.jp", "noc@isp.example.jp"]
cc = ["cert@isp.example.jp"]
language = "ja"
format = "csv"
timezone = "Asia/Tokyo"

[[contact]]
id = "corp-en"
name = "Corp EN"
kind = "organisation"
prefixes = ["198.51.100.0/24"]
to = ["csirt@corp.example.com"]
language = "en"
format = "xarf"
timezone = "Europe/Berlin"
"#;

fn events() -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..20u32 {
        let mut e = Event::new();
        e.add(
            Field::TimeSource,
            Input::Str(&format!("2021-02-22T01:{:02}:03+00:00", i % 60)),
        )
        .unwrap();
        e.add(
            Field::SourceIp,
            Input::Str(&format!("198.51.100.{}", i + 1)),
        )
        .unwrap();
        if i % 2 == 0 {
            e.add(Field::SourcePort, Input::Int(50000 + i64::from(i)))
                .unwrap();
        }
        e.add(
            Field::MalwareName,
            Input::Str(if i % 3 == 0 { "Emotet" } else { "qakbot" }),
        )
        .unwrap();
        e.add(Field::ClassificationType, Input::Str("infected-system"))
            .unwrap();
        e.add(Field::ClassificationTaxonomy, Input::Str("malicious-code"))
            .unwrap();
        e.add(Field::DestinationIp, Input::Str("203.0.113.9"))
            .unwrap();
        e.add(Field::ProtocolTransport, Input::Str("tcp")).unwrap();
        // Hostile feed text: line breaks and a link in a free-text field.
        e.add(
            Field::FeedName,
            Input::Str("Sinkhole\r\nBcc: victim@example.com http://evil.example/login"),
        )
        .unwrap();
        e.add(Field::Comment, Input::Str("  spaces, \"quotes\", commas  "))
            .unwrap();
        e.set_extra("naics", kizuki_event::ExtraValue::Int(517311));
        e.set_extra("family", kizuki_event::ExtraValue::Str("emotet".into()));
        e.set_extra(
            "nested",
            kizuki_event::ExtraValue::from_json(serde_json::json!({"a": [1, 2.5, null]})),
        );
        e.set_extra("recipient", kizuki_event::ExtraValue::Str("corp-en".into()));
        e.set_extra(
            "routed_via",
            kizuki_event::ExtraValue::Str("range 198.51.100.0/24".into()),
        );
        e.set_origin(Some(kizuki_event::Origin::new(
            "routed/corp-en.jsonl".into(),
            u64::from(i) + 1,
        )));
        out.push(e);
    }
    out
}

fn sender() -> Sender {
    Sender::from_email("Example CERT", "cert@coordinator.example.jp")
}

fn now() -> Timestamp {
    Timestamp::parse_iso("2021-02-22T03:00:00+00:00").unwrap()
}

fn lines(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            let mut v = Vec::new();
            json::write_event(e, &mut v, &json::WriteOptions::default());
            String::from_utf8(v).unwrap()
        })
        .collect()
}

#[test]
fn every_format_reads_back_as_the_same_events() {
    let dir = Directory::from_toml("c.toml", CONTACTS).unwrap();
    let contact = dir.get("corp-en").unwrap();
    let original = events();
    for format in [ReportFormat::Csv, ReportFormat::Intelmq, ReportFormat::Xarf] {
        let r = report::build(contact, &original, format, &sender(), now()).unwrap();
        // As an ISP would: `kizuki ingest` with the format told from the file.
        let mut back = Vec::new();
        for src in input::from_bytes(&r.file_name, &r.file_name, r.file.clone()).unwrap() {
            let fmt = Reader::auto()
                .read(&src, &ReadContext::new(), &mut |b| {
                    assert!(b.rejects.is_empty(), "{format:?}: {:?}", b.rejects);
                    back.extend(b.events);
                })
                .unwrap();
            eprintln!("{format:?} read back as {fmt:?}");
        }
        assert_eq!(lines(&back), lines(&original), "{format:?}");
    }
}

fn has_japanese(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c as u32, 0x3000..=0x30ff | 0x3400..=0x9fff | 0xff00..=0xffef))
}

#[test]
fn messages_are_well_formed_and_in_the_right_language() {
    let dir = Directory::from_toml("c.toml", CONTACTS).unwrap();
    for id in ["isp-ja", "corp-en"] {
        let contact = dir.get(id).unwrap();
        let r = report::build(contact, &events(), contact.format, &sender(), now()).unwrap();
        let eml = &r.eml;
        // RFC 5322: CRLF line ends, lines of at most 998 characters, and
        // 7-bit headers (non-ASCII text is encoded).
        let text = String::from_utf8(eml.clone()).unwrap();
        assert!(!text.replace("\r\n", "").contains('\n'), "bare LF");
        assert!(text.split("\r\n").all(|l| l.len() <= 998));
        let head = text.split("\r\n\r\n").next().unwrap();
        assert!(head.is_ascii(), "{head}");
        let msg = mail_parser::MessageParser::default().parse(eml).unwrap();
        assert_eq!(
            msg.from().unwrap().first().unwrap().address(),
            Some("cert@coordinator.example.jp")
        );
        let to: Vec<_> = msg
            .to()
            .unwrap()
            .iter()
            .filter_map(|a| a.address())
            .collect();
        assert_eq!(
            to,
            contact.to.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert_eq!(
            msg.message_id(),
            Some(format!("{}@coordinator.example.jp", r.id).as_str())
        );
        assert_eq!(
            msg.header_raw("X-Kizuki-Report-Id").map(str::trim),
            Some(r.id.as_str())
        );
        assert!(msg.date().is_some());
        let body = msg.body_text(0).unwrap().into_owned();
        let subject = msg.subject().unwrap().to_owned();
        assert!(body.contains(&r.id) && subject.contains(&r.id));
        let att = msg.attachments().next().unwrap();
        assert_eq!(att.attachment_name(), Some(r.file_name.as_str()));
        assert_eq!(att.contents(), &r.file[..]);
        match contact.language {
            kizuki_route::contacts::Language::En => {
                assert!(
                    !has_japanese(&body) && !has_japanese(&subject),
                    "English message with Japanese text:\n{body}"
                );
                assert!(body.contains("never ask you for passwords or payment"));
                assert!(
                    body.contains("CET"),
                    "times in the recipient's zone: {body}"
                );
            }
            kizuki_route::contacts::Language::Ja => {
                assert!(has_japanese(&body) && has_japanese(&subject));
                assert!(body.contains("パスワードや金銭"));
                assert!(
                    body.contains("2021年02月22日 10:00:03"),
                    "times in Japan time: {body}"
                );
            }
        }
        // Feed text cannot forge headers or lines.
        assert!(!body.contains("Bcc:"));
        assert!(msg.header_raw("Bcc").is_none());
    }
}

#[test]
fn xarf_reports_are_valid_v4_botnet() {
    let schemas =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples/xarf/schemas-v4");
    if !schemas.is_dir() {
        eprintln!("skipped: ../shared/samples/xarf/schemas-v4 is absent");
        return;
    }
    struct Local(std::path::PathBuf);
    impl jsonschema::Retrieve for Local {
        fn retrieve(
            &self,
            uri: &jsonschema::Uri<String>,
        ) -> Result<serde_json::Value, Box<dyn std::error::Error + Send + Sync>> {
            let path = uri.path().as_str();
            let rel = path
                .strip_prefix("/schemas/v4/")
                .ok_or_else(|| format!("unexpected schema {uri}"))?;
            Ok(serde_json::from_slice(&std::fs::read(self.0.join(rel))?)?)
        }
    }
    let load = |p: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(schemas.join(p)).unwrap()).unwrap()
    };
    let botnet = jsonschema::options()
        .with_retriever(Local(schemas.clone()))
        .build(&load("types/infrastructure-botnet.json"))
        .unwrap();
    let master = jsonschema::options()
        .with_retriever(Local(schemas.clone()))
        .build(&load("xarf-v4-master.json"))
        .unwrap();
    let r = report::xarf::write(&events(), &sender());
    let text = String::from_utf8(r).unwrap();
    assert_eq!(text.lines().count(), 20);
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let errors: Vec<String> = botnet.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}\n{v:#}");
        let errors: Vec<String> = master.iter_errors(&v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(v["category"], "infrastructure");
        assert_eq!(v["type"], "botnet");
    }
    // The validator does catch a broken report.
    let mut bad: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    bad.as_object_mut().unwrap().remove("compromise_evidence");
    assert!(botnet.iter_errors(&bad).next().is_some());
}

/// The SMTP server and Maildir of the test MTA that `.ci/services/postfix.sh`
/// starts, or `None` (the test is skipped, saying so) where it is not set up.
/// With `KIZUKI_REQUIRE_SERVICES` set, as in CI, a missing MTA fails.
fn test_mta() -> Option<(String, std::path::PathBuf)> {
    match (
        std::env::var("KIZUKI_TEST_SMTP"),
        std::env::var("KIZUKI_TEST_MAILDIR"),
    ) {
        (Ok(smtp), Ok(maildir)) => Some((smtp, maildir.into())),
        _ => {
            assert!(
                std::env::var_os("KIZUKI_REQUIRE_SERVICES").is_none(),
                "KIZUKI_TEST_SMTP and KIZUKI_TEST_MAILDIR are not set: run .ci/services/postfix.sh"
            );
            eprintln!(
                "skipped: no test MTA (run .ci/services/postfix.sh and set KIZUKI_TEST_SMTP, KIZUKI_TEST_MAILDIR)"
            );
            None
        }
    }
}

/// The delivered copies of the message with `message_id`.
fn copies(maildir: &Path, message_id: &str) -> Vec<(std::path::PathBuf, String)> {
    let needle = format!("Message-ID: <{message_id}>");
    let Ok(dir) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            text.contains(&needle).then(|| (e.path(), text))
        })
        .collect()
}

/// Waits until `n` copies of the message are delivered, and returns them.
fn delivered(maildir: &Path, message_id: &str, n: usize) -> Vec<String> {
    for _ in 0..200 {
        let found = copies(maildir, message_id);
        if found.len() >= n {
            return found.into_iter().map(|(_, t)| t).collect();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "{message_id} was not delivered {n} times to {}",
        maildir.display()
    );
}

#[test]
fn a_real_mta_accepts_the_messages_as_written() {
    use lettre::Transport;
    let Some((smtp, maildir)) = test_mta() else {
        return;
    };
    let (host, port) = smtp.rsplit_once(':').unwrap();
    let mailer = lettre::SmtpTransport::builder_dangerous(host)
        .port(port.parse().unwrap())
        .build();
    let dir = Directory::from_toml("c.toml", CONTACTS).unwrap();
    for (id, format) in [
        ("isp-ja", ReportFormat::Csv),
        ("isp-ja", ReportFormat::Xarf),
        ("corp-en", ReportFormat::Intelmq),
    ] {
        let contact = dir.get(id).unwrap();
        let r = report::build(contact, &events(), format, &sender(), now()).unwrap();
        let rcpt: Vec<lettre::Address> = contact
            .to
            .iter()
            .chain(&contact.cc)
            .map(|a| a.parse().unwrap())
            .collect();
        let n = rcpt.len();
        // The report id is derived from the content and the day, so an
        // earlier run's copies are cleared first.
        let message_id = format!("{}@coordinator.example.jp", r.id);
        for (path, _) in copies(&maildir, &message_id) {
            std::fs::remove_file(path).unwrap();
        }
        let envelope =
            lettre::address::Envelope::new(Some(sender().email.parse().unwrap()), rcpt).unwrap();
        mailer
            .send_raw(&envelope, &r.eml)
            .unwrap_or_else(|e| panic!("{id} {format:?}: the MTA refused the message: {e}"));
        // Delivered unchanged: the MTA adds its trace headers on top and
        // stores lines with LF ends; the message below them is ours.
        // lettre ends DATA with CRLF "." CRLF after the message's own final
        // CRLF, which leaves one empty line after the closing boundary.
        let ours = String::from_utf8(r.eml.clone())
            .unwrap()
            .replace("\r\n", "\n")
            + "\n";
        for got in delivered(&maildir, &message_id, n) {
            if !got.ends_with(&ours) {
                let first = ours
                    .lines()
                    .zip(got.lines().skip_while(|l| !ours.starts_with(l)))
                    .find(|(a, b)| a != b);
                panic!("{id} {format:?}: the MTA changed the message; first change {first:?}");
            }
            let added = &got[..got.len() - ours.len()];
            for line in added.lines() {
                assert!(
                    [
                        "Return-Path:",
                        "Delivered-To:",
                        "X-Original-To:",
                        "Received:",
                        " ",
                        "\t"
                    ]
                    .iter()
                    .any(|p| line.starts_with(p)),
                    "{id} {format:?}: the MTA rewrote the message: {line:?}"
                );
            }
        }
    }
}
