//! JPCERT/CC EmoCheck reports: reading them as evidence, and writing them
//! for demos and drills.
//!
//! EmoCheck (`JPCERTCC/EmoCheck`) is the tool the 2021 Emotet clean-up in
//! Japan asked every notified organisation to run. It writes one report per
//! run, named `<COMPUTERNAME>_yyyymmddhhmmss_emocheck.txt` (or `.json` with
//! `-json`), in the language of the Windows user (English, Japanese, or
//! French from 2.0) and with the scan time in local time without a zone.
//!
//! * [`parse`] takes the bytes of any of these (UTF-8 with or without BOM,
//!   UTF-16 with BOM, or Shift_JIS / CP932 as older Japanese builds wrote)
//!   and gives an [`EmoCheckReport`]. The tool writes its JSON by hand and
//!   escapes only backslashes, so the JSON reader recovers what it can from
//!   a document that is not valid JSON and lists each repair in
//!   [`EmoCheckReport::issues`].
//! * [`render_json`], [`render_text_en`], [`render_text_ja`] and
//!   [`render_text_fr`] write a report in exactly the tool's layout, and
//!   [`file_name`] names it the way the tool does.
//!
//! ```
//! use kizuki_cases::emocheck::{self, ReportFormat};
//!
//! let text = "[EmoCheck v2.0]\r\nScan time: 2021-02-22 10:00:00\r\n\
//!             ____________________________________________________\r\n\r\n\
//!             [Result] \r\nEmotet was not detected.\r\n";
//! let report = emocheck::parse(text.as_bytes(), Some("PC01_20210222100000_emocheck.txt")).unwrap();
//! assert_eq!(report.format, ReportFormat::TextEn);
//! assert_eq!(report.hostname.as_deref(), Some("PC01"));
//! assert!(!report.infected);
//! let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
//! assert_eq!(report.scan_time_in(&tz).unwrap().to_iso(), "2021-02-22T01:00:00+00:00");
//! ```

mod decode;
mod error;
mod file_name;
mod json;
mod parse;
mod render;
mod report;
mod text;

pub use decode::{TextEncoding, encode};
pub use error::EmoCheckError;
pub use file_name::{FileNameInfo, file_name, parse_file_name};
pub use parse::{MAX_REPORT_BYTES, parse};
pub use render::{
    DEFAULT_TOOL_VERSION, render, render_json, render_text_en, render_text_fr, render_text_ja,
};
pub use report::{EmoCheckReport, EmoProcess, IssueKind, ParseIssue, Repair, ReportFormat};
