//! Zeek `conn.log`: the TSV form with its `#` header lines, and JSON lines
//! (with `ts` as epoch seconds or, under `JSON::TS_ISO8601`, ISO text).

mod json;
mod reader;
#[cfg(test)]
mod tests;

pub use reader::ZeekReader;
