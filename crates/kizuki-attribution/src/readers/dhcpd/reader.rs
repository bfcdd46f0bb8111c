//! The dhcpd.leases reader: one [`LogRecord`] per `lease`, `iaaddr` and
//! `iaprefix` declaration.
//!
//! The file is log-structured: dhcpd appends a declaration each time a
//! lease changes, and the last one for an address wins. The reader emits
//! every declaration in file order; the lease state machine, which sorts
//! by (time, line), applies "last wins". Times are UTC (`W YYYY/MM/DD
//! HH:MM:SS`) or epoch seconds (`epoch N; # local time`).

use super::block::Block;
use super::parse::{IaAddr, Item, parse};
use crate::readers::{Note, ReadOptions, ReadOutput, Source};
use crate::record::{Action, Holder, LogRecord, Net, Ports, RecordRef, SourceKind};
use std::fmt::Write as _;
use std::sync::Arc;

/// Reads a leases file.
pub fn read(src: &Source, _opts: &ReadOptions) -> ReadOutput {
    let mut out = ReadOutput::default();
    for item in parse(&src.data) {
        match item {
            Item::Problem { line, reason } => out.reject(src, line, reason),
            Item::Lease {
                line,
                addr,
                block,
                broken,
            } => {
                out.read += 1;
                if let Some(reason) = broken {
                    out.reject(src, line, reason);
                    continue;
                }
                if block.deleted {
                    continue;
                }
                let result = addr.and_then(|a| lease(src, line, Net::host(a), &block, &mut out));
                if let Err(reason) = result {
                    out.reject(src, line, reason);
                }
            }
            Item::Ia {
                line,
                keyword,
                id,
                block,
                addrs,
                broken,
            } => {
                if let Some(reason) = broken {
                    out.read += 1;
                    out.reject(src, line, reason);
                    continue;
                }
                if block.deleted {
                    continue;
                }
                let ia = IaHead {
                    keyword: &keyword,
                    line,
                    id,
                    block: &block,
                };
                for a in &addrs {
                    out.read += 1;
                    if let Err(reason) = ia_addr(src, &ia, a, &mut out) {
                        out.reject(src, a.line, reason);
                    }
                }
            }
        }
    }
    out
}

/// What a binding state means for attribution.
enum Binding {
    /// Held (`active`, or no state written).
    Held,
    /// Given back or run out (`free`, `released`, `expired`).
    Ended,
    /// Held by no client (`abandoned`, `backup`, `reset`, `bootp`).
    NotHeld,
}

fn binding(b: &Block) -> Result<Binding, String> {
    match b.state.as_deref() {
        None | Some("active") => Ok(Binding::Held),
        Some("free" | "released" | "expired") => Ok(Binding::Ended),
        Some("abandoned" | "backup" | "reset" | "bootp") => Ok(Binding::NotHeld),
        Some(other) => Err(format!("unknown binding state {other:?}")),
    }
}

/// A date statement that was written with a time (not `never`).
fn at(d: Option<Option<i64>>) -> Option<i64> {
    d.flatten()
}

fn hex(octets: &[u8]) -> String {
    let mut s = String::with_capacity(octets.len() * 3);
    for (i, o) in octets.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{o:02x}");
    }
    s
}

fn record(
    src: &Source,
    line: u64,
    net: Net,
    action: Action,
    time: i64,
    span: (Option<i64>, Option<i64>),
    holder: Holder,
) -> LogRecord {
    LogRecord {
        time,
        source: SourceKind::Dhcpd,
        action,
        // The lease state machine is keyed by address.
        session: xxhash_rust::xxh3::xxh3_64(net.to_string().as_bytes()),
        group: 0,
        net,
        ports: Ports::ALL,
        holder,
        start: span.0,
        end: span.1,
        interim: None,
        at: RecordRef {
            file: Arc::clone(&src.name),
            line,
        },
    }
}

/// The record of one `lease` declaration, if it has one.
fn lease(src: &Source, line: u64, net: Net, b: &Block, out: &mut ReadOutput) -> Result<(), String> {
    if let Some(reason) = &b.error {
        return Err(reason.clone());
    }
    let state = binding(b)?;
    let holder = match (&b.hardware, &b.uid) {
        (Some((kind, mac)), _) if kind == "ethernet" && Holder::mac(mac).is_some() => {
            Holder::mac(mac)
        }
        (_, Some(uid)) => Holder::client_id(&hex(uid)),
        _ => None,
    };
    match state {
        Binding::NotHeld => {
            out.note(src, line, Note::NotHeld, not_held(&net, b));
            Ok(())
        }
        Binding::Held => {
            let holder = holder
                .ok_or("active lease with no `hardware ethernet` or `uid` to name the client")?;
            let start = at(b.starts).or(at(b.cltt));
            let time = at(b.cltt)
                .or(at(b.starts))
                .ok_or("active lease with no `starts` or `cltt`")?;
            out.records.push(record(
                src,
                line,
                net,
                Action::Lease,
                time,
                (start, at(b.ends)),
                holder,
            ));
            Ok(())
        }
        Binding::Ended => ended(src, line, net, b, b.cltt, holder, out),
    }
}

fn not_held(net: &Net, b: &Block) -> String {
    let state = b.state.as_deref().unwrap_or("active");
    format!("{net} is in binding state {state}: no client holds it")
}

/// A free, released or expired lease: a Stop at its `ends` (or `cltt`,
/// which for an `iaaddr` is its ia's).
fn ended(
    src: &Source,
    line: u64,
    net: Net,
    b: &Block,
    cltt: Option<Option<i64>>,
    holder: Option<Holder>,
    out: &mut ReadOutput,
) -> Result<(), String> {
    let state = b.state.as_deref().unwrap_or("");
    let time = at(b.ends)
        .or(at(cltt))
        .ok_or_else(|| format!("{state} lease with no `ends` or `cltt` to say when it ended"))?;
    let Some(holder) = holder else {
        // dhcpd (with failover) writes free leases no client ever held;
        // they end nothing.
        out.note(
            src,
            line,
            Note::NotHeld,
            format!("{net} is {state} and names no client"),
        );
        return Ok(());
    };
    out.records.push(record(
        src,
        line,
        net,
        Action::Stop,
        time,
        (None, None),
        holder,
    ));
    Ok(())
}

/// The `ia-*` around an `iaaddr` or `iaprefix`.
struct IaHead<'a> {
    keyword: &'a str,
    line: u64,
    id: Result<Vec<u8>, String>,
    block: &'a Block,
}

fn ia_addr(src: &Source, ia: &IaHead<'_>, a: &IaAddr, out: &mut ReadOutput) -> Result<(), String> {
    let id = ia
        .id
        .as_ref()
        .map_err(|e| format!("{} at line {}: {e}", ia.keyword, ia.line))?;
    if let Some(e) = &ia.block.error {
        return Err(format!("{} at line {}: {e}", ia.keyword, ia.line));
    }
    let net = a.net.clone()?;
    if let Some(e) = &a.block.error {
        return Err(e.clone());
    }
    if a.block.deleted {
        return Ok(());
    }
    let state = binding(&a.block)?;
    // The identifier is the 4-octet IAID followed by the client's DUID.
    let holder = id
        .get(4..)
        .filter(|d| !d.is_empty())
        .and_then(|d| Holder::client_id(&hex(d)));
    match state {
        Binding::NotHeld => {
            out.note(src, a.line, Note::NotHeld, not_held(&net, &a.block));
            Ok(())
        }
        Binding::Held => {
            let holder = holder.ok_or_else(|| {
                format!(
                    "{} identifier of {} octets holds no DUID after the IAID",
                    ia.keyword,
                    id.len()
                )
            })?;
            let cltt = at(ia.block.cltt)
                .ok_or_else(|| format!("{} at line {} has no `cltt`", ia.keyword, ia.line))?;
            let end = match a.block.ends {
                Some(e) => e,
                None => a.block.max_life.map(|m| cltt + i64::from(m)),
            };
            out.records.push(record(
                src,
                a.line,
                net,
                Action::Lease,
                cltt,
                (Some(cltt), end),
                holder,
            ));
            Ok(())
        }
        Binding::Ended => ended(src, a.line, net, &a.block, ia.block.cltt, holder, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> ReadOutput {
        read(
            &Source::from_bytes("dhcpd.leases", text.as_bytes().to_vec()),
            &ReadOptions::new(),
        )
    }

    #[test]
    fn the_formats_md_example() {
        let out = read_text(
            "lease 192.0.2.50 {\n  starts 2 2021/02/23 01:00:00;\n  ends 2 2021/02/23 13:00:00;\n  cltt 2 2021/02/23 01:00:00;\n  binding state active;\n  next binding state free;\n  hardware ethernet aa:bb:cc:dd:ee:ff;\n  uid \"\\001\\252\\273\\314\\335\\356\\377\";\n  client-hostname \"pc01\";\n}\n\
             ia-pd \"\\001\\000\\000\\000\\000\\001\\000\\001\" {\n  cltt 2 2021/02/23 01:00:00;\n  iaprefix 2001:db8:100:ab00::/56 {\n    binding state active;\n    preferred-life 3600;\n    max-life 7200;\n    ends 2 2021/02/23 03:00:00;\n  }\n}\n",
        );
        assert!(out.rejects.is_empty(), "{:?}", out.rejects);
        let r = &out.records[0];
        assert_eq!(
            (r.action, r.time, r.start, r.end),
            (
                Action::Lease,
                1614042000,
                Some(1614042000),
                Some(1614085200)
            )
        );
        assert_eq!(r.holder.to_string(), "mac:aa:bb:cc:dd:ee:ff");
        let p = &out.records[1];
        assert_eq!(p.net.to_string(), "2001:db8:100:ab00::/56");
        assert_eq!(p.holder.to_string(), "client-id:00:01:00:01");
        assert_eq!((p.at.line, p.end), (13, Some(1614049200)));
        assert_eq!(out.read, 2);
    }

    #[test]
    fn uid_names_the_client_when_there_is_no_mac() {
        let out = read_text(
            "lease 192.0.2.9 {\n  starts epoch 1614042000; # Tue Feb 23 10:00:00 2021\n  ends never;\n  uid \"\\001abc\";\n}\n",
        );
        let r = &out.records[0];
        assert_eq!(r.holder.to_string(), "client-id:01:61:62:63");
        assert_eq!((r.time, r.end), (1614042000, None));
    }
}
