//! abuse.ch Feodo Tracker: the botnet C2 blocklist as CSV
//! (`ipblocklist.csv`) or JSON (`ipblocklist.json`).
//!
//! Each entry becomes a `c2-server` event with the C2 address in `source.*`
//! (IntelMQ's convention for C2 lists), `time.source` = first seen, and the
//! validity window kept: `extra.first_seen`, `extra.last_online`, `status`.

use crate::batch::{Batch, ReadContext, Reject};
use crate::input::Source;
use crate::{FeedError, csvio};
use kizuki_event::{
    Event, ExtraValue, Field, Input, Origin, Raw, Timestamp, Value, Zone, time::parse_lenient,
};

/// Reads Feodo Tracker blocklists.
#[derive(Clone, Debug, Default)]
pub struct FeodoReader {
    _private: (),
}

/// The CSV columns of `ipblocklist.csv`, used when the file has no header.
const DEFAULT_COLUMNS: [&str; 6] = [
    "first_seen_utc",
    "dst_ip",
    "dst_port",
    "c2_status",
    "last_online",
    "malware",
];

/// One entry, with the names of either layout.
#[derive(Default)]
struct Entry<'a> {
    first_seen: Option<&'a str>,
    ip: Option<&'a str>,
    port: Option<String>,
    status: Option<&'a str>,
    last_online: Option<&'a str>,
    malware: Option<&'a str>,
    hostname: Option<&'a str>,
    asn: Option<String>,
    as_name: Option<&'a str>,
    country: Option<&'a str>,
}

impl FeodoReader {
    /// A reader.
    pub fn new() -> FeodoReader {
        FeodoReader::default()
    }

    /// Reads one input (CSV or JSON, told apart by the first character).
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        let first = src.data.iter().find(|b| !b.is_ascii_whitespace());
        let mut batch = Batch {
            bytes: src.data.len() as u64,
            ..Batch::default()
        };
        match first {
            Some(b'[') | Some(b'{') => self.read_json(src, ctx, &mut batch),
            _ => self.read_csv(src, ctx, &mut batch),
        }
        sink(batch);
        Ok(())
    }

    fn read_csv(&self, src: &Source, ctx: &ReadContext, batch: &mut Batch) {
        let text = &src.data;
        let mut columns: Vec<String> = DEFAULT_COLUMNS.iter().map(|s| s.to_string()).collect();
        let mut line_no = 0u64;
        for raw_line in text.split(|b| *b == b'\n') {
            line_no += 1;
            let line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            let trimmed = line.trim_ascii();
            if trimmed.is_empty() {
                continue;
            }
            // The header is a CSV line naming the columns, usually commented.
            let is_comment = trimmed.starts_with(b"#");
            let text = if is_comment {
                trimmed[1..].trim_ascii()
            } else {
                trimmed
            };
            if text.starts_with(b"\"first_seen") || text.starts_with(b"first_seen") {
                if let Some((h, _, _)) = csvio::header(text, b',') {
                    columns = h
                        .iter()
                        .map(|f| String::from_utf8_lossy(f).trim().to_owned())
                        .collect();
                }
                continue;
            }
            if is_comment {
                continue;
            }
            batch.rows += 1;
            let reject = |batch: &mut Batch, reason: String| {
                batch.rejects.push(Reject {
                    file: src.name.clone(),
                    line: line_no,
                    reason,
                    raw: line.to_vec(),
                });
            };
            let Ok(text) = std::str::from_utf8(line) else {
                reject(batch, "not valid UTF-8".into());
                continue;
            };
            let Some((rec, _, _)) = csvio::header(line, b',') else {
                continue;
            };
            if rec.len() != columns.len() {
                reject(
                    batch,
                    format!(
                        "row has {} fields, the header has {}",
                        rec.len(),
                        columns.len()
                    ),
                );
                continue;
            }
            let fields: Vec<&str> = rec
                .iter()
                .map(|f| std::str::from_utf8(f).unwrap_or(""))
                .collect();
            let get = |name: &str| {
                columns
                    .iter()
                    .position(|c| c == name)
                    .map(|i| fields[i])
                    .filter(|v| !v.is_empty())
            };
            let entry = Entry {
                first_seen: get("first_seen_utc").or_else(|| get("first_seen")),
                ip: get("dst_ip").or_else(|| get("ip_address")),
                port: get("dst_port").or_else(|| get("port")).map(str::to_owned),
                status: get("c2_status").or_else(|| get("status")),
                last_online: get("last_online"),
                malware: get("malware"),
                ..Entry::default()
            };
            self.emit(entry, text.as_bytes(), src, line_no, ctx, batch);
        }
    }

    fn read_json(&self, src: &Source, ctx: &ReadContext, batch: &mut Batch) {
        let value: serde_json::Value = match serde_json::from_slice(&src.data) {
            Ok(v) => v,
            Err(e) => {
                batch.rows += 1;
                // A document cut short ends "at" the line after its last
                // newline: name the last line there is instead.
                let lines = src.data.split_inclusive(|&c| c == b'\n').count().max(1);
                let reason = if e.is_eof() && e.line() > lines {
                    "not valid JSON: the file ends before the document does".to_owned()
                } else {
                    format!("not valid JSON: {e}")
                };
                batch.rejects.push(Reject {
                    file: src.name.clone(),
                    line: e.line().clamp(1, lines) as u64,
                    reason,
                    raw: src.data.to_vec(),
                });
                return;
            }
        };
        let items = match value {
            serde_json::Value::Array(a) => a,
            other => vec![other],
        };
        for (i, item) in items.into_iter().enumerate() {
            batch.rows += 1;
            let raw = serde_json::to_vec(&item).unwrap_or_default();
            let serde_json::Value::Object(m) = &item else {
                // JSON has no useful lines; an entry's number stands in.
                batch.rejects.push(Reject {
                    file: src.name.clone(),
                    line: i as u64 + 1,
                    reason: format!("entry {} is not a JSON object", i + 1),
                    raw,
                });
                continue;
            };
            let s = |k: &str| m.get(k).and_then(|v| v.as_str()).filter(|v| !v.is_empty());
            let n = |k: &str| {
                m.get(k).and_then(|v| match v {
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
                    _ => None,
                })
            };
            let entry = Entry {
                first_seen: s("first_seen"),
                ip: s("ip_address"),
                port: n("port"),
                status: s("status"),
                last_online: s("last_online"),
                malware: s("malware"),
                hostname: s("hostname"),
                asn: n("as_number"),
                as_name: s("as_name"),
                country: s("country"),
            };
            // JSON has no lines; the entry's position is its number.
            self.emit(entry, &raw, src, (i + 1) as u64, ctx, batch);
        }
    }

    fn emit(
        &self,
        e: Entry<'_>,
        raw: &[u8],
        src: &Source,
        line: u64,
        ctx: &ReadContext,
        batch: &mut Batch,
    ) {
        match build(&e, raw, ctx.observation_time()) {
            Ok(mut ev) => {
                ev.set_origin(Some(Origin::new(src.name.clone(), line)));
                ctx.emit(&mut ev, batch);
            }
            Err(reason) => batch.rejects.push(Reject {
                file: src.name.clone(),
                line,
                reason,
                raw: raw.to_vec(),
            }),
        }
    }
}

/// Feodo Tracker times are UTC.
fn utc(v: &str) -> Result<Timestamp, String> {
    parse_lenient(v, Some(&Zone::Utc)).map_err(|e| e.to_string())
}

fn build(e: &Entry<'_>, raw: &[u8], observation: Timestamp) -> Result<Event, String> {
    let mut ev = Event::new();
    let ip = e.ip.ok_or("no C2 address")?;
    ev.add(Field::SourceIp, Input::Str(ip))
        .map_err(|x| x.to_string())?;
    if let Some(p) = &e.port {
        ev.add(Field::SourcePort, Input::Str(p))
            .map_err(|x| x.to_string())?;
    }
    let first = e.first_seen.ok_or("no first_seen time")?;
    let first = utc(first).map_err(|x| format!("first_seen: {x}"))?;
    ev.set_checked(Field::TimeSource, Value::Time(first));
    ev.set_extra("first_seen", ExtraValue::Str(first.to_iso().into()));
    if let Some(lo) = e.last_online {
        // A date: the C2 was online at some time that day.
        utc(lo).map_err(|x| format!("last_online: {x}"))?;
        ev.set_extra("last_online", ExtraValue::Str(lo.into()));
    }
    if let Some(st) = e.status {
        ev.add(Field::Status, Input::Str(st))
            .map_err(|x| x.to_string())?;
    }
    if let Some(m) = e.malware {
        ev.add(Field::ClassificationIdentifier, Input::Str(m))
            .map_err(|x| x.to_string())?;
        ev.add(Field::MalwareName, Input::Str(m))
            .map_err(|x| x.to_string())?;
    }
    // Descriptive columns are kept when valid and moved to extra otherwise.
    let soft = |ev: &mut Event, f: Field, v: Option<&str>, key: &str| {
        if let Some(v) = v
            && ev.add(f, Input::Str(v)).is_err()
        {
            ev.set_extra(key, ExtraValue::Str(v.into()));
        }
    };
    soft(&mut ev, Field::SourceReverseDns, e.hostname, "hostname");
    soft(&mut ev, Field::SourceAsn, e.asn.as_deref(), "as_number");
    soft(&mut ev, Field::SourceAsName, e.as_name, "as_name");
    soft(&mut ev, Field::SourceGeolocationCc, e.country, "country");
    for (f, v) in [
        (Field::ClassificationType, "c2-server"),
        (Field::ClassificationTaxonomy, "malicious-code"),
        (Field::FeedName, "Feodo Tracker"),
        (Field::FeedProvider, "abuse.ch"),
    ] {
        ev.add(f, Input::Str(v)).map_err(|x| x.to_string())?;
    }
    ev.set_checked(Field::TimeObservation, Value::Time(observation));
    ev.set_checked(
        Field::Raw,
        Value::Raw(Box::new(Raw::from_bytes(raw.to_vec()))),
    );
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn read(data: &str) -> (Vec<Event>, Vec<Reject>) {
        let src = Source {
            name: Arc::from("t"),
            file_name: "t".into(),
            data: data.as_bytes().to_vec().into(),
        };
        let mut events = Vec::new();
        let mut rejects = Vec::new();
        FeodoReader::new()
            .read(&src, &ReadContext::new(), &mut |b| {
                events.extend(b.events);
                rejects.extend(b.rejects);
            })
            .unwrap();
        (events, rejects)
    }

    #[test]
    fn csv_with_commented_header() {
        let (ev, rej) = read(
            "#####\n# Feodo Tracker\n#####\n# \"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\n\"2022-06-04 21:24:53\",\"162.243.103.246\",\"8080\",\"offline\",\"2026-03-07\",\"Emotet\"\n\"bad\",\"1.2.3.4\",\"80\",\"online\",\"2026-03-07\",\"QakBot\"\n# Number of entries: 2\n",
        );
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].source_ip().unwrap().to_string(), "162.243.103.246");
        assert_eq!(ev[0].malware_name(), Some("emotet"));
        assert_eq!(
            ev[0].extra().get("last_online"),
            Some(&ExtraValue::Str("2026-03-07".into()))
        );
        assert_eq!(ev[0].origin().unwrap().line, 5);
        assert_eq!(rej.len(), 1);
        assert_eq!(rej[0].line, 6);
        assert!(rej[0].reason.contains("first_seen"), "{}", rej[0].reason);
    }
}
