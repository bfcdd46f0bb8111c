//! The crate's error.

/// Why a notice could not be made, stored or sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] kizuki_store::StoreError),
    /// A template does not parse or render.
    #[error("template {name}: {source}")]
    Template {
        /// Which template.
        name: String,
        /// What minijinja said.
        source: minijinja::Error,
    },
    /// The configuration is wrong.
    #[error("{0}")]
    Config(String),
    /// A message could not be built.
    #[error("cannot build the message for notice {notice}: {why}")]
    Message {
        /// The notice id.
        notice: i64,
        /// Why.
        why: String,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}
