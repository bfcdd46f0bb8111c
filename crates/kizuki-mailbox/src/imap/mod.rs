//! IMAP intake and delivery: new mail by UID with a persistent cursor,
//! marking seen, and APPEND for drills. A small client of its own over
//! tokio and rustls.

mod client;
mod config;
mod ops;
mod parse;
mod session;
mod transport;
mod wire;

pub use client::{Fetched, FetchedMessage, Imap, ImapCursor, Password};
pub use config::{ImapConfig, Security};
pub use ops::{append, fetch_new, mark_seen};
