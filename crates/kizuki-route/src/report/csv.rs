//! CSV reports: one row per event, IntelMQ field names as the header, so
//! `kizuki ingest` (and any spreadsheet) reads them back.
//!
//! Harmonized fields are written as plain text; `extra.*` values as JSON
//! (strings in quotes), so their types survive the round trip.

use kizuki_event::{Event, json};
use std::collections::BTreeSet;

/// Columns people look at first; the rest follow in key order.
const FIRST: &[&str] = &[
    "time.source",
    "source.ip",
    "source.port",
    "source.asn",
    "source.account",
    "source.fqdn",
    "malware.name",
    "classification.type",
    "classification.identifier",
    "destination.ip",
    "destination.port",
    "destination.fqdn",
    "protocol.transport",
    "feed.name",
];

/// Writes events as CSV.
pub fn write(events: &[Event]) -> Vec<u8> {
    let maps: Vec<serde_json::Map<String, serde_json::Value>> = events
        .iter()
        .map(|e| {
            let mut line = Vec::new();
            json::write_event(e, &mut line, &json::WriteOptions::default());
            serde_json::from_slice(&line).unwrap_or_default()
        })
        .collect();
    let keys: BTreeSet<&str> = maps
        .iter()
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    let mut cols: Vec<&str> = FIRST.iter().copied().filter(|k| keys.contains(k)).collect();
    cols.extend(keys.iter().copied().filter(|k| !FIRST.contains(k)));
    let mut w = csv_writer();
    w.push_row(cols.iter().map(|c| c.to_string()));
    for m in &maps {
        w.push_row(cols.iter().map(|c| match m.get(*c) {
            None => String::new(),
            Some(v) if c.starts_with("extra.") => v.to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        }));
    }
    w.out
}

/// A tiny RFC 4180 writer: quotes a field when it holds a comma, quote or
/// line break, and ends lines with CRLF.
struct CsvWriter {
    out: Vec<u8>,
}

fn csv_writer() -> CsvWriter {
    CsvWriter { out: Vec::new() }
}

impl CsvWriter {
    fn push_row(&mut self, fields: impl Iterator<Item = String>) {
        for (i, f) in fields.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            if f.contains([',', '"', '\n', '\r']) || f.starts_with(' ') || f.ends_with(' ') {
                self.out.push(b'"');
                self.out
                    .extend_from_slice(f.replace('"', "\"\"").as_bytes());
                self.out.push(b'"');
            } else {
                self.out.extend_from_slice(f.as_bytes());
            }
        }
        self.out.extend_from_slice(b"\r\n");
    }
}
