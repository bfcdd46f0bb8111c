//! IntelMQ events in: JSON lines (the writer is in `kizuki_event::json`) and
//! CSV with IntelMQ field names as the header.

mod csv;
mod reader;

pub use csv::{IntelmqCsvReader, is_intelmq_header};
pub use reader::IntelmqReader;
