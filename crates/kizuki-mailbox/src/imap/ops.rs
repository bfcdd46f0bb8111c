//! One-call forms of [`Imap`]'s operations, for a configuration whose
//! password is in the environment.

use super::client::{Fetched, Imap, ImapCursor};
use super::config::ImapConfig;
use crate::error::Result;

/// [`Imap::fetch_new`] for `cfg`, with the password from `password_env`.
pub async fn fetch_new(cfg: &ImapConfig, since: Option<ImapCursor>) -> Result<Fetched> {
    Imap::from_config(cfg.clone())?.fetch_new(since).await
}

/// [`Imap::mark_seen`] for `cfg`, with the password from `password_env`.
pub async fn mark_seen(cfg: &ImapConfig, uidvalidity: u32, uids: &[u32]) -> Result<()> {
    Imap::from_config(cfg.clone())?
        .mark_seen(uidvalidity, uids)
        .await
}

/// [`Imap::append`] for `cfg`, with the password from `password_env`.
pub async fn append(cfg: &ImapConfig, message: &[u8]) -> Result<Option<u32>> {
    Imap::from_config(cfg.clone())?.append(message).await
}
