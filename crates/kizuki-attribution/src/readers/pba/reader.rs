//! The port-block reader: one [`LogRecord`] per port-block event line.
//!
//! Port-block logs are large (millions of lines a day) and mostly other
//! messages, so the file is scanned as a whole for the vendor's marker
//! with `memmem`; only lines holding it are decoded. Lines that are not
//! port-block events are ignored and not counted; those that are count in
//! [`ReadOutput::read`], and are rejected with a reason when they cannot
//! be read.
//!
//! The time is the event's own when it has one (Juniper's PIC time or
//! `epoch-time-64`, A10's `rt=`), else the syslog header's: RFC 5424 or
//! RFC 3339 with an offset, or RFC 3164 in the log's zone with the year
//! from the options or the file's date, moving on at New Year.

use super::event::{Event, Parsed, Stamp};
use super::{a10, juniper, nfware, syslog};
use crate::clock::{LocalClock, SyslogYear};
use crate::readers::{JumpWatch, Note, ReadOptions, ReadOutput, Source};
use crate::record::{Holder, LogRecord, Net, Ports, RecordRef, SourceKind, ip_bytes};
use crate::store::records::RowSink;
use std::sync::Arc;

/// Whose log.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// Juniper.
    Juniper,
    /// A10.
    A10,
    /// NFWare.
    Nfware,
}

impl Vendor {
    fn needle(self) -> &'static [u8] {
        match self {
            Vendor::Juniper => juniper::NEEDLE,
            Vendor::A10 => a10::NEEDLE,
            Vendor::Nfware => nfware::NEEDLE,
        }
    }

    /// Reads a line, its first marker being at `at` when known.
    fn parse(self, line: &str, at: Option<usize>) -> Parsed {
        match self {
            Vendor::Juniper => juniper::parse_at(line, at),
            Vendor::A10 => a10::parse(line),
            Vendor::Nfware => nfware::parse(line),
        }
    }
}

/// The state kept through one file.
struct Reading<'s> {
    src: &'s Source,
    opts: &'s ReadOptions,
    clock: LocalClock,
    years: Option<SyslogYear>,
    jumps: JumpWatch,
    out: ReadOutput,
    /// Where the records go when they are taken in compact form.
    rows: Option<RowSink>,
}

/// Reads a syslog file.
pub fn read(src: &Source, opts: &ReadOptions, vendor: Vendor) -> ReadOutput {
    run(src, opts, vendor, false).0
}

/// As [`read`], with the records in compact form rather than in the
/// output's `records` (which stays empty).
pub(crate) fn read_rows(
    src: &Source,
    opts: &ReadOptions,
    vendor: Vendor,
) -> (ReadOutput, Option<RowSink>) {
    run(src, opts, vendor, true)
}

fn run(
    src: &Source,
    opts: &ReadOptions,
    vendor: Vendor,
    compact: bool,
) -> (ReadOutput, Option<RowSink>) {
    let data = &src.data[..];
    // Port-block lines run to a hundred bytes or more.
    let expect = data.len() / 128;
    let mut r = Reading {
        src,
        opts,
        clock: LocalClock::new(opts.zone().clone()),
        years: opts.continued().map(|(y, m)| SyslogYear::continuing(y, m)),
        jumps: JumpWatch::default(),
        out: ReadOutput::default(),
        rows: compact.then(|| RowSink::with_capacity(expect)),
    };
    if !compact {
        r.out.records.reserve(expect);
    }
    // A file that is UTF-8 as a whole needs no check line by line.
    let text = std::str::from_utf8(data).ok();
    let finder = memchr::memmem::Finder::new(vendor.needle());
    // `pos` is always the start of a line not yet looked at; `line_no` is
    // its number.
    let mut pos = 0;
    let mut line_no = 1u64;
    while let Some(hit) = finder.find(&data[pos..]).map(|i| pos + i) {
        let start = memchr::memrchr(b'\n', &data[pos..hit]).map_or(pos, |i| pos + i + 1);
        let end = memchr::memchr(b'\n', &data[hit..]).map_or(data.len(), |i| hit + i);
        line_no += memchr::memchr_iter(b'\n', &data[pos..start]).count() as u64;
        let stop = if end > start && data[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        let raw = &data[start..stop];
        // Checking is cheaper than a lossy decode, which only a line that
        // is not UTF-8 needs (and pays for with a copy).
        let checked = match text {
            Some(t) => Ok(&t[start..stop]),
            None => std::str::from_utf8(raw),
        };
        let (line, at) = match checked {
            Ok(text) => (std::borrow::Cow::Borrowed(text), Some(hit - start)),
            // Replacement characters move the marker.
            Err(_) => (String::from_utf8_lossy(raw), None),
        };
        match vendor.parse(&line, at) {
            Ok(None) => {}
            Ok(Some(event)) => {
                r.out.read += 1;
                if let Err(reason) = r.record(line_no, &line, &event) {
                    r.out.reject(src, line_no, reason);
                }
            }
            Err(reason) => {
                r.out.read += 1;
                r.out.reject(src, line_no, reason);
            }
        }
        if end >= data.len() {
            break;
        }
        pos = end + 1;
        line_no += 1;
    }
    r.out.syslog_end = r
        .years
        .as_ref()
        .and_then(SyslogYear::state)
        .or(opts.continued());
    (r.out, r.rows)
}

impl Reading<'_> {
    fn record(&mut self, line_no: u64, line: &str, e: &Event) -> Result<(), String> {
        if e.lo > e.hi {
            return Err(format!("port range {}-{} runs backwards", e.lo, e.hi));
        }
        let stamp = match e.time {
            Some(s) => s,
            None => {
                let (opts, src) = (self.opts, self.src);
                let stamp =
                    syslog::header_time(line, &mut self.years, |m| opts.syslog_year(src, m))
                        .ok_or(
                            "no time: the event carries none and the line has no syslog timestamp",
                        )?;
                if let Stamp::Local(dt) = stamp
                    && self.out.syslog_start.is_none()
                {
                    self.out.syslog_start = Some(dt.month());
                }
                stamp
            }
        };
        let time = match stamp {
            Stamp::Utc(t) => {
                self.clock.note(t);
                t
            }
            Stamp::Local(dt) => self
                .clock
                .resolve(dt)
                .ok_or_else(|| format!("local time {dt} is out of range"))?,
        };
        if self.jumps.check(time) {
            self.out.note(
                self.src,
                line_no,
                Note::ClockJump,
                "time goes back more than a minute",
            );
        }
        let rec = LogRecord {
            time,
            source: SourceKind::PortBlock,
            action: e.action,
            session: session(e),
            group: 0,
            net: Net::host(e.public),
            ports: Ports { lo: e.lo, hi: e.hi },
            holder: Holder::Inside(e.inside),
            start: None,
            end: None,
            interim: None,
            at: RecordRef {
                file: Arc::clone(&self.src.name),
                line: line_no,
            },
        };
        match &mut self.rows {
            Some(rows) => rows.push(&rec),
            None => self.out.records.push(rec),
        }
        Ok(())
    }
}

/// The block's identity: its public address, ports and inside address.
fn session(e: &Event) -> u64 {
    let mut key = [0u8; 36];
    key[..16].copy_from_slice(&ip_bytes(e.public));
    key[16..18].copy_from_slice(&e.lo.to_be_bytes());
    key[18..20].copy_from_slice(&e.hi.to_be_bytes());
    key[20..].copy_from_slice(&ip_bytes(e.inside));
    xxhash_rust::xxh3::xxh3_64(&key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Action;

    fn read_text(text: &str, vendor: Vendor, opts: &ReadOptions) -> ReadOutput {
        read(
            &Source::from_bytes("pba.log", text.as_bytes().to_vec()),
            opts,
            vendor,
        )
    }

    #[test]
    fn only_event_lines_count_and_line_numbers_hold() {
        let text = "Feb 22 10:00:00 nat01 kernel: link up\r\n\
                    Feb 22 10:00:01 nat01 nfware[1]: A VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1024-1535\r\n\
                    Feb 22 10:00:02 nat01 sshd[2]: VRF mgmt login\n\
                    \n\
                    Feb 22 10:00:03 nat01 nfware[1]: D VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1535-1024";
        let out = read_text(text, Vendor::Nfware, &ReadOptions::new().year(Some(2021)));
        assert_eq!(out.read, 2);
        assert_eq!(out.records.len(), 1);
        let r = &out.records[0];
        assert_eq!(
            (r.at.line, r.time, r.action),
            (2, 1613988001, Action::Start)
        );
        assert_eq!(r.ports, Ports { lo: 1024, hi: 1535 });
        assert_eq!(r.holder.to_string(), "inside:10.0.0.1");
        assert_eq!(out.rejects[0].line, 5);
        assert!(out.rejects[0].reason.contains("backwards"));
    }

    #[test]
    fn sessions_differ_by_every_part() {
        let e = Event {
            action: Action::Start,
            inside: "10.0.0.1".parse().unwrap(),
            public: "100.64.0.1".parse().unwrap(),
            lo: 1024,
            hi: 1535,
            time: None,
        };
        let other = Event {
            lo: 1536,
            hi: 2047,
            ..e.clone()
        };
        assert_ne!(session(&e), session(&other));
        assert_eq!(
            session(&e),
            session(&Event {
                action: Action::Stop,
                ..e.clone()
            })
        );
    }
}
