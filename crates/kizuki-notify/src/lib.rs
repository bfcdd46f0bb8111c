//! kizuki notices: what one recipient gets about their infected hosts.
//!
//! * [`policy`]: who is told what, when, and why not (a pure function of
//!   the events, the history and the clock).
//! * [`notifier`]: a `notify` run: events in, rendered notices and their
//!   messages out, written by the store in one transaction.
//! * [`template`]: minijinja templates, Japanese and English built in.
//! * [`code`]: notice codes a recipient checks on the operator's
//!   verification page.
//! * [`send`]: the outbox's sender: SMTP with retries, or a Maildir.
//! * [`dsn`]: delivery status notifications (bounces, RFC 3464).

pub mod code;
pub mod config;
mod dkim;
pub mod dsn;
mod error;
pub mod message;
pub mod notifier;
pub mod policy;
pub mod sanitize;
pub mod send;
pub mod template;

pub use config::NotifyConfig;
pub use error::NotifyError;
pub use notifier::{Notifier, Prepared, Summary, event_record};
pub use policy::Policy;
