//! Reading events from IntelMQ-style JSON: flat dotted keys (as IntelMQ's
//! file output writes by default) or nested objects (its
//! `hierarchical_output`).

use super::write::{ORIGIN_FILE_KEY, ORIGIN_LINE_KEY};
use crate::event::{Event, Origin};
use crate::extra::ExtraValue;
use crate::field::Field;
use crate::rule::{Input, Rule};
use crate::value::{Raw, Value};
use std::sync::Arc;

/// Why a JSON line is not an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON.
    #[error("not JSON: {0}")]
    Syntax(String),
    /// JSON, but not an object.
    #[error("not a JSON object")]
    NotAnObject,
    /// A key that is neither a harmonization field nor `extra.*`.
    #[error("unknown field {0:?} (not in the IntelMQ harmonization; use extra.*)")]
    UnknownKey(String),
    /// A field's value was refused.
    #[error("{key}: {reason}")]
    BadValue {
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
}

/// Reads one JSON object as an event. `origin` is used when the object does
/// not carry its own (`extra.origin.file` / `extra.origin.line`).
pub fn parse_event(line: &[u8], origin: Option<Origin>) -> Result<Event, JsonError> {
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| JsonError::Syntax(e.to_string()))?;
    let serde_json::Value::Object(map) = value else {
        return Err(JsonError::NotAnObject);
    };
    event_from_map(map, origin)
}

/// Builds an event from a parsed JSON object.
pub fn event_from_map(
    map: serde_json::Map<String, serde_json::Value>,
    origin: Option<Origin>,
) -> Result<Event, JsonError> {
    let mut ev = Event::new();
    let mut own_file: Option<String> = None;
    let mut own_line: Option<(u64, serde_json::Value)> = None;
    let mut flat = Vec::with_capacity(map.len());
    for (k, v) in map {
        flatten(k, v, &mut flat);
    }
    for (key, value) in flat {
        if key == "__type" {
            continue;
        }
        if let Some(ek) = key.strip_prefix("extra.") {
            if ek == ORIGIN_FILE_KEY
                && let serde_json::Value::String(s) = &value
            {
                own_file = Some(s.clone());
                continue;
            }
            if ek == ORIGIN_LINE_KEY
                && let Some(n) = value.as_u64()
            {
                own_line = Some((n, value));
                continue;
            }
            ev.set_extra(ek, ExtraValue::from_json(value));
            continue;
        }
        let field = Field::from_name(&key).ok_or_else(|| JsonError::UnknownKey(key.clone()))?;
        set_field(&mut ev, field, &key, value)?;
    }
    let origin = match (own_file, own_line) {
        (Some(f), Some((l, _))) => Some(Origin::new(Arc::from(f), l)),
        // Half an origin is not one: it stays what it was, an extra key.
        (file, line) => {
            if let Some(f) = file {
                ev.set_extra(ORIGIN_FILE_KEY, ExtraValue::Str(f.into()));
            }
            if let Some((_, l)) = line {
                ev.set_extra(ORIGIN_LINE_KEY, ExtraValue::from_json(l));
            }
            origin
        }
    };
    ev.set_origin(origin);
    Ok(ev)
}

/// Nested objects become dotted keys; under `extra` only the first level is
/// split, as IntelMQ stores `extra` (deeper values stay JSON values).
fn flatten(key: String, value: serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
    match value {
        serde_json::Value::Object(m) if key == "extra" => {
            for (k, v) in m {
                out.push((format!("extra.{k}"), v));
            }
        }
        serde_json::Value::String(s) if key == "extra" => {
            // Old IntelMQ wrote extra as a JSON string.
            match serde_json::from_str::<serde_json::Value>(&s) {
                Ok(serde_json::Value::Object(m)) => {
                    for (k, v) in m {
                        out.push((format!("extra.{k}"), v));
                    }
                }
                _ => out.push((key, serde_json::Value::String(s))),
            }
        }
        serde_json::Value::Object(m) if !key.starts_with("extra.") => {
            for (k, v) in m {
                flatten(format!("{key}.{k}"), v, out);
            }
        }
        v => out.push((key, v)),
    }
}

fn set_field(
    ev: &mut Event,
    field: Field,
    key: &str,
    value: serde_json::Value,
) -> Result<(), JsonError> {
    let bad = |reason: &str| JsonError::BadValue {
        key: key.to_owned(),
        reason: reason.to_owned(),
    };
    let input = match &value {
        // IntelMQ ignores these values when a message is built.
        serde_json::Value::Null => return Ok(()),
        serde_json::Value::String(s) if matches!(s.as_str(), "" | "-" | "N/A") => return Ok(()),
        serde_json::Value::String(s) => Input::Str(s),
        serde_json::Value::Bool(b) => Input::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Input::Int(i),
            None => Input::Float(n.as_f64().ok_or_else(|| bad("number out of range"))?),
        },
        _ => return Err(bad("arrays and objects are allowed only under extra")),
    };
    if let (Rule::Base64, Input::Str(s)) = (field.rule(), input) {
        use base64::Engine;
        let v = if base64::engine::general_purpose::STANDARD.decode(s).is_ok() {
            Raw::Base64(s.to_owned())
        } else {
            Raw::from_bytes(s.as_bytes().to_vec())
        };
        ev.set_checked(field, Value::Raw(Box::new(v)));
        return Ok(());
    }
    if let Input::Str(s) = input
        && let Some(v) = field.rule().accept_exact(s)
    {
        ev.set_checked(field, v);
        return Ok(());
    }
    ev.add(field, input).map_err(|e| bad(e.reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{WriteOptions, write_event};

    fn round_trip(line: &str) -> String {
        let ev = parse_event(line.as_bytes(), None).unwrap();
        let mut out = Vec::new();
        write_event(&ev, &mut out, &WriteOptions::default());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn intelmq_lines_round_trip() {
        let line = r#"{"classification.identifier": "Emotet", "classification.taxonomy": "malicious-code", "classification.type": "infected-system", "destination.port": 8080, "extra.a": {"b": [1, 2.5, null]}, "extra.family": "emotet", "extra.naics": 517311, "feed.accuracy": 100.0, "feed.name": "Sinkhole-Events IPv4", "malware.name": "emotet", "raw": "YWJj", "source.ip": "192.0.2.1", "source.port": 51514, "time.observation": "2021-02-22T00:00:00+00:00", "time.source": "2021-02-22T01:02:03.123456+00:00"}"#;
        assert_eq!(round_trip(line), format!("{line}\n"));
    }

    #[test]
    fn origin_survives() {
        let line =
            r#"{"extra.origin.file": "a.csv", "extra.origin.line": 7, "source.ip": "192.0.2.1"}"#;
        let ev = parse_event(line.as_bytes(), None).unwrap();
        assert_eq!(ev.origin().map(|o| (&*o.file, o.line)), Some(("a.csv", 7)));
        assert_eq!(round_trip(line), format!("{line}\n"));
    }

    #[test]
    fn half_an_origin_stays_an_extra_key() {
        for line in [
            r#"{"extra.origin.file": "a.csv", "source.ip": "192.0.2.1"}"#,
            r#"{"extra.origin.line": 7, "source.ip": "192.0.2.1"}"#,
            r#"{"extra.origin.file": "a.csv", "extra.origin.line": "7"}"#,
        ] {
            let ev = parse_event(line.as_bytes(), None).unwrap();
            assert!(ev.origin().is_none(), "{line}");
            assert_eq!(round_trip(line), format!("{line}\n"));
        }
    }

    #[test]
    fn the_origin_wins_over_an_extra_key_of_its_name() {
        // A feed column named `origin.file` cannot pass for where the
        // event came from.
        let mut ev = Event::new();
        ev.set_extra("origin.file", ExtraValue::Str("spoofed.csv".into()));
        ev.set_extra("origin.line", ExtraValue::Null);
        ev.set_extra("origin.x", ExtraValue::Int(1));
        ev.set_origin(Some(Origin::new("real.csv".into(), 3)));
        let mut out = Vec::new();
        write_event(&ev, &mut out, &WriteOptions::default());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"extra.origin.file\": \"real.csv\", \"extra.origin.line\": 3, \"extra.origin.x\": 1}\n"
        );
        // Without the origin written, the feed's keys are.
        let mut out = Vec::new();
        write_event(&ev, &mut out, &WriteOptions::default().origin(false));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"extra.origin.file\": \"spoofed.csv\", \"extra.origin.line\": null, \"extra.origin.x\": 1}\n"
        );
    }

    #[test]
    fn hierarchical_input_is_flattened() {
        let line = r#"{"source": {"ip": "192.0.2.1", "geolocation": {"cc": "jp"}}, "extra": {"x": {"y": 1}}}"#;
        assert_eq!(
            round_trip(line),
            "{\"extra.x\": {\"y\": 1}, \"source.geolocation.cc\": \"JP\", \"source.ip\": \"192.0.2.1\"}\n"
        );
    }

    #[test]
    fn refuses_bad_values_and_keys() {
        assert!(matches!(
            parse_event(br#"{"source.ip": "300.1.1.1"}"#, None),
            Err(JsonError::BadValue { .. })
        ));
        assert!(matches!(
            parse_event(br#"{"source.nope": 1}"#, None),
            Err(JsonError::UnknownKey(_))
        ));
        assert!(matches!(
            parse_event(br#"[1]"#, None),
            Err(JsonError::NotAnObject)
        ));
        assert!(matches!(
            parse_event(br#"{"#, None),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_event(br#"{"time.source": "2021-01-01 00:00:00"}"#, None),
            Err(JsonError::BadValue { .. })
        ));
    }
}
