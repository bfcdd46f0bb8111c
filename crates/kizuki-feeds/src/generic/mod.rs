//! Generic delimited files with a mapping file.

mod config;
mod reader;

pub use config::{ColumnSpec, CsvOptions, MappingConfig, TimeOptions, Unmapped};
pub use reader::GenericCsvReader;
