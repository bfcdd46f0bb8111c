//! One `conn.log` JSON line.

use super::reader::{Row, Ts};
use serde::Deserialize;
use std::borrow::Cow;

#[derive(Deserialize)]
#[serde(untagged)]
enum TsValue<'a> {
    Num(f64),
    Text(#[serde(borrow)] Cow<'a, str>),
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    ts: Option<TsValue<'a>>,
    #[serde(rename = "id.orig_h", borrow)]
    orig_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.orig_p")]
    orig_p: Option<u64>,
    #[serde(rename = "id.resp_h", borrow)]
    resp_h: Option<Cow<'a, str>>,
    #[serde(rename = "id.resp_p")]
    resp_p: Option<u64>,
    #[serde(borrow)]
    proto: Option<Cow<'a, str>>,
    ip_proto: Option<u64>,
    duration: Option<f64>,
    orig_pkts: Option<u64>,
    resp_pkts: Option<u64>,
    orig_ip_bytes: Option<u64>,
    resp_ip_bytes: Option<u64>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

/// Reads one JSON line into `flow`.
pub(super) fn fill(
    line: &[u8],
    flow: &mut crate::flow::Flow,
    clock: &mut crate::parse::LocalClock,
) -> Result<(), String> {
    let l: Line<'_> =
        serde_json::from_slice(line).map_err(|e| format!("not a JSON object: {e}"))?;
    let ts = match &l.ts {
        None => None,
        Some(TsValue::Num(n)) => {
            if !n.is_finite() {
                return Err("ts is not a number".into());
            }
            Some(Ts::Micros((n * 1e6).round() as i64))
        }
        Some(TsValue::Text(t)) => Some(Ts::Text(t.as_bytes())),
    };
    let duration = match l.duration {
        Some(d) if d.is_finite() => Some((d * 1e6).round() as i64),
        Some(_) => return Err("duration is not a number".into()),
        None => None,
    };
    let bytes = if l.orig_ip_bytes.is_some() || l.resp_ip_bytes.is_some() {
        add(l.orig_ip_bytes, l.resp_ip_bytes)
    } else {
        add(l.orig_bytes, l.resp_bytes)
    };
    let row = Row {
        ts,
        orig_h: l.orig_h.as_deref().map(str::as_bytes),
        orig_p: l.orig_p,
        resp_h: l.resp_h.as_deref().map(str::as_bytes),
        resp_p: l.resp_p,
        proto: l.proto.as_deref().map(str::as_bytes),
        ip_proto: l.ip_proto,
        duration,
        pkts: add(l.orig_pkts, l.resp_pkts),
        bytes,
    };
    row.fill(flow, clock)
}
