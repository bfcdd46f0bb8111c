//! Reading FortiGate `type="traffic"` lines.
//!
//! A traffic log line is written when a session ends (or at an interim
//! update), so its time is the end and `duration` (seconds) gives the
//! start. The time is `eventtime` when present (epoch, in seconds on older
//! FortiOS and nanoseconds from 6.2; told apart by size), else `date` and
//! `time` with the `tz` offset FortiOS 6.2+ adds, else in the options'
//! zone. `transip`/`transport` are the source NAT translation.

use crate::error::FlowError;
use crate::flow::{Flow, Protocol};
use crate::lines::LineReader;
use crate::options::ReadOptions;
use crate::parse::lossy;
use crate::parse::{self, LocalClock};
use crate::sink::{Counted, FlowSink, ReadSummary};
use crate::syslog;
use std::io::Read;
use std::sync::Arc;

/// Reads FortiGate traffic logs; lines of other types are skipped.
#[derive(Clone, Debug, Default)]
pub struct FortiGateReader {
    opts: ReadOptions,
}

#[derive(Default)]
struct Line<'a> {
    kind: Option<&'a [u8]>,
    date: Option<&'a [u8]>,
    time: Option<&'a [u8]>,
    tz: Option<&'a [u8]>,
    eventtime: Option<&'a [u8]>,
    srcip: Option<&'a [u8]>,
    srcport: Option<&'a [u8]>,
    dstip: Option<&'a [u8]>,
    dstport: Option<&'a [u8]>,
    transip: Option<&'a [u8]>,
    transport: Option<&'a [u8]>,
    proto: Option<&'a [u8]>,
    duration: Option<&'a [u8]>,
    sentbyte: Option<&'a [u8]>,
    rcvdbyte: Option<&'a [u8]>,
    sentpkt: Option<&'a [u8]>,
    rcvdpkt: Option<&'a [u8]>,
}

impl FortiGateReader {
    /// A reader; `date`/`time` without `tz` are read in the options' zone.
    pub fn new(opts: ReadOptions) -> FortiGateReader {
        FortiGateReader { opts }
    }

    /// Reads every traffic line into `sink`, in order.
    pub fn read(
        &self,
        input: impl Read,
        file: &Arc<str>,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        let mut lines = LineReader::new(input);
        let mut out = Counted::new(sink, file, "fortigate");
        let mut flow = Flow::empty(file.clone());
        let mut clock = self.opts.clock();
        while let Some((no, line)) = lines
            .next_line()
            .map_err(|e| FlowError::io(file.as_ref(), e))?
        {
            let mut l = Line::default();
            for (k, v) in syslog::pairs(line) {
                let slot = match k {
                    b"type" => &mut l.kind,
                    b"date" => &mut l.date,
                    b"time" => &mut l.time,
                    b"tz" => &mut l.tz,
                    b"eventtime" => &mut l.eventtime,
                    b"srcip" => &mut l.srcip,
                    b"srcport" => &mut l.srcport,
                    b"dstip" => &mut l.dstip,
                    b"dstport" => &mut l.dstport,
                    b"transip" => &mut l.transip,
                    b"transport" => &mut l.transport,
                    b"proto" => &mut l.proto,
                    b"duration" => &mut l.duration,
                    b"sentbyte" => &mut l.sentbyte,
                    b"rcvdbyte" => &mut l.rcvdbyte,
                    b"sentpkt" => &mut l.sentpkt,
                    b"rcvdpkt" => &mut l.rcvdpkt,
                    _ => continue,
                };
                // The first occurrence wins (a syslog relay may prepend its
                // own `date=`-less header, never a second set).
                if slot.is_none() {
                    *slot = Some(v);
                }
            }
            if l.kind != Some(b"traffic") {
                out.skip();
                continue;
            }
            flow.line = no;
            match fill(&l, &mut clock, &mut flow) {
                Ok(()) => out.flow(&flow),
                Err(r) => out.reject(no, r, line),
            }
        }
        out.summary.lines = lines.line;
        out.summary.bytes = lines.bytes;
        Ok(out.summary)
    }
}

fn time(l: &Line<'_>, clock: &mut LocalClock) -> Result<i64, String> {
    if let Some(e) = l.eventtime {
        let n =
            parse::uint(e).ok_or_else(|| format!("eventtime {:?} is not a number", lossy(e)))?;
        let n = i64::try_from(n).map_err(|_| "eventtime out of range".to_owned())?;
        // Seconds (10 digits), ms (13), µs (16) or ns (19) since the epoch.
        return Ok(match e.len() {
            0..=11 => n * 1_000_000,
            12..=14 => n * 1000,
            15..=17 => n,
            _ => n / 1000,
        });
    }
    let (d, t) = match (l.date, l.time) {
        (Some(d), Some(t)) => (d, t),
        _ => return Err("no time (eventtime, or date and time)".into()),
    };
    let mut text = Vec::with_capacity(d.len() + t.len() + 1);
    text.extend_from_slice(d);
    text.push(b' ');
    text.extend_from_slice(t);
    let (naive, _) = parse::naive(&text)
        .filter(|(_, r)| r.is_empty())
        .ok_or_else(|| format!("date/time {:?} is not a time", lossy(&text)))?;
    match l.tz {
        Some(z) => {
            let off =
                parse::offset(z).ok_or_else(|| format!("tz {:?} is not an offset", lossy(z)))?;
            Ok(naive - off * 1_000_000)
        }
        None => clock
            .to_utc(naive)
            .ok_or_else(|| "time does not exist in the zone".to_owned()),
    }
}

fn fill(l: &Line<'_>, clock: &mut LocalClock, flow: &mut Flow) -> Result<(), String> {
    let ip = |v: Option<&[u8]>, what: &str| {
        let v = v.ok_or_else(|| format!("no {what}"))?;
        parse::ip(v).ok_or_else(|| format!("{what} {:?} is not an IP address", lossy(v)))
    };
    let port = |v: Option<&[u8]>, what: &str| -> Result<Option<u16>, String> {
        v.map(|v| parse::port(v).ok_or_else(|| format!("{what} {:?} is not a port", lossy(v))))
            .transpose()
    };
    let num = |v: Option<&[u8]>| v.and_then(parse::uint);
    let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    };
    let end = time(l, clock)?;
    let dur = match l.duration {
        Some(d) => parse::uint(d)
            .and_then(|d| i64::try_from(d).ok())
            .and_then(|d| d.checked_mul(1_000_000))
            .ok_or_else(|| format!("duration {:?} is not seconds", lossy(d)))?,
        None => 0,
    };
    flow.end = end;
    flow.start = end
        .checked_sub(dur)
        .ok_or_else(|| format!("duration of {dur} µs runs before any time"))?;
    flow.src = ip(l.srcip, "srcip")?;
    flow.dst = ip(l.dstip, "dstip")?;
    flow.protocol = l.proto.and_then(Protocol::parse);
    let ports = !matches!(flow.protocol.map(|p| p.0), Some(1 | 58));
    flow.src_port = port(l.srcport, "srcport")?.filter(|_| ports);
    flow.dst_port = port(l.dstport, "dstport")?.filter(|_| ports);
    // FortiOS writes transip only when it translated the source.
    flow.nat_src = match l.transip {
        Some(v) if !v.is_empty() && v != b"0.0.0.0" => Some(ip(Some(v), "transip")?),
        _ => None,
    };
    flow.nat_src_port = if flow.nat_src.is_some() {
        port(l.transport, "transport")?.filter(|p| *p != 0)
    } else {
        None
    };
    flow.bytes = add(num(l.sentbyte), num(l.rcvdbyte));
    flow.packets = add(num(l.sentpkt), num(l.rcvdpkt));
    Ok(())
}
