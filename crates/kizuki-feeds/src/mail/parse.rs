//! [`parse_notice`]: one mail in, one [`MailNotice`] out.

use super::attachment::{self, Ctx};
use super::code;
use super::datetime::{ZoneChoice, ZoneHint};
use super::forward;
use super::freetext::{self, TextFindings};
use super::header;
use super::kizuki::{self, KizukiPart};
use super::labels;
use super::notice::{
    AttachmentInfo, CodeSource, ForwardStyle, Forwarding, Language, MailNotice, NoticeCode,
    NoticeKind, Reported, Status,
};
use super::options::MailOptions;
use super::parts;
use kizuki_event::{Timestamp, Zone};
use mail_parser::{Message, MessageParser, PartType};
use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;

/// Reads a notice mail. Never fails and never panics: what cannot be
/// understood is listed in [`MailNotice::problems`], and a mail with no
/// readable report comes back with status [`Status::Unparsed`] (keep the
/// raw bytes for a person).
///
/// The notice is the innermost original: a notice forwarded as an
/// attachment or inline is read from the original's headers and text, and
/// the forwarder goes to [`MailNotice::forwarded_by`]. Its Message-ID is
/// the original's for an attached notice (the one its sender gave it) and
/// the forwarding mail's for an inline one (the original's is not shown).
///
/// ```
/// use kizuki_feeds::mail::{MailOptions, Status, parse_notice};
///
/// let mail = "From: abuse@isp.example\r\nDate: Mon, 22 Feb 2021 11:00:00 +0900\r\n\
///             Subject: Emotet infection\r\n\r\n\
///             IP address: 203.0.113.5\r\nTime: 2021-02-22 10:15:23 JST\r\n";
/// let n = parse_notice(mail.as_bytes(), &MailOptions::new());
/// assert_eq!(n.status, Status::Parsed);
/// assert_eq!(n.reports[0].address.to_string(), "203.0.113.5");
/// assert_eq!(n.reports[0].malware.as_deref(), Some("emotet"));
/// assert_eq!(n.reports[0].zone.as_deref(), Some("Asia/Tokyo"));
/// ```
pub fn parse_notice(raw: &[u8], opts: &MailOptions) -> MailNotice {
    match std::panic::catch_unwind(AssertUnwindSafe(|| parse_raw(raw, opts))) {
        Ok(n) => n,
        Err(_) => {
            let mut n = MailNotice::empty();
            n.problems
                .push("internal error while reading this mail; keep it for a person".into());
            n
        }
    }
}

/// Skips an mbox `From ` line, a BOM and blank lines.
fn mail_start(raw: &[u8]) -> &[u8] {
    let mut r = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
    if r.starts_with(b"From ")
        && let Some(nl) = r.iter().position(|&c| c == b'\n')
    {
        r = &r[nl + 1..];
    }
    let blank = r
        .iter()
        .position(|&c| !matches!(c, b'\r' | b'\n' | b' ' | b'\t'))
        .unwrap_or(r.len());
    &r[blank..]
}

/// Whether the first line is a header field (`Name: value`).
fn starts_with_header(r: &[u8]) -> bool {
    let line = r.split(|&c| c == b'\n').next().unwrap_or_default();
    let Some(colon) = line.iter().position(|&c| c == b':') else {
        return false;
    };
    colon > 0
        && line[..colon]
            .iter()
            .all(|&c| (33..=126).contains(&c) && c != b':')
}

fn parse_raw(raw: &[u8], opts: &MailOptions) -> MailNotice {
    let body = mail_start(raw);
    let parsed = if starts_with_header(body) {
        MessageParser::new().parse(body)
    } else {
        None
    };
    let mut n = match parsed {
        Some(msg) => read_message(&msg, 0, opts),
        None => not_a_mail(body, opts),
    };
    finish(&mut n);
    n
}

/// Text that is not a mail: maybe a notice pasted on its own.
fn not_a_mail(body: &[u8], opts: &MailOptions) -> MailNotice {
    let mut n = MailNotice::empty();
    n.problems.push(if body.is_empty() {
        "empty input: not an e-mail message".into()
    } else {
        "not an e-mail message: it does not start with header fields".into()
    });
    if body.is_empty() || body[..body.len().min(4096)].contains(&0) {
        return n;
    }
    let d = super::charset::decode(body, None);
    let lines: Vec<&str> = d.text.lines().collect();
    let zone = zone_for(opts, None);
    let f = freetext::scan(&lines, 0, &zone);
    if !f.reports.is_empty() {
        n.kind = NoticeKind::FreeText;
    }
    n.language = guess_language(&d.text);
    n.reports = f.reports;
    n.problems.extend(f.problems);
    n
}

/// The zone for naive times: the option, else the Date header's offset,
/// else UTC.
fn zone_for(opts: &MailOptions, offset: Option<i32>) -> ZoneChoice {
    match (opts.zone_setting(), offset) {
        (Some(z), _) => ZoneChoice::of(z.clone()),
        (None, Some(o)) => ZoneHint::Offset(o).choice(),
        (None, None) => ZoneChoice::of(Zone::Utc),
    }
}

fn guess_language(s: &str) -> Option<Language> {
    let ja = s
        .chars()
        .filter(|c| matches!(*c as u32, 0x3040..=0x30ff | 0x4e00..=0x9fff))
        .count();
    let latin = s.chars().filter(char::is_ascii_alphabetic).count();
    if ja >= 10 || (ja > 0 && ja * 4 >= latin) {
        Some(Language::Ja)
    } else if latin >= 20 {
        Some(Language::En)
    } else {
        None
    }
}

/// A kizuki code in the subject (`(通知番号 7KQ3-…)`, `(notice 7KQ3-…)`),
/// or another sender's reference after `通知番号` or `Reference`.
fn subject_code(subject: &str) -> Option<NoticeCode> {
    let folded = super::normalize::Norm::new(subject).text;
    // ASCII lower case keeps byte offsets, so `lower`'s indices fit `folded`.
    let lower = folded.to_ascii_lowercase();
    for (key, any_form) in [
        ("通知番号", true),
        ("reference", true),
        ("ref:", true),
        ("notice code", false),
        ("notice", false),
    ] {
        for (i, _) in lower.match_indices(key) {
            let rest = folded[i + key.len()..].trim_start_matches([' ', ':', '#']);
            let value: String = rest
                .chars()
                .take_while(|c| !matches!(c, ')' | ']' | '】' | ',' | '、'))
                .collect();
            if let Some(c) = code::read(&value, CodeSource::Subject)
                && (any_form || c.kizuki)
            {
                return Some(c);
            }
        }
    }
    None
}

/// What the parts of one message gave.
struct Parts<'m> {
    texts: Vec<String>,
    kizuki: Option<Vec<u8>>,
    messages: Vec<&'m Message<'m>>,
    /// Attached messages mail-parser left as bytes (`.eml` files).
    raw_messages: Vec<Vec<u8>>,
    attachments: Vec<AttachmentInfo>,
    /// Attachments still to read: name, content type, charset, bytes.
    reports: Vec<(String, String, Option<String>, Vec<u8>)>,
}

fn collect_parts<'m>(msg: &'m Message<'m>, problems: &mut Vec<String>) -> Parts<'m> {
    let mut p = Parts {
        texts: Vec::new(),
        kizuki: None,
        messages: Vec::new(),
        raw_messages: Vec::new(),
        attachments: Vec::new(),
        reports: Vec::new(),
    };
    let mut body_ids: Vec<u32> = msg.text_body.clone();
    if body_ids.is_empty() {
        body_ids = msg.html_body.clone();
    }
    for id in &body_ids {
        if let Some(part) = msg.parts.get(*id as usize)
            && matches!(part.body, PartType::Text(_) | PartType::Html(_))
        {
            p.texts
                .push(parts::text(msg, part, &format!("text part {id}"), problems));
        }
    }
    for (i, id) in msg.attachments.iter().enumerate() {
        let Some(part) = msg.parts.get(*id as usize) else {
            continue;
        };
        let name = parts::name(msg, part, i + 1);
        let ct = parts::content_type(part);
        if part.is_encoding_problem {
            problems.push(format!(
                "MIME part {name}: its structure or encoding is damaged"
            ));
        }
        let info = |read_as: &str, size: usize| AttachmentInfo {
            name: name.clone(),
            content_type: ct.clone(),
            size,
            read_as: Some(read_as.to_owned()),
            events: 0,
            rejects: 0,
        };
        if let PartType::Message(m) = &part.body {
            p.attachments.push(info("message", m.raw_message().len()));
            p.messages.push(m);
            continue;
        }
        if matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        let bytes = parts::bytes(msg, part);
        if name.eq_ignore_ascii_case(kizuki::FILE_NAME) || kizuki::looks_like(&bytes) {
            p.attachments.push(info("kizuki-notice", bytes.len()));
            if p.kizuki.is_none() {
                p.kizuki = Some(bytes);
            } else {
                problems.push(format!("a second {} was not read", kizuki::FILE_NAME));
            }
            continue;
        }
        if ct == "message/rfc822" || name.to_ascii_lowercase().ends_with(".eml") {
            p.attachments.push(info("message", bytes.len()));
            p.raw_messages.push(bytes);
            continue;
        }
        // A damaged text part that mail-parser did not take as the body
        // (no file name, plain text) is still the text to read.
        if ct == "text/plain"
            && mail_parser::MimeHeaders::attachment_name(part).is_none()
            && matches!(part.body, PartType::Text(_))
        {
            p.texts
                .push(parts::text(msg, part, &format!("text part {id}"), problems));
            continue;
        }
        let charset = parts::charset_label(part).map(str::to_owned);
        p.reports.push((name, ct, charset, bytes));
    }
    p
}

/// Checks that a multipart message ends with its closing boundary.
fn check_complete(msg: &Message<'_>, problems: &mut Vec<String>) {
    let Some(root) = msg.parts.first() else {
        return;
    };
    let boundary = mail_parser::MimeHeaders::content_type(root)
        .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
        .and_then(|ct| ct.attribute("boundary"));
    if let Some(b) = boundary {
        let close = format!("--{b}--");
        let raw = msg.raw_message();
        if !raw.windows(close.len()).any(|w| w == close.as_bytes()) {
            problems
                .push("the message seems cut short: its closing MIME boundary is missing".into());
        }
    }
}

fn read_message(msg: &Message<'_>, depth: usize, opts: &MailOptions) -> MailNotice {
    let mut n = MailNotice::empty();
    let mut problems = Vec::new();
    n.message_id = header::message_id(msg);
    n.from = header::mailboxes(msg, "From", &mut problems)
        .into_iter()
        .next();
    n.to = header::mailboxes(msg, "To", &mut problems);
    n.cc = header::mailboxes(msg, "Cc", &mut problems);
    n.subject = header::text(msg, "Subject", &mut problems);
    let date = header::date(msg, &mut problems);
    n.date = date.map(|d| d.0);
    if n.from.is_none() && n.subject.is_none() && date.is_none() && n.message_id.is_none() {
        problems.push("no From, Subject, Date or Message-ID header: is this a notice?".into());
    }
    check_complete(msg, &mut problems);
    let header_code = header::raw_value(msg, "X-Kizuki-Notice-Code")
        .and_then(|raw| code::read(&String::from_utf8_lossy(raw), CodeSource::Header));

    let parts = collect_parts(msg, &mut problems);
    let mut attachments = parts.attachments;

    // A notice attached to a forwarding mail.
    let parsed: Vec<Message<'_>> = parts
        .raw_messages
        .iter()
        .filter_map(|b| MessageParser::new().parse(mail_start(b)))
        .collect();
    if !parts.messages.is_empty() || !parsed.is_empty() {
        if depth >= opts.depth_limit() {
            problems.push(format!(
                "attached message not read: nested deeper than {}",
                opts.depth_limit()
            ));
        } else {
            let inner = parts
                .messages
                .iter()
                .copied()
                .chain(parsed.iter())
                .map(|m| read_message(m, depth + 1, opts))
                .find(|i| !i.reports.is_empty() || i.code.is_some() || i.kizuki.is_some());
            if let Some(mut inner) = inner {
                inner.forwarded_by = Some(Forwarding {
                    by: n.from.take(),
                    date: n.date,
                    subject: n.subject.take(),
                    style: ForwardStyle::Attached,
                });
                let zone = zone_for(opts, date.and_then(|d| d.1));
                let obs = observation(opts, inner.date.or(n.date));
                let (events, reports, more, infos) = read_reports(parts.reports, opts, &zone, obs);
                inner.events.extend(events);
                inner.reports.extend(reports);
                attachments.extend(infos);
                attachments.append(&mut inner.attachments);
                inner.attachments = attachments;
                problems.extend(more);
                problems.append(&mut inner.problems);
                inner.problems = problems;
                return inner;
            }
        }
    }

    // Redirected mail keeps the original's headers and adds Resent-*.
    let resent = header::mailboxes(msg, "Resent-From", &mut problems);
    if !resent.is_empty() {
        let rdate = header::raw_value(msg, "Resent-Date").and_then(|r| {
            header::parse_date(&String::from_utf8_lossy(r), &ZoneChoice::of(Zone::Utc))
        });
        n.forwarded_by = Some(Forwarding {
            by: resent.into_iter().next(),
            date: rdate.map(|d| d.0),
            subject: None,
            style: ForwardStyle::Resent,
        });
    }

    let text = parts.texts.join("\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut offset = date.and_then(|d| d.1);
    let mut from_line = 0;
    if let Some(f) = forward::find(&lines) {
        n.forwarded_by = Some(Forwarding {
            by: n.from.take(),
            date: n.date,
            subject: n.subject.take(),
            style: ForwardStyle::Inline,
        });
        n.from = f.from.into_iter().next();
        n.to = f.to;
        n.cc = f.cc;
        n.subject = f.subject;
        let outer_zone = zone_for(opts, offset);
        let inner_date = f
            .date
            .as_deref()
            .and_then(|d| header::parse_date(d, &outer_zone));
        if f.date.is_some() && inner_date.is_none() {
            problems.push(format!(
                "forwarded original: date {:?} not understood",
                f.date.as_deref().unwrap_or("")
            ));
        }
        n.date = inner_date.map(|d| d.0);
        offset = inner_date.and_then(|d| d.1).or(offset);
        from_line = f.body_from;
    }
    let zone = zone_for(opts, offset);
    let obs = observation(opts, n.date);
    let (events, att_reports, more, infos) = read_reports(parts.reports, opts, &zone, obs);
    n.events = events;
    attachments.extend(infos);
    n.attachments = attachments;
    problems.extend(more);

    let found = freetext::scan(&lines, from_line, &zone);
    let kizuki = parts.kizuki.as_deref().and_then(|b| match kizuki::read(b) {
        Ok(k) => Some(k),
        Err(e) => {
            problems.push(format!("{e}; the text was read instead"));
            None
        }
    });
    let json_code = kizuki
        .as_ref()
        .and_then(|k| k.code.as_deref())
        .and_then(|c| code::read(c, CodeSource::KizukiJson));
    let subject_code = n.subject.as_deref().and_then(subject_code);
    let text_code = found.codes.first().cloned();
    let family = one_family(
        &found,
        n.subject.as_deref(),
        &lines[from_line.min(lines.len())..],
    );
    match kizuki {
        Some(k) => use_kizuki(&mut n, k, &found, &mut problems),
        None => use_text(&mut n, att_reports, found, family, &mut problems),
    }
    n.code = choose_code(
        [header_code, json_code, text_code, subject_code],
        &mut problems,
    );
    if n.language.is_none() {
        n.language = guess_language(&format!("{}\n{}", n.subject.as_deref().unwrap_or(""), text));
    }
    n.problems = problems;
    n
}

fn observation(opts: &MailOptions, date: Option<i64>) -> Timestamp {
    opts.observation_setting()
        .or_else(|| date.and_then(Timestamp::from_micros))
        .unwrap_or_else(Timestamp::now)
}

type ReadReports = (
    Vec<kizuki_event::Event>,
    Vec<Reported>,
    Vec<String>,
    Vec<AttachmentInfo>,
);

fn read_reports(
    todo: Vec<(String, String, Option<String>, Vec<u8>)>,
    opts: &MailOptions,
    zone: &ZoneChoice,
    observation: Timestamp,
) -> ReadReports {
    let ctx = Ctx {
        opts,
        zone,
        observation,
    };
    let mut out: ReadReports = Default::default();
    for (name, ct, charset, bytes) in todo {
        let o = attachment::read(&name, &ct, charset.as_deref(), bytes, &ctx);
        out.0.extend(o.events);
        out.1.extend(o.reports);
        out.2.extend(o.problems);
        out.3.push(o.info);
    }
    out
}

/// The one malware family the notice is about, when its labels or words
/// name exactly one.
fn one_family(found: &TextFindings, subject: Option<&str>, lines: &[&str]) -> Option<String> {
    match found.malware.as_slice() {
        [one] => return Some(one.clone()),
        [] => {}
        _ => return None,
    }
    let all = format!("{}\n{}", subject.unwrap_or(""), lines.join("\n"));
    labels::family_in(&all).map(str::to_owned)
}

fn use_kizuki(n: &mut MailNotice, k: KizukiPart, found: &TextFindings, problems: &mut Vec<String>) {
    n.kind = NoticeKind::KizukiJson;
    n.language = match k.info.language.as_deref() {
        Some("ja") => Some(Language::Ja),
        Some("en") => Some(Language::En),
        _ => None,
    };
    problems.extend(k.problems);
    // The text is what the recipient reads: it must name the same
    // addresses as the machine-readable part.
    if !found.reports.is_empty() {
        let json: BTreeSet<_> = k.reports.iter().map(|r| r.address).collect();
        let text: BTreeSet<_> = found.reports.iter().map(|r| r.address).collect();
        let only_text: Vec<String> = text.difference(&json).map(|a| a.to_string()).collect();
        let only_json: Vec<String> = json.difference(&text).map(|a| a.to_string()).collect();
        if !only_text.is_empty() {
            problems.push(format!(
                "the text names addresses that {} does not: {}",
                kizuki::FILE_NAME,
                only_text.join(", ")
            ));
        }
        if !only_json.is_empty() {
            problems.push(format!(
                "{} names addresses that the text does not: {}",
                kizuki::FILE_NAME,
                only_json.join(", ")
            ));
        }
    }
    n.kizuki = Some(k.info);
    n.reports = k.reports;
}

fn use_text(
    n: &mut MailNotice,
    att_reports: Vec<Reported>,
    found: TextFindings,
    family: Option<String>,
    problems: &mut Vec<String>,
) {
    let mut text_reports = found.reports;
    if let Some(f) = &family {
        for r in text_reports.iter_mut().filter(|r| r.malware.is_none()) {
            r.malware = Some(f.clone());
        }
    }
    n.kind = if !att_reports.is_empty() {
        NoticeKind::Attachment
    } else if !text_reports.is_empty() {
        NoticeKind::FreeText
    } else {
        NoticeKind::Unparsed
    };
    problems.extend(found.problems);
    // The text often repeats what the attachment says: keep a text report
    // only when the attachment has nothing for that address and time.
    let in_attachment: std::collections::HashSet<_> =
        att_reports.iter().map(|a| (a.address, a.time)).collect();
    let addresses: std::collections::HashSet<_> = att_reports.iter().map(|a| a.address).collect();
    text_reports.retain(|t| match t.time {
        Some(_) => !in_attachment.contains(&(t.address, t.time)),
        None => !addresses.contains(&t.address),
    });
    n.reports = att_reports;
    n.reports.extend(text_reports);
}

fn choose_code(
    candidates: [Option<NoticeCode>; 4],
    problems: &mut Vec<String>,
) -> Option<NoticeCode> {
    let [header, json, text, subject] = candidates;
    let chosen = header
        .clone()
        .or_else(|| json.clone())
        .or_else(|| text.clone())
        .or_else(|| subject.clone())?;
    for (what, c) in [
        ("the X-Kizuki-Notice-Code header", &header),
        ("kizuki-notice.json", &json),
        ("the text", &text),
        ("the subject", &subject),
    ] {
        if let Some(c) = c
            && !code::same(c, &chosen)
        {
            problems.push(format!(
                "notice code {} in {what} differs from {} ({:?})",
                c.code, chosen.code, chosen.source
            ));
        }
    }
    Some(chosen)
}

/// Dedupes reports and sets the status.
fn finish(n: &mut MailNotice) {
    let mut seen = std::collections::HashSet::with_capacity(n.reports.len());
    n.reports
        .retain(|r| seen.insert((r.address, r.port, r.time, r.malware.clone(), r.destination)));
    if n.reports.is_empty() {
        n.kind = NoticeKind::Unparsed;
        n.status = Status::Unparsed;
        n.problems.push("no reported address was found".into());
    } else if n.problems.is_empty() {
        n.status = Status::Parsed;
    } else {
        n.status = Status::Partial;
    }
}
