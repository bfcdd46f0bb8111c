//! kizuki's own notices: the machine-readable part `kizuki-notice.json`.
//!
//! kizuki-notify attaches
//! `{"kizuki_notice": 1, "code": …, "notice_id": …, "kind": …,
//! "operator": …, "language": …, "events": [{flat IntelMQ keys}]}` to
//! every notice. When it is there and sound, it is the notice; the text is
//! only checked against it.

use super::datetime::offset_name;
use super::notice::{KizukiNotice, ReportSource, Reported};
use kizuki_event::Timestamp;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// The file name kizuki-notify gives the part.
pub(crate) const FILE_NAME: &str = "kizuki-notice.json";

/// What the JSON part said.
#[derive(Debug)]
pub(crate) struct KizukiPart {
    /// The notice's own fields.
    pub info: KizukiNotice,
    /// The code as written in the JSON.
    pub code: Option<String>,
    /// One report per event with an address.
    pub reports: Vec<Reported>,
    /// Events that could not be read, and other doubts.
    pub problems: Vec<String>,
}

/// Whether bytes look like a kizuki notice part.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    head.windows(15).any(|w| w == b"\"kizuki_notice\"")
}

/// `+09:00` (or `UTC`) for the offset an ISO time is written with.
fn zone_of(iso: &str) -> String {
    let t = iso.trim();
    if t.ends_with('Z') || t.ends_with('z') {
        return "UTC".into();
    }
    let Some(tail) = t.get(t.len().saturating_sub(6)..) else {
        return "UTC".into();
    };
    let b = tail.as_bytes();
    if b.len() == 6 && (b[0] == b'+' || b[0] == b'-') && b[3] == b':' {
        let h: i32 = tail[1..3].parse().unwrap_or(0);
        let m: i32 = tail[4..6].parse().unwrap_or(0);
        let sign = if b[0] == b'-' { -1 } else { 1 };
        return offset_name(sign * (h * 3600 + m * 60));
    }
    "UTC".into()
}

fn port(v: Option<&Value>) -> Option<u16> {
    match v? {
        Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn ip(v: Option<&Value>) -> Option<IpAddr> {
    v?.as_str()?
        .trim()
        .parse::<IpAddr>()
        .ok()
        .map(|i| i.to_canonical())
}

fn report(i: usize, e: &Map<String, Value>, problems: &mut Vec<String>) -> Option<Reported> {
    let Some(address) = ip(e.get("source.ip")) else {
        let what = match e.get("source.ip") {
            Some(v) => format!("source.ip {v} is not an address"),
            None if e.contains_key("source.account") => {
                "it names an account (source.account), not an address".to_owned()
            }
            None => "it has no source.ip".to_owned(),
        };
        problems.push(format!("{FILE_NAME}: event {i} is not used: {what}"));
        return None;
    };
    let mut r = Reported {
        address,
        port: port(e.get("source.port")),
        time: None,
        time_end: None,
        time_text: None,
        zone: None,
        malware: e
            .get("malware.name")
            .and_then(Value::as_str)
            .map(|m| m.trim().to_lowercase())
            .filter(|m| !m.is_empty()),
        destination: ip(e.get("destination.ip")),
        destination_port: port(e.get("destination.port")),
        source: ReportSource::KizukiJson { index: i },
    };
    match e.get("time.source").and_then(Value::as_str) {
        Some(t) => {
            r.time_text = Some(t.to_owned());
            match Timestamp::parse_iso(t) {
                Ok(ts) => {
                    r.time = Some(ts.as_micros());
                    r.zone = Some(zone_of(t));
                }
                Err(err) => problems.push(format!("{FILE_NAME}: event {i}: time.source: {err}")),
            }
        }
        None => problems.push(format!("{FILE_NAME}: event {i} has no time.source")),
    }
    Some(r)
}

/// Reads the part. An error says why the part cannot be used at all (the
/// caller then reads the text instead).
pub(crate) fn read(bytes: &[u8]) -> Result<KizukiPart, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("{FILE_NAME} is not JSON: {e}"))?;
    let Value::Object(m) = v else {
        return Err(format!("{FILE_NAME} is not a JSON object"));
    };
    let mut problems = Vec::new();
    match m.get("kizuki_notice").and_then(Value::as_i64) {
        Some(1) => {}
        Some(n) => problems.push(format!(
            "{FILE_NAME}: version {n} is not known (1 is); read as version 1"
        )),
        None => return Err(format!("{FILE_NAME} has no \"kizuki_notice\": 1")),
    }
    let Some(events) = m.get("events").and_then(Value::as_array) else {
        return Err(format!("{FILE_NAME} has no \"events\" list"));
    };
    let mut reports = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        match e {
            Value::Object(e) => reports.extend(report(i, e, &mut problems)),
            _ => problems.push(format!("{FILE_NAME}: event {i} is not an object")),
        }
    }
    let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(KizukiPart {
        info: KizukiNotice {
            notice_id: m.get("notice_id").and_then(Value::as_i64),
            kind: text("kind"),
            operator: m.get("operator").cloned(),
            language: text("language"),
        },
        code: text("code"),
        reports,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_part() {
        let p = read(br#"{"kizuki_notice": 1, "code": "7KQ3-MX2P-0A1B-CDEF-GHJK", "notice_id": 12,
            "kind": "notice", "operator": "Example ISP", "language": "ja",
            "events": [{"time.source": "2021-02-22T01:15:23+00:00", "source.ip": "203.0.113.5",
                        "source.port": 51514, "malware.name": "emotet", "destination.ip": "198.51.100.7"},
                       {"source.account": "a@example.jp"}, 3]}"#)
        .unwrap();
        assert_eq!(p.reports.len(), 1);
        let r = &p.reports[0];
        assert_eq!(r.port, Some(51514));
        assert_eq!(r.zone.as_deref(), Some("UTC"));
        assert_eq!(
            r.destination.map(|d| d.to_string()).as_deref(),
            Some("198.51.100.7")
        );
        assert_eq!(p.problems.len(), 2, "{:?}", p.problems);
        assert_eq!(p.info.notice_id, Some(12));
        assert!(read(b"{\"kizuki_notice\": 1, \"events\": [").is_err());
        assert!(read(b"{\"events\": []}").is_err());
        assert_eq!(zone_of("2021-02-22T10:15:23+09:00"), "+09:00");
    }
}
