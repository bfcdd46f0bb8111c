//! The crate's error type: problems with a whole input, as opposed to one
//! bad row (a [`Reject`](crate::Reject)).

use std::path::PathBuf;

/// A whole input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A compressed file is damaged.
    #[error("{name}: damaged {kind} data: {reason}")]
    Compression {
        /// The input's name.
        name: String,
        /// `gzip` or `zip`.
        kind: &'static str,
        /// What the decompressor said.
        reason: String,
    },
    /// The format could not be told from the name or content.
    #[error("{name}: cannot tell the format; pass --format with one of: {known}")]
    UnknownFormat {
        /// The input's name.
        name: String,
        /// The formats kizuki knows.
        known: String,
    },
    /// A format name that kizuki does not know.
    #[error("unknown format {given:?}; known formats: {known}")]
    NoSuchFormat {
        /// What was asked for.
        given: String,
        /// The formats kizuki knows.
        known: String,
    },
    /// A Shadowserver report type that the schema does not have.
    #[error(
        "{name}: unknown Shadowserver report type {report_type:?}; pass --report-type, or --schema with Shadowserver's intelmq.json (the built-in mapping covers: {builtin})"
    )]
    UnknownReportType {
        /// The input's name.
        name: String,
        /// The report type looked for.
        report_type: String,
        /// The types the built-in mapping knows.
        builtin: String,
    },
    /// The Shadowserver report type could not be read from the file name.
    #[error(
        "{name}: cannot tell the Shadowserver report type from the file name (expected YYYY-MM-DD-<type>-<org>.csv or <type>.csv); pass --report-type"
    )]
    NoReportType {
        /// The input's name.
        name: String,
    },
    /// A schema or mapping file is wrong.
    #[error("{path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong, and where.
        reason: String,
    },
}

impl FeedError {
    /// A configuration error.
    pub fn config(path: impl Into<String>, reason: impl Into<String>) -> FeedError {
        FeedError::Config {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
