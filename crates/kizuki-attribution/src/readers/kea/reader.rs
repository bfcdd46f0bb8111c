//! The Kea memfile reader: one [`LogRecord`] per lease row.
//!
//! The file is append-only: every grant, renewal, release and expiry of a
//! lease adds a row, and the last row for an address wins. The reader
//! emits every row in file order; the lease state machine, keyed by
//! address, applies "last wins".

use super::columns::{Columns, field, is_header};
use crate::readers::{JumpWatch, Note, ReadOptions, ReadOutput, Source, lines};
use crate::record::{Action, Holder, LogRecord, Net, Ports, RecordRef, SourceKind};
use std::net::IpAddr;
use std::sync::Arc;

/// DHCPv4 or DHCPv6.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Family {
    /// lease4.
    V4,
    /// lease6.
    V6,
}

impl Family {
    fn source(self) -> SourceKind {
        match self {
            Family::V4 => SourceKind::Kea4,
            Family::V6 => SourceKind::Kea6,
        }
    }
}

/// What the reader knows of the file's columns.
enum Layout {
    /// No header row seen yet.
    Unknown,
    /// The last header row, mapped.
    Known(Columns),
    /// The last header row lacks a required column (or there was none):
    /// rows are not read until a good header comes.
    Unusable,
}

/// Lease states (Kea `lease.h`).
const STATE_DECLINED: u8 = 1;
const STATE_EXPIRED_RECLAIMED: u8 = 2;
const STATE_RELEASED: u8 = 3;
const STATE_REGISTERED: u8 = 4;

/// `lease_type` of a delegated prefix (lease6).
const TYPE_PD: u8 = 2;

/// Reads a lease file.
pub fn read(src: &Source, _opts: &ReadOptions, family: Family) -> ReadOutput {
    let mut out = ReadOutput::default();
    let mut jumps = JumpWatch::default();
    let mut layout = Layout::Unknown;
    let mut fields: Vec<&[u8]> = Vec::with_capacity(24);
    for (n, line) in lines(&src.data) {
        if line.trim_ascii().is_empty() {
            continue;
        }
        fields.clear();
        fields.extend(line.split(|&b| b == b','));
        if is_header(&fields) {
            // The first header, or one met again where files were
            // concatenated: a later Kea version may have added columns, so
            // the columns are mapped afresh.
            layout = match Columns::from_header(&fields, family) {
                Ok(c) => Layout::Known(c),
                Err(reason) => {
                    out.reject(
                        src,
                        n,
                        format!("header row: {reason}; its rows are not read"),
                    );
                    Layout::Unusable
                }
            };
            continue;
        }
        match &layout {
            Layout::Known(cols) => {
                out.read += 1;
                if let Err(reason) = row(src, n, &fields, cols, family, &mut jumps, &mut out) {
                    out.reject(src, n, reason);
                }
            }
            Layout::Unknown => {
                out.reject(
                    src,
                    n,
                    "no header row (address,hwaddr,…) before the first lease; the file is not read",
                );
                layout = Layout::Unusable;
            }
            Layout::Unusable => {}
        }
    }
    out
}

fn number<T: std::str::FromStr>(fields: &[&[u8]], i: usize, name: &str) -> Result<T, String> {
    let v = field(fields, Some(i), name)?;
    v.parse()
        .map_err(|_| format!("{name} {v:?} is not a number"))
}

/// Reads one row; `Err` is the reason it is rejected.
fn row(
    src: &Source,
    n: u64,
    fields: &[&[u8]],
    cols: &Columns,
    family: Family,
    jumps: &mut JumpWatch,
    out: &mut ReadOutput,
) -> Result<(), String> {
    if fields.len() < cols.needed {
        return Err(format!(
            "{} fields, but the header needs at least {} to reach its required columns",
            fields.len(),
            cols.needed
        ));
    }
    if fields.len() > cols.width {
        return Err(format!(
            "{} fields, but the header has {} (a comma not escaped as &#x2c?)",
            fields.len(),
            cols.width
        ));
    }
    let address = field(fields, Some(cols.address), "address")?;
    let ip: IpAddr = address
        .parse()
        .map_err(|_| format!("address {address:?} is not an IP address"))?;
    match (family, ip) {
        (Family::V4, IpAddr::V4(_)) | (Family::V6, IpAddr::V6(_)) => {}
        (Family::V4, IpAddr::V6(_)) => {
            return Err(format!("address {ip} is IPv6 in a lease4 file"));
        }
        (Family::V6, IpAddr::V4(_)) => {
            return Err(format!("address {ip} is IPv4 in a lease6 file"));
        }
    }
    let valid: u32 = number(fields, cols.valid_lifetime, "valid_lifetime")?;
    let expire: i64 = number(fields, cols.expire, "expire")?;
    let state = field(fields, cols.state, "state")?;
    let state: Option<u8> = match state.as_ref() {
        "" => None,
        s => match s.parse() {
            Ok(v) if v <= STATE_REGISTERED => Some(v),
            _ => return Err(format!("state {s:?} is not a Kea lease state (0-4)")),
        },
    };
    let net = lease_net(fields, cols, ip)?;
    if state == Some(STATE_DECLINED) {
        out.note(
            src,
            n,
            Note::NotHeld,
            format!("{net} declined (state 1): a client reported it in use, no one holds it"),
        );
        return Ok(());
    }
    let holder = holder(fields, cols, family)?;
    let start = expire - i64::from(valid);
    let (action, time, span) = if valid == 0 || state == Some(STATE_RELEASED) {
        // A release: Kea sets the lifetime to 0 (or the state to
        // released), so `expire - valid_lifetime` is when it happened.
        (Action::Stop, start, None)
    } else if state == Some(STATE_EXPIRED_RECLAIMED) {
        // The lease ran out at `expire`; reclaiming it came later.
        (Action::Stop, expire, None)
    } else {
        (Action::Lease, start, Some((start, expire)))
    };
    // A reclaim row is written when the reclaiming runs, after the expiry it
    // names: going back in time is its nature, not a clock jump.
    if state != Some(STATE_EXPIRED_RECLAIMED) && jumps.check(time) {
        out.note(src, n, Note::ClockJump, "time goes back more than a minute");
    }
    out.records.push(LogRecord {
        time,
        source: family.source(),
        action,
        session: xxhash_rust::xxh3::xxh3_64(net.to_string().as_bytes()),
        group: 0,
        net,
        ports: Ports::ALL,
        holder,
        start: span.map(|s| s.0),
        end: span.map(|s| s.1),
        interim: None,
        at: RecordRef {
            file: Arc::clone(&src.name),
            line: n,
        },
    });
    Ok(())
}

/// The address, or for a delegated prefix (lease6 `lease_type` 2) the
/// prefix of `prefix_len`.
fn lease_net(fields: &[&[u8]], cols: &Columns, ip: IpAddr) -> Result<Net, String> {
    let Some(type_col) = cols.lease_type else {
        return Ok(Net::host(ip));
    };
    let lease_type: u8 = number(fields, type_col, "lease_type")?;
    match lease_type {
        // NA and TA: one address.
        0 | 1 => Ok(Net::host(ip)),
        TYPE_PD => {
            let Some(len_col) = cols.prefix_len else {
                return Err("a delegated prefix (lease_type 2) with no prefix_len column".into());
            };
            let len: u8 = number(fields, len_col, "prefix_len")?;
            Net::new(ip, len).ok_or_else(|| format!("prefix_len {len} is longer than 128"))
        }
        other => Err(format!(
            "lease_type {other} is not NA (0), TA (1) or PD (2)"
        )),
    }
}

/// The MAC when `hwaddr` is one, else the client identifier (lease4
/// `client_id`, lease6 `duid`: both are the client's identifier and share
/// the `client-id:` key).
fn holder(fields: &[&[u8]], cols: &Columns, family: Family) -> Result<Holder, String> {
    let hwaddr = field(fields, cols.hwaddr, "hwaddr")?;
    if let Some(h) = Holder::mac(&hwaddr) {
        return Ok(h);
    }
    let client_name = match family {
        Family::V4 => "client_id",
        Family::V6 => "duid",
    };
    let client = field(fields, cols.client, client_name)?;
    if let Some(h) = Holder::client_id(&client) {
        return Ok(h);
    }
    let why_hw = if hwaddr.is_empty() {
        "no hwaddr".to_owned()
    } else {
        format!("hwaddr {hwaddr:?} is not a MAC address")
    };
    let why_client = if client.is_empty() {
        format!("no {client_name}")
    } else {
        format!("{client_name} {client:?} is not hex octets")
    };
    Err(format!("no client identity: {why_hw} and {why_client}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str, family: Family) -> ReadOutput {
        let src = Source::from_bytes("t.csv", text.as_bytes().to_vec());
        read(&src, &ReadOptions::new(), family)
    }

    const HEAD4: &str = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id\n";

    #[test]
    fn a_lease_spans_expire_minus_lifetime_to_expire() {
        let out = read_text(
            &format!(
                "{HEAD4}192.0.2.5,AA:BB:CC:DD:EE:FF,01:aa,3600,1614042000,1,0,0,pc&#x2c1,0,,0\n"
            ),
            Family::V4,
        );
        assert!(out.rejects.is_empty(), "{:?}", out.rejects);
        let r = &out.records[0];
        assert_eq!(r.action, Action::Lease);
        assert_eq!(
            (r.time, r.start, r.end),
            (1614038400, Some(1614038400), Some(1614042000))
        );
        assert_eq!(r.holder.to_string(), "mac:aa:bb:cc:dd:ee:ff");
        assert_eq!(r.source, SourceKind::Kea4);
        assert_eq!(out.read, 1);
    }

    #[test]
    fn releases_expiries_and_declines() {
        let out = read_text(
            &format!(
                "{HEAD4}192.0.2.5,,01:aa,0,1614042000,1,0,0,,0,,0\n\
                 192.0.2.5,,01:aa,3600,1614042000,1,0,0,,3,,0\n\
                 192.0.2.5,,01:aa,3600,1614042000,1,0,0,,2,,0\n\
                 192.0.2.5,,,3600,1614042000,1,0,0,,1,,0\n"
            ),
            Family::V4,
        );
        let got: Vec<_> = out.records.iter().map(|r| (r.action, r.time)).collect();
        assert_eq!(
            got,
            [
                (Action::Stop, 1614042000),
                (Action::Stop, 1614038400),
                (Action::Stop, 1614042000),
            ]
        );
        assert_eq!(out.records[0].holder.to_string(), "client-id:01:aa");
        // The state-3 row goes back an hour: a clock jump is noted too.
        let notes: Vec<_> = out.notes.iter().map(|(n, l)| (n.clone(), l.line)).collect();
        assert_eq!(notes, [(Note::ClockJump, 3), (Note::NotHeld, 5)]);
        assert_eq!(out.read, 4);
    }

    #[test]
    fn a_file_without_a_required_column_gives_one_reject() {
        let out = read_text(
            "address,hwaddr,client_id,valid_lifetime,subnet_id\n192.0.2.5,,01:aa,0,1\n",
            Family::V4,
        );
        assert!(out.records.is_empty());
        assert_eq!(out.rejects.len(), 1);
        assert_eq!(out.rejects[0].line, 1);
        assert!(out.rejects[0].reason.contains("`expire`"));
        assert_eq!(out.read, 0);
    }

    #[test]
    fn delegated_prefixes_keep_their_length() {
        let head = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname\n";
        let out = read_text(
            &format!(
                "{head}2001:db8:100:ab12::,00:01:02,7200,1614050000,1,3600,2,5,56,0,0,\n\
                 2001:db8::5,00:01:02,7200,1614050000,1,3600,0,5,128,0,0,\n\
                 2001:db8::6,00:01:02,7200,1614050000,1,3600,9,5,128,0,0,\n"
            ),
            Family::V6,
        );
        assert_eq!(out.records[0].net.to_string(), "2001:db8:100:ab00::/56");
        assert_eq!(out.records[1].net.to_string(), "2001:db8::5");
        assert_eq!(out.records[0].holder.to_string(), "client-id:00:01:02");
        assert_eq!(out.records[0].source, SourceKind::Kea6);
        assert_eq!(out.rejects.len(), 1);
        assert!(out.rejects[0].reason.contains("lease_type 9"));
    }
}
