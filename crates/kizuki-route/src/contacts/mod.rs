//! The contacts directory: who is responsible for which addresses, ASes and
//! domains.

mod config;
mod directory;

pub use config::{ContactConfig, ContactsFile};
pub use directory::{
    Contact, ContactKind, Directory, Finding, Language, ReportFormat, Severity, Via,
};
