//! Juniper port-block logs.
//!
//! * MS-DPC / MS-MPC (and Next Gen Services): `[FWNAT]:ASP_NAT_PORT_BLOCK_ALLOC:
//!   <inside> -> <public>:<lo>-<hi>`, also `_RELEASE` and `_ACTIVE` (the
//!   interim re-log), and the same with `JSERVICES_` for `ASP_`. After `(FPC
//!   Slot f, PIC Slot p)` the PIC may write its own `YYYY-MM-DD HH:MM:SS`,
//!   in UTC and with the year: it is taken over the syslog header.
//! * SRX / MX-SPC3 structured data: `RT_SRC_NAT_PBA_ALLOC [internal-ip="…"
//!   block-port-low="…" block-port-high="…" reflexive-ip="…"
//!   epoch-time-64="hex" …]`, also `_INTERIM` and `_RELEASE`; the SD-ID may
//!   be `junos@2636.…`. `epoch-time-64` (hex epoch seconds) is taken over the
//!   syslog header.

use super::event::{Event, Parsed, Stamp, ip, port, public_block};
use crate::clock;
use crate::record::Action;
use std::net::IpAddr;

const MS: &str = "NAT_PORT_BLOCK_";
const SRX: &str = "RT_SRC_NAT_PBA_";

/// What the reader scans for first: common to both families.
pub(super) const NEEDLE: &[u8] = b"NAT_P";

/// Searchers built once: building one per line cost more than the search.
static MS_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MS.as_bytes()));
static SRX_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(SRX.as_bytes()));

/// Reads a line that contains [`NEEDLE`].
#[cfg(test)]
pub(super) fn parse(line: &str) -> Parsed {
    parse_at(line, None)
}

/// As [`parse`], `at` being where the line's first [`NEEDLE`] is, when the
/// caller knows: an MS-DPC marker there needs no search.
pub(super) fn parse_at(line: &str, at: Option<usize>) -> Parsed {
    let known = at.filter(|&i| {
        line.as_bytes()
            .get(i..)
            .is_some_and(|r| r.starts_with(MS.as_bytes()))
    });
    if let Some(i) = known.or_else(|| MS_FINDER.find(line.as_bytes())) {
        let before = &line[..i];
        for family in ["ASP_", "JSERVICES_"] {
            if before.ends_with(family) {
                return ms(line, i, family).map(Some);
            }
        }
    }
    if let Some(i) = SRX_FINDER.find(line.as_bytes()) {
        return srx(line, i).map(Some);
    }
    Ok(None)
}

/// The event name after a marker: up to the first character that cannot
/// be in one.
fn event_name(rest: &str) -> &str {
    let end = rest
        .bytes()
        .position(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_'))
        .unwrap_or(rest.len());
    &rest[..end]
}

fn ms(line: &str, i: usize, family: &str) -> Result<Event, String> {
    let rest = &line[i + MS.len()..];
    let name = event_name(rest);
    let action = match name {
        "ALLOC" => Action::Start,
        "ACTIVE" => Action::Interim,
        "RELEASE" => Action::Stop,
        other => return Err(format!("unknown port-block event {family}{MS}{other}")),
    };
    let payload = rest[name.len()..].trim_start_matches(':');
    let (inside, public, lo, hi) = match ms_usual(payload) {
        Some(found) => found,
        None => ms_words(payload).map_err(|e| {
            e.unwrap_or_else(|| {
                format!("{family}{MS}{name} is not followed by `<inside> -> <public>:<lo>-<hi>`")
            })
        })?,
    };
    let time = pic_time(&line[..i]);
    Ok(Event {
        action,
        inside,
        public,
        lo,
        hi,
        time,
    })
}

/// The payload, ` <inside> -> <public>:<lo>-<hi>`, read word by word;
/// `Err(None)` when its shape is wrong.
fn ms_words(payload: &str) -> Result<(IpAddr, IpAddr, u16, u16), Option<String>> {
    let mut words = payload.split_ascii_whitespace();
    let (Some(inside), Some("->"), Some(block)) = (words.next(), words.next(), words.next()) else {
        return Err(None);
    };
    let inside = ip(inside, "inside address")?;
    let (public, lo, hi) = public_block(block)?;
    Ok((inside, public, lo, hi))
}

/// The usual payload, ` <inside> -> <public>:<lo>-<hi>` with single
/// spaces, read without splitting it into words: what the general reading
/// gives, or `None` for anything else (which then takes the general
/// reading, and its error messages).
fn ms_usual(payload: &str) -> Option<(IpAddr, IpAddr, u16, u16)> {
    let b = payload.as_bytes();
    if b.first() != Some(&b' ') {
        return None;
    }
    let gap = memchr::memchr(b' ', &b[1..])? + 1;
    if b.get(gap..gap + 4) != Some(b" -> ") {
        return None;
    }
    let block = &payload[gap + 4..];
    let end = memchr::memchr(b' ', block.as_bytes()).unwrap_or(block.len());
    // A tab or any other space inside a word fails to parse, and takes
    // the general reading.
    let inside = ip(&payload[1..gap], "").ok()?;
    let (public, lo, hi) = public_block(&block[..end]).ok()?;
    Some((inside, public, lo, hi))
}

/// The UTC time an MS-DPC writes after `(FPC Slot f, PIC Slot p)`.
static PIC_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"PIC Slot"));

fn pic_time(head: &str) -> Option<Stamp> {
    pic_time_usual(head.as_bytes()).or_else(|| pic_time_general(head))
}

/// [`pic_time`] for any shape.
fn pic_time_general(head: &str) -> Option<Stamp> {
    let slot = PIC_FINDER.find(head.as_bytes())?;
    let close = memchr::memchr(b')', &head.as_bytes()[slot..])? + slot;
    let mut words = head[close + 1..].split_ascii_whitespace();
    let dt = clock::parse_plain(words.next()?, words.next()?)?;
    clock::utc(dt).map(Stamp::Utc)
}

/// The usual shape, `…PIC Slot N) YYYY-MM-DD HH:MM:SS [`, read in place:
/// what [`pic_time`]'s general reading gives, or `None` for anything else.
fn pic_time_usual(head: &[u8]) -> Option<Stamp> {
    // The last `)` closes `(…, PIC Slot N)` when the slot number is all
    // that is between them.
    let close = memchr::memrchr(b')', head)?;
    let before = &head[..close];
    let digits = before
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 || !before[..before.len() - digits].ends_with(b"PIC Slot ") {
        return None;
    }
    // No earlier `PIC Slot` (the general reading takes the first).
    if PIC_FINDER
        .find(&before[..before.len() - digits - 9])
        .is_some()
    {
        return None;
    }
    let rest = &head[close + 1..];
    // " YYYY-MM-DD HH:MM:SS" then a space or the end.
    let (date, time) = (rest.get(1..11)?, rest.get(12..20)?);
    // (The date and time are checked digit by digit below: a space in
    // them fails.)
    if rest[0] != b' ' || rest[11] != b' ' || rest.get(20).is_some_and(|c| *c != b' ') {
        return None;
    }
    // The lines of a file mostly share their date: its midnight is
    // remembered, per thread, rather than worked out again.
    thread_local! {
        static LAST_DAY: std::cell::Cell<Option<([u8; 10], i64)>> =
            const { std::cell::Cell::new(None) };
    }
    let midnight = match LAST_DAY.get() {
        Some((known, m)) if known == date => m,
        _ => {
            let m = clock::day_fixed(date)?;
            LAST_DAY.set(Some((date.try_into().ok()?, m)));
            m
        }
    };
    Some(Stamp::Utc(midnight + clock::second_of_day_fixed(time)?))
}

fn srx(line: &str, i: usize) -> Result<Event, String> {
    let rest = &line[i + SRX.len()..];
    let name = event_name(rest);
    let action = match name {
        "ALLOC" => Action::Start,
        "INTERIM" => Action::Interim,
        "RELEASE" => Action::Stop,
        other => return Err(format!("unknown port-block event {SRX}{other}")),
    };
    let (mut inside, mut public, mut low, mut high, mut epoch) = (None, None, None, None, None);
    if let Some(open) = rest.find('[') {
        sd_pairs(&rest[open + 1..], |k, v| match k {
            "internal-ip" => inside = Some(v),
            "reflexive-ip" => public = Some(v),
            "block-port-low" => low = Some(v),
            "block-port-high" => high = Some(v),
            "epoch-time-64" => epoch = Some(v),
            _ => {}
        });
    }
    let inside = ip(need(inside, name, "internal-ip")?, "internal-ip")?;
    let public = ip(need(public, name, "reflexive-ip")?, "reflexive-ip")?;
    let lo = port(need(low, name, "block-port-low")?, "block-port-low")?;
    let hi = port(need(high, name, "block-port-high")?, "block-port-high")?;
    let time = match epoch {
        None => None,
        Some(hex) => {
            let digits = hex.trim_start_matches("0x");
            let t = i64::from_str_radix(digits, 16)
                .map_err(|_| format!("epoch-time-64 {hex:?} is not hex epoch seconds"))?;
            Some(Stamp::Utc(t))
        }
    };
    Ok(Event {
        action,
        inside,
        public,
        lo,
        hi,
        time,
    })
}

/// A structured-data field the event needs.
fn need<'a>(v: Option<&'a str>, name: &str, key: &str) -> Result<&'a str, String> {
    v.ok_or_else(|| format!("{SRX}{name} has no {key}=\"…\" (only structured-data logs are read)"))
}

/// Calls `f` with each `key="value"` of RFC 5424 structured data, from
/// just after the `[` to the closing `]` (or the end of the line). Words
/// without `=` (the SD-ID, `junos@2636.…`) are passed over; `\"`, `\\`
/// and `\]` inside a value are left as they are.
fn sd_pairs<'a>(s: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b']' => return,
            b' ' => i += 1,
            _ => {
                let start = i;
                while i < b.len() && !matches!(b[i], b'=' | b' ' | b']') {
                    i += 1;
                }
                if i >= b.len() || b[i] != b'=' {
                    continue;
                }
                let key = &s[start..i];
                i += 1;
                if b.get(i) != Some(&b'"') {
                    continue;
                }
                i += 1;
                let vstart = i;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let vend = i.min(b.len());
                f(key, &s[vstart..vend]);
                i = vend + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_formats_md_line() {
        let l = "Oct 30 21:46:04 graphite (FPC Slot 2, PIC Slot 0) 2011-10-31 04:46:04 [FWNAT]:ASP_NAT_PORT_BLOCK_ALLOC: 3002:0:0:0:0:0:0:1 -> 33.33.0.3:1050-1099";
        let e = parse(l).unwrap().unwrap();
        assert_eq!(e.action, Action::Start);
        assert_eq!(e.inside.to_string(), "3002::1");
        assert_eq!(
            (e.public.to_string(), e.lo, e.hi),
            ("33.33.0.3".into(), 1050, 1099)
        );
        assert_eq!(e.time, Some(Stamp::Utc(1320036364)));
    }

    #[test]
    fn structured_data_in_any_order() {
        let l = r#"<14>1 2022-04-04T14:43:30Z srx RT_NAT - RT_SRC_NAT_PBA_RELEASE [junos@2636.1.1.1.2.135 reflexive-ip="1.2.84.172" block-port-high="48895" nat-pool-name="a \"b\" ]" internal-ip="10.0.10.10" block-port-low="48640" epoch-time-64="624b0cc7"]"#;
        let e = parse(l).unwrap().unwrap();
        assert_eq!(e.action, Action::Stop);
        assert_eq!(
            (e.inside.to_string(), e.public.to_string()),
            ("10.0.10.10".into(), "1.2.84.172".into())
        );
        assert_eq!(
            (e.lo, e.hi, e.time),
            (48640, 48895, Some(Stamp::Utc(0x624b0cc7)))
        );
    }

    /// The in-place readings of the usual shapes give what the general
    /// readings give, and decline the rest.
    #[test]
    fn usual_shapes_read_as_the_general_reading_does() {
        let heads = [
            "Feb 22 00:00:00 cgn-a (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00:00 [FWNAT]:ASP_",
            "Feb 22 00:00:00 cgn-a (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00:00",
            "x (FPC Slot 1, PIC Slot 12) 2021-02-29 00:00:00 [",
            "x (FPC Slot 1, PIC Slot 0)  2021-02-22 00:00:00 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22\t00:00:00 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00:00\t[",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22 0:00:00 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-2-22 00:00:00 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00:60 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22 24:00:00 [",
            "x (PIC Slot 3) (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00:00 [",
            "x (FPC Slot 1, PIC Slot ) 2021-02-22 00:00:00 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00 [",
            "x (FPC Slot 1, PIC Slot 0)",
            "x PIC Slot 0) 2021-02-22 00:00:00 [a) b",
            "Feb 22 00:00:00 cgn-a [FWNAT]:ASP_",
            "x (FPC Slot 1, PIC Slot 0) \0\0\0\0\0\0\0\0\0\0 00:00:00 [",
            "x (FPC Slot 1, PIC Slot 0) 2021-02-22 00:00:01 [",
        ];
        for h in heads {
            let h = h.replace("\\t", "\t");
            let usual = pic_time_usual(h.as_bytes());
            if usual.is_some() {
                assert_eq!(usual, pic_time_general(&h), "{h:?}");
            }
            assert_eq!(pic_time(&h), pic_time_general(&h), "{h:?}");
        }
        assert!(pic_time_usual(heads[0].as_bytes()).is_some());
        let payloads = [
            " 100.64.0.0 -> 13.0.0.0:1024-2023",
            " 100.64.0.0 -> 13.0.0.0:1024-2023 more words",
            " 100.64.0.0 -> 13.0.0.0:1024-2023\tmore",
            " 100.64.0.0\t-> 13.0.0.0:1024-2023",
            "  100.64.0.0 -> 13.0.0.0:1024-2023",
            " 100.64.0.0  -> 13.0.0.0:1024-2023",
            " 100.64.0.0 ->  13.0.0.0:1024-2023",
            " 3002::1 -> 33.33.0.3:1050-1099",
            " 100.64.0.0 -> 2001:db8::1:1024-2023",
            " 100.64.0.0 -> 13.0.0.0:1024-70000",
            " 100.64.0.0 -> 13.0.0.0:1024",
            " 100.64.0.0 => 13.0.0.0:1024-2023",
            " 100.64.0.0 ->",
            "",
        ];
        for p in payloads {
            let p = p.replace("\\t", "\t");
            let usual = ms_usual(&p);
            if usual.is_some() {
                assert_eq!(usual, ms_words(&p).ok(), "{p:?}");
            }
        }
        assert!(ms_usual(payloads[0]).is_some());
        assert!(ms_usual(payloads[1]).is_some());
    }

    #[test]
    fn other_messages_and_bad_events() {
        assert_eq!(parse("RT_NAT_POOL_EXHAUSTED: pool p"), Ok(None));
        assert_eq!(
            parse("FOO_NAT_PORT_BLOCK_ALLOC: 1.1.1.1 -> 2.2.2.2:1-2"),
            Ok(None)
        );
        assert!(
            parse("JSERVICES_NAT_PORT_BLOCK_FREE: 1.1.1.1 -> 2.2.2.2:1-2")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(
            parse("JSERVICES_NAT_PORT_BLOCK_ALLOC: 1.1.1.1 ->")
                .unwrap_err()
                .contains("followed")
        );
        assert!(
            parse("RT_SRC_NAT_PBA_ALLOC: Subscriber 10.0.0.1 used [1/8] blocks")
                .unwrap_err()
                .contains("structured")
        );
    }
}
