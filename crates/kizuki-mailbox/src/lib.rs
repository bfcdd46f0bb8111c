//! kizuki mailboxes: new mail from a Maildir or an IMAP server, every
//! message once, and delivery into either for drills.
//!
//! The enterprise CSIRT gets ISP notices at whatever address the contract
//! holder gave; this crate collects them. Each source keeps its own record
//! of what was taken, so a run takes only what arrived since the last one,
//! and nothing is marked taken before the caller has stored it.
//!
//! * [`Maildir`]: lists `new/`, reads a message, and once the caller has
//!   stored it moves it to `cur/` with the seen flag (`:2,S`), as a mail
//!   reader would. [`Maildir::deliver`] writes through `tmp/`.
//! * [`Imap`]: [`Imap::fetch_new`] takes the messages above an
//!   [`ImapCursor`] (UIDVALIDITY and last UID) without changing any flag;
//!   the caller stores them, then keeps the new cursor. [`Imap::append`]
//!   puts a drill message in. Plain, STARTTLS or TLS (rustls), a time-out
//!   on connecting and on each command. The password comes from an
//!   environment variable and never appears in an error or a log line.
//! * [`MailboxError`]: the one error type; IMAP errors name the server,
//!   the mailbox and the command.
//!
//! Both sources deliver at least once: a crash after storing and before
//! marking means the message comes again, so callers dedupe (by Message-ID
//! or [`MessageEntry::unique`]).
//!
//! # Example
//!
//! ```
//! use kizuki_mailbox::Maildir;
//!
//! # fn main() -> Result<(), kizuki_mailbox::MailboxError> {
//! # let dir = tempfile::tempdir().unwrap();
//! let maildir = Maildir::create(dir.path().join("notices"))?;
//! maildir.deliver(b"Subject: [NOTICE] infected host\r\n\r\nbody\r\n")?;
//!
//! for entry in maildir.list_new()? {
//!     let bytes = maildir.read(&entry)?;
//!     // ... store the notice, then:
//!     maildir.mark_processed(&entry)?;
//!     assert!(bytes.starts_with(b"Subject:"));
//! }
//! assert!(maildir.list_new()?.is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! And from IMAP, keeping the cursor between runs:
//!
//! ```no_run
//! use kizuki_mailbox::{Imap, ImapConfig, ImapCursor};
//!
//! # async fn run(saved: Option<ImapCursor>) -> Result<ImapCursor, kizuki_mailbox::MailboxError> {
//! let config: ImapConfig = toml::from_str(r#"
//!     host = "imap.example.co.jp"
//!     user = "csirt@example.co.jp"
//!     password_env = "KIZUKI_IMAP_PASSWORD"
//! "#).unwrap();
//! let imap = Imap::from_config(config)?;
//! let fetched = imap.fetch_new(saved).await?;
//! for message in &fetched.messages {
//!     // ... store message.bytes ...
//! }
//! // Only now is the cursor kept: a crash before this re-reads, never loses.
//! Ok(fetched.cursor)
//! # }
//! ```

mod error;
mod imap;
mod maildir;

pub use error::MailboxError;
pub use imap::{
    Fetched, FetchedMessage, Imap, ImapConfig, ImapCursor, Password, Security, append, fetch_new,
    mark_seen,
};
pub use maildir::{Folder, Maildir, MessageEntry};
