//! FortiGate traffic logs: `key=value` lines (`date= time= srcip= srcport=
//! dstip= dstport= transip= transport= proto= duration= …`), as sent by
//! syslog or exported from FortiAnalyzer.

mod reader;
#[cfg(test)]
mod tests;

pub use reader::FortiGateReader;
