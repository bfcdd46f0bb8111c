//! Any delimited flow, NAT or firewall log, read through a mapping file
//! (TOML) that says which column holds what and how times are written.

mod config;
mod reader;
#[cfg(test)]
mod tests;

pub use config::{ColumnRef, Columns, Counts, Mapping, TimeFormat};
pub use reader::MappedReader;
