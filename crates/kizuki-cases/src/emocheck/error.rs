//! Why an EmoCheck report could not be read.

/// Why bytes could not be read as an EmoCheck report, or its time not be
/// placed on the timeline.
///
/// The caller knows the file name and adds it; these say what was wrong
/// with the content (and on which line, where one line is to blame).
#[derive(Debug, thiserror::Error)]
pub enum EmoCheckError {
    /// Nothing but whitespace.
    #[error("the report is empty")]
    Empty,
    /// Larger than any report the tool writes.
    #[error("{size} bytes is too large for an EmoCheck report (limit {limit})")]
    TooLarge {
        /// The input's size in bytes.
        size: usize,
        /// The largest input accepted.
        limit: usize,
    },
    /// Neither the tool's JSON nor one of its text layouts.
    #[error("not an EmoCheck report: {reason}")]
    NotEmoCheck {
        /// What was looked for and not found.
        reason: String,
    },
    /// No scan time in the report, and none in its file name either.
    #[error("no scan time in the report or its file name")]
    MissingScanTime,
    /// A scan time that is not `YYYY-MM-DD HH:MM:SS`.
    #[error("{}scan time {value:?} is not YYYY-MM-DD HH:MM:SS", line_prefix(*.line))]
    BadScanTime {
        /// The line it was on (from 1), when known.
        line: Option<usize>,
        /// The value as written.
        value: String,
    },
    /// Neither the infected nor the clean result, and no detected process:
    /// the report was probably cut short before its result.
    #[error("the report has no result (infected or not); it may be cut short")]
    MissingVerdict,
    /// The local scan time could not be placed in the given zone.
    #[error("scan time {time} cannot be placed in zone {zone}: {reason}")]
    TimeZone {
        /// The local scan time.
        time: String,
        /// The zone's name.
        zone: String,
        /// What the time library said.
        reason: String,
    },
}

fn line_prefix(line: Option<usize>) -> String {
    match line {
        Some(n) => format!("line {n}: "),
        None => String::new(),
    }
}
