//! The MIME parts of a message as kizuki needs them: text decoded with
//! charset detection, attachments as bytes, names decoded.

use super::charset;
use super::header::decode_value;
use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

/// Raw bytes of a message by the offsets mail-parser gives. A message
/// nested as a 7-bit `message/rfc822` part keeps only its own bytes, while
/// its offsets count from the start of the outer message; they are moved
/// back by where the nested message starts.
pub(crate) fn raw_slice<'a>(msg: &'a Message<'_>, start: u32, end: u32) -> Option<&'a [u8]> {
    let raw = msg.raw_message();
    let base = match msg.parts.first() {
        Some(root) if root.offset_end as usize > raw.len() => root.offset_header as usize,
        _ => 0,
    };
    let start = (start as usize).checked_sub(base)?;
    let end = (end as usize).checked_sub(base)?;
    raw.get(start..end.max(start))
}

/// A part's content type, `type/subtype`, lower case.
pub(crate) fn content_type(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(s) => format!("{}/{}", ct.ctype(), s).to_ascii_lowercase(),
            None => ct.ctype().to_ascii_lowercase(),
        },
        None => "text/plain".into(),
    }
}

/// The charset a part declares.
pub(crate) fn charset_label<'a>(part: &'a MessagePart<'_>) -> Option<&'a str> {
    part.content_type().and_then(|ct| ct.attribute("charset"))
}

/// A part's body with only the transfer encoding undone.
pub(crate) fn bytes(msg: &Message<'_>, part: &MessagePart<'_>) -> Vec<u8> {
    match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
        PartType::Text(_) | PartType::Html(_) => {
            // mail-parser has already decoded the charset (or replaced what
            // it could not); go back to the raw bytes.
            let raw = raw_slice(msg, part.offset_body, part.offset_end).unwrap_or_default();
            // mail-parser forgets the encoding of a part it found damaged
            // (cut short, say); the header still says what it was.
            let declared = part
                .content_transfer_encoding()
                .map(|e| e.trim().to_ascii_lowercase());
            match (part.encoding, declared.as_deref()) {
                (Encoding::Base64, _) | (Encoding::None, Some("base64")) => {
                    charset::base64_lenient(raw)
                }
                (Encoding::QuotedPrintable, _) | (Encoding::None, Some("quoted-printable")) => {
                    charset::quoted_printable(raw)
                }
                (Encoding::None, _) => raw.to_vec(),
            }
        }
        PartType::Message(m) => m.raw_message().to_vec(),
        PartType::Multipart(_) => Vec::new(),
    }
}

/// A text part, decoded. HTML is turned into text.
pub(crate) fn text(
    msg: &Message<'_>,
    part: &MessagePart<'_>,
    what: &str,
    problems: &mut Vec<String>,
) -> String {
    let b = bytes(msg, part);
    let d = charset::decode(&b, charset_label(part));
    if let Some(p) = d.problem {
        problems.push(format!("{what}: {p}"));
    }
    if matches!(part.body, PartType::Html(_)) {
        mail_parser::decoders::html::html_to_text(&d.text)
    } else {
        d.text
    }
}

/// A parameter of a raw `Content-Type` / `Content-Disposition` value,
/// decoded by kizuki (for names in raw Shift_JIS).
fn raw_param(
    msg: &Message<'_>,
    part: &MessagePart<'_>,
    header: &str,
    param: &str,
) -> Option<String> {
    let h = part
        .headers
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(header))?;
    let raw = raw_slice(msg, h.offset_start, h.offset_end)?;
    let mut ignored = Vec::new();
    let v = decode_value(raw, false, header, &mut ignored);
    let lower = v.to_ascii_lowercase();
    let at = lower.find(&format!("{param}="))?;
    let rest = v[at + param.len() + 1..].trim_start();
    let name = match rest.strip_prefix('"') {
        Some(q) => q.split('"').next().unwrap_or(q),
        None => rest.split(';').next().unwrap_or(rest).trim(),
    };
    (!name.is_empty()).then(|| name.to_owned())
}

/// A part's file name, decoded; `part-N` when it has none.
pub(crate) fn name(msg: &Message<'_>, part: &MessagePart<'_>, index: usize) -> String {
    match part.attachment_name() {
        Some(n) if !n.contains('\u{fffd}') && !n.trim().is_empty() => n.trim().to_owned(),
        _ => raw_param(msg, part, "Content-Disposition", "filename")
            .or_else(|| raw_param(msg, part, "Content-Type", "name"))
            .unwrap_or_else(|| format!("part-{index}")),
    }
}
