//! ISC Kea memfile lease CSV (lease4 and lease6).

mod columns;
mod reader;

pub use reader::{Family, read};
