//! The crate's error type, and the record of a line that could not be read.

use std::path::PathBuf;

/// What can go wrong in attribution.
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An input is not in the format asked for.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The index in the data directory is damaged or from another version.
    #[error("index {path}: {reason}")]
    Index {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A setting is invalid.
    #[error("{0}")]
    Config(String),
}

impl AttributionError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        AttributionError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn index(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        AttributionError::Index {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// A line (or record) of a log that could not be read; the others are kept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct LineError {
    /// The file.
    pub file: String,
    /// The 1-based line where the record starts.
    pub line: u64,
    /// Why.
    pub reason: String,
}
