//! Reading `conn.log`: TSV with its header, or JSON lines.

use crate::error::FlowError;
use crate::flow::{Flow, Protocol};
use crate::lines::LineReader;
use crate::options::ReadOptions;
use crate::parse;
use crate::sink::{Counted, FlowSink, ReadSummary};
use std::io::Read;
use std::sync::Arc;

/// Reads Zeek `conn.log`, TSV or JSON (told apart by the first line).
#[derive(Clone, Debug, Default)]
pub struct ZeekReader {
    opts: ReadOptions,
}

/// The columns a flow is made of, by `#fields` name.
#[derive(Clone, Debug, Default)]
struct Columns {
    count: usize,
    ts: Option<usize>,
    orig_h: Option<usize>,
    orig_p: Option<usize>,
    resp_h: Option<usize>,
    resp_p: Option<usize>,
    proto: Option<usize>,
    ip_proto: Option<usize>,
    duration: Option<usize>,
    pkts: [Option<usize>; 2],
    bytes: [Option<usize>; 2],
}

impl Columns {
    fn from_fields(names: &[&[u8]]) -> Columns {
        let at = |n: &str| names.iter().position(|c| *c == n.as_bytes());
        let ip_bytes = [at("orig_ip_bytes"), at("resp_ip_bytes")];
        Columns {
            count: names.len(),
            ts: at("ts"),
            orig_h: at("id.orig_h"),
            orig_p: at("id.orig_p"),
            resp_h: at("id.resp_h"),
            resp_p: at("id.resp_p"),
            proto: at("proto"),
            ip_proto: at("ip_proto"),
            duration: at("duration"),
            pkts: [at("orig_pkts"), at("resp_pkts")],
            // IP-level bytes, as flow exporters count, when the log has them.
            bytes: if ip_bytes.iter().any(Option::is_some) {
                ip_bytes
            } else {
                [at("orig_bytes"), at("resp_bytes")]
            },
        }
    }
}

/// The TSV header state: it may change mid-file when logs are
/// concatenated (a new header after `#close`).
struct Tsv {
    sep: Vec<u8>,
    empty: Vec<u8>,
    unset: Vec<u8>,
    cols: Option<Columns>,
}

impl Default for Tsv {
    fn default() -> Self {
        Tsv {
            sep: b"\t".to_vec(),
            empty: b"(empty)".to_vec(),
            unset: b"-".to_vec(),
            cols: None,
        }
    }
}

/// Undoes Zeek's `\xHH` escapes in header values (`#separator \x09`).
fn unescape(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\\'
            && i + 3 < v.len()
            && v[i + 1] == b'x'
            && let Ok(s) = std::str::from_utf8(&v[i + 2..i + 4])
            && let Ok(b) = u8::from_str_radix(s, 16)
        {
            out.push(b);
            i += 4;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

fn split<'a>(line: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    if sep.len() == 1 {
        line.split(|c| *c == sep[0]).collect()
    } else {
        let mut out = Vec::new();
        let mut from = 0;
        for i in memchr::memmem::find_iter(line, sep) {
            if i < from {
                continue;
            }
            out.push(&line[from..i]);
            from = i + sep.len();
        }
        out.push(&line[from..]);
        out
    }
}

/// A conn.log row, as either form gives it, before checking.
#[derive(Default)]
pub(super) struct Row<'a> {
    pub ts: Option<Ts<'a>>,
    pub orig_h: Option<&'a [u8]>,
    pub orig_p: Option<u64>,
    pub resp_h: Option<&'a [u8]>,
    pub resp_p: Option<u64>,
    pub proto: Option<&'a [u8]>,
    pub ip_proto: Option<u64>,
    pub duration: Option<i64>,
    pub pkts: Option<u64>,
    pub bytes: Option<u64>,
}

/// A `ts` value: epoch seconds (TSV, JSON default) or ISO text.
pub(super) enum Ts<'a> {
    Micros(i64),
    Text(&'a [u8]),
}

impl Row<'_> {
    /// Checks the row and fills `flow`.
    pub fn fill(&self, flow: &mut Flow, clock: &mut parse::LocalClock) -> Result<(), String> {
        let start = match &self.ts {
            None => return Err("no ts".into()),
            Some(Ts::Micros(us)) => *us,
            Some(Ts::Text(t)) => parse::iso(t, clock)
                .ok_or_else(|| format!("ts {:?} is not a time", String::from_utf8_lossy(t)))?,
        };
        let ip = |v: Option<&[u8]>, what: &str| {
            let v = v.ok_or_else(|| format!("no {what}"))?;
            parse::ip(v).ok_or_else(|| {
                format!(
                    "{what} {:?} is not an IP address",
                    String::from_utf8_lossy(v)
                )
            })
        };
        let port = |v: Option<u64>, what: &str| -> Result<Option<u16>, String> {
            v.map(|p| u16::try_from(p).map_err(|_| format!("{what} {p} is not a port")))
                .transpose()
        };
        flow.start = start;
        let dur = self.duration.unwrap_or(0);
        if dur < 0 {
            return Err("negative duration".into());
        }
        flow.end = start
            .checked_add(dur)
            .ok_or_else(|| format!("duration {dur} runs past any time"))?;
        flow.src = ip(self.orig_h, "id.orig_h")?;
        flow.dst = ip(self.resp_h, "id.resp_h")?;
        flow.protocol = self.proto.and_then(Protocol::parse).or_else(|| {
            self.ip_proto
                .and_then(|n| u8::try_from(n).ok())
                .map(Protocol)
        });
        // ICMP "ports" are type and code: not ports.
        let has_ports = !matches!(flow.protocol.map(|p| p.0), Some(1 | 58));
        flow.src_port = port(self.orig_p, "id.orig_p")?.filter(|_| has_ports);
        flow.dst_port = port(self.resp_p, "id.resp_p")?.filter(|_| has_ports);
        flow.nat_src = None;
        flow.nat_src_port = None;
        flow.packets = self.pkts;
        flow.bytes = self.bytes;
        Ok(())
    }
}

impl ZeekReader {
    /// A reader. Zeek writes UTC; the options' zone applies only to ISO
    /// times without an offset.
    pub fn new(opts: ReadOptions) -> ZeekReader {
        ZeekReader { opts }
    }

    /// Reads every connection into `sink`, in order.
    pub fn read(
        &self,
        input: impl Read,
        file: &Arc<str>,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        let mut lines = LineReader::new(input);
        let mut out = Counted::new(sink, file, "zeek");
        let mut flow = Flow::empty(file.clone());
        let mut clock = self.opts.clock();
        let mut tsv = Tsv::default();
        let mut json: Option<bool> = None;
        while let Some((no, line)) = lines
            .next_line()
            .map_err(|e| FlowError::io(file.as_ref(), e))?
        {
            if line.trim_ascii().is_empty() {
                out.skip();
                continue;
            }
            let is_json = *json.get_or_insert_with(|| line.trim_ascii_start().starts_with(b"{"));
            if is_json {
                out.summary.layout = "zeek-json".into();
                flow.line = no;
                match super::json::fill(line, &mut flow, &mut clock) {
                    Ok(()) => out.flow(&flow),
                    Err(r) => out.reject(no, r, line),
                }
                continue;
            }
            out.summary.layout = "zeek-tsv".into();
            if line.starts_with(b"#") {
                header_line(&mut tsv, line);
                out.skip();
                continue;
            }
            flow.line = no;
            match tsv_row(&tsv, line).and_then(|r| r.fill(&mut flow, &mut clock)) {
                Ok(()) => out.flow(&flow),
                Err(r) => out.reject(no, r, line),
            }
        }
        out.summary.lines = lines.line;
        out.summary.bytes = lines.bytes;
        Ok(out.summary)
    }
}

fn header_line(tsv: &mut Tsv, line: &[u8]) {
    // `#separator` is the one header line not written with the separator
    // itself (it is written with a space).
    if let Some(v) = line.strip_prefix(b"#separator ") {
        tsv.sep = unescape(v.trim_ascii());
        if tsv.sep.is_empty() {
            tsv.sep = b"\t".to_vec();
        }
        return;
    }
    let parts = split(line, &tsv.sep);
    let key = parts[0];
    let value = parts.get(1).copied().unwrap_or_default();
    match key {
        b"#empty_field" => tsv.empty = unescape(value),
        b"#unset_field" => tsv.unset = unescape(value),
        b"#fields" => tsv.cols = Some(Columns::from_fields(&parts[1..])),
        // #set_separator matters only inside set-valued columns
        // (tunnel_parents), which a flow does not use; #types, #path,
        // #open and #close carry nothing a flow needs.
        _ => {}
    }
}

fn tsv_row<'a>(tsv: &Tsv, line: &'a [u8]) -> Result<Row<'a>, String> {
    let cols = tsv
        .cols
        .as_ref()
        .ok_or("data before any #fields header line")?;
    let f = split(line, &tsv.sep);
    if f.len() != cols.count {
        return Err(format!(
            "row has {} fields, #fields names {}",
            f.len(),
            cols.count
        ));
    }
    let get = |i: Option<usize>| -> Option<&'a [u8]> {
        let v = f[i?];
        if v == tsv.unset.as_slice() || v == tsv.empty.as_slice() || v.is_empty() {
            None
        } else {
            Some(v)
        }
    };
    let num = |i: Option<usize>, what: &str| -> Result<Option<u64>, String> {
        get(i)
            .map(|v| {
                parse::uint(v).ok_or_else(|| {
                    format!("{what} {:?} is not a number", String::from_utf8_lossy(v))
                })
            })
            .transpose()
    };
    let sum = |c: [Option<usize>; 2], what: &str| -> Result<Option<u64>, String> {
        let a = num(c[0], what)?;
        let b = num(c[1], what)?;
        Ok(match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        })
    };
    let ts = match get(cols.ts) {
        None => None,
        Some(v) => Some(Ts::Micros(parse::secs_micros(v).ok_or_else(|| {
            format!("ts {:?} is not epoch seconds", String::from_utf8_lossy(v))
        })?)),
    };
    let duration = get(cols.duration)
        .map(|v| {
            parse::secs_micros(v)
                .ok_or_else(|| format!("duration {:?} is not seconds", String::from_utf8_lossy(v)))
        })
        .transpose()?;
    Ok(Row {
        ts,
        orig_h: get(cols.orig_h),
        orig_p: num(cols.orig_p, "id.orig_p")?,
        resp_h: get(cols.resp_h),
        resp_p: num(cols.resp_p, "id.resp_p")?,
        proto: get(cols.proto),
        ip_proto: num(cols.ip_proto, "ip_proto")?,
        duration,
        pkts: sum(cols.pkts, "packets")?,
        bytes: sum(cols.bytes, "bytes")?,
    })
}
