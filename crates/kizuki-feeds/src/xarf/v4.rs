//! X-ARF v4: one JSON report per abuse fact (`xarf_version` 4.x).

use kizuki_event::{Event, ExtraValue, Field, Input, IpNet, taxonomy};
use serde_json::{Map, Value};

/// The classification of an X-ARF v4 `category`/`type` pair.
pub fn classification_of(category: &str, kind: &str) -> &'static str {
    match (category, kind) {
        ("connection", "infected_host") | ("infrastructure", "botnet") => "infected-system",
        ("infrastructure", "compromised_server") | ("infrastructure", "compromised-server") => {
            "system-compromise"
        }
        ("connection", "ddos") => "ddos",
        ("connection", "login_attack") | ("connection", "login-attack") => "brute-force",
        ("connection", "port_scan") | ("connection", "port-scan") => "scanner",
        ("connection", "reconnaissance") | ("connection", "vulnerability_scan") => "scanner",
        ("connection", "sql_injection") | ("connection", "sql-injection") => "exploit",
        ("connection", "scraping") => "unauthorized-use-of-resources",
        ("messaging", _) => "spam",
        ("content", "phishing") => "phishing",
        ("content", "malware") => "malware-distribution",
        ("content", "fraud") => "masquerade",
        ("content", _) => "other",
        ("vulnerability", "open_service") | ("vulnerability", "open-service") => {
            "potentially-unwanted-accessible"
        }
        ("vulnerability", _) => "vulnerable-system",
        ("reputation", "blocklist") => "blacklist",
        ("copyright", _) => "copyright",
        _ => "undetermined",
    }
}

/// Keys mapped to fields; everything else goes to `extra.xarf.*`.
const MAPPED: &[&str] = &[
    "source_identifier",
    "source_port",
    "destination_ip",
    "destination_port",
    "protocol",
    "malware_family",
    "c2_server",
    "category",
    "type",
    "timestamp",
    "last_seen",
    "first_seen",
    "reporter",
    "evidence",
];

/// The event a kizuki report carries as evidence
/// (`application/x-intelmq+json`), when there is one.
fn embedded_event(m: &Map<String, Value>) -> Option<Result<Event, String>> {
    use base64::Engine;
    let items = m.get("evidence")?.as_array()?;
    let item = items.iter().find(|i| {
        i.get("content_type").and_then(Value::as_str) == Some("application/x-intelmq+json")
    })?;
    let payload = item.get("payload").and_then(Value::as_str)?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(payload)
            .map_err(|e| format!("embedded event: bad base64: {e}"))
            .and_then(|bytes| {
                kizuki_event::json::parse_event(&bytes, None)
                    .map_err(|e| format!("embedded event: {e}"))
            }),
    )
}

/// An event read from one X-ARF v4 report.
#[derive(Debug)]
pub struct FromReport {
    /// The event.
    pub event: Event,
    /// True when the report carried a kizuki event as evidence and this is
    /// that event, returned as it was written: the reader must not add a
    /// raw copy, an observation time or an origin of its own.
    pub embedded: bool,
}

impl FromReport {
    /// An event mapped from a report's fields.
    pub fn mapped(event: Event) -> Self {
        Self {
            event,
            embedded: false,
        }
    }
}

/// Builds an event from one X-ARF v4 report object. A report written by
/// kizuki carries its event as evidence, which is returned as it was.
pub fn event_from_report(m: &Map<String, Value>) -> Result<FromReport, String> {
    if let Some(ev) = embedded_event(m) {
        return ev.map(|event| FromReport {
            event,
            embedded: true,
        });
    }
    mapped_event(m).map(|event| FromReport {
        event,
        embedded: false,
    })
}

/// Maps the fields of an X-ARF v4 report onto an event.
fn mapped_event(m: &Map<String, Value>) -> Result<Event, String> {
    let s = |k: &str| m.get(k).and_then(Value::as_str).filter(|v| !v.is_empty());
    let mut ev = Event::new();
    let add = |ev: &mut Event, f: Field, v: Input<'_>| ev.add(f, v).map_err(|e| e.to_string());

    let id = s("source_identifier").ok_or("no source_identifier")?;
    if ev.add(Field::SourceIp, Input::Str(id)).is_err() {
        if let Some(net) = IpNet::parse(id).filter(|_| id.contains('/')) {
            add(&mut ev, Field::SourceNetwork, Input::Str(&net.to_string()))?;
        } else if id.contains("://") {
            add(&mut ev, Field::SourceUrl, Input::Str(id))?;
        } else if id.contains('@') {
            add(&mut ev, Field::SourceAccount, Input::Str(id))?;
        } else {
            add(&mut ev, Field::SourceFqdn, Input::Str(id)).map_err(|_| {
                format!(
                    "source_identifier {id:?} is not an address, network, URL, account or domain"
                )
            })?;
        }
    }
    if let Some(p) = m.get("source_port").filter(|v| !v.is_null()) {
        add(
            &mut ev,
            Field::SourcePort,
            json_input(p).ok_or("source_port is not a number")?,
        )?;
    }
    if let Some(ip) = s("destination_ip") {
        add(&mut ev, Field::DestinationIp, Input::Str(ip))?;
    }
    if let Some(p) = m.get("destination_port").filter(|v| !v.is_null()) {
        add(
            &mut ev,
            Field::DestinationPort,
            json_input(p).ok_or("destination_port is not a number")?,
        )?;
    }
    if let Some(p) = s("protocol") {
        add(&mut ev, Field::ProtocolTransport, Input::Str(p))?;
    }
    if let Some(c2) = s("c2_server") {
        // A C2 given as an address or a name: where the bot connects to.
        if ev.add(Field::DestinationIp, Input::Str(c2)).is_err()
            && !ev.contains(Field::DestinationIp)
        {
            add(&mut ev, Field::DestinationFqdn, Input::Str(c2))
                .map_err(|_| format!("c2_server {c2:?} is not an address or domain"))?;
        } else if ev.destination_ip().map(|ip| ip.to_string()) != Some(c2.to_owned()) {
            ev.set_extra("xarf.c2_server", ExtraValue::Str(c2.into()));
        }
    }
    if let Some(f) = s("malware_family") {
        add(&mut ev, Field::ClassificationIdentifier, Input::Str(f))?;
        add(&mut ev, Field::MalwareName, Input::Str(f))?;
    }
    let category = s("category").ok_or("no category")?;
    let kind = s("type").ok_or("no type")?;
    let class = classification_of(category, kind);
    add(&mut ev, Field::ClassificationType, Input::Str(class))?;
    add(
        &mut ev,
        Field::ClassificationTaxonomy,
        Input::Str(taxonomy::taxonomy_of(class).unwrap_or("other")),
    )?;
    ev.set_extra("xarf.category", ExtraValue::Str(category.into()));
    ev.set_extra("xarf.type", ExtraValue::Str(kind.into()));

    // The time of the activity: when it was last seen, else when reported.
    let time = s("last_seen")
        .or(s("first_seen"))
        .or(s("timestamp"))
        .ok_or("no timestamp")?;
    add(&mut ev, Field::TimeSource, Input::Str(time))?;
    for k in ["first_seen", "last_seen", "timestamp"] {
        if let Some(v) = s(k) {
            ev.set_extra(&format!("xarf.{k}"), ExtraValue::Str(v.into()));
        }
    }
    if let Some(org) = m
        .get("reporter")
        .and_then(|r| r.get("org"))
        .and_then(Value::as_str)
    {
        add(&mut ev, Field::FeedProvider, Input::Str(org))?;
    }
    if let Some(Value::Array(ev_items)) = m.get("evidence") {
        ev.set_extra(
            "xarf.evidence_count",
            ExtraValue::Int(ev_items.len() as i64),
        );
    }
    for (k, v) in m {
        if !MAPPED.contains(&k.as_str()) {
            ev.set_extra(&format!("xarf.{k}"), ExtraValue::from_json(v.clone()));
        }
    }
    add(
        &mut ev,
        Field::FeedName,
        Input::Str(&format!("X-ARF {category}/{kind}")),
    )?;
    Ok(ev)
}

fn json_input(v: &Value) -> Option<Input<'_>> {
    match v {
        Value::Number(n) => n.as_i64().map(Input::Int),
        Value::String(s) => Some(Input::Str(s)),
        _ => None,
    }
}
