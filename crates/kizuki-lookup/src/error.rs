//! The crate's error types.

use std::path::PathBuf;

/// A table could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not in a known format, or damaged.
    #[error("{path}: {reason}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// A line of a table that could not be read; the other lines are kept.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {reason}")]
pub struct LineError {
    /// The file.
    pub file: String,
    /// The 1-based line.
    pub line: u64,
    /// Why.
    pub reason: String,
}
