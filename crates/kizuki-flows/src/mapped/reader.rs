//! Reading a delimited log through a [`Mapping`].

use super::config::{ColumnRef, Mapping, TimeFormat};
use crate::error::FlowError;
use crate::flow::{Flow, Protocol};
use crate::options::ReadOptions;
use crate::parse::{self, LocalClock};
use crate::sink::{Counted, FlowSink, ReadSummary};
use std::io::Read;
use std::sync::Arc;

/// Reads a delimited log (quoted fields allowed) as a mapping describes.
#[derive(Clone, Debug)]
pub struct MappedReader {
    mapping: Mapping,
    opts: ReadOptions,
}

/// Column indexes (0-based), resolved against the header.
struct Index {
    start: usize,
    end: Option<usize>,
    duration: Option<usize>,
    src: usize,
    sport: Option<usize>,
    dst: usize,
    dport: Option<usize>,
    proto: Option<usize>,
    nat_src: Option<usize>,
    nat_sport: Option<usize>,
    bytes: Vec<usize>,
    packets: Vec<usize>,
}

struct Times {
    format: TimeFormat,
    clock: LocalClock,
}

impl Times {
    fn parse(&mut self, v: &[u8]) -> Result<i64, String> {
        let bad = || {
            format!(
                "time {:?} does not match the mapping's time_format",
                String::from_utf8_lossy(v)
            )
        };
        match &self.format {
            TimeFormat::Epoch => parse::secs_micros(v).ok_or_else(bad),
            TimeFormat::EpochMs => parse::secs_micros(v).map(|x| x / 1000).ok_or_else(bad),
            TimeFormat::Iso8601 => parse::iso(v, &mut self.clock).ok_or_else(bad),
            TimeFormat::Strftime(f) => {
                let text = std::str::from_utf8(v).map_err(|_| bad())?;
                let tm =
                    jiff::fmt::strtime::parse(f, text).map_err(|e| format!("{}: {e}", bad()))?;
                if tm.offset().is_some() {
                    let ts = tm.to_timestamp().map_err(|e| format!("{}: {e}", bad()))?;
                    return Ok(ts.as_microsecond());
                }
                let dt = tm.to_datetime().map_err(|e| format!("{}: {e}", bad()))?;
                let naive = dt
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .map_err(|e| format!("{}: {e}", bad()))?
                    .timestamp()
                    .as_microsecond();
                self.clock.to_utc(naive).ok_or_else(bad)
            }
        }
    }
}

impl MappedReader {
    /// A reader for `mapping`. The mapping's `time_zone`, when set, wins
    /// over the options' zone.
    pub fn new(mapping: Mapping, opts: ReadOptions) -> Result<MappedReader, FlowError> {
        let opts = match &mapping.time_zone {
            Some(z) => opts.zone_name(z)?,
            None => opts,
        };
        mapping.delimiter_byte()?;
        Ok(MappedReader { mapping, opts })
    }

    /// The mapping.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    fn resolve(&self, header: Option<&csv::ByteRecord>, file: &str) -> Result<Index, FlowError> {
        let find = |r: &ColumnRef| -> Result<usize, FlowError> {
            match (r, header) {
                (ColumnRef::Number(n), _) if *n >= 1 => Ok(n - 1),
                (ColumnRef::Number(_), _) => {
                    Err(FlowError::Config("column numbers start at 1".into()))
                }
                (ColumnRef::Name(n), Some(h)) => h
                    .iter()
                    .position(|c| c.trim_ascii() == n.trim().as_bytes())
                    .ok_or_else(|| {
                        FlowError::format(file, format!("the header has no column {n:?}"))
                    }),
                (ColumnRef::Name(n), None) => Err(FlowError::Config(format!(
                    "column {n:?} named, but the mapping says there is no header"
                ))),
            }
        };
        let opt = |r: &Option<ColumnRef>| r.as_ref().map(&find).transpose();
        let c = &self.mapping.columns;
        let many = |x: &Option<super::config::Counts>| -> Result<Vec<usize>, FlowError> {
            x.as_ref()
                .map(|x| x.refs().into_iter().map(&find).collect())
                .unwrap_or(Ok(Vec::new()))
        };
        Ok(Index {
            start: find(&c.start)?,
            end: opt(&c.end)?,
            duration: opt(&c.duration)?,
            src: find(&c.src)?,
            sport: opt(&c.sport)?,
            dst: find(&c.dst)?,
            dport: opt(&c.dport)?,
            proto: opt(&c.proto)?,
            nat_src: opt(&c.nat_src)?,
            nat_sport: opt(&c.nat_sport)?,
            bytes: many(&c.bytes)?,
            packets: many(&c.packets)?,
        })
    }

    /// Reads every row into `sink`, in order.
    pub fn read(
        &self,
        input: impl Read,
        file: &Arc<str>,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        // Only a line feed ends a row, so that rows and lines agree: a lone
        // CR inside a line (damage) stays in its field, and the CR of a
        // CRLF is trimmed with the rest of the last field's white space.
        let mut rd = csv::ReaderBuilder::new()
            .delimiter(self.mapping.delimiter_byte()?)
            .comment(self.mapping.comment_byte()?)
            .terminator(csv::Terminator::Any(b'\n'))
            .has_headers(false)
            .flexible(true)
            .from_reader(LastByte {
                inner: input,
                last: None,
            });
        let mut out = Counted::new(sink, file, &self.mapping.name);
        let mut rec = csv::ByteRecord::new();
        let mut index: Option<Index> = None;
        let mut header_read = !self.mapping.header;
        if !self.mapping.header {
            index = Some(self.resolve(None, file)?);
        }
        let mut times = Times {
            format: self.mapping.time(),
            clock: self.opts.clock(),
        };
        let ms = self.mapping.duration_unit == "ms";
        let mut flow = Flow::empty(file.clone());
        loop {
            let line = rd.position().line();
            match rd.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    out.reject(line, format!("not CSV: {e}"), b"");
                    continue;
                }
            }
            let line = rec.position().map_or(line, |p| p.line());
            if rec.iter().all(|f| f.trim_ascii().is_empty()) {
                out.skip();
                continue;
            }
            if !header_read {
                index = Some(self.resolve(Some(&rec), file)?);
                header_read = true;
                out.skip();
                continue;
            }
            let Some(ix) = &index else { continue };
            flow.line = line;
            match fill(&rec, ix, &mut times, ms, &mut flow) {
                Ok(()) => out.flow(&flow),
                Err(r) => out.reject(
                    line,
                    r,
                    &raw(&rec, self.mapping.delimiter_byte().unwrap_or(b',')),
                ),
            }
        }
        // The csv reader passes over comment and blank lines unseen: they
        // are the lines neither delivered nor refused.
        let s = &mut out.summary;
        s.bytes = rd.position().byte();
        // The position's line is the one after the last line end.
        s.lines = match rd.get_ref().last {
            None => 0,
            Some(b'\n') => rd.position().line() - 1,
            Some(_) => rd.position().line(),
        };
        s.skipped = s.lines.saturating_sub(s.flows + s.rejected);
        Ok(out.summary)
    }
}

/// Remembers the last byte read, to tell whether the input ended with a
/// line end.
struct LastByte<R> {
    inner: R,
    last: Option<u8>,
}

impl<R: Read> Read for LastByte<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.last = Some(buf[n - 1]);
        }
        Ok(n)
    }
}

/// The record joined back with its delimiter (quotes are not restored).
fn raw(rec: &csv::ByteRecord, delim: u8) -> Vec<u8> {
    let mut v = Vec::new();
    for (i, f) in rec.iter().enumerate() {
        if i > 0 {
            v.push(delim);
        }
        v.extend_from_slice(f);
    }
    v
}

fn fill(
    rec: &csv::ByteRecord,
    ix: &Index,
    times: &mut Times,
    ms: bool,
    flow: &mut Flow,
) -> Result<(), String> {
    let get = |i: usize| -> Result<&[u8], String> {
        rec.get(i)
            .map(|v| v.trim_ascii())
            .ok_or_else(|| format!("row has {} fields, column {} is missing", rec.len(), i + 1))
    };
    let opt = |i: Option<usize>| -> Result<Option<&[u8]>, String> {
        match i {
            None => Ok(None),
            Some(i) => get(i).map(|v| (!v.is_empty() && v != b"-").then_some(v)),
        }
    };
    let lossy = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
    let ip = |v: &[u8], what: &str| {
        parse::ip(v).ok_or_else(|| format!("{what} {:?} is not an IP address", lossy(v)))
    };
    let port = |v: Option<&[u8]>, what: &str| -> Result<Option<u16>, String> {
        v.map(|v| parse::port(v).ok_or_else(|| format!("{what} {:?} is not a port", lossy(v))))
            .transpose()
    };
    let sum = |cols: &[usize], what: &str| -> Result<Option<u64>, String> {
        let mut total = None;
        for &c in cols {
            if let Some(v) = opt(Some(c))? {
                let n = parse::uint(v)
                    .ok_or_else(|| format!("{what} {:?} is not a number", lossy(v)))?;
                total = Some(total.unwrap_or(0u64).saturating_add(n));
            }
        }
        Ok(total)
    };
    let start = get(ix.start)?;
    if start.is_empty() {
        return Err("no start time".into());
    }
    flow.start = times.parse(start)?;
    flow.end = match (opt(ix.end)?, opt(ix.duration)?) {
        (Some(e), _) => times.parse(e)?,
        (None, Some(d)) => {
            let us = parse::secs_micros(d)
                .filter(|x| *x >= 0)
                .ok_or_else(|| format!("duration {:?} is not a number", lossy(d)))?;
            flow.start + if ms { us / 1000 } else { us }
        }
        (None, None) => flow.start,
    };
    if flow.end < flow.start {
        return Err("flow ends before it starts".into());
    }
    flow.src = ip(get(ix.src)?, "source address")?;
    flow.dst = ip(get(ix.dst)?, "destination address")?;
    flow.src_port = port(opt(ix.sport)?, "source port")?;
    flow.dst_port = port(opt(ix.dport)?, "destination port")?;
    flow.protocol = opt(ix.proto)?.and_then(Protocol::parse);
    flow.nat_src = opt(ix.nat_src)?
        .map(|v| ip(v, "NAT source address"))
        .transpose()?;
    flow.nat_src_port = port(opt(ix.nat_sport)?, "NAT source port")?;
    flow.bytes = sum(&ix.bytes, "bytes")?;
    flow.packets = sum(&ix.packets, "packets")?;
    Ok(())
}
