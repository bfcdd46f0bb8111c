//! Reading `RT_FLOW_SESSION_*` lines.
//!
//! Juniper documents the fields of session logs ("Information Provided in
//! Session Log Entries for SRX Series"): source/destination address and
//! port, service, the NAT source/destination address and port (equal to the
//! originals when no NAT applied), the NAT rule names, protocol id, policy,
//! zones and session id; a close adds the reason, packets and bytes from
//! client and server, and the elapsed time in seconds. A create or deny is
//! stamped when the session starts; a close when it ends, so its start is
//! the stamp less the elapsed time. A session logged at create and at close
//! gives two flows (the same 5-tuple, on two lines); both count as evidence.

use crate::error::FlowError;
use crate::flow::{Flow, Protocol};
use crate::lines::LineReader;
use crate::options::ReadOptions;
use crate::parse;
use crate::parse::lossy;
use crate::sink::{Counted, FlowSink, ReadSummary};
use crate::syslog;
use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;

/// Reads Juniper SRX `RT_FLOW` session logs; other lines are skipped.
#[derive(Clone, Debug, Default)]
pub struct SrxReader {
    opts: ReadOptions,
}

#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Kind {
    Create,
    Close,
    Deny,
}

const TAGS: [(&[u8], Kind); 3] = [
    (b"RT_FLOW_SESSION_CREATE", Kind::Create),
    (b"RT_FLOW_SESSION_CLOSE", Kind::Close),
    (b"RT_FLOW_SESSION_DENY", Kind::Deny),
];

impl SrxReader {
    /// A reader; BSD syslog stamps are read in the options' zone and year.
    pub fn new(opts: ReadOptions) -> SrxReader {
        SrxReader { opts }
    }

    /// Reads every session line into `sink`, in order.
    pub fn read(
        &self,
        input: impl Read,
        file: &Arc<str>,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        let mut lines = LineReader::new(input);
        let mut out = Counted::new(sink, file, "srx");
        let mut flow = Flow::empty(file.clone());
        let mut clock = self.opts.clock();
        let year = self.opts.syslog_year();
        while let Some((no, line)) = lines
            .next_line()
            .map_err(|e| FlowError::io(file.as_ref(), e))?
        {
            let Some((kind, at)) = TAGS
                .iter()
                .find_map(|(t, k)| memchr::memmem::find(line, t).map(|i| (*k, i + t.len())))
            else {
                out.skip();
                continue;
            };
            flow.line = no;
            let result = syslog::stamp(line, &mut clock, year)
                .ok_or_else(|| "no syslog time at the start of the line".to_owned())
                .and_then(|(t, _)| parse_body(kind, &line[at..], t, &mut flow));
            match result {
                Ok(()) => out.flow(&flow),
                Err(r) => out.reject(no, r, line),
            }
        }
        out.summary.lines = lines.line;
        out.summary.bytes = lines.bytes;
        Ok(out.summary)
    }
}

fn parse_body(kind: Kind, body: &[u8], t: i64, flow: &mut Flow) -> Result<(), String> {
    // Logical-system variants (`RT_FLOW_SESSION_CREATE_LS`) read the same.
    let body = body.strip_prefix(b"_LS").unwrap_or(body);
    let trimmed = body.trim_ascii_start();
    let f = if trimmed.starts_with(b"[") {
        structured(trimmed)?
    } else {
        text(kind, trimmed)?
    };
    let elapsed = match kind {
        Kind::Close => f
            .elapsed
            .unwrap_or(0)
            .checked_mul(1_000_000)
            .filter(|e| *e >= 0)
            .ok_or("elapsed-time out of range")?,
        _ => 0,
    };
    flow.start = t.checked_sub(elapsed).ok_or("elapsed-time out of range")?;
    flow.end = t;
    flow.src = f.src;
    flow.src_port = f.sport;
    flow.dst = f.dst;
    flow.dst_port = f.dport;
    flow.protocol = f.proto;
    // The NAT source equals the source when no translation applied.
    flow.nat_src = f.nat_src.filter(|n| *n != f.src || f.nat_sport != f.sport);
    flow.nat_src_port = if flow.nat_src.is_some() {
        f.nat_sport
    } else {
        None
    };
    flow.packets = f.packets;
    flow.bytes = f.bytes;
    Ok(())
}

struct Fields {
    src: IpAddr,
    sport: Option<u16>,
    dst: IpAddr,
    dport: Option<u16>,
    nat_src: Option<IpAddr>,
    nat_sport: Option<u16>,
    proto: Option<Protocol>,
    elapsed: Option<i64>,
    packets: Option<u64>,
    bytes: Option<u64>,
}

fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (None, None) => None,
        // Counts so large they overflow are nonsense; they do not refuse
        // the session.
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    }
}

fn structured(s: &[u8]) -> Result<Fields, String> {
    let end = memchr::memchr(b']', s).unwrap_or(s.len());
    let mut src = None;
    let mut dst = None;
    let (mut sport, mut dport, mut nat_src, mut nat_sport, mut proto, mut elapsed) =
        (None, None, None, None, None, None);
    let (mut pc, mut bc, mut ps, mut bs) = (None, None, None, None);
    for (k, v) in syslog::pairs(&s[..end]) {
        match k {
            b"source-address" => src = Some(v),
            b"destination-address" => dst = Some(v),
            b"source-port" => sport = parse::port(v),
            b"destination-port" => dport = parse::port(v),
            b"nat-source-address" => nat_src = parse::ip(v),
            b"nat-source-port" => nat_sport = parse::port(v),
            b"protocol-id" => proto = Protocol::parse(v),
            b"elapsed-time" => elapsed = parse::uint(v).map(|x| x as i64),
            b"packets-from-client" => pc = parse::uint(v),
            b"bytes-from-client" => bc = parse::uint(v),
            b"packets-from-server" => ps = parse::uint(v),
            b"bytes-from-server" => bs = parse::uint(v),
            _ => {}
        }
    }
    let addr = |v: Option<&[u8]>, what: &str| -> Result<IpAddr, String> {
        let v = v.ok_or_else(|| format!("no {what}"))?;
        parse::ip(v).ok_or_else(|| format!("{what} {:?} is not an IP address", lossy(v)))
    };
    Ok(Fields {
        src: addr(src, "source-address")?,
        dst: addr(dst, "destination-address")?,
        sport,
        dport,
        nat_src,
        nat_sport,
        proto,
        elapsed,
        packets: add(pc, ps),
        bytes: add(bc, bs),
    })
}

/// `A/p->B/q`, IPv6 included (the port is after the last `/`).
fn pair(tok: &[u8]) -> Option<(IpAddr, Option<u16>, IpAddr, Option<u16>)> {
    let arrow = memchr::memmem::find(tok, b"->")?;
    let side = |s: &[u8]| -> Option<(IpAddr, Option<u16>)> {
        let slash = memchr::memrchr(b'/', s)?;
        Some((parse::ip(&s[..slash])?, parse::port(&s[slash + 1..])))
    };
    let (a, ap) = side(&tok[..arrow])?;
    let (b, bp) = side(&tok[arrow + 2..])?;
    Some((a, ap, b, bp))
}

/// `N(M)`: packets(bytes), or username(roles) in a create.
fn paren(tok: &[u8]) -> Option<(&[u8], &[u8])> {
    let open = memchr::memchr(b'(', tok)?;
    if open == 0 || !tok.ends_with(b")") {
        return None;
    }
    Some((&tok[..open], &tok[open + 1..tok.len() - 1]))
}

/// The standard text form. Its fields are positional and grow with the
/// release (connection tags, NAT rule types), so it is read by anchors:
/// the two address pairs, and the first `x(y)` token after them (packets
/// and bytes in a close, user and roles in a create), which follows
/// protocol, policy, zones and session id.
fn text(kind: Kind, s: &[u8]) -> Result<Fields, String> {
    let toks: Vec<&[u8]> = s.split(|c| *c == b' ').filter(|t| !t.is_empty()).collect();
    let pairs: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.windows(2).any(|w| w == b"->") && t.contains(&b'/'))
        .map(|(i, _)| i)
        .collect();
    let first = *pairs.first().ok_or("no source/port->destination/port")?;
    let (src, sport, dst, dport) = pair(toks[first]).ok_or_else(|| {
        format!(
            "{:?} is not source/port->destination/port",
            lossy(toks[first])
        )
    })?;
    let mut f = Fields {
        src,
        sport,
        dst,
        dport,
        nat_src: None,
        nat_sport: None,
        proto: None,
        elapsed: None,
        packets: None,
        bytes: None,
    };
    if kind == Kind::Deny {
        // `… A/p->B/q service proto(x) policy …`
        if let Some(p) = toks[first + 1..].iter().find_map(|t| paren(t)) {
            f.proto = Protocol::parse(p.0);
        }
        return Ok(f);
    }
    let Some(&second) = pairs.get(1) else {
        return Err("no NAT source/port->destination/port".into());
    };
    if let Some((n, np, _, _)) = pair(toks[second]) {
        f.nat_src = Some(n);
        f.nat_sport = np;
    }
    let anchor = (second + 1..toks.len()).find(|&i| paren(toks[i]).is_some());
    // protocol, policy, from-zone, to-zone, session-id, then the anchor.
    let proto_at = anchor
        .and_then(|a| a.checked_sub(5))
        .filter(|&i| i > second);
    f.proto = proto_at.and_then(|i| Protocol::parse(toks[i]));
    if kind == Kind::Close
        && let Some(a) = anchor
    {
        let client = paren(toks[a]);
        let server = toks.get(a + 1).and_then(|t| paren(t));
        let first = |x: Option<(&[u8], &[u8])>| x.and_then(|p| parse::uint(p.0));
        let second = |x: Option<(&[u8], &[u8])>| x.and_then(|p| parse::uint(p.1));
        f.packets = add(first(client), first(server));
        f.bytes = add(second(client), second(server));
        f.elapsed = toks
            .get(a + 2)
            .and_then(|t| parse::uint(t))
            .map(|x| x as i64);
    }
    Ok(f)
}
