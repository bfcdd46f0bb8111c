//! Cleaning values the way IntelMQ's Python does before it checks them:
//! Python's notions of white space, integers and floats, IP addresses in
//! every form `ipaddress` accepts, host names (IDNA) and case.

use super::{Input, Invalid, invalid};
use compact_str::{CompactString, ToCompactString};
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Python's `str.isspace()`: Unicode white space plus the four ASCII
/// information separators.
pub(super) fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()`.
#[inline]
pub(crate) fn py_strip(s: &str) -> &str {
    let b = s.as_bytes();
    // Most values have nothing to strip: look at the two ends first.
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if *f > b' ' && *f < 0x80 && *l > b' ' && *l < 0x80 => s,
        _ => s.trim_matches(is_py_space),
    }
}

pub(super) fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (b' '..=b'~').contains(&b))
}

/// Python's `str(value)` for the non-text inputs.
pub(super) fn py_str(input: Input<'_>) -> Option<CompactString> {
    match input {
        Input::Str(s) => Some(s.into()),
        // GenericType.sanitize returns None for falsy values.
        Input::Int(0) | Input::Bool(false) => None,
        Input::Float(0.0) => None,
        Input::Int(i) => Some(i.to_compact_string()),
        Input::Float(f) => Some(crate::json::py_float_repr(f).into()),
        Input::Bool(true) => Some("True".into()),
    }
}

/// Python's `int(text)`: surrounding white space, a sign, digits with single
/// underscores between them.
pub fn py_int(s: &str) -> Option<i64> {
    let t = py_strip(s);
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let b = digits.as_bytes();
    if b.is_empty() || b[0] == b'_' || b[b.len() - 1] == b'_' {
        return None;
    }
    let mut v: i64 = 0;
    let mut prev_us = false;
    for &c in b {
        if c == b'_' {
            if prev_us {
                return None;
            }
            prev_us = true;
            continue;
        }
        prev_us = false;
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(i64::from(c - b'0'))?;
    }
    Some(if neg { -v } else { v })
}

/// Python's `float(text)`, restricted to finite results.
pub fn py_float(s: &str) -> Option<f64> {
    let t = py_strip(s);
    let cleaned;
    let t = if t.contains('_') {
        // Underscores are allowed only between digits.
        let b = t.as_bytes();
        for (i, &c) in b.iter().enumerate() {
            if c == b'_'
                && !(i > 0
                    && b[i - 1].is_ascii_digit()
                    && b.get(i + 1).is_some_and(u8::is_ascii_digit))
            {
                return None;
            }
        }
        cleaned = t.replace('_', "");
        cleaned.as_str()
    } else {
        t
    };
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Parses an IP address the way IntelMQ's `IPAddress.sanitize` does: text is
/// stripped, an integer in text form is a packed address, a `%scope` is
/// dropped, and a `/32` or `/128` suffix is allowed.
pub(super) fn sanitize_ip(input: Input<'_>) -> Option<IpAddr> {
    let ip = match input {
        Input::Int(i) => int_to_ip(i128::from(i))?,
        Input::Str(s) => {
            let t = py_strip(s);
            // The common case: a dotted quad.
            if let Some(v4) = parse_dotted_quad(t.as_bytes()) {
                return Some(IpAddr::V4(v4));
            }
            if let Some(i) = py_int(t).filter(|i| i.to_string() == t) {
                int_to_ip(i128::from(i))?
            } else if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
                // Larger than i64: a packed IPv6 address.
                int_to_ip(t.parse::<u128>().ok()? as i128)?
            } else {
                let t = t.split('%').next().unwrap_or(t);
                match t.split_once('/') {
                    None => t.parse().ok()?,
                    Some((a, p)) => {
                        let a: IpAddr = a.parse().ok()?;
                        let full = if a.is_ipv4() { "32" } else { "128" };
                        // Python's ip_network(strict) allows only a host prefix here.
                        if p != full {
                            return None;
                        }
                        a
                    }
                }
            }
        }
        _ => return None,
    };
    Some(ip)
}

/// A strict dotted quad (`192.0.2.1`; no leading zeros, as Python and Rust
/// require), without the general parser's overhead. `None` sends the text
/// the general way.
pub fn parse_dotted_quad(b: &[u8]) -> Option<Ipv4Addr> {
    if b.len() < 7 || b.len() > 15 {
        return None;
    }
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (n, o) in octets.iter_mut().enumerate() {
        let start = i;
        let mut v: u32 = 0;
        // Four digits are already too many; stop there (no overflow).
        while i < b.len() && b[i].is_ascii_digit() && i - start < 4 {
            v = v * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        let len = i - start;
        if len == 0 || len > 3 || v > 255 || (len > 1 && b[start] == b'0') {
            return None;
        }
        *o = v as u8;
        if n < 3 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == b.len()).then(|| Ipv4Addr::from(octets))
}

pub(super) fn int_to_ip(i: i128) -> Option<IpAddr> {
    if i < 0 {
        None
    } else if i <= i128::from(u32::MAX) {
        Some(IpAddr::V4(Ipv4Addr::from(i as u32)))
    } else {
        Some(IpAddr::V6(Ipv6Addr::from(i as u128)))
    }
}

/// Whether `value` is a valid `IPAddress` without sanitation.
pub(super) fn is_valid_ip_text(value: &str) -> bool {
    !value.contains('%')
        && value
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip != IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// Python's `urlsplit(...).netloc != ""`, the only thing IntelMQ checks of a
/// URL.
pub fn url_has_netloc(url: &str) -> bool {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let stripped: String;
    let url = if url.contains(['\t', '\r', '\n']) {
        stripped = url
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        stripped.as_str()
    } else {
        url
    };
    let mut rest = url;
    if let Some(i) = url.find(':') {
        let scheme = &url[..i];
        if i > 0
            && scheme.as_bytes()[0].is_ascii_alphabetic()
            && scheme
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            rest = &url[i + 1..];
        }
    }
    match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            end > 0
        }
        None => false,
    }
}

/// Python's IDNA codec on an already stripped and dot-trimmed name.
pub(super) fn idna_encode(name: &str) -> Option<String> {
    if name.is_ascii() {
        return ascii_labels_ok(name).then(|| name.to_owned());
    }
    let encoded = idna::domain_to_ascii(name).ok()?;
    for label in encoded.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
    }
    Some(encoded)
}

/// ASCII labels are only length-checked: none empty, none over 63 bytes.
fn ascii_labels_ok(name: &str) -> bool {
    name.split('.')
        .all(|label| !label.is_empty() && label.len() <= 63)
}

pub(super) fn sanitize_fqdn(input: Input<'_>) -> Result<Cow<'_, str>, Invalid> {
    const BAD: Invalid = invalid("not a domain name");
    let name: Cow<'_, str> = match input {
        Input::Str(s) => Cow::Borrowed(py_strip(s).trim_matches('.')),
        other => Cow::Owned(py_str(other).ok_or(BAD)?.trim_matches('.').to_owned()),
    };
    if name.is_empty() {
        return Err(BAD);
    }
    // The common case, an ASCII lower-case name, is checked in place.
    let value: Cow<'_, str> = if name
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        if !ascii_labels_ok(&name) {
            return Err(BAD);
        }
        name
    } else {
        Cow::Owned(idna_encode(&name).ok_or(BAD)?.to_lowercase())
    };
    // Without a colon, only a dotted quad of digits can be an address.
    if value.contains([':', '/', '?', '#'])
        || (value.bytes().all(|b| b.is_ascii_digit() || b == b'.') && is_valid_ip_text(&value))
    {
        return Err(BAD);
    }
    Ok(value)
}

/// Lower-cased text, borrowed when it already is.
pub(super) fn lower_text(input: Input<'_>) -> Result<Cow<'_, str>, Invalid> {
    match input {
        Input::Str(s) => {
            let t = py_strip(s);
            if t.is_empty() {
                return Err(invalid("empty value"));
            }
            if t.is_ascii() {
                if t.bytes().any(|b| b.is_ascii_uppercase()) {
                    Ok(Cow::Owned(t.to_ascii_lowercase()))
                } else {
                    Ok(Cow::Borrowed(t))
                }
            } else {
                Ok(Cow::Owned(t.to_lowercase()))
            }
        }
        _ => Err(invalid("not text")),
    }
}

/// Upper-cased text, borrowed when it already is.
pub(super) fn upper_text(t: &str) -> Cow<'_, str> {
    if t.is_ascii() {
        if t.bytes().any(|b| b.is_ascii_lowercase()) {
            Cow::Owned(t.to_ascii_uppercase())
        } else {
            Cow::Borrowed(t)
        }
    } else {
        Cow::Owned(t.to_uppercase())
    }
}
