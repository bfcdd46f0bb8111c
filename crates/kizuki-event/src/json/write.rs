//! Writing events as IntelMQ's file output does: one flat JSON object per
//! line, keys sorted, `", "` and `": "` separators, non-ASCII text as is.

use crate::event::Event;
use crate::extra::ExtraValue;
use crate::value::Value;

/// Keys under which an event's origin is written.
pub const ORIGIN_FILE_KEY: &str = "origin.file";
/// See [`ORIGIN_FILE_KEY`].
pub const ORIGIN_LINE_KEY: &str = "origin.line";

/// Options for [`write_event`].
#[derive(Clone, Debug)]
pub struct WriteOptions {
    origin: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions { origin: true }
    }
}

impl WriteOptions {
    /// Whether the event's origin is written as `extra.origin.file` and
    /// `extra.origin.line`. By default, it is; turn it off for output that
    /// must match IntelMQ's key for key.
    pub fn origin(mut self, yes: bool) -> Self {
        self.origin = yes;
        self
    }

    /// Whether origins are written.
    pub fn writes_origin(&self) -> bool {
        self.origin
    }
}

/// Appends one event as a JSON line (with the trailing newline).
pub fn write_event(ev: &Event, out: &mut Vec<u8>, opts: &WriteOptions) {
    out.push(b'{');
    let mut first = true;
    let mut extra_done = false;
    for (field, value) in ev.fields() {
        if !extra_done && field.after_extra() {
            write_extra(ev, out, opts, &mut first);
            extra_done = true;
        }
        sep(out, &mut first);
        out.extend_from_slice(field.json_key().as_bytes());
        write_value(value, out);
    }
    if !extra_done {
        write_extra(ev, out, opts, &mut first);
    }
    out.extend_from_slice(b"}\n");
}

fn sep(out: &mut Vec<u8>, first: &mut bool) {
    if !*first {
        out.extend_from_slice(b", ");
    }
    *first = false;
}

fn write_extra(ev: &Event, out: &mut Vec<u8>, opts: &WriteOptions, first: &mut bool) {
    let origin = ev.origin().filter(|_| opts.origin);
    // The two origin keys are merged into the sorted extra keys. Where a
    // feed has a column of the same name, the origin wins: where an event
    // came from is kizuki's record, not the feed's to set (the row stays
    // in `raw`).
    let mut pending: [(&str, Option<ExtraValue>); 2] = match origin {
        Some(o) => [
            (ORIGIN_FILE_KEY, Some(ExtraValue::Str((*o.file).into()))),
            (ORIGIN_LINE_KEY, Some(ExtraValue::Int(o.line as i64))),
        ],
        None => [(ORIGIN_FILE_KEY, None), (ORIGIN_LINE_KEY, None)],
    };
    let mut next = 0;
    let emit = |out: &mut Vec<u8>, key: &str, v: &ExtraValue, first: &mut bool| {
        sep(out, first);
        out.push(b'"');
        out.extend_from_slice(b"extra.");
        escape_into(out, key);
        out.extend_from_slice(b"\": ");
        write_extra_value(v, out);
    };
    for (key, v) in ev.extra().iter() {
        let mut shadowed = false;
        while next < 2 && pending[next].0 <= key {
            if let Some(pv) = pending[next].1.take() {
                emit(out, pending[next].0, &pv, first);
                shadowed |= pending[next].0 == key;
            }
            next += 1;
        }
        if !shadowed {
            emit(out, key, v, first);
        }
    }
    while next < 2 {
        if let Some(pv) = pending[next].1.take() {
            emit(out, pending[next].0, &pv, first);
        }
        next += 1;
    }
}

fn write_value(v: &Value, out: &mut Vec<u8>) {
    write_clean(&v.as_clean(), out);
}

/// Writes a checked value as JSON.
pub fn write_clean(v: &crate::Clean<'_>, out: &mut Vec<u8>) {
    use crate::Clean;
    match v {
        Clean::Str(s) => write_str(out, s),
        Clean::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Clean::Float(f) => out.extend_from_slice(py_float_repr(*f).as_bytes()),
        Clean::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Clean::Ip(ip) => {
            out.push(b'"');
            write_ip(*ip, out);
            out.push(b'"');
        }
        Clean::Net(n) => {
            out.push(b'"');
            use std::io::Write;
            let _ = write!(out, "{n}");
            out.push(b'"');
        }
        Clean::Time(t) => {
            out.push(b'"');
            t.write_iso(out);
            out.push(b'"');
        }
        Clean::Raw(r) => {
            out.push(b'"');
            r.write_base64(out);
            out.push(b'"');
        }
    }
}

/// Writes an `extra` value as JSON.
pub fn write_extra_value(v: &ExtraValue, out: &mut Vec<u8>) {
    match v {
        ExtraValue::Null => out.extend_from_slice(b"null"),
        ExtraValue::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        ExtraValue::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        ExtraValue::Float(f) => out.extend_from_slice(py_float_repr(*f).as_bytes()),
        ExtraValue::Str(s) => write_str(out, s),
        ExtraValue::Json(j) => write_json_value(j, out),
    }
}

/// Writes any JSON value as Python's `json.dumps(sort_keys=True)` would.
pub fn write_json_value(v: &serde_json::Value, out: &mut Vec<u8>) {
    match v {
        serde_json::Value::Null => out.extend_from_slice(b"null"),
        serde_json::Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                out.extend_from_slice(py_float_repr(f).as_bytes());
            } else {
                out.extend_from_slice(n.to_string().as_bytes());
            }
        }
        serde_json::Value::String(s) => write_str(out, s),
        serde_json::Value::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_json_value(x, out);
            }
            out.push(b']');
        }
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_str(out, k);
                out.extend_from_slice(b": ");
                write_json_value(&m[k], out);
            }
            out.push(b'}');
        }
    }
}

/// Writes a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escape_into(out, s);
    out.push(b'"');
}

/// Writes an IP address in its canonical text form.
fn write_ip(ip: std::net::IpAddr, out: &mut Vec<u8>) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            // Much faster than going through fmt for the common case.
            let o = v4.octets();
            let mut b = itoa::Buffer::new();
            for (i, x) in o.iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(b.format(*x).as_bytes());
            }
        }
        std::net::IpAddr::V6(v6) => {
            use std::io::Write;
            let _ = write!(out, "{v6}");
        }
    }
}

/// Whether any byte of the word needs escaping in a JSON string: below
/// 0x20, a quote or a backslash (SWAR bit tricks, eight bytes at a time).
#[inline]
fn word_needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let less_than_space = w.wrapping_sub(ONES * 0x20) & !w;
    let quote = (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(b'"')));
    let backslash =
        (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES) & !(w ^ (ONES * u64::from(b'\\')));
    (less_than_space | quote | backslash) & HIGH != 0
}

/// Bytes that need escaping in a JSON string.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Escapes text for a JSON string as Python's `json.dumps(ensure_ascii=False)`
/// does: quotes, backslashes and control characters only.
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Skip eight bytes at a time while nothing needs escaping.
    let mut i = 0;
    while i + 8 <= bytes.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i..i + 8]);
        if word_needs_escape(u64::from_le_bytes(w)) {
            break;
        }
        i += 8;
    }
    let mut start = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !NEEDS_ESCAPE[usize::from(b)] {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.extend_from_slice(esc);
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// Python's `repr(float)`: the shortest text that reads back the same number,
/// in fixed notation for decimal exponents from -4 to 16 and in scientific
/// notation (`1e+16`, `1.5e-07`) outside it.
pub fn py_float_repr(f: f64) -> String {
    if !f.is_finite() {
        return if f.is_nan() {
            "NaN".into()
        } else if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(f);
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    // Split ryu's output into significant digits and a decimal point position
    // (value = 0.DIGITS × 10^decpt).
    let (mant, exp) = match s.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    let mut digits: String = format!("{int_part}{frac_part}");
    let mut decpt = int_part.len() as i32 + exp;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    digits.drain(..lead);
    decpt -= lead as i32;
    while digits.ends_with('0') && digits.len() > 1 {
        digits.pop();
    }
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if -4 < decpt && decpt <= 16 {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..(-decpt) {
                out.push('0');
            }
            out.push_str(&digits);
        } else if digits.len() as i32 <= decpt {
            out.push_str(&digits);
            for _ in 0..(decpt - digits.len() as i32) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            let (a, b) = digits.split_at(decpt as usize);
            out.push_str(a);
            out.push('.');
            out.push_str(b);
        }
    } else {
        let e = decpt - 1;
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if e < 0 { '-' } else { '+' });
        let a = e.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        out.push_str(&a.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        let cases = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (35.6895, "35.6895"),
            (139.6917, "139.6917"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (0.0, "0.0"),
            (100.0, "100.0"),
        ];
        for (f, want) in cases {
            assert_eq!(py_float_repr(f), want, "{f:e}");
        }
    }

    #[test]
    fn escaping_agrees_with_a_plain_loop_everywhere() {
        // Every position of every special byte, in strings long enough for
        // the eight-byte fast path.
        for special in [b'"', b'\\', b'\n', 0x01, 0x1f, 0x7f, b' ', b'~'] {
            for len in 0..20 {
                for pos in 0..len {
                    let mut v = vec![b'a'; len];
                    v[pos] = special;
                    let s = String::from_utf8(v).unwrap();
                    let mut out = Vec::new();
                    escape_into(&mut out, &s);
                    let want = serde_json::to_string(&s).unwrap();
                    // serde_json escapes the same set (it writes \u007f as is too).
                    assert_eq!(
                        format!("\"{}\"", String::from_utf8(out).unwrap()),
                        want,
                        "{s:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn strings_escape_like_python() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\nd\x01é日本\u{2028}");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001é日本\u{2028}\""
        );
    }
}
