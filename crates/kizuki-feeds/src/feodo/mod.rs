//! abuse.ch Feodo Tracker botnet C2 blocklists (CSV and JSON).

mod reader;

pub use reader::FeodoReader;
