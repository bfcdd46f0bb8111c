//! Juniper SRX session logs: `RT_FLOW_SESSION_CREATE`, `_CLOSE` and `_DENY`
//! in the structured-data form (`[junos@2636… source-address="…" …]`) and
//! the standard text form (`session created A/p->B/q … N/np->M/mp …`),
//! behind an RFC 5424 or BSD syslog header.

mod reader;
#[cfg(test)]
mod tests;

pub use reader::SrxReader;
