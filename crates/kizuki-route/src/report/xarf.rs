//! X-ARF v4 reports, one JSON object per event (one per line).
//!
//! Infected systems are `infrastructure/botnet`, C2 servers
//! `infrastructure/compromised_server`, anything else
//! `reputation/threat_intelligence`. Each report carries the whole event as
//! an evidence item (`application/x-intelmq+json`), so a kizuki on the
//! receiving side gets the event back exactly; other readers use the
//! standard fields.

use super::Sender;
use base64::Engine;
use kizuki_event::{Event, Field, json};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The content type of the embedded event.
pub const EVENT_CONTENT_TYPE: &str = "application/x-intelmq+json";

/// A UUID (version 4 layout) derived from bytes, so the same event gives the
/// same report id.
fn uuid_from(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A tag value: lower-case letters, digits and `_+-`.
fn tag(ns: &str, v: &str) -> Option<String> {
    let v: String = v
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let v = v.trim_start_matches(['_', '+', '-']).to_owned();
    (!v.is_empty()).then(|| format!("{ns}:{v}"))
}

/// The X-ARF v4 report for one event.
pub fn report(ev: &Event, from: &Sender) -> Value {
    let mut line = Vec::new();
    json::write_event(ev, &mut line, &json::WriteOptions::default());
    let mut m = Map::new();
    m.insert("xarf_version".into(), json!("4.0.0"));
    m.insert("report_id".into(), json!(uuid_from(&line)));
    let when = ev.time_source().or_else(|| ev.time(Field::TimeObservation));
    let when = when.map(|t| {
        let iso = t.to_iso();
        format!("{}Z", iso.trim_end_matches("+00:00"))
    });
    m.insert("timestamp".into(), json!(when));
    let who = json!({"org": from.org, "contact": from.email, "domain": from.domain});
    m.insert("reporter".into(), who.clone());
    m.insert("sender".into(), who);
    let ident = ev
        .source_ip()
        .map(|ip| ip.to_string())
        .or_else(|| ev.str(Field::SourceFqdn).map(str::to_owned))
        .or_else(|| ev.str(Field::SourceAccount).map(str::to_owned))
        .unwrap_or_default();
    m.insert("source_identifier".into(), json!(ident));
    if let Some(p) = ev.source_port() {
        m.insert("source_port".into(), json!(p));
    }
    let class = ev.classification_type().unwrap_or("undetermined");
    let feed = ev.feed_name().unwrap_or("a feed");
    match class {
        "infected-system" => {
            m.insert("category".into(), json!("infrastructure"));
            m.insert("type".into(), json!("botnet"));
            m.insert(
                "compromise_evidence".into(),
                json!(format!(
                    "Connection to a sinkhole or C2 server observed ({feed})"
                )),
            );
            if let Some(c2) = ev
                .destination_ip()
                .map(|i| i.to_string())
                .or_else(|| ev.str(Field::DestinationFqdn).map(str::to_owned))
            {
                m.insert("c2_server".into(), json!(c2));
            }
            let proto = ev
                .str(Field::ProtocolApplication)
                .or(ev.str(Field::ProtocolTransport));
            if let Some(p) =
                proto.filter(|p| ["http", "https", "tcp", "udp", "dns", "irc", "p2p"].contains(p))
            {
                m.insert("c2_protocol".into(), json!(p));
            }
        }
        "c2-server" => {
            m.insert("category".into(), json!("infrastructure"));
            m.insert("type".into(), json!("compromised_server"));
            m.insert(
                "compromise_method".into(),
                json!(format!("unknown; listed as a botnet C2 server by {feed}")),
            );
        }
        other => {
            m.insert("category".into(), json!("reputation"));
            m.insert("type".into(), json!("threat_intelligence"));
            m.insert("threat_type".into(), json!(other));
        }
    }
    m.insert("evidence_source".into(), json!("automated_discovery"));
    if let Some(name) = ev.malware_name() {
        m.insert("malware_family".into(), json!(name));
    }
    if let Some(t) = when.as_ref() {
        m.insert("first_seen".into(), json!(t));
        m.insert("last_seen".into(), json!(t));
    }
    let mut tags = Vec::new();
    tags.extend(ev.malware_name().and_then(|n| tag("malware", n)));
    tags.extend(tag("classification", class));
    if !tags.is_empty() {
        m.insert("tags".into(), json!(tags));
    }
    let body = line.strip_suffix(b"\n").unwrap_or(&line);
    let payload = base64::engine::general_purpose::STANDARD.encode(body);
    let hash: String = Sha256::digest(body)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect();
    m.insert(
        "evidence".into(),
        json!([{
            "content_type": EVENT_CONTENT_TYPE,
            "description": "The event as IntelMQ JSON (kizuki reads it back exactly)",
            "payload": payload,
            "hash": format!("sha256:{hash}"),
            "size": body.len(),
        }]),
    );
    Value::Object(m)
}

/// Writes X-ARF v4 reports, one per line.
pub fn write(events: &[Event], from: &Sender) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(report(e, from).to_string().as_bytes());
        out.push(b'\n');
    }
    out
}
