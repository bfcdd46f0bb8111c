//! The DSN parser on hand-written fixtures, truncations and mutations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

macro_rules! fixture {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/data/dsn/",
                $name
            ))
            .as_slice(),
        )
    };
}

const POSTFIX: (&str, &[u8]) = fixture!("postfix.eml");
const RFC822_HEADERS: (&str, &[u8]) = fixture!("rfc822_headers.eml");
const TWO_RECIPIENTS: (&str, &[u8]) = fixture!("two_recipients.eml");
const EXCHANGE: (&str, &[u8]) = fixture!("exchange.eml");
const EXIM: (&str, &[u8]) = fixture!("exim.eml");
const ISO2022JP: (&str, &[u8]) = fixture!("iso2022jp.eml");
const GLOBAL: (&str, &[u8]) = fixture!("global.eml");
const TRUNCATED: (&str, &[u8]) = fixture!("truncated.eml");
const NOT_DSN: (&str, &[u8]) = fixture!("not_dsn.eml");

const ALL: [(&str, &[u8]); 9] = [
    POSTFIX,
    RFC822_HEADERS,
    TWO_RECIPIENTS,
    EXCHANGE,
    EXIM,
    ISO2022JP,
    GLOBAL,
    TRUNCATED,
    NOT_DSN,
];

fn bounce(
    id: Option<&str>,
    recipient: &str,
    action: &str,
    status: &str,
    diagnostic: &str,
    reporting_mta: &str,
) -> Bounce {
    Bounce {
        original_message_id: id.map(str::to_owned),
        recipient: recipient.to_owned(),
        action: action.to_owned(),
        status: status.to_owned(),
        diagnostic: diagnostic.to_owned(),
        reporting_mta: reporting_mta.to_owned(),
    }
}

fn to_crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for &b in raw {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Properties every bounce has, whatever the input.
fn check_invariants(bounces: &[Bounce]) {
    assert!(!bounces.is_empty());
    for b in bounces {
        assert!(!b.recipient.is_empty(), "{b:?}");
        assert!(is_status_code(&b.status), "{b:?}");
        assert!(ACTIONS.contains(&b.action.as_str()), "{b:?}");
        assert!(b.original_message_id.as_deref() != Some(""), "{b:?}");
    }
}

#[test]
fn postfix() {
    assert_eq!(
        parse(POSTFIX.1).unwrap(),
        [bounce(
            Some("kizuki.12.abcd@isp.example"),
            "abuse@example.jp",
            "failed",
            "5.1.1",
            "550 5.1.1 <abuse@example.jp>: Recipient address rejected: \
             User unknown in virtual mailbox table",
            "mx1.isp.example",
        )]
    );
}

#[test]
fn rfc822_headers() {
    assert_eq!(
        parse(RFC822_HEADERS.1).unwrap(),
        [bounce(
            Some("kizuki.13.ef01@isp.example"),
            "noc@example.com",
            "failed",
            "5.2.2",
            "552 5.2.2 Mailbox full",
            "relay.example.com",
        )]
    );
}

#[test]
fn two_recipients() {
    // The returned message's Message-ID wins over Original-Envelope-Id.
    let id = Some("kizuki.15.77aa@isp.example");
    assert_eq!(
        parse(TWO_RECIPIENTS.1).unwrap(),
        [
            bounce(
                id,
                "abuse@example.jp",
                "failed",
                "5.1.1",
                "550 5.1.1 <abuse@example.jp>... User unknown",
                "mta2.isp.example",
            ),
            bounce(
                id,
                "security@example.com",
                "delayed",
                "4.4.1",
                "connect to mx.example.com[192.0.2.40]:25: Connection timed out",
                "mta2.isp.example",
            ),
        ]
    );
}

#[test]
fn exchange() {
    assert_eq!(
        parse(EXCHANGE.1).unwrap(),
        [bounce(
            Some("kizuki.16.c0de@isp.example"),
            "it-security@corp.example.com",
            "failed",
            "5.1.10",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient \
             it-security@corp.example.com not found by SMTP address lookup",
            "EXCH01.corp.example.com",
        )]
    );
}

#[test]
fn exim_id_from_references() {
    assert_eq!(
        parse(EXIM.1).unwrap(),
        [bounce(
            Some("kizuki.17.beef@isp.example"),
            "postmaster@example.com",
            "failed",
            "5.0.0",
            "550-5.7.1 Recipient rejected by policy. 550 5.7.1 Contact the administrator.",
            "mail.example.com",
        )]
    );
}

#[test]
fn iso2022jp() {
    assert_eq!(
        parse(ISO2022JP.1).unwrap(),
        [bounce(
            Some("kizuki.14.9f3c@isp.example"),
            "security@example.jp",
            "failed",
            "5.1.1",
            "550 5.1.1 <security@example.jp>... User unknown",
            "mx.example.jp",
        )]
    );
}

#[test]
fn global_dsn() {
    assert_eq!(
        parse(GLOBAL.1).unwrap(),
        [bounce(
            Some("kizuki.19.0a0a@isp.example"),
            "管理者@example.jp",
            "failed",
            "5.1.1",
            "550 5.1.1 <管理者@example.jp>: Recipient address rejected: User unknown",
            "mx.example.jp",
        )]
    );
}

#[test]
fn truncated_keeps_complete_recipients() {
    // Cut in the second recipient group ("Action: fai", no Status): that
    // group is dropped. No returned message and no References, so the
    // Original-Envelope-Id is the id.
    assert_eq!(
        parse(TRUNCATED.1).unwrap(),
        [bounce(
            Some("kizuki.18.dead@isp.example"),
            "abuse@example.com",
            "failed",
            "5.7.1",
            "554 5.7.1 <abuse@example.com>: Relay access denied",
            "mx1.isp.example",
        )]
    );
}

#[test]
fn not_dsn() {
    assert_eq!(parse(NOT_DSN.1), Err(DsnError::NotAReport));
}

#[test]
fn crlf_same_as_lf() {
    for (name, raw) in ALL {
        assert_eq!(parse(&to_crlf(raw)), parse(raw), "{name}");
    }
}

/// How mail-parser 0.11 hands over the delivery-status part: `Binary`
/// normally, `Text` when the part is cut off. [`part_body`] takes every
/// variant (see `part_body_every_variant`).
#[test]
fn mail_parser_gives_delivery_status_as() {
    let kind = |raw: &[u8]| {
        let message = MessageParser::new().parse(raw).unwrap();
        let part = message
            .parts
            .iter()
            .find(|p| is_delivery_status(p))
            .unwrap();
        match part.body {
            PartType::Text(_) => "text",
            PartType::Binary(_) => "binary",
            PartType::InlineBinary(_) => "inline binary",
            PartType::Message(_) => "message",
            PartType::Html(_) => "html",
            PartType::Multipart(_) => "multipart",
        }
    };
    assert_eq!(kind(POSTFIX.1), "binary");
    assert_eq!(kind(GLOBAL.1), "binary");
    assert_eq!(kind(TRUNCATED.1), "text");
}

#[test]
fn part_body_every_variant() {
    let raw = b"Content-Type: message/delivery-status\n\nStatus: 5.1.1\n";
    let with = |body| MessagePart {
        body,
        offset_body: 39,
        offset_end: raw.len() as u32,
        ..MessagePart::default()
    };
    let text = with(PartType::Text("a".into()));
    assert_eq!(part_body(raw, &text), b"a");
    let html = with(PartType::Html("b".into()));
    assert_eq!(part_body(raw, &html), b"b");
    let binary = with(PartType::Binary(b"c".as_slice().into()));
    assert_eq!(part_body(raw, &binary), b"c");
    let inline = with(PartType::InlineBinary(b"d".as_slice().into()));
    assert_eq!(part_body(raw, &inline), b"d");
    let multipart = with(PartType::Multipart(vec![1, 2]));
    assert_eq!(part_body(raw, &multipart), b"");
    let nested = MessageParser::new().parse(b"X-A: b\n\nbody\n").unwrap();
    let message = with(PartType::Message(nested.clone()));
    assert_eq!(part_body(raw, &message), b"Status: 5.1.1\n");
    // Offsets out of range: the nested message's own bytes.
    let mut message = with(PartType::Message(nested));
    message.offset_end = 10_000;
    assert_eq!(part_body(raw, &message), b"X-A: b\n\nbody\n");
}

const DSN_HEAD: &str = "From: MAILER-DAEMON@mx.isp.example\n\
    To: notices@isp.example\n\
    Subject: bounce\n\
    MIME-Version: 1.0\n\
    Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\n\n";

/// A DSN with one delivery-status part, given its part header lines and
/// body.
fn dsn(part_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "{DSN_HEAD}--b1\nContent-Type: text/plain\n\nIt bounced.\n\n\
         --b1\n{part_headers}\n\n{body}\n--b1--\n"
    )
    .into_bytes()
}

#[test]
fn base64_and_quoted_printable_delivery_status() {
    // base64 of "Reporting-MTA: dns; mx.isp.example\n\n
    // Final-Recipient: rfc822; a@example.jp\nAction: failed\n
    // Status: 5.1.1\n"
    let b64 = "UmVwb3J0aW5nLU1UQTogZG5zOyBteC5pc3AuZXhhbXBsZQoKRmluYWwtUmVjaXBpZW50OiBy\n\
               ZmM4MjI7IGFAZXhhbXBsZS5qcApBY3Rpb246IGZhaWxlZApTdGF0dXM6IDUuMS4xCg==";
    let expected = [bounce(
        None,
        "a@example.jp",
        "failed",
        "5.1.1",
        "",
        "mx.isp.example",
    )];
    let raw = dsn(
        "Content-Type: message/global-delivery-status\nContent-Transfer-Encoding: base64",
        b64,
    );
    assert_eq!(parse(&raw).unwrap(), expected);
    let qp = "Reporting-MTA: dns; mx.isp=2Eexample\n\n\
              Final-Recipient: rfc822; a@example=\n.jp\nAction: failed\nStatus: 5.1.1";
    let raw = dsn(
        "Content-Type: message/delivery-status\nContent-Transfer-Encoding: quoted-printable",
        qp,
    );
    assert_eq!(parse(&raw).unwrap(), expected);
}

#[test]
fn delivery_status_as_whole_message() {
    let raw = b"Content-Type: message/delivery-status\n\n\
        Reporting-MTA: dns; mx.isp.example\n\n\
        Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.1.1\n";
    assert_eq!(
        parse(raw).unwrap(),
        [bounce(
            None,
            "a@example.jp",
            "failed",
            "5.1.1",
            "",
            "mx.isp.example"
        )]
    );
}

#[test]
fn errors() {
    assert_eq!(parse(b""), Err(DsnError::NotMime));
    assert_eq!(parse(b"\x00\x01\x02\xff\xfe"), Err(DsnError::NotMime));
    assert_eq!(parse(b"\n\n\n"), Err(DsnError::NotMime));
    // RFC 5322 without MIME: an old plain-text bounce.
    assert_eq!(
        parse(b"From: MAILER-DAEMON@mx.isp.example\nSubject: failure notice\n\nSorry.\n"),
        Err(DsnError::NotMime)
    );
    // A report of another kind.
    let mdn = b"MIME-Version: 1.0\n\
        Content-Type: multipart/report; report-type=disposition-notification; boundary=x\n\n\
        --x\nContent-Type: text/plain\n\nRead.\n\
        --x\nContent-Type: message/disposition-notification\n\n\
        Final-Recipient: rfc822; a@example.jp\nDisposition: manual-action/MDN-sent-manually; displayed\n\
        --x--\n";
    assert_eq!(parse(mdn), Err(DsnError::NotAReport));
    // A multipart/report that lost its delivery-status part.
    let raw = format!("{DSN_HEAD}--b1\nContent-Type: text/plain\n\nIt bounced.\n--b1--\n");
    assert_eq!(parse(raw.as_bytes()), Err(DsnError::NotAReport));
    // Only the per-message group.
    let raw = dsn(
        "Content-Type: message/delivery-status",
        "Reporting-MTA: dns; mx.isp.example\n",
    );
    assert_eq!(parse(&raw), Err(DsnError::NoStatus));
    // Empty delivery-status part.
    assert_eq!(
        parse(&dsn("Content-Type: message/delivery-status", "")),
        Err(DsnError::NoStatus)
    );
    // Status malformed or missing; no recipient.
    for group in [
        "Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.1",
        "Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 3.1.1",
        "Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.1.1234",
        "Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus:",
        "Final-Recipient: rfc822; a@example.jp\nAction: failed",
        "Final-Recipient: rfc822;\nAction: failed\nStatus: 5.1.1",
        "Final-Recipient: rfc822; <>\nAction: failed\nStatus: 5.1.1",
    ] {
        let raw = dsn(
            "Content-Type: message/delivery-status",
            &format!("Reporting-MTA: dns; mx.isp.example\n\n{group}\n"),
        );
        assert_eq!(parse(&raw), Err(DsnError::NoStatus), "{group}");
    }
}

/// A message/rfc822 part that directly holds another message/rfc822 trips
/// a debug assertion in mail-parser 0.11.9 (found by the mutation test);
/// `Malformed` is what a build with that assertion on returns.
#[test]
fn nested_rfc822_in_report() {
    let raw = b"Content-Type: multipart/report; boundary=\"b\"\n\n\
        --b\nContent-Type: message/rfc822\n\n\
        Subject: x\nContent-Type: message/rfc822\n\nSubject: y\n\n--b--\n";
    // The workspace builds mail-parser without debug assertions (see
    // Cargo.toml), so this parses in every profile.
    assert_eq!(parse(raw), Err(DsnError::NotAReport));
}

#[test]
fn error_messages() {
    assert_eq!(
        DsnError::NotMime.to_string(),
        "not a MIME message: no header fields or no Content-Type"
    );
    assert_eq!(
        DsnError::NotAReport.to_string(),
        "not a delivery status notification: no message/delivery-status or \
         message/global-delivery-status part"
    );
    assert_eq!(
        DsnError::NoStatus.to_string(),
        "the delivery-status part has no recipient with a valid Status field"
    );
    assert_eq!(
        DsnError::Malformed.to_string(),
        "the MIME structure is too malformed to parse"
    );
}

#[test]
fn recipient_groups_leniency() {
    let body = "\n\n  \nReporting-MTA: dns; mx.isp.example\n\
        Original-Envelope-Id: <env.1@isp.example>\n\
        \n\
        Original-Recipient: rfc822; first@example.jp\n\
        Status: 5.1.1\n\
        \x20\t\n\
        Final-Recipient: rfc822; Second Person <second@example.jp>\n\
        Action: FAILED (bad mailbox)\n\
        Status: 5.1.1\n\
        \n\
        Final-Recipient: rfc822; third@example.jp (Third)\n\
        Action: bounced\n\
        Status: 4.2.2\n\
        Reporting-MTA: dns; relay.isp.example\n\
        \n\
        Final-Recipient: rfc822; fourth@example.jp\n\
        Status: 2.0.0\n\
        \n\
        X-Vendor-Trailer: something\n";
    let raw = dsn("Content-Type: message/delivery-status", body);
    let id = Some("env.1@isp.example");
    assert_eq!(
        parse(&raw).unwrap(),
        [
            bounce(
                id,
                "first@example.jp",
                "failed",
                "5.1.1",
                "",
                "mx.isp.example"
            ),
            bounce(
                id,
                "second@example.jp",
                "failed",
                "5.1.1",
                "",
                "mx.isp.example"
            ),
            bounce(
                id,
                "third@example.jp",
                "delayed",
                "4.2.2",
                "",
                "relay.isp.example"
            ),
            bounce(
                id,
                "fourth@example.jp",
                "delivered",
                "2.0.0",
                "",
                "mx.isp.example"
            ),
        ]
    );
}

#[test]
fn merged_groups_and_in_reply_to() {
    // No per-message group: Reporting-MTA comes with the recipient.
    let body = "Reporting-MTA: dns; mx.isp.example\n\
        Final-Recipient: rfc822; a@example.jp\nAction: delayed\nStatus: 4.4.7\n";
    let raw = dsn("Content-Type: message/delivery-status", body);
    let raw = String::from_utf8(raw).unwrap().replacen(
        "Subject:",
        "In-Reply-To: <kizuki.20.aa@isp.example>\nSubject:",
        1,
    );
    assert_eq!(
        parse(raw.as_bytes()).unwrap(),
        [bounce(
            Some("kizuki.20.aa@isp.example"),
            "a@example.jp",
            "delayed",
            "4.4.7",
            "",
            "mx.isp.example",
        )]
    );
}

#[test]
fn references_last_id() {
    let body = "Final-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.1.1\n";
    let raw = String::from_utf8(dsn("Content-Type: message/delivery-status", body))
        .unwrap()
        .replacen(
            "Subject:",
            "References: <thread.1@isp.example>\n <kizuki.21.bb@isp.example>\n\
             In-Reply-To: <other@isp.example>\nSubject:",
            1,
        );
    let bounces = parse(raw.as_bytes()).unwrap();
    assert_eq!(
        bounces[0].original_message_id.as_deref(),
        Some("kizuki.21.bb@isp.example")
    );
}

#[test]
fn field_groups_parsing() {
    let text = "\r\nReporting-MTA: dns; a\r\n\r\n\
        FINAL-recipient : rfc822; x@example.jp\r\n\
        Diagnostic-Code: smtp; 550 one\r\n\
        \ttwo\r\n   three\r\n\
        not a field line\r\n\
        \x20 orphan continuation\r\n\
        : no name\r\n\
        Action:failed\r\n";
    assert_eq!(
        field_groups(text),
        [
            vec![("reporting-mta".to_owned(), "dns; a".to_owned())],
            vec![
                (
                    "final-recipient".to_owned(),
                    "rfc822; x@example.jp".to_owned()
                ),
                (
                    "diagnostic-code".to_owned(),
                    "smtp; 550 one two three".to_owned()
                ),
                ("action".to_owned(), "failed".to_owned()),
            ],
        ]
    );
    assert!(field_groups("").is_empty());
    assert!(field_groups("\n \n\t\n").is_empty());
}

#[test]
fn type_prefixes() {
    assert_eq!(strip_type("smtp; 550 5.1.1 x"), "550 5.1.1 x");
    assert_eq!(strip_type("smtp;550 a; b"), "550 a; b");
    assert_eq!(strip_type("X-Postfix; connect to x"), "connect to x");
    assert_eq!(strip_type(" utf-8 ; a@example.jp "), "a@example.jp");
    assert_eq!(
        strip_type("550 5.1.1 <a@b>; user unknown"),
        "550 5.1.1 <a@b>; user unknown"
    );
    assert_eq!(strip_type("550; x"), "550; x");
    assert_eq!(strip_type("no type here"), "no type here");
    assert_eq!(strip_type(";x"), ";x");
    assert_eq!(
        clean_address("rfc822;<a@example.jp>").as_deref(),
        Some("a@example.jp")
    );
    assert_eq!(
        clean_address("RFC822; a@example.jp").as_deref(),
        Some("a@example.jp")
    );
    assert_eq!(
        clean_address("rfc822; a@example.jp (A)").as_deref(),
        Some("a@example.jp")
    );
    assert_eq!(clean_address("rfc822; ").as_deref(), None);
    assert_eq!(clean_id(" <x@y> ").as_deref(), Some("x@y"));
    assert_eq!(clean_id("<>").as_deref(), None);
}

#[test]
fn status_codes() {
    for ok in ["2.0.0", "4.4.1", "5.1.1", "5.1.10", "5.123.456"] {
        assert!(is_status_code(ok), "{ok}");
    }
    for bad in [
        "", "5", "5.1", "5.1.", "5..1", "1.1.1", "3.0.0", "5.1.1.1", "5.1.1000", "5.a.1", "55.1.1",
    ] {
        assert!(!is_status_code(bad), "{bad}");
    }
}

#[test]
fn serializes() {
    let b = bounce(Some("x@y"), "a@example.jp", "failed", "5.1.1", "d", "m");
    assert_eq!(
        serde_json::to_value(&b).unwrap(),
        serde_json::json!({
            "original_message_id": "x@y",
            "recipient": "a@example.jp",
            "action": "failed",
            "status": "5.1.1",
            "diagnostic": "d",
            "reporting_mta": "m",
        })
    );
}

/// Parses, turning a panic into a test failure that names the input.
fn parse_no_panic(what: &dyn Fn() -> String, raw: &[u8]) {
    match std::panic::catch_unwind(|| parse(raw)) {
        Ok(Ok(bounces)) => check_invariants(&bounces),
        Ok(Err(_)) => {}
        Err(_) => panic!("parse panicked on {}", what()),
    }
}

#[test]
fn every_prefix_never_panics() {
    for (name, raw) in ALL {
        for len in 0..=raw.len() {
            parse_no_panic(&|| format!("{name}[..{len}]"), &raw[..len]);
        }
    }
    let crlf = to_crlf(POSTFIX.1);
    for len in 0..=crlf.len() {
        parse_no_panic(&|| format!("crlf postfix.eml[..{len}]"), &crlf[..len]);
    }
}

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn random_mutations_never_panic() {
    const INTERESTING: &[u8] = b"\n\r\t :;<>-=\"\\()\x00\x1b\x80\xff";
    for (name, raw) in ALL {
        for seed in 1..=2000u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ raw.len() as u64);
            let mut data = raw.to_vec();
            for _ in 0..1 + rng.below(8) {
                if data.is_empty() {
                    break;
                }
                let at = rng.below(data.len());
                match rng.below(5) {
                    0 => data[at] ^= 1 << rng.below(8),
                    1 => data[at] = rng.next() as u8,
                    2 => data[at] = INTERESTING[rng.below(INTERESTING.len())],
                    3 => {
                        let end = (at + 1 + rng.below(64)).min(data.len());
                        data.drain(at..end);
                    }
                    _ => {
                        let end = (at + 1 + rng.below(64)).min(data.len());
                        let chunk = data[at..end].to_vec();
                        let to = rng.below(data.len());
                        data.splice(to..to, chunk);
                    }
                }
            }
            parse_no_panic(&|| format!("{name} mutated with seed {seed}"), &data);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5eed);
    for round in 0..3000 {
        let len = rng.below(512);
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        parse_no_panic(&|| format!("random bytes, round {round}"), &data);
    }
}
