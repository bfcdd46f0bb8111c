//! The crate's error type.

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or opened.
    #[error("cannot open the store at {url}: {source}")]
    Open {
        /// The URL or path, without a password.
        url: String,
        /// Why.
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date.
    #[error("cannot update the store's schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("store: {0}")]
    Query(#[from] sqlx::Error),
    /// Data in the store is not what kizuki wrote.
    #[error("store: damaged {what}: {why}")]
    Damaged {
        /// Which data.
        what: String,
        /// What is wrong.
        why: String,
    },
    /// The change does not apply to the object's current state.
    #[error("{0}")]
    Conflict(String),
}
