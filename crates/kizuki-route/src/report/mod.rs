//! Per-recipient reports: the machine-readable file and a ready RFC 5322
//! message with a text part in the recipient's language.

pub mod csv;
pub mod xarf;

use crate::RouteError;
use crate::contacts::{Contact, Language, ReportFormat};
use kizuki_event::{Event, Field, Timestamp, json};
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// Who sends reports.
#[derive(Clone, Debug)]
pub struct Sender {
    /// The person or team name in `From`.
    pub name: String,
    /// The address in `From`.
    pub email: String,
    /// The organisation.
    pub org: String,
    /// The organisation's domain (used in Message-IDs).
    pub domain: String,
}

impl Sender {
    /// A sender from an address; organisation and domain default to the
    /// address's domain.
    pub fn from_email(name: &str, email: &str) -> Sender {
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_owned())
            .unwrap_or_else(|| "localhost".into());
        Sender {
            name: name.to_owned(),
            email: email.to_owned(),
            org: name.to_owned(),
            domain,
        }
    }
}

/// A finished report.
#[derive(Clone, Debug)]
pub struct Report {
    /// The report id (also in the message's `X-Kizuki-Report-Id`).
    pub id: String,
    /// The attachment's file name.
    pub file_name: String,
    /// The attachment.
    pub file: Vec<u8>,
    /// The whole message, RFC 5322, CRLF line ends.
    pub eml: Vec<u8>,
}

/// The attachment in a format.
pub fn attachment(format: ReportFormat, events: &[Event], from: &Sender) -> Vec<u8> {
    match format {
        ReportFormat::Csv => csv::write(events),
        ReportFormat::Xarf => xarf::write(events, from),
        ReportFormat::Intelmq => {
            let mut out = Vec::new();
            for e in events {
                json::write_event(e, &mut out, &json::WriteOptions::default());
            }
            out
        }
    }
}

/// `X-Kizuki-Report-Id`.
#[derive(Clone, Debug)]
struct ReportIdHeader(String);

impl Header for ReportIdHeader {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Kizuki-Report-Id")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ReportIdHeader(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Text from a feed, made safe for a plain-text mail: no control
/// characters (no line breaks to forge lines with), bounded length.
pub fn neutralize(s: &str, max: usize) -> String {
    let mut out: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

fn local_time(t: Timestamp, tz: &jiff::tz::TimeZone, lang: Language) -> String {
    match t.to_zoned(tz) {
        Some(z) => match lang {
            Language::Ja => z.strftime("%Y年%m月%d日 %H:%M:%S").to_string(),
            Language::En => z.strftime("%Y-%m-%d %H:%M:%S %Z").to_string(),
        },
        None => t.to_iso(),
    }
}

/// Builds a contact's report from its events. `now` is the report's date.
pub fn build(
    contact: &Contact,
    events: &[Event],
    format: ReportFormat,
    from: &Sender,
    now: Timestamp,
) -> Result<Report, RouteError> {
    let err = |reason: String| RouteError::Report {
        recipient: contact.id.clone(),
        reason,
    };
    let file = attachment(format, events, from);
    let day = now.to_civil();
    let digest: String = Sha256::digest(&file)
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let id = format!(
        "KZ-{:04}{:02}{:02}-{}-{digest}",
        day.year, day.month, day.day, contact.id
    );
    let file_name = format!("{id}.{}", format.extension());

    let times: Vec<Timestamp> = events.iter().filter_map(Event::time_source).collect();
    let (first, last) = (times.iter().min().copied(), times.iter().max().copied());
    let addresses: BTreeSet<String> = events
        .iter()
        .filter_map(|e| {
            e.source_ip()
                .map(|i| i.to_string())
                .or_else(|| e.str(Field::SourceAccount).map(str::to_owned))
        })
        .collect();
    let mut malware: BTreeMap<String, u64> = BTreeMap::new();
    for e in events {
        *malware
            .entry(neutralize(e.malware_name().unwrap_or("unknown"), 60))
            .or_default() += 1;
    }
    let mut malware: Vec<(String, u64)> = malware.into_iter().collect();
    malware.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut vias: BTreeSet<String> = BTreeSet::new();
    for e in events {
        if let Some(v) = e
            .extra()
            .get(crate::router::ROUTED_VIA_KEY)
            .and_then(|v| v.as_str())
        {
            vias.insert(neutralize(v, 80));
        }
    }
    let mut routing: Vec<String> = vias.into_iter().take(5).collect();
    if routing.is_empty() {
        routing.push(contact.id.clone());
    }
    let lang = contact.language;
    let fmt_time = |t: Option<Timestamp>| {
        t.map_or_else(
            || "-".to_owned(),
            |t| local_time(t, &contact.timezone, lang),
        )
    };
    let ctx = minijinja::context! {
        recipient => neutralize(&contact.name, 200),
        sender_org => neutralize(&from.org, 200),
        sender_name => neutralize(&from.name, 200),
        sender_email => neutralize(&from.email, 200),
        first_seen => fmt_time(first),
        last_seen => fmt_time(last),
        timezone => contact.timezone_name.clone(),
        count => events.len(),
        addresses => addresses.len(),
        malware => malware.iter().map(|(n, c)| minijinja::context! { name => n, count => c }).collect::<Vec<_>>(),
        attachment => file_name.clone(),
        format => format.name(),
        routing => routing.join(", "),
        report_id => id.clone(),
    };
    let mut env = minijinja::Environment::new();
    env.set_keep_trailing_newline(true);
    let (template, subject) = match lang {
        Language::En => (
            include_str!("templates/report_en.txt"),
            format!(
                "[Report {id}] {} infected-host observation(s) in your network",
                events.len()
            ),
        ),
        Language::Ja => (
            include_str!("templates/report_ja.txt"),
            format!(
                "【報告 {id}】貴組織ネットワーク内の感染端末の可能性 {} 件",
                events.len()
            ),
        ),
    };
    env.add_template("report", template)
        .map_err(|e| err(format!("template: {e}")))?;
    let text = env
        .get_template("report")
        .and_then(|t| t.render(ctx))
        .map_err(|e| err(format!("template: {e}")))?;

    let mailbox = |addr: &str, name: Option<&str>| -> Result<Mailbox, RouteError> {
        let m: Mailbox = addr
            .parse()
            .map_err(|e| err(format!("{addr:?} is not an address: {e}")))?;
        Ok(match name {
            Some(n) => Mailbox::new(Some(n.to_owned()), m.email),
            None => m,
        })
    };
    let mut b = lettre::Message::builder()
        .from(mailbox(&from.email, Some(&from.name))?)
        .subject(subject)
        .message_id(Some(format!("<{id}@{}>", from.domain)))
        .date(
            std::time::UNIX_EPOCH
                + std::time::Duration::from_secs(now.unix_seconds().max(0) as u64),
        )
        .header(ReportIdHeader(id.clone()));
    for t in &contact.to {
        b = b.to(mailbox(t, None)?);
    }
    for c in &contact.cc {
        b = b.cc(mailbox(c, None)?);
    }
    let content_type = ContentType::parse(format.mime()).map_err(|e| err(e.to_string()))?;
    let msg = b
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(text))
                .singlepart(Attachment::new(file_name.clone()).body(file.clone(), content_type)),
        )
        .map_err(|e| err(e.to_string()))?;
    Ok(Report {
        id,
        file_name,
        file,
        eml: msg.formatted(),
    })
}
