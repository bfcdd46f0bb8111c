//! Delivery status notifications: the bounces that come back for notices.
//!
//! A DSN (RFC 3464) is a `multipart/report` (RFC 3462, now RFC 6522) with a
//! human-readable part, a machine-readable `message/delivery-status` part
//! (`message/global-delivery-status` in RFC 6533) and often the returned
//! message or its header (`message/rfc822`, `message/global`,
//! `text/rfc822-headers`, `message/global-headers`).
//!
//! The delivery-status body is a set of header-like field groups separated
//! by blank lines: the first group is about the message (Reporting-MTA,
//! Original-Envelope-Id, Arrival-Date), each later group about one recipient
//! (Final-Recipient, Action, Status, Diagnostic-Code, …). [`parse`] finds the
//! parts with `mail-parser`, reads the field groups itself and gives one
//! [`Bounce`] per recipient group.
//!
//! Leniency, on purpose, for what real MTAs send:
//!
//! * field names are case-insensitive; folded lines (starting with a space or
//!   a tab) continue the previous field; lines that are not fields are
//!   skipped; a line of only white space separates groups like an empty one;
//! * a group that names a recipient is a recipient group even when the
//!   per-message group is missing;
//! * a recipient group without a recipient or without a well-formed Status
//!   (`class.subject.detail`, e.g. `5.1.1`, `5.1.10`) is skipped;
//! * an Action that is missing or not one of the five RFC 3464 values is
//!   taken from the Status class: 2 → `delivered`, 4 → `delayed`,
//!   5 → `failed`;
//! * bytes that are not UTF-8 are replaced (U+FFFD), never rejected.

use std::panic::catch_unwind;

use mail_parser::{
    Encoding, GetHeader, HeaderName, MessageParser, MessagePart, MimeHeaders, PartType,
};

/// One recipient's status from a DSN.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Bounce {
    /// Message-ID of the message the DSN is about, without angle brackets
    /// (from the returned `message/rfc822` or `text/rfc822-headers` part;
    /// else from the DSN's References/In-Reply-To; else an
    /// `Original-Envelope-Id` field). None when absent.
    pub original_message_id: Option<String>,
    /// Final-Recipient address (the "rfc822;" type prefix removed), else
    /// Original-Recipient.
    pub recipient: String,
    /// Action field lower-cased: failed, delayed, delivered, relayed,
    /// expanded.
    pub action: String,
    /// Status field, e.g. "5.1.1".
    pub status: String,
    /// Diagnostic-Code with its type prefix ("smtp; ") removed, whitespace of
    /// folded lines collapsed; "" when absent.
    pub diagnostic: String,
    /// Reporting-MTA without its type prefix; "" when absent.
    pub reporting_mta: String,
}

/// Why a message is not a DSN we can use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DsnError {
    /// No header fields could be read, or the message has no Content-Type
    /// (e.g. empty input, binary garbage, a plain-text bounce without MIME).
    #[error("not a MIME message: no header fields or no Content-Type")]
    NotMime,
    /// A MIME message without a delivery-status part (an auto-reply, a
    /// feedback or disposition report, an ordinary message).
    #[error(
        "not a delivery status notification: no message/delivery-status or \
         message/global-delivery-status part"
    )]
    NotAReport,
    /// The delivery-status part names no recipient with a well-formed Status
    /// field (empty, cut off, or malformed).
    #[error("the delivery-status part has no recipient with a valid Status field")]
    NoStatus,
    /// mail-parser gave up on the MIME structure: one of its internal
    /// consistency checks failed. These checks are debug assertions, so this
    /// only happens in builds with debug assertions on (e.g. a message/rfc822
    /// part that directly holds another message/rfc822); a release build
    /// reads the same input.
    #[error("the MIME structure is too malformed to parse")]
    Malformed,
}

/// Parses one raw message. A DSN with several recipients gives several
/// Bounces.
///
/// Never panics: any input, however truncated or garbled, gives either
/// bounces or a [`DsnError`]. (A debug assertion failing inside mail-parser
/// is caught and becomes [`DsnError::Malformed`]; the panic hook still
/// prints it. With `panic = "abort"` it would abort.)
pub fn parse(raw: &[u8]) -> Result<Vec<Bounce>, DsnError> {
    let message = catch_unwind(|| MessageParser::new().parse(raw))
        .map_err(|_| DsnError::Malformed)?
        .ok_or(DsnError::NotMime)?;
    let root = message.parts.first().ok_or(DsnError::NotMime)?;
    if root.content_type().is_none() {
        return Err(DsnError::NotMime);
    }

    // The returned message wins; the DSN's own threading headers are next.
    // Each delivery-status part may add its Original-Envelope-Id after that.
    let known_id = returned_message_id(raw, &message.parts)
        .or_else(|| header_id(root, &HeaderName::References, true))
        .or_else(|| header_id(root, &HeaderName::InReplyTo, false));

    let mut found = false;
    let mut bounces = Vec::new();
    for part in message.parts.iter().filter(|p| is_delivery_status(p)) {
        found = true;
        let text = String::from_utf8_lossy(part_body(raw, part));
        read_delivery_status(&text, known_id.as_deref(), &mut bounces);
    }

    if !found {
        Err(DsnError::NotAReport)
    } else if bounces.is_empty() {
        Err(DsnError::NoStatus)
    } else {
        Ok(bounces)
    }
}

/// The Action values of RFC 3464, section 2.3.3.
const ACTIONS: [&str; 5] = ["failed", "delayed", "delivered", "relayed", "expanded"];

/// One field of a delivery-status group: lower-cased name, raw value (folded
/// lines joined by a space).
type Field = (String, String);

/// Whether a part's Content-Type is `type/subtype` for one of the pairs.
fn has_type(part: &MessagePart<'_>, types: &[(&str, &str)]) -> bool {
    part.content_type().is_some_and(|ct| {
        let subtype = ct.subtype().unwrap_or("");
        types
            .iter()
            .any(|(t, s)| ct.ctype().eq_ignore_ascii_case(t) && subtype.eq_ignore_ascii_case(s))
    })
}

fn is_delivery_status(part: &MessagePart<'_>) -> bool {
    has_type(
        part,
        &[
            ("message", "delivery-status"),
            ("message", "global-delivery-status"),
        ],
    )
}

/// The decoded body of a part as bytes, whatever mail-parser made of it.
///
/// mail-parser 0.11 gives `message/delivery-status` as `Binary`, or as `Text`
/// when the part is cut off (no closing boundary); `Message` is only made for
/// `message/rfc822` and `message/global`, but is handled too.
fn part_body<'a>(raw: &'a [u8], part: &'a MessagePart<'_>) -> &'a [u8] {
    match &part.body {
        PartType::Text(text) | PartType::Html(text) => text.as_bytes(),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => bytes,
        PartType::Message(nested) => {
            // An unencoded nested message keeps the whole outer message as
            // its raw_message; its own bytes are the part's body range.
            let own = raw.get(part.offset_body as usize..part.offset_end as usize);
            match own {
                Some(own) if part.encoding == Encoding::None => own,
                _ => nested.raw_message(),
            }
        }
        PartType::Multipart(_) => &[],
    }
}

/// Message-ID of the first returned message or returned header block.
fn returned_message_id(raw: &[u8], parts: &[MessagePart<'_>]) -> Option<String> {
    const RETURNED: [(&str, &str); 5] = [
        ("message", "rfc822"),
        ("message", "global"),
        ("text", "rfc822-headers"),
        ("message", "global-headers"),
        ("text", "rfc822-header"),
    ];
    parts
        .iter()
        .filter(|part| has_type(part, &RETURNED))
        .find_map(|part| match &part.body {
            PartType::Message(nested) => nested
                .parts
                .first()
                .and_then(|root| header_id(root, &HeaderName::MessageId, false)),
            _ => {
                let bytes = part_body(raw, part).trim_ascii_start();
                let headers = catch_unwind(|| MessageParser::new().parse_headers(bytes))
                    .ok()
                    .flatten()?;
                headers
                    .parts
                    .first()
                    .and_then(|root| header_id(root, &HeaderName::MessageId, false))
            }
        })
}

/// The first (or last) message id of a header field of a part.
fn header_id(part: &MessagePart<'_>, name: &HeaderName<'_>, last: bool) -> Option<String> {
    let ids = part.headers.header_value(name)?.as_text_list()?;
    let id = if last { ids.last() } else { ids.first() };
    id.and_then(|id| clean_id(id))
}

/// A message id without angle brackets and surrounding white space.
fn clean_id(id: &str) -> Option<String> {
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// Reads one delivery-status body and appends its recipients' bounces.
fn read_delivery_status(text: &str, known_id: Option<&str>, out: &mut Vec<Bounce>) {
    let groups = field_groups(text);
    let per_message = groups.first().filter(|g| !is_recipient_group(g));
    let envelope_id = per_message
        .and_then(|g| field(g, "original-envelope-id"))
        .and_then(clean_id);
    let original_message_id = known_id.map(str::to_owned).or(envelope_id);
    let message_mta = per_message.and_then(|g| field(g, "reporting-mta"));

    for group in groups.iter().filter(|g| is_recipient_group(g)) {
        let recipient = field(group, "final-recipient")
            .and_then(clean_address)
            .or_else(|| field(group, "original-recipient").and_then(clean_address));
        let Some(recipient) = recipient else { continue };
        let Some(status) = field(group, "status")
            .and_then(|s| s.split_whitespace().next())
            .filter(|s| is_status_code(s))
        else {
            continue;
        };
        let action = field(group, "action")
            .and_then(|a| a.split_whitespace().next())
            .map(|a| a.trim_end_matches([';', ',', '.']).to_ascii_lowercase())
            .filter(|a| ACTIONS.contains(&a.as_str()))
            .unwrap_or_else(|| action_from_status(status).to_owned());
        let diagnostic = field(group, "diagnostic-code")
            .map(|d| collapse(strip_type(d)))
            .unwrap_or_default();
        // Reporting-MTA belongs to the per-message group; some MTAs repeat
        // it per recipient, which then wins.
        let reporting_mta = field(group, "reporting-mta")
            .or(message_mta)
            .map(|m| collapse(strip_type(m)))
            .unwrap_or_default();
        out.push(Bounce {
            original_message_id: original_message_id.clone(),
            recipient,
            action,
            status: status.to_owned(),
            diagnostic,
            reporting_mta,
        });
    }
}

/// Splits a delivery-status body into groups of fields.
fn field_groups(text: &str) -> Vec<Vec<Field>> {
    let mut groups = Vec::new();
    let mut group: Vec<Field> = Vec::new();
    // Whether a folded line may continue the last field (not after a line
    // that is not a field).
    let mut can_continue = false;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(std::mem::take(&mut group));
            }
            can_continue = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if can_continue && let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((name, value)) if is_field_name(name.trim_end()) => {
                group.push((
                    name.trim_end().to_ascii_lowercase(),
                    value.trim().to_owned(),
                ));
                can_continue = true;
            }
            _ => can_continue = false,
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// RFC 5322 field name: printable US-ASCII except the colon.
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// The first value of a field (name lower-case).
fn field<'g>(group: &'g [Field], name: &str) -> Option<&'g str> {
    group
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn is_recipient_group(group: &[Field]) -> bool {
    group
        .iter()
        .any(|(n, _)| n == "final-recipient" || n == "original-recipient")
}

/// Removes a leading `type;` (address-type, mta-name-type, diagnostic-type):
/// an atom starting with a letter, e.g. `rfc822`, `dns`, `smtp`,
/// `X-Postfix`, `utf-8`. A `;` later in free text is left alone.
fn strip_type(value: &str) -> &str {
    if let Some((kind, rest)) = value.split_once(';') {
        let kind = kind.trim();
        let is_type = kind.starts_with(|c: char| c.is_ascii_alphabetic())
            && kind
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if is_type {
            return rest.trim();
        }
    }
    value.trim()
}

/// A recipient address: type prefix, angle brackets and a trailing
/// `(comment)` removed.
fn clean_address(value: &str) -> Option<String> {
    let value = strip_type(value);
    let value = value
        .split_once('<')
        .and_then(|(_, rest)| rest.rsplit_once('>'))
        .map_or(value, |(inside, _)| inside);
    let mut address = collapse(value);
    if address.ends_with(')')
        && let Some((before, _)) = address.rsplit_once(" (")
    {
        address = before.trim().to_owned();
    }
    (!address.is_empty()).then_some(address)
}

/// White space runs (folding included) as single spaces, trimmed.
fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// RFC 3463 status code: class (2, 4 or 5), subject and detail of 1 to 3
/// digits each.
fn is_status_code(status: &str) -> bool {
    let digits = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = status.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(class), Some(subject), Some(detail), None) => {
            matches!(class, "2" | "4" | "5") && digits(subject) && digits(detail)
        }
        _ => false,
    }
}

/// The Action a status class implies (RFC 3464, 2.3.3 and 2.3.4).
fn action_from_status(status: &str) -> &'static str {
    if status.starts_with('2') {
        "delivered"
    } else if status.starts_with('4') {
        "delayed"
    } else {
        "failed"
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
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
            "", "5", "5.1", "5.1.", "5..1", "1.1.1", "3.0.0", "5.1.1.1", "5.1.1000", "5.a.1",
            "55.1.1",
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
}
