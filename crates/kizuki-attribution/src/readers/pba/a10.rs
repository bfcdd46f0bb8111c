//! A10 Thunder CGN port-batch events in CEF:
//! `CEF:0|A10|CFW|6.0.0-P1|CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP
//! src=<inside> sourceTranslatedAddress=<public> sourceTranslatedPort=<lo>
//! cn3=<hi> cn3Label=Last Nat Port` (`CGN 107`: freed). The `CEF:` prefix
//! may be missing. The time is the `rt=` extension when there is one.

use super::event::{Event, Parsed, Stamp, ip, port};
use crate::clock;
use crate::record::Action;

/// What the reader scans for first.
pub(super) const NEEDLE: &[u8] = b"|A10|";

/// Reads a line that contains [`NEEDLE`].
pub(super) fn parse(line: &str) -> Parsed {
    let Some(i) = line.find("|A10|") else {
        return Ok(None);
    };
    // After the vendor: product, version, signature, name, severity,
    // extension.
    let mut fields = [""; 6];
    let mut n = 0;
    let mut rest = &line[i + 5..];
    while n < 5 {
        let Some(bar) = unescaped(rest, b'|') else {
            break;
        };
        fields[n] = &rest[..bar];
        rest = &rest[bar + 1..];
        n += 1;
    }
    fields[n] = rest;
    let (signature, name) = (fields[2].trim(), fields[3]);
    let action = match signature {
        "CGN 106" => Action::Start,
        "CGN 107" => Action::Stop,
        _ if name.contains("Port Batch") || (n < 3 && line.contains("Port Batch")) => {
            return Err(format!(
                "unknown port-batch event {signature:?} {name:?} (CGN 106 allocates, CGN 107 frees)"
            ));
        }
        // Sessions, single ports, and everything else the box logs.
        _ => return Ok(None),
    };
    if n < 5 {
        return Err("CEF header cut off before its extension".into());
    }
    let (mut src, mut public, mut lo, mut hi, mut label, mut rt) =
        (None, None, None, None, None, None);
    ext_pairs(fields[5], |k, v| match k {
        "src" => src = Some(v),
        "sourceTranslatedAddress" => public = Some(v),
        "sourceTranslatedPort" => lo = Some(v),
        "cn3" => hi = Some(v),
        "cn3Label" => label = Some(v),
        "rt" => rt = Some(v),
        _ => {}
    });
    let inside = ip(need(src, "src")?, "src")?;
    let public = ip(
        need(public, "sourceTranslatedAddress")?,
        "sourceTranslatedAddress",
    )?;
    let lo = port(need(lo, "sourceTranslatedPort")?, "sourceTranslatedPort")?;
    let hi = port(need(hi, "cn3")?, "cn3")?;
    if let Some(l) = label
        && !l.to_ascii_lowercase().contains("last")
    {
        return Err(format!("cn3Label is {l:?}, not the last port of the batch"));
    }
    let time = rt.map(rt_time).transpose()?;
    Ok(Some(Event {
        action,
        inside,
        public,
        lo,
        hi,
        time,
    }))
}

/// A field the event needs.
fn need<'a>(v: Option<&'a str>, key: &str) -> Result<&'a str, String> {
    v.ok_or_else(|| {
        let what = if key == "cn3" { " (the last port)" } else { "" };
        format!("no {key}={what} in the CEF extension")
    })
}

/// The first `sep` not escaped by a backslash.
fn unescaped(s: &str, sep: u8) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(j) = memchr::memchr2(sep, b'\\', b.get(i..)?) {
        if b[i + j] == sep {
            return Some(i + j);
        }
        i += j + 2;
    }
    None
}

fn is_key(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Calls `f` with each `key=value` of a CEF extension. A key is
/// `[A-Za-z0-9_]+` after a space (or at the start) and before an unescaped
/// `=`; a value runs to the space before the next key, so it may hold
/// spaces (`cn3Label=Last Nat Port`) and `\=`. Escapes are left as they
/// are: the values read here never need them.
fn ext_pairs<'a>(s: &'a str, mut f: impl FnMut(&'a str, &'a str)) {
    let b = s.as_bytes();
    // (key start, key end) of the pair being read.
    let mut cur: Option<(usize, usize)> = None;
    let mut i = 0;
    while let Some(j) = b
        .get(i..)
        .and_then(|rest| memchr::memchr2(b'=', b'\\', rest))
    {
        i += j;
        match b[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b'=' => {
                let mut k = i;
                while k > 0 && is_key(b[k - 1]) {
                    k -= 1;
                }
                let boundary = k == 0 || b[k - 1] == b' ';
                let after_value = cur.is_none_or(|(_, ke)| k > ke + 1);
                if k < i && boundary && after_value {
                    if let Some((ks, ke)) = cur {
                        f(&s[ks..ke], s[ke + 1..k].trim());
                    }
                    cur = Some((k, i));
                }
            }
            _ => {}
        }
        i += 1;
    }
    if let Some((ks, ke)) = cur {
        f(&s[ks..ke], s[ke + 1..].trim());
    }
}

/// `rt=`: epoch milliseconds, or `MMM dd yyyy HH:mm:ss[.SSS] [zone]` (in
/// the log's zone unless the zone is UTC).
fn rt_time(v: &str) -> Result<Stamp, String> {
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = v.parse().map_err(|_| format!("rt {v:?} is out of range"))?;
        return Ok(Stamp::Utc(ms.div_euclid(1000)));
    }
    let (dt, zone) =
        clock::parse_event_timestamp(v).ok_or_else(|| format!("rt {v:?} is not a time"))?;
    if zone.is_some_and(|z| matches!(z, "UTC" | "GMT" | "Z")) {
        return clock::utc(dt)
            .map(Stamp::Utc)
            .ok_or_else(|| format!("rt {v:?} is out of range"));
    }
    Ok(Stamp::Local(dt))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "0|A10|CFW|6.0.0-P1|CGN 106|Nat Port Batch Pool Allocated|5|proto=UDP src=100.65.140.73 sourceTranslatedAddress=99.99.99.12 sourceTranslatedPort=22016 cn3=22271 cn3Label=Last Nat Port";

    #[test]
    fn the_formats_md_line() {
        let e = parse(LINE).unwrap().unwrap();
        assert_eq!(e.action, Action::Start);
        assert_eq!(
            (e.inside.to_string(), e.public.to_string()),
            ("100.65.140.73".into(), "99.99.99.12".into())
        );
        assert_eq!((e.lo, e.hi, e.time), (22016, 22271, None));
    }

    #[test]
    fn extension_values_may_hold_spaces_and_escapes() {
        let mut got = Vec::new();
        ext_pairs(r"a=1 msg=x\=y z b c=Last Nat Port  d==e", |k, v| {
            got.push((k, v))
        });
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("msg", r"x\=y z b"),
                ("c", "Last Nat Port"),
                ("d", "=e")
            ]
        );
    }

    #[test]
    fn rt_in_both_forms() {
        assert_eq!(rt_time("1614042902123"), Ok(Stamp::Utc(1614042902)));
        assert_eq!(
            rt_time("Feb 23 2021 01:15:02 UTC"),
            Ok(Stamp::Utc(1614042902))
        );
        assert_eq!(
            rt_time("Feb 23 2021 10:15:02.500 JST"),
            Ok(Stamp::Local("2021-02-23T10:15:02".parse().unwrap()))
        );
        assert!(rt_time("yesterday").is_err());
    }

    #[test]
    fn other_events_are_not_port_batches() {
        let session = "CEF:0|A10|ADC|6.0.7|CGN 102|Nat Session Created|5|src=10.44.55.100";
        assert_eq!(parse(session), Ok(None));
        let odd = "CEF:0|A10|CFW|6.0.0|CGN 108|Nat Port Batch Pool Odd|5|src=1.1.1.1";
        assert!(parse(odd).unwrap_err().contains("unknown"));
        let cut = "CEF:0|A10|CFW|6.0.0|CGN 106|Nat Port Batch Pool Allocated";
        assert!(parse(cut).unwrap_err().contains("cut off"));
    }
}
