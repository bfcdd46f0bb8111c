//! Which nfdump CSV layout a header names, and reading one row of it.

use crate::flow::{Flow, Protocol};
use crate::parse::lossy;
use crate::parse::{self, LocalClock};

/// The highest column a needed field may be in (nfdump's widest layout,
/// 1.6, has 48 columns).
const MAX_FIELDS: usize = 256;

/// The layout of an nfdump CSV file, found from its header line, and the
/// state needed to read its rows (the collector's zone).
#[derive(Clone, Debug)]
pub struct NfdumpLayout {
    name: &'static str,
    columns: usize,
    start: usize,
    end: Option<usize>,
    duration: Option<usize>,
    src: usize,
    dst: usize,
    sport: Option<usize>,
    dport: Option<usize>,
    proto: Option<usize>,
    nat_src: Option<usize>,
    nat_sport: Option<usize>,
    packets: [Option<usize>; 2],
    bytes: [Option<usize>; 2],
    /// `csv-fast` prints times as epoch milliseconds.
    epoch_ms: bool,
    /// The highest column index read, plus one.
    need: usize,
    /// Field bounds of the row being read (kept to reuse its allocation).
    bounds: Vec<(usize, usize)>,
    clock: LocalClock,
}

fn find(cols: &[&str], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|n| cols.iter().position(|c| c.eq_ignore_ascii_case(n)))
}

impl NfdumpLayout {
    /// Reads a header line. Times without a zone (1.6 `ts`/`te`, 1.7
    /// `firstSeen`/`lastSeen` as text) are in `clock`'s zone, the
    /// collector's local zone when nfdump ran. `Err` says why the header is
    /// not one nfdump writes.
    pub fn from_header(header: &[u8], clock: LocalClock) -> Result<NfdumpLayout, String> {
        let text = std::str::from_utf8(header).map_err(|_| "header is not UTF-8".to_owned())?;
        let cols: Vec<&str> = text.split(',').map(str::trim).collect();
        let name = if cols.len() >= 3 && cols[..3] == ["ts", "te", "td"] {
            "nfdump-1.6"
        } else if cols.len() >= 3 && cols[..3] == ["cnt", "af", "firstSeen"] {
            "nfdump-csv-fast"
        } else {
            "nfdump-1.7"
        };
        let start = find(&cols, &["ts", "firstSeen", "tfs"])
            .ok_or("header has no start time column (ts or firstSeen)")?;
        let src = find(&cols, &["sa", "srcAddr"])
            .ok_or("header has no source address column (sa or srcAddr)")?;
        let dst = find(&cols, &["da", "dstAddr"])
            .ok_or("header has no destination address column (da or dstAddr)")?;
        let mut l = NfdumpLayout {
            name,
            columns: cols.len(),
            start,
            end: find(&cols, &["te", "lastSeen"]),
            duration: find(&cols, &["td", "duration"]),
            src,
            dst,
            sport: find(&cols, &["sp", "srcPort"]),
            dport: find(&cols, &["dp", "dstPort"]),
            proto: find(&cols, &["pr", "proto"]),
            // nfdump 1.7 prints `%nsa`/`%xsa` as srcXIP and `%nsp`/`%xsp` as
            // srcXPort (output_csv.c); older builds and hand-made headers use
            // the token names or srcXlateIP/srcXlatePort.
            nat_src: find(&cols, &["srcXIP", "nsa", "xsa", "srcXlateIP", "srcNatIP"]),
            nat_sport: find(
                &cols,
                &["srcXPort", "nsp", "xsp", "srcXlatePort", "srcNatPort"],
            ),
            packets: [
                find(&cols, &["ipkt", "packets", "inPackets", "pkt"]),
                find(&cols, &["opkt", "outPackets"]),
            ],
            bytes: [
                find(&cols, &["ibyt", "bytes", "inBytes", "byt"]),
                find(&cols, &["obyt", "outBytes"]),
            ],
            epoch_ms: name == "nfdump-csv-fast",
            need: 0,
            bounds: Vec::with_capacity(64),
            clock,
        };
        l.need = [
            Some(l.start),
            l.end,
            l.duration,
            Some(l.src),
            Some(l.dst),
            l.sport,
            l.dport,
            l.proto,
            l.nat_src,
            l.nat_sport,
            l.packets[0],
            l.packets[1],
            l.bytes[0],
            l.bytes[1],
        ]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(0)
            + 1;
        if l.need > MAX_FIELDS {
            return Err(format!(
                "a needed column is past column {MAX_FIELDS}; nfdump writes none that wide"
            ));
        }
        Ok(l)
    }

    /// The layout's name: `nfdump-1.6`, `nfdump-1.7` or `nfdump-csv-fast`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The number of columns in the header.
    pub fn columns(&self) -> usize {
        self.columns
    }

    /// Whether rows carry the translated source (NAT) columns.
    pub fn has_nat(&self) -> bool {
        self.nat_src.is_some()
    }

    fn time(&mut self, v: &[u8]) -> Result<i64, String> {
        if self.epoch_ms {
            // csv-fast prints genericFlow->msecFirst/msecLast as integers:
            // milliseconds since the epoch (output_csv_fast.c).
            return parse::uint(v)
                .and_then(|ms| i64::try_from(ms).ok())
                .and_then(|ms| ms.checked_mul(1000))
                .ok_or_else(|| format!("time {:?} is not epoch milliseconds", lossy(v)));
        }
        if v.len() > 4 && v[4] == b'-' {
            if v.starts_with(b"0000-") {
                return Err("no time (nfdump printed 0000-00-00)".into());
            }
            let (naive, rest) =
                parse::naive(v).ok_or_else(|| format!("not a time: {:?}", lossy(v)))?;
            if !rest.is_empty() {
                return Err(format!("not a time: {:?}", lossy(v)));
            }
            return self
                .clock
                .to_utc(naive)
                .ok_or_else(|| format!("time {:?} does not exist in the zone", lossy(v)));
        }
        // `%tsr`: seconds.milliseconds since the epoch.
        parse::secs_micros(v).ok_or_else(|| format!("not a time: {:?}", lossy(v)))
    }

    /// Reads one data row into `flow` (whose file and line the caller
    /// sets). `Err` says why the row is refused.
    pub fn parse_row(&mut self, line: &[u8], flow: &mut Flow) -> Result<(), String> {
        // Field bounds, found eight bytes at a time.
        let mut bounds = std::mem::take(&mut self.bounds);
        bounds.clear();
        split_commas(line, &mut bounds);
        let r = self.fill(line, &bounds, flow);
        self.bounds = bounds;
        r
    }

    fn fill(
        &mut self,
        line: &[u8],
        bounds: &[(usize, usize)],
        flow: &mut Flow,
    ) -> Result<(), String> {
        let n = bounds.len();
        if n != self.columns {
            return Err(format!(
                "row has {n} fields, the header has {}",
                self.columns
            ));
        }
        let f = |i: usize| -> &[u8] {
            let (a, b) = bounds[i];
            trim(&line[a..b])
        };
        flow.start = self.time(f(self.start))?;
        flow.end = match (self.end, self.duration) {
            (Some(e), _) => self.time(f(e))?,
            (None, Some(d)) => {
                let v = f(d);
                let us = parse::secs_micros(v)
                    .filter(|d| *d >= 0)
                    .ok_or_else(|| format!("duration {:?} is not seconds", lossy(v)))?;
                flow.start + us
            }
            (None, None) => flow.start,
        };
        if flow.end < flow.start {
            return Err("flow ends before it starts".into());
        }
        flow.src = addr(f(self.src), "source")?;
        flow.dst = addr(f(self.dst), "destination")?;
        flow.src_port = opt_port(self.sport.map(f), "source")?;
        flow.dst_port = opt_port(self.dport.map(f), "destination")?;
        flow.protocol = self.proto.and_then(|i| Protocol::parse(f(i)));
        // ICMP has no ports: nfdump puts type and code there.
        if matches!(flow.protocol.map(|p| p.0), Some(1 | 58)) {
            flow.src_port = None;
            flow.dst_port = None;
        }
        flow.nat_src = match self.nat_src.map(f) {
            // No translation: nfdump prints the unset address.
            Some(v) if !v.is_empty() && v != b"0.0.0.0" && v != b"::" => {
                Some(addr(v, "translated source")?)
            }
            _ => None,
        };
        flow.nat_src_port = if flow.nat_src.is_some() {
            opt_port(self.nat_sport.map(f), "translated source")?
        } else {
            None
        };
        flow.packets = sum(self.packets, f)?;
        flow.bytes = sum(self.bytes, f)?;
        Ok(())
    }
}

/// Pushes the bounds of each comma-separated field of `line`: a SWAR scan
/// (eight bytes per step, the commas found by bit tricks), since fields
/// are short and a byte loop branches on every byte.
fn split_commas(line: &[u8], bounds: &mut Vec<(usize, usize)>) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut from = 0usize;
    let mut base = 0usize;
    let mut chunks = line.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ (ONES * u64::from(b','));
        // High bit set in each byte of `x` that is zero (exact, no borrow).
        let mut m = !(((x & LOW7) + LOW7) | x | LOW7);
        while m != 0 {
            let i = base + (m.trailing_zeros() / 8) as usize;
            bounds.push((from, i));
            from = i + 1;
            m &= m - 1;
        }
        base += 8;
    }
    for (k, &c) in chunks.remainder().iter().enumerate() {
        if c == b',' {
            bounds.push((from, base + k));
            from = base + k + 1;
        }
    }
    bounds.push((from, line.len()));
}

fn trim(s: &[u8]) -> &[u8] {
    s.trim_ascii()
}

fn addr(v: &[u8], what: &str) -> Result<std::net::IpAddr, String> {
    parse::ip(v).ok_or_else(|| format!("{what} address {:?} is not an IP address", lossy(v)))
}

fn opt_port(v: Option<&[u8]>, what: &str) -> Result<Option<u16>, String> {
    match v {
        None => Ok(None),
        Some([]) => Ok(None),
        Some(v) => match parse::port(v) {
            Some(p) => Ok(Some(p)),
            // ICMP: nfdump prints type.code where the port would be.
            None if v.contains(&b'.') => Ok(None),
            None => Err(format!("{what} port {:?} is not a port", lossy(v))),
        },
    }
}

fn sum<'a>(cols: [Option<usize>; 2], f: impl Fn(usize) -> &'a [u8]) -> Result<Option<u64>, String> {
    let mut total: Option<u64> = None;
    for i in cols.into_iter().flatten() {
        let v = f(i);
        if v.is_empty() {
            continue;
        }
        let n = parse::uint(v).ok_or_else(|| format!("count {:?} is not a number", lossy(v)))?;
        total = Some(total.unwrap_or(0).saturating_add(n));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_found_eight_at_a_time() {
        for line in [
            &b""[..],
            b",",
            b"a,b",
            b"2021-02-22 10:15:20.123,3.500,6,10.0.1.5,51514,198.51.100.7,8080,12,1840,1",
            b",,,,,,,,,,,,,,,,,",
            b"\xac,\x2c\x2d,",
        ] {
            let mut got = Vec::new();
            split_commas(line, &mut got);
            let mut want = Vec::new();
            let mut from = 0;
            for (i, c) in line.iter().enumerate() {
                if *c == b',' {
                    want.push((from, i));
                    from = i + 1;
                }
            }
            want.push((from, line.len()));
            assert_eq!(got, want, "{}", String::from_utf8_lossy(line));
        }
    }
}
