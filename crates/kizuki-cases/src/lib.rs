//! The enterprise CSIRT's side of kizuki: an ISP's notice names the
//! company's public address and a time; this crate turns it into an
//! incident and follows it until every infected host is clean.
//!
//! * [`Cases`] takes notices in (each message once), groups the notices
//!   about one public address and time window into an [`Incident`], and
//!   creates the [`playbook`]'s tasks when an incident opens, before any
//!   host is known.
//! * Hosts found behind the NAT are tied to the incident
//!   ([`Cases::add_host`]); [`emocheck`] reports are evidence that marks a
//!   host infected or closes its removal task.
//! * [`metrics`] measures time to acknowledge, to identify the host and to
//!   contain it, per incident and over time; [`drill`] makes the synthetic
//!   notices that rehearse all of this through the real intake.
//!
//! [`Incident`]: kizuki_store::Incident

mod cases;
pub mod drill;
pub mod emocheck;
mod error;
pub mod metrics;
pub mod playbook;

pub use cases::{
    CaseConfig, CaseView, Cases, EvidenceOutcome, HostInput, IncomingNotice, IncomingReport,
    IntakeOutcome, TASK_STATES, TaskChange, digest,
};
pub use error::CaseError;
