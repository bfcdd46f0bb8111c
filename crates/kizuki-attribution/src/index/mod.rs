//! The interval index: one memory-mapped file per partition (log kind and
//! UTC day), searched in place.

mod file;

pub(crate) use file::build;
pub use file::{BuildStats, Hit, IndexFile};
