//! The coordinator's stage: who is responsible for each event, and the
//! reports they get.
//!
//! * [`contacts::Directory`] reads the contacts file (`[[contact]]` tables:
//!   ASNs, prefixes, ranges, domains, addresses, language, format, zone),
//!   checks it, and reports overlaps naming both contacts.
//! * [`enrich`] fills `source.asn`, `source.as_name` and
//!   `source.geolocation.cc` from AS tables.
//! * [`Router`] decides each event's recipient, most specific match first.
//! * [`report`] writes per-recipient files (CSV, IntelMQ JSON, X-ARF v4) and
//!   ready RFC 5322 messages in Japanese or English.
//! * [`stats`] counts events by day, recipient, malware and more, and draws
//!   the trend.

pub mod contacts;
pub mod enrich;
mod error;
pub mod report;
mod router;
pub mod stats;

pub use error::RouteError;
pub use router::{RECIPIENT_KEY, ROUTED_VIA_KEY, Routed, Router, UNROUTED_KEY};
