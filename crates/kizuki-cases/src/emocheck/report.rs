//! The parsed report and the notes the reader leaves on it.

use super::decode::TextEncoding;
use super::error::EmoCheckError;
use jiff::civil::DateTime;
use kizuki_event::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which of the tool's layouts a report is in.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// `-json`: the same for every language.
    Json,
    /// The text report of an English (or any non-Japanese, non-French)
    /// Windows user.
    TextEn,
    /// The text report of a Japanese Windows user.
    TextJa,
    /// The text report of a French Windows user (from version 2.0).
    TextFr,
}

impl ReportFormat {
    /// The file extension the tool uses: `json` or `txt`.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            _ => "txt",
        }
    }
}

/// One process the tool found to be Emotet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmoProcess {
    /// The process (file) name, e.g. `mstask.exe`.
    pub name: String,
    /// The process id. The tool writes it as a string in JSON; some forks
    /// write a number; a missing or unreadable one is `None`.
    pub pid: Option<u32>,
    /// The path of the executable or DLL: the file to remove.
    pub image_path: String,
    /// The autorun registry key (from version 2.0; usually empty, which
    /// reads as `None`).
    pub registry_key: Option<String>,
}

/// A read EmoCheck report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmoCheckReport {
    /// The tool version from the report (`2.0`), without the `v`.
    pub tool_version: Option<String>,
    /// The layout the report was in.
    pub format: ReportFormat,
    /// How the report's bytes were encoded.
    pub encoding: TextEncoding,
    /// The computer name: the JSON `hostname`, else the one in the file
    /// name.
    pub hostname: Option<String>,
    /// When the tool ran, in the host's local time as the tool wrote it,
    /// without a zone. Use [`EmoCheckReport::scan_time_in`] to place it.
    #[serde(with = "civil_text")]
    pub scan_time_local: DateTime,
    /// Whether the tool found Emotet.
    pub infected: bool,
    /// The processes found (empty for a clean host).
    pub processes: Vec<EmoProcess>,
    /// What the reader had to repair, guess or skip, in input order. Empty
    /// for a report exactly as the tool writes it.
    #[serde(default)]
    pub issues: Vec<ParseIssue>,
}

impl EmoCheckReport {
    /// A report as the current tool (version [`DEFAULT_TOOL_VERSION`])
    /// would write it: infected when `processes` is not empty.
    ///
    /// [`DEFAULT_TOOL_VERSION`]: super::DEFAULT_TOOL_VERSION
    pub fn new(
        format: ReportFormat,
        hostname: &str,
        scan_time_local: DateTime,
        processes: Vec<EmoProcess>,
    ) -> EmoCheckReport {
        EmoCheckReport {
            tool_version: Some(super::render::DEFAULT_TOOL_VERSION.to_owned()),
            format,
            encoding: TextEncoding::Utf8,
            hostname: Some(hostname.to_owned()),
            scan_time_local: scan_time_local
                .with()
                .subsec_nanosecond(0)
                .build()
                .unwrap_or(scan_time_local),
            infected: !processes.is_empty(),
            processes,
            issues: Vec::new(),
        }
    }

    /// The scan time as a point in time, reading the local time in the
    /// host's zone `tz`. Around a DST change the tool's time may be
    /// ambiguous (the earlier instant is taken) or skipped (the time is
    /// moved forward by the gap), as `jiff`'s compatible rule does.
    pub fn scan_time_in(&self, tz: &jiff::tz::TimeZone) -> Result<Timestamp, EmoCheckError> {
        let err = |reason: String| EmoCheckError::TimeZone {
            time: self.scan_time_local.to_string(),
            zone: tz.iana_name().unwrap_or("(unnamed)").to_owned(),
            reason,
        };
        let zoned = self
            .scan_time_local
            .to_zoned(tz.clone())
            .map_err(|e| err(e.to_string()))?;
        Timestamp::from_jiff(zoned.timestamp())
            .ok_or_else(|| err("outside the years 1 to 9999".to_owned()))
    }

    /// [`EmoCheckReport::scan_time_in`] as microseconds since the epoch.
    pub fn scan_time_micros_in(&self, tz: &jiff::tz::TimeZone) -> Result<i64, EmoCheckError> {
        self.scan_time_in(tz).map(Timestamp::as_micros)
    }

    /// Whether the report clears the host: it ran and found nothing.
    pub fn is_clean(&self) -> bool {
        !self.infected
    }
}

/// Something the reader repaired, guessed or skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseIssue {
    /// The line (from 1) it concerns, when one line does.
    pub line: Option<usize>,
    /// What it was.
    #[serde(flatten)]
    pub kind: IssueKind,
}

/// How a JSON string value had to be repaired.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repair {
    /// A `"` inside the value, not escaped; kept as a quote.
    UnescapedQuote,
    /// A raw control character (newline, tab, …); kept.
    ControlCharacter,
    /// A backslash before a character JSON does not escape; kept as a
    /// backslash.
    InvalidEscape,
}

/// The kinds of [`ParseIssue`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "issue", rename_all = "snake_case")]
pub enum IssueKind {
    /// Some bytes could not be decoded and were replaced by U+FFFD.
    UndecodableBytes {
        /// The encoding the report was read in.
        encoding: TextEncoding,
    },
    /// The JSON report is not valid JSON; what follows was recovered from
    /// it by the lenient reader.
    InvalidJson {
        /// The JSON parser's message.
        message: String,
    },
    /// A JSON string value was not valid JSON and was repaired.
    RepairedValue {
        /// The key.
        key: String,
        /// How.
        repair: Repair,
    },
    /// The report stops early: a value, an object or the text layout is
    /// not finished. With `key`, that value was dropped.
    Truncated {
        /// The key whose value was cut, if one was.
        key: Option<String>,
    },
    /// A JSON key the tool does not write; ignored.
    UnknownKey {
        /// The key.
        key: String,
    },
    /// A known key with a value of the wrong kind; ignored.
    BadValue {
        /// The key.
        key: String,
        /// The value as written.
        value: String,
    },
    /// A text line that fits none of the layout's lines; ignored.
    UnrecognisedLine {
        /// The line (at most 200 characters of it).
        text: String,
    },
    /// A process id that is not a number; the process is kept without it.
    BadProcessId {
        /// The value as written.
        value: String,
    },
    /// A detected process lacks a field; it is kept with the field empty.
    MissingField {
        /// Which field: `process_name` or `image_path`.
        field: String,
    },
    /// No `[EmoCheck v…]` header (or JSON version): the version is unknown.
    MissingVersion,
    /// No result line (or `is_infected`), but processes were listed: the
    /// host is taken to be infected.
    VerdictInferred,
    /// The result says clean but processes were listed: the host is taken
    /// to be infected.
    VerdictConflict,
    /// The computer name in the file name differs from the report's.
    HostnameMismatch {
        /// The name in the file name.
        file_name: String,
    },
    /// The report has no scan time; the file name's was used.
    ScanTimeFromFileName,
    /// The scan time in the file name differs from the report's.
    ScanTimeMismatch {
        /// The time in the file name.
        file_name: String,
    },
}

impl fmt::Display for ParseIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.line {
            write!(f, "line {n}: ")?;
        }
        match &self.kind {
            IssueKind::UndecodableBytes { encoding } => {
                write!(f, "bytes not valid in {encoding:?} were replaced")
            }
            IssueKind::InvalidJson { message } => {
                write!(f, "not valid JSON ({message}); recovered leniently")
            }
            IssueKind::RepairedValue { key, repair } => write!(f, "{key}: repaired {repair:?}"),
            IssueKind::Truncated { key: Some(k) } => write!(f, "cut short inside {k}; dropped"),
            IssueKind::Truncated { key: None } => write!(f, "the report is cut short"),
            IssueKind::UnknownKey { key } => write!(f, "unknown key {key:?} ignored"),
            IssueKind::BadValue { key, value } => write!(f, "{key}: bad value {value:?} ignored"),
            IssueKind::UnrecognisedLine { text } => write!(f, "unrecognised line {text:?}"),
            IssueKind::BadProcessId { value } => write!(f, "process id {value:?} is not a number"),
            IssueKind::MissingField { field } => write!(f, "a detected process has no {field}"),
            IssueKind::MissingVersion => write!(f, "no tool version"),
            IssueKind::VerdictInferred => {
                write!(f, "no result line; infected as processes are listed")
            }
            IssueKind::VerdictConflict => write!(f, "result says clean but processes are listed"),
            IssueKind::HostnameMismatch { file_name } => {
                write!(f, "file name says host {file_name:?}")
            }
            IssueKind::ScanTimeFromFileName => write!(f, "scan time taken from the file name"),
            IssueKind::ScanTimeMismatch { file_name } => {
                write!(f, "file name says scan time {file_name}")
            }
        }
    }
}

/// A civil date-time as `YYYY-MM-DDTHH:MM:SS` text (jiff's form) in serde.
mod civil_text {
    use jiff::civil::DateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(t)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
