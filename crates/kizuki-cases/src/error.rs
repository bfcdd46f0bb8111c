//! The crate's error type.

use crate::emocheck::EmoCheckError;
use crate::playbook::PlaybookError;
use kizuki_store::StoreError;

/// What can go wrong while working a case.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A playbook could not be loaded.
    #[error(transparent)]
    Playbook(#[from] PlaybookError),
    /// An EmoCheck report could not be read.
    #[error("{file}: {source}")]
    EmoCheck {
        /// The report's file name.
        file: String,
        /// Why.
        source: EmoCheckError,
    },
    /// No such incident, task or host.
    #[error("{0}")]
    NotFound(String),
    /// The request does not fit the case as it stands.
    #[error("{0}")]
    Invalid(String),
}
