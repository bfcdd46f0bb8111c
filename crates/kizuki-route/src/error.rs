//! The crate's error type.

use std::path::PathBuf;

/// Why routing or reporting could not go on.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The contacts file is wrong.
    #[error("{path}: {reason}")]
    Contacts {
        /// The file.
        path: String,
        /// What is wrong and where.
        reason: String,
    },
    /// A report could not be made.
    #[error("report for {recipient}: {reason}")]
    Report {
        /// The contact.
        recipient: String,
        /// Why.
        reason: String,
    },
}
