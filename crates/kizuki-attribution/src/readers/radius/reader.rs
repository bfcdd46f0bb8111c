//! FreeRADIUS accounting `detail` files.
//!
//! A record is a header line (the time, ctime-style, local) followed by
//! `\tName = value` lines and ended by a blank line. Each Start,
//! Interim-Update or Stop gives one [`LogRecord`] per address it carries
//! (Framed-IP-Address, Framed-IPv6-Address, Framed-IPv6-Prefix,
//! Delegated-IPv6-Prefix); Accounting-On/Off gives one [`Action::Reset`] for
//! its NAS.
//!
//! The time is `Timestamp` (the server's epoch) less `Acct-Delay-Time`
//! when there is one; otherwise `Event-Timestamp`, then the header, both in
//! the log's zone.

use crate::clock::{self, LocalClock};
use crate::readers::{JumpWatch, Note, ReadOptions, ReadOutput, Source, lines};
use crate::record::{Action, Holder, LogRecord, Net, Ports, RecordRef, SourceKind, normalize_mac};
use crate::store::records::RowSink;
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

/// The address attributes, with the tag that keeps their sessions apart.
const ADDRESS_ATTRIBUTES: [(&str, u8); 4] = [
    ("Framed-IP-Address", b'4'),
    ("Framed-IPv6-Address", b'6'),
    ("Framed-IPv6-Prefix", b'p'),
    ("Delegated-IPv6-Prefix", b'd'),
];

/// The attributes the reader looks at, found once per line rather than
/// by a search of the record for each.
const KNOWN: [&str; 16] = [
    "Acct-Status-Type",
    "Timestamp",
    "Acct-Delay-Time",
    "Event-Timestamp",
    "NAS-IP-Address",
    "NAS-IPv6-Address",
    "NAS-Identifier",
    "Acct-Session-Id",
    "Acct-Unique-Session-Id",
    "NAS-Port",
    "Acct-Session-Time",
    "Acct-Interim-Interval",
    "Framed-IP-Address",
    "Framed-IPv6-Address",
    "Framed-IPv6-Prefix",
    "Delegated-IPv6-Prefix",
];

/// Which of [`KNOWN`] a name is (its case as FreeRADIUS writes it, or any
/// other).
fn known(name: &str) -> Option<usize> {
    KNOWN
        .iter()
        .position(|k| *k == name)
        .or_else(|| KNOWN.iter().position(|k| k.eq_ignore_ascii_case(name)))
}

/// One record's attributes, in order.
struct Attrs<'a> {
    pairs: Vec<(&'a str, Cow<'a, str>)>,
    /// The first pair of each of [`KNOWN`].
    first: [Option<u16>; KNOWN.len()],
}

impl<'a> Attrs<'a> {
    fn new() -> Self {
        Attrs {
            pairs: Vec::new(),
            first: [None; KNOWN.len()],
        }
    }

    fn push(&mut self, name: &'a str, value: Cow<'a, str>) {
        if let Some(k) = known(name)
            && self.first[k].is_none()
        {
            self.first[k] = u16::try_from(self.pairs.len()).ok();
        }
        self.pairs.push((name, value));
    }

    fn clear(&mut self) {
        self.pairs.clear();
        self.first = [None; KNOWN.len()];
    }

    /// The first value of an attribute, whatever the case of its name.
    fn get(&self, name: &str) -> Option<&str> {
        if let Some(k) = KNOWN.iter().position(|k| *k == name) {
            return self.first[k].map(|i| &*self.pairs[usize::from(i)].1);
        }
        self.pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &**v)
    }

    fn int(&self, name: &str) -> Result<Option<i64>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| format!("{name} {v:?} is not a number")),
        }
    }
}

/// Reads a `detail` file.
pub fn read(src: &Source, opts: &ReadOptions) -> ReadOutput {
    run(src, opts, false).0
}

/// As [`read`], with the records in compact form rather than in the
/// output's `records` (which stays empty).
pub(crate) fn read_rows(src: &Source, opts: &ReadOptions) -> (ReadOutput, Option<RowSink>) {
    run(src, opts, true)
}

/// Where a file's records go.
struct Sink {
    rows: Option<RowSink>,
}

impl Sink {
    fn push(&mut self, out: &mut ReadOutput, r: LogRecord) {
        match &mut self.rows {
            Some(rows) => rows.push(&r),
            None => out.records.push(r),
        }
    }
}

fn run(src: &Source, opts: &ReadOptions, compact: bool) -> (ReadOutput, Option<RowSink>) {
    let mut out = ReadOutput::default();
    // A record takes about 350 bytes (a header and ten attributes) and
    // gives up to three address records. Room for all of them at once:
    // growing a list of millions copies it into fresh memory at every
    // step, which took most of a large file's time.
    let expect = src.data.len() / 128;
    let mut sink = Sink {
        rows: compact.then(|| RowSink::with_capacity(expect)),
    };
    if !compact {
        out.records.reserve(expect);
    }
    let mut clock = LocalClock::new(opts.zone().clone());
    let mut jumps = JumpWatch::default();
    // Checking the whole file is much quicker than the lossy decode, which
    // only a file that is not UTF-8 needs.
    let text = match std::str::from_utf8(&src.data) {
        Ok(t) => Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(&src.data),
    };
    let mut header: Option<(u64, &str)> = None;
    let mut attrs = Attrs::new();
    let mut bad: Option<String> = None;
    let mut finish = |header: Option<(u64, &str)>,
                      attrs: &mut Attrs<'_>,
                      bad: &mut Option<String>,
                      out: &mut ReadOutput| {
        let Some((line, head)) = header else {
            return;
        };
        out.read += 1;
        if let Some(reason) = bad.take() {
            out.reject(src, line, reason);
        } else {
            record(
                src, opts, line, head, attrs, &mut clock, &mut jumps, out, &mut sink,
            );
        }
        attrs.clear();
    };
    for (n, raw) in lines(text.as_bytes()) {
        // `lines` cuts at line breaks, which are character boundaries of
        // the (valid) text.
        let Ok(l) = std::str::from_utf8(raw) else {
            bad.get_or_insert_with(|| "line is not text".into());
            continue;
        };
        let indented = l.starts_with([' ', '\t']);
        if l.is_empty() || (indented && l.trim().is_empty()) {
            finish(header.take(), &mut attrs, &mut bad, &mut out);
            continue;
        }
        if !indented {
            // A header with no blank line before it: the previous record
            // ended anyway (a truncated write).
            finish(header.take(), &mut attrs, &mut bad, &mut out);
            header = Some((n, l.trim()));
            continue;
        }
        if header.is_none() {
            out.reject(
                src,
                n,
                "attribute line outside a record (no header line before it)",
            );
            continue;
        }
        let pair = memchr::memchr(b'=', l.as_bytes()).map(|i| (l[..i].trim(), l[i + 1..].trim()));
        match pair {
            Some((name, value)) if !name.is_empty() => match unquote(value) {
                Some(v) => attrs.push(name, v),
                None => {
                    bad.get_or_insert_with(|| format!("line {n}: unterminated string"));
                }
            },
            _ => {
                bad.get_or_insert_with(|| format!("line {n}: not `Name = value`: {:?}", l.trim()));
            }
        }
    }
    finish(header.take(), &mut attrs, &mut bad, &mut out);
    (out, sink.rows)
}

/// A value as written: `"text"` with backslash escapes (`\"`, `\\`, `\n`,
/// `\r`, `\t`, `\NNN` octal), or a bare token. Borrowed unless it has an
/// escape to undo.
fn unquote(v: &str) -> Option<Cow<'_, str>> {
    let Some(inner) = v.strip_prefix('"') else {
        return Some(Cow::Borrowed(v));
    };
    let inner = inner.strip_suffix('"')?;
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    let bytes = inner.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'\\' || i + 1 >= bytes.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let c = bytes[i + 1];
        match c {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'0'..=b'3'
                if bytes
                    .get(i + 1..i + 4)
                    .is_some_and(|o| o.iter().all(|d| (b'0'..=b'7').contains(d))) =>
            {
                let o = &bytes[i + 1..i + 4];
                let v = (o[0] - b'0') as u32 * 64 + (o[1] - b'0') as u32 * 8 + (o[2] - b'0') as u32;
                out.push(v as u8);
                i += 4;
                continue;
            }
            other => out.push(other),
        }
        i += 2;
    }
    Some(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

/// The parts, each ended by a zero byte, hashed.
fn hash(parts: &[&[u8]]) -> u64 {
    let len: usize = parts.iter().map(|p| p.len() + 1).sum();
    let mut stack = [0u8; 256];
    let mut heap = Vec::new();
    let buf: &mut [u8] = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap
    };
    let mut at = 0;
    for p in parts {
        buf[at..at + p.len()].copy_from_slice(p);
        at += p.len() + 1;
    }
    xxhash_rust::xxh3::xxh3_64(buf)
}

/// The time of a record; see the module documentation.
fn record_time(head: &str, a: &Attrs<'_>, clock: &mut LocalClock) -> Result<i64, String> {
    if let Some(ts) = a.int("Timestamp")? {
        let delay = a.int("Acct-Delay-Time")?.unwrap_or(0);
        let t = clock::epoch(ts)
            .and_then(|ts| clock::epoch(ts - delay.clamp(0, ts)))
            .ok_or_else(|| format!("Timestamp {ts} is out of range"))?;
        clock.note(t);
        return Ok(t);
    }
    if let Some(ev) = a.get("Event-Timestamp") {
        if let Ok(epoch) = ev.trim().parse::<i64>() {
            let t = clock::epoch(epoch)
                .ok_or_else(|| format!("Event-Timestamp {epoch} is out of range"))?;
            clock.note(t);
            return Ok(t);
        }
        let (dt, zone) = clock::parse_event_timestamp(ev)
            .ok_or_else(|| format!("Event-Timestamp {ev:?} is not a time"))?;
        if zone.is_some_and(|z| matches!(z, "UTC" | "GMT" | "Z")) {
            let t = clock::utc(dt).ok_or("Event-Timestamp out of range")?;
            clock.note(t);
            return Ok(t);
        }
        return clock
            .resolve(dt)
            .ok_or_else(|| "Event-Timestamp out of range".into());
    }
    let dt = clock::parse_ctime(head).ok_or_else(|| {
        format!("header {head:?} is not a time (expected e.g. \"Tue Feb 23 10:15:02 2021\")")
    })?;
    clock
        .resolve(dt)
        .ok_or_else(|| "header time out of range".into())
}

#[allow(clippy::too_many_arguments)]
fn record(
    src: &Source,
    opts: &ReadOptions,
    line: u64,
    head: &str,
    a: &Attrs<'_>,
    clock: &mut LocalClock,
    jumps: &mut JumpWatch,
    out: &mut ReadOutput,
    sink: &mut Sink,
) {
    let Some(status) = a.get("Acct-Status-Type") else {
        out.reject(src, line, "no Acct-Status-Type");
        return;
    };
    let action = match status.trim() {
        "Start" | "1" => Action::Start,
        "Stop" | "2" => Action::Stop,
        "Interim-Update" | "Alive" | "3" => Action::Interim,
        "Accounting-On" | "7" | "Accounting-Off" | "8" => Action::Reset,
        other => {
            out.note(
                src,
                line,
                Note::NoAddress,
                format!("Acct-Status-Type {other} holds no address"),
            );
            return;
        }
    };
    let time = match record_time(head, a, clock) {
        Ok(t) => t,
        Err(reason) => {
            out.reject(src, line, reason);
            return;
        }
    };
    if jumps.check(time) {
        out.note(
            src,
            line,
            Note::ClockJump,
            "time goes back more than a minute",
        );
    }
    let nas = a
        .get("NAS-IP-Address")
        .or_else(|| a.get("NAS-IPv6-Address"))
        .or_else(|| a.get("NAS-Identifier"))
        .unwrap_or("");
    let group = hash(&[b"nas", nas.as_bytes()]);
    let at = RecordRef {
        file: Arc::clone(&src.name),
        line,
    };
    if action == Action::Reset {
        sink.push(
            out,
            LogRecord {
                time,
                source: SourceKind::Radius,
                action,
                session: group,
                group,
                net: Net::host(IpAddr::from([0, 0, 0, 0])),
                ports: Ports::ALL,
                holder: Holder::Key("".into()),
                start: None,
                end: None,
                interim: None,
                at,
            },
        );
        return;
    }
    let key_attr = opts.key_attribute();
    let Some(key) = a.get(key_attr).filter(|k| !k.is_empty()) else {
        out.reject(src, line, format!("no {key_attr} to name the subscriber"));
        return;
    };
    let mac = (!key_attr.eq_ignore_ascii_case("User-Name"))
        .then(|| normalize_mac(key))
        .flatten();
    let holder = match mac {
        Some(mac) => Holder::Key(format!("mac:{mac}").into()),
        None => Holder::user(key),
    };
    let session_id = a
        .get("Acct-Session-Id")
        .or_else(|| a.get("Acct-Unique-Session-Id"))
        .unwrap_or("");
    let port = a.get("NAS-Port").unwrap_or("");
    let session_time = match a.int("Acct-Session-Time") {
        Ok(v) => v.filter(|s| *s >= 0),
        Err(reason) => {
            out.reject(src, line, reason);
            return;
        }
    };
    let interim = match a.int("Acct-Interim-Interval") {
        Ok(v) => v.and_then(|s| u32::try_from(s).ok()).filter(|s| *s > 0),
        Err(reason) => {
            out.reject(src, line, reason);
            return;
        }
    };
    let start = match action {
        Action::Interim | Action::Stop => session_time.map(|s| time - s),
        _ => None,
    };
    let mut any = false;
    for (attr, tag) in ADDRESS_ATTRIBUTES {
        let Some(v) = a.get(attr) else {
            continue;
        };
        let Some(net) = Net::parse(v) else {
            out.reject(
                src,
                line,
                format!("{attr} {v:?} is not an address or prefix"),
            );
            return;
        };
        if attr == "Framed-IP-Address"
            && matches!(v.trim(), "0.0.0.0" | "255.255.255.255" | "255.255.255.254")
        {
            continue;
        }
        any = true;
        let session = hash(&[
            nas.as_bytes(),
            session_id.as_bytes(),
            if session_id.is_empty() {
                key.as_bytes()
            } else {
                b""
            },
            if session_id.is_empty() {
                port.as_bytes()
            } else {
                b""
            },
            &[tag],
        ]);
        sink.push(
            out,
            LogRecord {
                time,
                source: SourceKind::Radius,
                action,
                session,
                group,
                net,
                ports: Ports::ALL,
                holder: holder.clone(),
                start,
                end: None,
                interim,
                at: at.clone(),
            },
        );
    }
    if !any {
        out.note(
            src,
            line,
            Note::NoAddress,
            "no Framed-IP-Address, Framed-IPv6-Prefix or Delegated-IPv6-Prefix",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_unescape() {
        assert_eq!(unquote(r#""a\"b\\c\101""#).as_deref(), Some("a\"b\\cA"));
        assert_eq!(unquote("Start").as_deref(), Some("Start"));
        assert_eq!(unquote("\"open"), None);
    }
}
