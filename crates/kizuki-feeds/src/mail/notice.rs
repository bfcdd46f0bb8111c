//! What a notice mail says: [`MailNotice`] and the types it is made of.
//!
//! Everything here is plain data that serializes with serde, so that a
//! notice can be stored, shown in the web UI, or written as a golden file.
//! Times are microseconds since the Unix epoch, UTC.

use kizuki_event::Event;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// How well a mail was understood.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// At least one report, and nothing to worry about.
    Parsed,
    /// At least one report, with problems a person should look at.
    Partial,
    /// No report could be read: keep the raw mail for a person.
    Unparsed,
}

/// Where the reports of a notice came from.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoticeKind {
    /// kizuki's own machine-readable part, `kizuki-notice.json`.
    KizukiJson,
    /// The text of the mail.
    FreeText,
    /// A report attached to the mail (CSV, X-ARF, IntelMQ JSON, …).
    Attachment,
    /// Nothing could be read.
    Unparsed,
}

/// The language a notice is written in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Japanese.
    Ja,
    /// English.
    En,
}

/// A mailbox from an address header, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// The address (`abuse@isp.example`), when there is one.
    pub address: Option<String>,
    /// The display name, decoded (`ISP サポートセンター`).
    pub name: Option<String>,
}

/// Where a notice code was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum CodeSource {
    /// The `X-Kizuki-Notice-Code` header.
    Header,
    /// The `code` of `kizuki-notice.json`.
    KizukiJson,
    /// A labelled line of the text (`通知番号：`, `Notice code:`,
    /// `Reference:`).
    Text {
        /// The 1-based line in the notice's text.
        line: usize,
    },
    /// The subject (`… (通知番号 7KQ3-…)`).
    Subject,
}

/// The code a notice carries, to check it with the sender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeCode {
    /// The code in upper case: a kizuki code as `XXXX-XXXX-XXXX-XXXX-XXXX`
    /// (with `O`, `I`, `L` read as `0`, `1`, `1`), any other reference
    /// with full-width characters folded and spaces removed.
    pub code: String,
    /// The code exactly as written.
    pub raw: String,
    /// Whether it has the form of a kizuki notice code.
    pub kizuki: bool,
    /// Where it was read.
    pub source: CodeSource,
}

/// How a notice came to be wrapped in another mail.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardStyle {
    /// Attached as `message/rfc822`.
    Attached,
    /// Quoted in the text after a marker such as
    /// `-------- 転送メッセージ --------`.
    Inline,
    /// Redirected, with `Resent-From` headers.
    Resent,
}

/// Who forwarded a notice, when it did not come straight from its sender.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarding {
    /// The forwarding mail's sender.
    pub by: Option<Mailbox>,
    /// The forwarding mail's date, µs UTC.
    pub date: Option<i64>,
    /// The forwarding mail's subject.
    pub subject: Option<String>,
    /// How the notice was wrapped.
    pub style: ForwardStyle,
}

/// What `kizuki-notice.json` says about the notice itself.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KizukiNotice {
    /// The sender's notice id.
    pub notice_id: Option<i64>,
    /// `notice`, `reminder`, `renotice`, ….
    pub kind: Option<String>,
    /// The sending operator, as the JSON has it.
    pub operator: Option<serde_json::Value>,
    /// The notice's language (`ja`, `en`).
    pub language: Option<String>,
}

/// Where a report was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
pub enum ReportSource {
    /// An event of `kizuki-notice.json`.
    KizukiJson {
        /// The 0-based position in its `events`.
        index: usize,
    },
    /// The notice's text.
    Text {
        /// The 1-based line the address is on.
        line: usize,
    },
    /// A report attachment.
    Attachment {
        /// The attachment (`report.zip:report.csv` for a zip member).
        name: String,
        /// The 1-based line of the record.
        line: u64,
    },
}

/// One reported fact: this address, at this time, talked to malware.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// The reported (public) address, in canonical form.
    pub address: IpAddr,
    /// The source port, when the notice gives one.
    pub port: Option<u16>,
    /// The time, µs UTC (the start, for a range).
    pub time: Option<i64>,
    /// The end of a time range (`10:00～10:30`), µs UTC.
    pub time_end: Option<i64>,
    /// The time exactly as written, when it was read from text.
    pub time_text: Option<String>,
    /// The zone the time was read in: `Asia/Tokyo` (for `JST`,
    /// `日本時間`), `UTC`, `+09:00`, or the default zone's name.
    pub zone: Option<String>,
    /// The malware family, lower case (`emotet`).
    pub malware: Option<String>,
    /// The server contacted (the C2), when given.
    pub destination: Option<IpAddr>,
    /// The server's port, when given.
    pub destination_port: Option<u16>,
    /// Where the report was read.
    pub source: ReportSource,
}

/// An attachment of the notice and what was made of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// The file name (or `part-N` when it has none).
    pub name: String,
    /// The MIME type as declared.
    pub content_type: String,
    /// The decoded size in bytes.
    pub size: usize,
    /// How it was read: `kizuki-notice`, `shadowserver`, `xarf`,
    /// `intelmq`, `intelmq-csv`, `ip-list`, `message`; `None` when it was
    /// not a report.
    pub read_as: Option<String>,
    /// Events read from it.
    pub events: usize,
    /// Records refused (each is also in the notice's problems).
    pub rejects: usize,
}

/// Everything kizuki understood of one notice mail.
///
/// Made by [`parse_notice`](super::parse_notice), which never fails: what
/// could not be understood is listed in `problems`, and a mail with no
/// readable report has status [`Status::Unparsed`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MailNotice {
    /// How well the mail was understood.
    pub status: Status,
    /// Where the reports came from.
    pub kind: NoticeKind,
    /// The notice's Message-ID, without angle brackets.
    pub message_id: Option<String>,
    /// The notice's sender (the original sender when forwarded).
    pub from: Option<Mailbox>,
    /// To: recipients.
    pub to: Vec<Mailbox>,
    /// Cc: recipients.
    pub cc: Vec<Mailbox>,
    /// The subject, decoded.
    pub subject: Option<String>,
    /// The notice's date, µs UTC.
    pub date: Option<i64>,
    /// The notice code, when the notice has one.
    pub code: Option<NoticeCode>,
    /// Who forwarded the notice, when it came wrapped.
    pub forwarded_by: Option<Forwarding>,
    /// The language, from `kizuki-notice.json` or guessed from the text.
    pub language: Option<Language>,
    /// What `kizuki-notice.json` says, for kizuki's own notices.
    pub kizuki: Option<KizukiNotice>,
    /// The reported addresses and times.
    pub reports: Vec<Reported>,
    /// Events read from report attachments, as IntelMQ JSON objects on the
    /// wire.
    #[serde(with = "event_list")]
    pub events: Vec<Event>,
    /// The attachments.
    pub attachments: Vec<AttachmentInfo>,
    /// Everything that went wrong or looked wrong, for a person to read.
    pub problems: Vec<String>,
}

impl MailNotice {
    /// An empty notice: nothing read yet.
    pub(crate) fn empty() -> MailNotice {
        MailNotice {
            status: Status::Unparsed,
            kind: NoticeKind::Unparsed,
            message_id: None,
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: None,
            date: None,
            code: None,
            forwarded_by: None,
            language: None,
            kizuki: None,
            reports: Vec::new(),
            events: Vec::new(),
            attachments: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// Events as a list of flat IntelMQ JSON objects (with their origin).
mod event_list {
    use kizuki_event::{Event, json};
    use serde::de::Error as _;
    use serde::ser::{Error as _, SerializeSeq};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(events: &[Event], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(events.len()))?;
        let opts = json::WriteOptions::default();
        for e in events {
            let mut line = Vec::new();
            json::write_event(e, &mut line, &opts);
            let v: serde_json::Value = serde_json::from_slice(&line).map_err(S::Error::custom)?;
            seq.serialize_element(&v)?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Event>, D::Error> {
        let maps = Vec::<serde_json::Map<String, serde_json::Value>>::deserialize(d)?;
        maps.into_iter()
            .map(|m| json::event_from_map(m, None).map_err(D::Error::custom))
            .collect()
    }
}
