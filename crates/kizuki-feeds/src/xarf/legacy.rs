//! X-ARF v0.1/v0.2: a MIME mail (`X-XARF: PLAIN`, older `X-ARF: YES`) whose
//! second part is a YAML report (`Reported-From`, `Category`,
//! `Report-Type`, `Source`, `Port`, `Date`, …).

use kizuki_event::{Event, ExtraValue, Field, Input, Zone, taxonomy, time::parse_lenient};

/// The classification of an X-ARF v0.2 `Report-Type`.
fn classification_of(report_type: &str) -> &'static str {
    match report_type.to_ascii_lowercase().as_str() {
        "login-attack" | "login_attack" => "brute-force",
        "bot" | "botnet" | "infected-host" | "infected_host" | "malware" | "drone" => {
            "infected-system"
        }
        "phishing" => "phishing",
        "spam" => "spam",
        "portscan" | "port-scan" | "port_scan" => "scanner",
        "ddos" => "ddos",
        "harvesting" => "unauthorized-use-of-resources",
        "fraud" => "masquerade",
        _ => "undetermined",
    }
}

/// The YAML report part of a legacy X-ARF mail, if the text is one.
pub fn looks_like_report(text: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start()
            .to_ascii_lowercase()
            .starts_with("report-type:")
    }) && text
        .lines()
        .any(|l| l.trim_start().to_ascii_lowercase().starts_with("source:"))
}

/// Builds an event from the YAML report.
pub fn event_from_yaml(text: &str) -> Result<Event, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("report part is not YAML: {e}"))?;
    let serde_yaml::Value::Mapping(map) = doc else {
        return Err("report part is not a YAML mapping".into());
    };
    // Keys are matched without regard to case.
    let entries: Vec<(String, String)> = map
        .iter()
        .filter_map(|(k, v)| {
            let k = k.as_str()?.to_ascii_lowercase();
            let v = match v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k, v))
        })
        .collect();
    let get = |k: &str| {
        entries
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let mut ev = Event::new();
    let add =
        |ev: &mut Event, f: Field, v: &str| ev.add(f, Input::Str(v)).map_err(|e| e.to_string());

    let source = get("source").ok_or("no Source")?;
    match get("source-type").map(str::to_ascii_lowercase).as_deref() {
        Some("uri") | Some("url") => add(&mut ev, Field::SourceUrl, source)?,
        Some("domain") | Some("fqdn") => add(&mut ev, Field::SourceFqdn, source)?,
        Some("email") | Some("email-address") => add(&mut ev, Field::SourceAccount, source)?,
        _ => add(&mut ev, Field::SourceIp, source)?,
    }
    if let Some(p) = get("port") {
        add(&mut ev, Field::SourcePort, p)?;
    }
    let date = get("date").ok_or("no Date")?;
    let t = parse_lenient(date, Some(&Zone::Utc)).map_err(|e| format!("Date: {e}"))?;
    ev.set_time(Field::TimeSource, t)
        .map_err(|e| e.to_string())?;
    let report_type = get("report-type").ok_or("no Report-Type")?;
    let class = classification_of(report_type);
    add(&mut ev, Field::ClassificationType, class)?;
    add(
        &mut ev,
        Field::ClassificationTaxonomy,
        taxonomy::taxonomy_of(class).unwrap_or("other"),
    )?;
    add(&mut ev, Field::ClassificationIdentifier, report_type)?;
    if let Some(s) = get("service")
        && ev.add(Field::ProtocolApplication, Input::Str(s)).is_err()
    {
        ev.set_extra("xarf.service", ExtraValue::Str(s.into()));
    }
    if let Some(from) = get("reported-from") {
        add(&mut ev, Field::FeedProvider, from)?;
    }
    add(&mut ev, Field::FeedName, "X-ARF")?;
    for (k, v) in &entries {
        if !matches!(
            k.as_str(),
            "source" | "port" | "date" | "report-type" | "service" | "reported-from"
        ) {
            ev.set_extra(
                &format!("xarf.{}", k.replace('-', "_")),
                ExtraValue::Str(v.as_str().into()),
            );
        }
    }
    Ok(ev)
}
