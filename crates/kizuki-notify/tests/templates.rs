//! Templates: the built-in ones say what a notice must say; an operator's
//! file replaces one; an HTML template escapes what it shows; a bad
//! template is refused when loaded. Messages: a stable Message-ID, 7-bit
//! bytes, and a DKIM signature when a key is configured.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_notify::message::{Parts, build};
use kizuki_notify::template::Templates;

fn ctx(malware: &str) -> minijinja::Value {
    minijinja::Value::from_serialize(serde_json::json!({
        "operator": {"name": "Example ISP", "contact": "abuse@isp.example", "verify_hint": "home page"},
        "recipient": {"id": "subscriber:A", "name": "A", "kind": "person", "emails": "a@example.jp"},
        "code": "AAAA-BBBB-CCCC-DDDD-EEEE",
        "kind": "notice",
        "emotet": false,
        "timezone": "UTC",
        "items": [{"address": "192.0.2.1", "port": null, "malware": malware,
                   "first": "2021-02-22 00:00:00 UTC", "last": "2021-02-22 00:00:00 UTC", "count": 1}],
    }))
}

#[test]
fn built_in_notices_state_what_was_seen_what_to_do_and_how_to_check() {
    let t = Templates::load(None).unwrap();
    let en = t.render("notice", "en", &ctx("qakbot")).unwrap();
    assert!(en.subject.contains("AAAA-BBBB-CCCC-DDDD-EEEE"));
    for s in [
        "192.0.2.1",
        "qakbot",
        "Scan every device",
        "change the passwords",
        "other PCs",
        "never ask you for a password",
        "Notice code: AAAA-BBBB-CCCC-DDDD-EEEE",
        "abuse@isp.example",
    ] {
        assert!(en.text.contains(s), "{s} missing:\n{}", en.text);
    }
    // Not Emotet: no EmoCheck step.
    assert!(!en.text.contains("EmoCheck"));
    assert!(en.html.is_none());
    let ja = t.render("notice", "ja", &ctx("qakbot")).unwrap();
    for s in [
        "IPアドレス：192.0.2.1",
        "ウイルス対策ソフト",
        "パスワード",
        "通知番号：AAAA-BBBB-CCCC-DDDD-EEEE",
    ] {
        assert!(ja.text.contains(s), "{s} missing:\n{}", ja.text);
    }
}

#[test]
fn an_operator_template_replaces_the_built_in_one_and_html_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notice.en.txt"),
        "Subject: Our own {{ code }}\n\nMalware: {{ items[0].malware }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("notice.en.html"),
        "<p>Malware: {{ items[0].malware }}</p>",
    )
    .unwrap();
    let t = Templates::load(Some(dir.path())).unwrap();
    let r = t
        .render("notice", "en", &ctx("<script>alert(1)</script>"))
        .unwrap();
    assert_eq!(r.subject, "Our own AAAA-BBBB-CCCC-DDDD-EEEE");
    assert_eq!(
        r.html.as_deref(),
        Some("<p>Malware: &lt;script&gt;alert(1)&lt;&#x2f;script&gt;</p>")
    );
    // The Japanese one is still the built-in.
    assert!(
        t.render("notice", "ja", &ctx("x"))
            .unwrap()
            .text
            .contains("通知番号")
    );

    std::fs::write(dir.path().join("notice.en.txt"), "Subject: {% if %}\n\nx").unwrap();
    let e = Templates::load(Some(dir.path())).unwrap_err().to_string();
    assert!(e.contains("notice.en.txt"), "{e}");
    std::fs::write(dir.path().join("notice.en.txt"), "no subject line\n").unwrap();
    let t = Templates::load(Some(dir.path())).unwrap();
    let e = t.render("notice", "en", &ctx("x")).unwrap_err().to_string();
    assert!(e.contains("Subject:"), "{e}");
}

fn parts<'a>(to: &'a [String], machine: &'a [u8]) -> Parts<'a> {
    Parts {
        notice: 1,
        from: ("Example ISP", "abuse@isp.example"),
        to,
        cc: &[],
        subject: "Emotet 感染のおそれ",
        message_id: "kizuki.1.aaaa@isp.example",
        code: "AAAA-BBBB-CCCC-DDDD-EEEE",
        date: 1_613_952_000,
        text: "本文です。\n",
        html: None,
        machine,
        attachment: None,
    }
}

#[test]
fn messages_are_seven_bit_with_a_stable_message_id() {
    let to = vec!["a@example.jp".to_owned()];
    let m = build(&parts(&to, b"{}"), None).unwrap();
    assert!(m.is_ascii());
    assert!(m.contains("Message-ID: <kizuki.1.aaaa@isp.example>"), "{m}");
    assert!(m.contains("X-Kizuki-Notice-Code: AAAA-BBBB-CCCC-DDDD-EEEE"));
    assert!(m.contains("Auto-Submitted: auto-generated"));
    let parsed = mail_parser::MessageParser::default()
        .parse(m.as_bytes())
        .unwrap();
    assert_eq!(parsed.subject(), Some("Emotet 感染のおそれ"));
    assert_eq!(parsed.body_text(0).unwrap().trim_end(), "本文です。");
    // A bad address is refused, naming it.
    let bad = vec!["not an address".to_owned()];
    let e = build(&parts(&bad, b"{}"), None).unwrap_err().to_string();
    assert!(e.contains("not an address"), "{e}");
}

#[test]
fn dkim_signs_when_a_key_is_configured() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("dkim.key");
    // An Ed25519 key: 32 bytes, base64.
    std::fs::write(&key, "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=").unwrap();
    let cfg = kizuki_notify::config::DkimConfig {
        domain: "isp.example".into(),
        selector: "k1".into(),
        key_file: key,
        algorithm: "ed25519".into(),
    };
    let n = kizuki_notify::Notifier::new(kizuki_notify::NotifyConfig {
        dkim: Some(cfg),
        ..kizuki_notify::NotifyConfig::default()
    });
    assert!(n.is_ok(), "{:?}", n.err());
    let signer = kizuki_notify::message::load_dkim(&kizuki_notify::config::DkimConfig {
        domain: "isp.example".into(),
        selector: "k1".into(),
        key_file: dir.path().join("dkim.key"),
        algorithm: "ed25519".into(),
    })
    .unwrap();
    let to = vec!["a@example.jp".to_owned()];
    let m = build(&parts(&to, b"{}"), Some(&signer)).unwrap();
    let sig = m
        .lines()
        .find(|l| l.starts_with("DKIM-Signature:"))
        .unwrap();
    assert!(
        sig.contains("d=isp.example") && sig.contains("s=k1"),
        "{sig}"
    );
    assert!(sig.contains("a=ed25519-sha256"), "{sig}");
}
