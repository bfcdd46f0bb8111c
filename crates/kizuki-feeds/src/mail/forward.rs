//! Notices forwarded inline: the forwarder's words, a marker line, the
//! original's header lines, and the original's text.
//!
//! ```text
//! 総務の山田です。下記のメールが届きました。
//!
//! -------- 転送メッセージ --------
//! 件名: 【重要】マルウェア感染のおそれ
//! 日付: Mon, 22 Feb 2021 11:00:00 +0900
//! 差出人: ISP サポート <abuse@isp.example>
//! 宛先: soumu@example.co.jp
//!
//! (the notice)
//! ```

use super::header::parse_mailboxes;
use super::normalize::Norm;
use super::notice::Mailbox;

/// An inline-forwarded original, found in a text.
#[derive(Clone, Debug, Default)]
pub(crate) struct Inline {
    /// The index of the first line of the original's text.
    pub body_from: usize,
    /// The original's sender.
    pub from: Vec<Mailbox>,
    /// The original's recipients.
    pub to: Vec<Mailbox>,
    /// The original's copies.
    pub cc: Vec<Mailbox>,
    /// The original's subject.
    pub subject: Option<String>,
    /// The original's date, as written.
    pub date: Option<String>,
}

const PHRASES: &[&str] = &[
    "forwarded message",
    "original message",
    "begin forwarded message",
    "forwarded by",
    "転送メッセージ",
    "転送されたメッセージ",
    "元のメッセージ",
    "オリジナルメッセージ",
    "転送済みメール",
];

/// Whether a (folded, unquoted) line marks the start of a forwarded
/// original.
fn is_marker(t: &str) -> bool {
    let l = t.trim().to_lowercase();
    if l.len() >= 10 && l.chars().all(|c| c == '_') {
        return true;
    }
    let Some(first) = l.chars().next() else {
        return false;
    };
    PHRASES.iter().any(|p| l.contains(p))
        && (matches!(first, '-' | '=' | '_' | '*' | '[' | '<')
            || PHRASES.iter().any(|p| l.starts_with(p)))
        && l.chars().count() <= 80
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Field {
    From,
    To,
    Cc,
    Subject,
    Date,
    Other,
}

/// A header line of a forwarded original: its field and value.
fn header_line(t: &str) -> Option<(Field, String)> {
    let t = t.trim_start_matches(['*', ' ']);
    let colon = t.find(':')?;
    let name = t[..colon]
        .trim()
        .trim_end_matches('*')
        .trim()
        .to_lowercase();
    let value = t[colon + 1..].trim_start_matches('*').trim().to_owned();
    let f = match name.as_str() {
        "from" | "差出人" | "送信者" | "sender" | "発信者" | "送信元" => Field::From,
        "to" | "宛先" | "送信先" | "受信者" => Field::To,
        "cc" | "ｃｃ" => Field::Cc,
        "subject" | "件名" | "題名" => Field::Subject,
        "date" | "sent" | "日付" | "送信日時" | "日時" | "送信日" => Field::Date,
        "reply-to" | "返信先" | "message-id" | "bcc" | "importance" | "重要度" => {
            Field::Other
        }
        _ => return None,
    };
    Some((f, value))
}

/// Strips quote marks (`> `) from a folded line.
fn unquote(t: &str) -> &str {
    t.trim_start_matches(['>', ' '])
}

/// The innermost inline-forwarded original in `lines`, if any.
pub(crate) fn find(lines: &[&str]) -> Option<Inline> {
    let folded: Vec<String> = lines.iter().map(|l| Norm::new(l).text).collect();
    let mut found = None;
    for (i, f) in folded.iter().enumerate() {
        if !is_marker(unquote(f)) {
            continue;
        }
        if let Some(inline) = headers_after(&folded, i) {
            found = Some(inline);
        }
    }
    found
}

/// Reads the header lines after a marker.
fn headers_after(folded: &[String], marker: usize) -> Option<Inline> {
    let mut out = Inline::default();
    let mut j = marker + 1;
    while j < folded.len() && unquote(&folded[j]).trim().is_empty() {
        j += 1;
    }
    let mut last: Option<(Field, String)> = None;
    let mut seen = 0;
    let finish = |f: Option<(Field, String)>, out: &mut Inline| {
        let Some((field, v)) = f else { return };
        match field {
            Field::From => out.from = parse_mailboxes(&v),
            Field::To => out.to = parse_mailboxes(&v),
            Field::Cc => out.cc = parse_mailboxes(&v),
            Field::Subject => out.subject = Some(v.trim().to_owned()).filter(|s| !s.is_empty()),
            Field::Date => out.date = Some(v.trim().to_owned()).filter(|s| !s.is_empty()),
            Field::Other => {}
        }
    };
    while j < folded.len() {
        let raw = &folded[j];
        let t = unquote(raw);
        if t.trim().is_empty() {
            break;
        }
        if let Some(h) = header_line(t) {
            finish(last.take(), &mut out);
            last = Some(h);
            seen += 1;
        } else if raw.starts_with([' ', '>']) && t.starts_with(' ') && last.is_some() {
            // A folded continuation (Thunderbird wraps long To: lists).
            if let Some((_, v)) = last.as_mut() {
                v.push(' ');
                v.push_str(t.trim());
            }
        } else {
            break;
        }
        j += 1;
    }
    finish(last.take(), &mut out);
    out.body_from = j;
    (seen > 0 && (!out.from.is_empty() || out.subject.is_some())).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_headers() {
        let text = "総務の山田です。\n\n-------- 転送メッセージ --------\n件名: \t【重要】感染のおそれ\n日付: \tMon, 22 Feb 2021 11:00:00 +0900\n差出人: \tISP サポート <abuse@isp.example>\n宛先: \tsoumu@example.co.jp\n\nお客様各位\n";
        let lines: Vec<&str> = text.lines().collect();
        let f = find(&lines).unwrap();
        assert_eq!(f.body_from, 7);
        assert_eq!(f.subject.as_deref(), Some("【重要】感染のおそれ"));
        assert_eq!(f.from[0].address.as_deref(), Some("abuse@isp.example"));
        assert_eq!(f.date.as_deref(), Some("Mon, 22 Feb 2021 11:00:00 +0900"));

        let text = "FYI\n\n---------- Forwarded message ---------\nFrom: ISP Abuse <abuse@isp.example>\nDate: Mon, Feb 22, 2021 at 11:00 AM\nSubject: Infected device\nTo: <it@example.com>\n\nDear customer,\n";
        let lines: Vec<&str> = text.lines().collect();
        let f = find(&lines).unwrap();
        assert_eq!(f.from[0].name.as_deref(), Some("ISP Abuse"));
        assert_eq!(f.to[0].address.as_deref(), Some("it@example.com"));

        let lines = ["this is a forwarded message from our ISP", "From: nobody"];
        assert!(find(&lines).is_none());
    }
}
