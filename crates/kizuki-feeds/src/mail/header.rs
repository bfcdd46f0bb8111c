//! Header fields, decoded whatever the sender did.
//!
//! mail-parser decodes RFC 2047 encoded words with the charsets it knows
//! and reads raw bytes as UTF-8, so a Subject of raw Shift_JIS (common
//! from old Japanese mailers) or an encoded word in `cp932` comes out as
//! U+FFFD. kizuki takes the raw bytes of the fields it needs, decodes them
//! itself (see [`charset`](super::charset)), and hands address fields back
//! to mail-parser as UTF-8 to be split into mailboxes.

use super::charset;
use super::datetime;
use super::notice::Mailbox;
use kizuki_event::Timestamp;
use kizuki_event::time::Civil;
use mail_parser::{Message, MessageParser};

/// The raw bytes of a header field's value (the first one of that name).
pub(crate) fn raw_value<'a>(msg: &'a Message<'_>, name: &str) -> Option<&'a [u8]> {
    let part = msg.parts.first()?;
    let h = part
        .headers
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name))?;
    super::parts::raw_slice(msg, h.offset_start, h.offset_end)
}

/// Unfolds a header value: line breaks followed by white space go.
fn unfold(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .copied()
        .filter(|&c| c != b'\r' && c != b'\n')
        .collect()
}

/// Decodes one encoded word's payload.
fn decode_word(
    charset_label: &str,
    enc: u8,
    payload: &str,
    problems: &mut Vec<String>,
    field: &str,
) -> String {
    let bytes = if enc.eq_ignore_ascii_case(&b'b') {
        charset::base64_lenient(payload.as_bytes())
    } else {
        let underscores: Vec<u8> = payload
            .bytes()
            .map(|c| if c == b'_' { b' ' } else { c })
            .collect();
        charset::quoted_printable(&underscores)
    };
    // RFC 2231 adds a language: `=?utf-8*ja?B?…?=`.
    let label = charset_label.split('*').next().unwrap_or(charset_label);
    let d = charset::decode(&bytes, Some(label));
    if let Some(p) = d.problem {
        problems.push(format!("{field}: {p}"));
    }
    d.text
}

/// An encoded word at the start of `s`: its length and parts.
fn encoded_word(s: &str) -> Option<(usize, &str, u8, &str)> {
    let rest = s.strip_prefix("=?")?;
    let q1 = rest.find('?')?;
    let charset = &rest[..q1];
    if charset.is_empty() || charset.contains([' ', '\t']) {
        return None;
    }
    let after = &rest[q1 + 1..];
    let enc = *after.as_bytes().first()?;
    if !matches!(enc, b'B' | b'b' | b'Q' | b'q') || after.as_bytes().get(1) != Some(&b'?') {
        return None;
    }
    let text = &after[2..];
    let end = text.find("?=")?;
    let payload = &text[..end];
    if payload.contains([' ', '\t']) {
        return None;
    }
    let len = 2 + q1 + 1 + 2 + end + 2;
    Some((len, charset, enc, payload))
}

/// Decodes a header value from its raw bytes: raw 8-bit or ISO-2022-JP
/// text by detection, then encoded words by their charset. In an address
/// field, decoded words with special characters are quoted, so that
/// `=?UTF-8?B?…?=` for `Yamada, Taro` stays one name.
pub(crate) fn decode_value(
    raw: &[u8],
    address: bool,
    field: &str,
    problems: &mut Vec<String>,
) -> String {
    let unfolded = unfold(raw);
    let d = charset::decode(&unfolded, None);
    if let Some(p) = d.problem {
        problems.push(format!("{field}: {p}"));
    }
    let s = d.text;
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let mut in_quotes = false;
    let mut pending_ws = String::new();
    let mut last_was_word = false;
    while i < s.len() {
        let rest = &s[i..];
        if let Some((len, cs, enc, payload)) = encoded_word(rest) {
            let mut text = decode_word(cs, enc, payload, problems, field);
            // White space between two encoded words is not part of the text.
            if !last_was_word {
                out.push_str(&pending_ws);
            }
            pending_ws.clear();
            if address
                && !in_quotes
                && text.contains([
                    '"', ',', '<', '>', '@', ';', ':', '(', ')', '[', ']', '\\', '.',
                ])
            {
                text = format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""));
            }
            out.push_str(&text);
            i += len;
            last_was_word = true;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c == ' ' || c == '\t' {
            pending_ws.push(c);
        } else {
            out.push_str(&pending_ws);
            pending_ws.clear();
            if c == '"' && !out.ends_with('\\') {
                in_quotes = !in_quotes;
            }
            out.push(c);
            last_was_word = false;
        }
        i += c.len_utf8();
    }
    out.trim().to_owned()
}

/// An unstructured field (Subject), decoded.
pub(crate) fn text(msg: &Message<'_>, name: &str, problems: &mut Vec<String>) -> Option<String> {
    let raw = raw_value(msg, name)?;
    let v = decode_value(raw, false, name, problems);
    (!v.is_empty()).then_some(v)
}

/// Mailboxes in UTF-8 text (`山田 <a@b>, c@d`), as mail-parser splits them.
pub(crate) fn parse_mailboxes(text: &str) -> Vec<Mailbox> {
    // Outlook quotes a sender as `名前 [mailto:a@b]`.
    let mut text = text.to_owned();
    while let Some(i) = text.find("[mailto:")
        && let Some(j) = text[i..].find(']')
    {
        let addr = text[i + 8..i + j].to_owned();
        text.replace_range(i..i + j + 1, &format!("<{addr}>"));
    }
    let synthetic = format!("From: {text}\r\n\r\n");
    let Some(m) = MessageParser::new().parse_headers(synthetic.as_bytes()) else {
        return Vec::new();
    };
    let Some(addr) = m.from() else {
        return Vec::new();
    };
    addr.iter()
        .map(|a| Mailbox {
            address: a
                .address()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            name: a
                .name()
                .map(|s| s.trim().trim_matches('"').trim().to_owned())
                .filter(|s| !s.is_empty()),
        })
        .filter(|m| m.address.is_some() || m.name.is_some())
        .collect()
}

/// The mailboxes of an address field.
pub(crate) fn mailboxes(msg: &Message<'_>, name: &str, problems: &mut Vec<String>) -> Vec<Mailbox> {
    let Some(raw) = raw_value(msg, name) else {
        return Vec::new();
    };
    parse_mailboxes(&decode_value(raw, true, name, problems))
}

/// A date as mail clients write it (`Mon, 22 Feb 2021 10:15:23 +0900`,
/// `2021年2月22日(月) 10:15`, `Mon, Feb 22, 2021 at 10:15 AM`): µs UTC and
/// the offset written, if any. A date written without a zone is read in
/// `fallback`.
pub(crate) fn parse_date(
    text: &str,
    fallback: &datetime::ZoneChoice,
) -> Option<(i64, Option<i32>)> {
    let folded = super::normalize::Norm::new(text).text;
    if let Some(f) = datetime::find(&folded).filter(|f| f.time.is_some()) {
        let off = match f.zone {
            Some(datetime::ZoneHint::Offset(o)) => Some(o),
            Some(datetime::ZoneHint::Utc) => Some(0),
            Some(datetime::ZoneHint::Tokyo) => Some(9 * 3600),
            None => None,
        };
        return f.resolve(fallback).time.map(|t| (t, off));
    }
    // mail-parser knows the obsolete forms (`EST`, two-digit years).
    let synthetic = format!("Date: {}\r\n\r\n", text.trim());
    let m = MessageParser::new().parse_headers(synthetic.as_bytes())?;
    let d = m.date().filter(|d| d.is_valid())?;
    let c = Civil {
        year: i32::from(d.year),
        month: d.month,
        day: d.day,
        hour: d.hour,
        minute: d.minute,
        second: d.second,
        micro: 0,
    };
    let off = (i32::from(d.tz_hour) * 3600 + i32::from(d.tz_minute) * 60)
        * if d.tz_before_gmt { -1 } else { 1 };
    let t = Timestamp::from_civil(c)?;
    Some((t.as_micros() - i64::from(off) * 1_000_000, Some(off)))
}

/// The Date field: µs UTC and its offset. A date with no zone is taken as
/// UTC.
pub(crate) fn date(msg: &Message<'_>, problems: &mut Vec<String>) -> Option<(i64, Option<i32>)> {
    let raw = raw_value(msg, "Date")?;
    let text = String::from_utf8_lossy(&unfold(raw)).into_owned();
    let d = parse_date(&text, &datetime::ZoneChoice::of(kizuki_event::Zone::Utc));
    if d.is_none() {
        problems.push(format!("Date: not a date: {:?}", text.trim()));
    }
    d
}

/// The Message-ID, without angle brackets.
pub(crate) fn message_id(msg: &Message<'_>) -> Option<String> {
    msg.message_id()
        .map(|s| s.trim().trim_matches(['<', '>']).to_owned())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(raw: &[u8]) -> (String, Vec<String>) {
        let mut p = Vec::new();
        (decode_value(raw, false, "Subject", &mut p), p)
    }

    #[test]
    fn encoded_words_and_raw_bytes() {
        // ISO-2022-JP, B encoding, split over two words.
        let (s, p) = dec(b" =?ISO-2022-JP?B?GyRCJV4layUmJSclIhsoQg==?=\r\n =?ISO-2022-JP?B?GyRCNDZAdxsoQg==?= notice");
        assert_eq!(s, "マルウェア感染 notice");
        assert!(p.is_empty());
        // cp932, which mail-parser does not know.
        let (s, _) = dec(b"=?cp932?B?g4GBW4OL?=");
        assert_eq!(s, "メール");
        // Raw Shift_JIS and raw ISO-2022-JP.
        let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("【重要】感染のおそれ");
        assert_eq!(dec(&sjis).0, "【重要】感染のおそれ");
        let (jis, _, _) = encoding_rs::ISO_2022_JP.encode("【重要】感染のおそれ");
        assert_eq!(dec(&jis).0, "【重要】感染のおそれ");
        assert_eq!(dec(b"=?utf-8?q?caf=C3=A9_au_lait?=").0, "café au lait");
    }

    #[test]
    fn addresses() {
        let mut p = Vec::new();
        let v = decode_value(
            b"=?UTF-8?B?WWFtYWRhLCBUYXJv?= <taro@example.jp>",
            true,
            "From",
            &mut p,
        );
        let m = parse_mailboxes(&v);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].name.as_deref(), Some("Yamada, Taro"));
        assert_eq!(m[0].address.as_deref(), Some("taro@example.jp"));
        let m = parse_mailboxes("ISP サポート [mailto:abuse@isp.example], b@example.jp");
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].address.as_deref(), Some("abuse@isp.example"));
        assert_eq!(m[0].name.as_deref(), Some("ISP サポート"));
    }

    #[test]
    fn dates() {
        let utc = datetime::ZoneChoice::of(kizuki_event::Zone::Utc);
        let (t, off) = parse_date("Mon, 22 Feb 2021 10:15:23 +0900", &utc).unwrap();
        assert_eq!(
            Timestamp::from_micros(t).unwrap().to_iso(),
            "2021-02-22T01:15:23+00:00"
        );
        assert_eq!(off, Some(9 * 3600));
        let (t, off) = parse_date("2021年2月22日 10:15", &utc).unwrap();
        assert_eq!(
            Timestamp::from_micros(t).unwrap().to_iso(),
            "2021-02-22T10:15:00+00:00"
        );
        assert_eq!(off, None);
        let (t, _) = parse_date("22 Feb 21 10:15:23 EST", &utc).unwrap();
        assert_eq!(
            Timestamp::from_micros(t).unwrap().to_iso(),
            "2021-02-22T15:15:23+00:00"
        );
    }
}
