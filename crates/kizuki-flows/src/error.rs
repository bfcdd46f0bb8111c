//! The crate's error type, and the record of a line that could not be read.

use serde::{Serialize, Serializer};
use std::path::PathBuf;
use std::sync::Arc;

/// What can go wrong in enterprise correlation. Bad lines are not errors:
/// they become [`Reject`]s and reading goes on.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An input is not in the format asked for (no usable header, say).
    #[error("{file}: {reason}")]
    Format {
        /// The input's name.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A setting or mapping file is invalid.
    #[error("{0}")]
    Config(String),
}

impl FlowError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FlowError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn format(file: &str, reason: impl Into<String>) -> Self {
        FlowError::Format {
            file: file.to_owned(),
            reason: reason.into(),
        }
    }
}

/// A line that could not become a record. Nothing is dropped silently: a
/// reject names its file, line and reason and keeps the raw line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// The input's name.
    pub file: Arc<str>,
    /// The 1-based line.
    pub line: u64,
    /// Why the line was refused.
    pub reason: String,
    /// The line as read, byte for byte (shown as lossy UTF-8 in JSON).
    #[serde(serialize_with = "lossy")]
    pub raw: Vec<u8>,
}

impl Reject {
    /// A reject.
    pub fn new(file: &Arc<str>, line: u64, reason: impl Into<String>, raw: &[u8]) -> Reject {
        Reject {
            file: file.clone(),
            line,
            reason: reason.into(),
            raw: raw.to_vec(),
        }
    }
}

impl std::fmt::Display for Reject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

fn lossy<S: Serializer>(raw: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(raw))
}
