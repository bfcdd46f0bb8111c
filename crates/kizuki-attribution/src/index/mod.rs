//! The interval index: one file per partition (log kind and UTC day),
//! memory-mapped and searched in place.

mod build;
mod file;
mod layout;
mod search;
#[cfg(test)]
mod tests;

pub(crate) use build::build_spans;
pub use build::{BuildStats, Holders, build_entries, build_intervals};
pub use file::{Hit, IndexFile};
pub use layout::{V4Entry, V6Entry};
