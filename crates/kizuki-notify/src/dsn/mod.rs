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
mod tests;
