//! Quick ways to write the most common column kinds, for values in their
//! plainest form. Each answers `Some(written)` only where the general
//! conversion and field rule would give exactly the same text, and `None`
//! ("ask the general way") for anything else, so a quick way never decides
//! a row on its own.

use super::super::convert::Conv;
use super::{Key, put, swar};
use crate::csvio::Fields;
use kizuki_event::{Field, Input, Rule};

/// A column kind with a quick way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quick {
    /// No quick way.
    No,
    /// Text into a `String` field (conversion none or `validate_to_none`).
    Text { to_none: bool },
    /// Text into a lower-cased printable-ASCII field (`malware.name`).
    Lower { to_none: bool },
    /// A two-letter country code, upper-cased.
    Country,
    /// Text into `extra` (conversion none or `validate_to_none`).
    ExtraText { to_none: bool },
    /// `convert_int` / `invalidate_zero` into an integer field or `extra`.
    Int {
        zero_is_none: bool,
        rule: Option<Rule>,
    },
    /// `validate_ip` into an address field: a dotted quad.
    Ipv4,
    /// `add_UTC_to_timestamp` into a time field: `YYYY-MM-DD HH:MM:SS`.
    UtcTime,
    /// Text into any other field (conversion none or `validate_to_none`):
    /// the field's rule, without the general path's bookkeeping.
    Checked { field: Field, to_none: bool },
    /// `validate_fqdn` into a domain-name field: checked once, not twice.
    Fqdn { field: Field },
}

/// What a quick way did.
pub(super) enum Done {
    /// Wrote the member (key and value).
    Wrote,
    /// The value means "no member".
    Absent,
}

impl Quick {
    /// The quick way for a column converted by `conv` into `field` (or into
    /// `extra` when `field` is `None`).
    pub fn for_column(conv: Option<&Conv>, field: Option<Field>) -> Quick {
        let to_none = match conv {
            None => Some(false),
            Some(Conv::ToNone) => Some(true),
            _ => None,
        };
        let rule = field.map(Field::rule);
        match (conv, field, to_none) {
            (_, None, Some(to_none)) => Quick::ExtraText { to_none },
            (_, Some(field), Some(to_none)) => match field.rule() {
                Rule::String => Quick::Text { to_none },
                Rule::MalwareName => Quick::Lower { to_none },
                Rule::CountryCode if conv.is_none() => Quick::Country,
                _ => Quick::Checked { field, to_none },
            },
            (Some(c @ (Conv::Int | Conv::InvalidateZero)), _, _)
                if matches!(rule, None | Some(Rule::Integer | Rule::Port | Rule::Asn)) =>
            {
                Quick::Int {
                    zero_is_none: *c == Conv::InvalidateZero,
                    rule,
                }
            }
            (Some(Conv::ValidateIp), _, _) if rule == Some(Rule::Ip) => Quick::Ipv4,
            (Some(Conv::AddUtc), _, _) if rule == Some(Rule::DateTime) => Quick::UtcTime,
            (Some(Conv::ValidateFqdn), Some(field), _) if rule == Some(Rule::Fqdn) => {
                Quick::Fqdn { field }
            }
            _ => Quick::No,
        }
    }

    /// Whether [`Quick::write`] answers "absent" for every empty value.
    pub fn empty_is_absent(self) -> bool {
        match self {
            Quick::Text { .. }
            | Quick::Lower { .. }
            | Quick::Country
            | Quick::Int { .. }
            | Quick::Ipv4
            | Quick::Checked { .. }
            | Quick::Fqdn { .. } => true,
            Quick::ExtraText { to_none } => to_none,
            Quick::No | Quick::UtcTime => false,
        }
    }

    /// Writes `key` and the value of column `col`, or says the member is
    /// absent; `None` when the value is not in the plain form this kind
    /// handles (or the row has no such column).
    #[inline]
    pub fn write(
        self,
        fields: Fields<'_>,
        col: usize,
        key: Key<'_>,
        out: &mut Vec<u8>,
    ) -> Option<Done> {
        let v = fields.get(col)?;
        let b = v.as_bytes();
        // Known to be JSON text as it is: no need to check it again.
        let json = fields.json_plain();
        match self {
            Quick::No => None,
            Quick::Text { to_none } | Quick::Lower { to_none } => {
                // Empty markers and (for validate_to_none) its nothings.
                if is_marker(b) || (to_none && is_nothing(b)) {
                    return Some(Done::Absent);
                }
                if !plain_text(b, json) {
                    return None;
                }
                key.put(out);
                let at = out.len() + 1;
                put::append_quoted(out, b);
                if matches!(self, Quick::Lower { .. }) {
                    out[at..at + b.len()].make_ascii_lowercase();
                }
                Some(Done::Wrote)
            }
            Quick::Country => {
                if is_marker(b) {
                    return Some(Done::Absent);
                }
                if b.len() != 2 || !b.iter().all(u8::is_ascii_alphanumeric) {
                    return None;
                }
                key.put(out);
                out.extend_from_slice(&[
                    b'"',
                    b[0].to_ascii_uppercase(),
                    b[1].to_ascii_uppercase(),
                    b'"',
                ]);
                Some(Done::Wrote)
            }
            Quick::ExtraText { to_none } => {
                // Text that means no member needs no check; any other must
                // be JSON text as it is.
                let nothing = to_none && (b.is_empty() || is_nothing(b));
                if !nothing && !json && !json_plain(b) {
                    return None;
                }
                Some(match extra_text(b, to_none, key, out) {
                    true => Done::Wrote,
                    false => Done::Absent,
                })
            }
            Quick::Int { zero_is_none, rule } => {
                if b.is_empty() {
                    return Some(Done::Absent);
                }
                // The common case, without a loop: digits already in the
                // number's own form, not zero (so an AS number too).
                if b[0] != b'0'
                    && matches!(rule, None | Some(Rule::Integer | Rule::Port | Rule::Asn))
                    && fields.window(col).is_some_and(|w| {
                        swar::canonical_number(w, b.len(), rule == Some(Rule::Port))
                    })
                {
                    put_member_bare(key, b, out);
                    return Some(Done::Wrote);
                }
                if b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let n = b.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0'));
                if n == 0 && zero_is_none {
                    return Some(Done::Absent);
                }
                let fits = match rule {
                    None | Some(Rule::Integer) => true,
                    Some(Rule::Port) => n <= 65535,
                    Some(Rule::Asn) => n >= 1,
                    Some(_) => false,
                };
                if !fits {
                    return None;
                }
                key.put(out);
                if b[0] != b'0' || b.len() == 1 {
                    // Already the number's text.
                    put::append(out, b);
                } else {
                    put::append(out, itoa::Buffer::new().format(n).as_bytes());
                }
                Some(Done::Wrote)
            }
            Quick::Ipv4 => {
                if b.is_empty() {
                    return Some(Done::Absent);
                }
                let quad = match fields.window(col) {
                    Some(w) => swar::dotted_quad(w, b.len()),
                    None => {
                        kizuki_event::parse_dotted_quad(b).is_some_and(|ip| !ip.is_unspecified())
                    }
                };
                if !quad {
                    return None;
                }
                put_member(key, b, out);
                Some(Done::Wrote)
            }
            Quick::Checked { field, to_none } => {
                if is_marker(b) || (to_none && is_nothing(b)) {
                    return Some(Done::Absent);
                }
                if usual_word(field.rule(), b) {
                    // What the rule keeps as it is.
                    put_member(key, b, out);
                    return Some(Done::Wrote);
                }
                let c = field.rule().clean(Input::Str(v)).ok()?;
                key.put(out);
                kizuki_event::json::write_clean(&c, out);
                Some(Done::Wrote)
            }
            Quick::Fqdn { field } => {
                if v.is_empty() {
                    return Some(Done::Absent);
                }
                if is_marker(b) {
                    return None;
                }
                let window = match b.len() {
                    0..=16 => fields
                        .window::<16>(col)
                        .map(|w| swar::plain_domain(w, b.len())),
                    17..=32 => fields
                        .window::<32>(col)
                        .map(|w| swar::plain_domain(w, b.len())),
                    _ => None,
                };
                let plain = window.unwrap_or_else(|| plain_domain(b));
                if plain {
                    // What the rule keeps as it is.
                    put_member(key, b, out);
                } else {
                    let c = field.rule().clean(Input::Str(v)).ok()?;
                    key.put(out);
                    kizuki_event::json::write_clean(&c, out);
                }
                Some(Done::Wrote)
            }
            Quick::UtcTime => {
                let t = utc_time(b)?;
                key.put(out);
                let mut text = [0u8; 27];
                text[0] = b'"';
                text[1..20].copy_from_slice(&t);
                text[20..].copy_from_slice(b"+00:00\"");
                put::append(out, &text);
                Some(Done::Wrote)
            }
        }
    }
}

/// Text into `extra` (conversion none or `validate_to_none`), for `b`
/// known to be JSON text as it is: writes the member and answers `true`,
/// or answers `false` for a value that means no member.
#[inline(always)]
pub(super) fn extra_text(b: &[u8], to_none: bool, key: Key<'_>, out: &mut Vec<u8>) -> bool {
    if to_none && (b.is_empty() || is_nothing(b)) {
        return false;
    }
    put_member(key, b, out);
    true
}

/// IntelMQ's empty markers: `""`, `"-"`, `"N/A"` (compared without a call
/// to `memcmp`).
#[inline]
fn is_marker(b: &[u8]) -> bool {
    matches!(*b, [] | [b'-'] | [b'N', b'/', b'A'])
}

/// The usual values of the enumerated rules, which they keep as they are.
#[inline]
fn usual_word(rule: Rule, b: &[u8]) -> bool {
    match rule {
        Rule::Severity => matches!(b, b"high" | b"medium" | b"low" | b"info"),
        Rule::Transport => matches!(b, b"tcp" | b"udp" | b"icmp"),
        _ => false,
    }
}

/// What `validate_to_none` also turns into nothing: `"0"`, `"unknown"`.
#[inline]
fn is_nothing(b: &[u8]) -> bool {
    matches!(*b, [b'0'] | [b'u', b'n', b'k', b'n', b'o', b'w', b'n'])
}

/// The key, then `b` as it is (a number).
#[inline]
fn put_member_bare(key: Key<'_>, b: &[u8], out: &mut Vec<u8>) {
    key.put(out);
    put::append(out, b);
}

/// The key, then `b` as a JSON string (`b` needs no escaping).
#[inline]
fn put_member(key: Key<'_>, b: &[u8], out: &mut Vec<u8>) {
    key.put(out);
    put_quoted(b, out);
}

/// `b` as a JSON string (`b` needs no escaping).
#[inline]
fn put_quoted(b: &[u8], out: &mut Vec<u8>) {
    put::append_quoted(out, b);
}

/// A JSON string: copied when nothing needs escaping (known when `json`).
#[inline]
pub(super) fn write_str(v: &str, json: bool, out: &mut Vec<u8>) {
    if json || json_plain(v.as_bytes()) {
        put_quoted(v.as_bytes(), out);
    } else {
        kizuki_event::json::write_str(out, v);
    }
}

/// The columns `convert_http_host_and_url` reads, resolved.
#[derive(Debug, Clone, Copy)]
pub(super) struct HttpCols {
    hosts: [Option<usize>; 4],
    url: Option<usize>,
    http_url: Option<usize>,
    application: Option<usize>,
}

impl HttpCols {
    pub fn new(col: impl Fn(&str) -> Option<usize>) -> HttpCols {
        HttpCols {
            hosts: ["cc_dns", "http_host", "hostname", "ip"].map(&col),
            url: col("url"),
            http_url: col("http_url"),
            application: col("application"),
        }
    }
}

/// `convert_http_host_and_url` into a URL field, for a plain host name or
/// address and a plain path: writes the member and answers `true`, else
/// writes nothing and answers `false` (the general way then decides).
pub(super) fn http_url(
    cols: &HttpCols,
    fields: Fields<'_>,
    key: Key<'_>,
    out: &mut Vec<u8>,
) -> bool {
    let get = |c: Option<usize>| c.and_then(|i| fields.get(i).map(|v| (i, v)));
    // The same columns, in the same order, as the conversion.
    let host = cols
        .hosts
        .iter()
        .filter_map(|&c| get(c))
        .find(|(_, h)| !h.is_empty());
    let path = get(cols.url).or_else(|| get(cols.http_url));
    let (Some((host_col, host)), Some((path_col, path))) = (host, path) else {
        return false;
    };
    if path.is_empty() {
        return false;
    }
    // The common case, a word at a time: a plain line, a short host, a
    // short path, no `xx` anywhere that could be `hxxp`.
    let quick = || {
        if !fields.json_plain() {
            return None;
        }
        let plain_host = match host.len() {
            0..=16 => swar::plain_host(fields.window::<16>(host_col)?, host.len()),
            17..=32 => swar::plain_host(fields.window::<32>(host_col)?, host.len()),
            _ => false,
        };
        if !plain_host {
            return None;
        }
        let (a, b) = match path.len() {
            0..=32 => swar::request_path(fields.window::<32>(path_col)?, path.len())?,
            33..=64 => swar::request_path(fields.window::<64>(path_col)?, path.len())?,
            _ => return None,
        };
        Some(&path.as_bytes()[a..b])
    };
    let path = match quick() {
        Some(p) => p,
        None => match slow_url_parts(host, path, fields.json_plain()) {
            Some(p) => p,
            None => return false,
        },
    };
    let https = get(cols.application)
        .is_some_and(|(_, a)| matches!(*a.as_bytes(), [b'h', b't', b't', b'p', b's']));
    let scheme: &[u8] = if https { b"\"https://" } else { b"\"http://" };
    key.put(out);
    put::append(out, scheme);
    put::append(out, host.as_bytes());
    put::append(out, path);
    out.push(b'"');
    true
}

/// [`http_url`]'s checks a byte at a time: the path part to write, or
/// `None` when the general way must decide.
fn slow_url_parts<'a>(host: &str, path: &'a str, json: bool) -> Option<&'a [u8]> {
    // A host the URL rule reads as the whole network location.
    let plain_host = host
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':'));
    if !plain_host || !(json || json_plain(path.as_bytes())) {
        return None;
    }
    let path = path.as_bytes();
    let path = &path[memchr::memchr(b'/', path).unwrap_or(path.len())..];
    // Python's `\s` in printable ASCII is the space alone.
    let path = &path[..memchr::memchr(b' ', path).unwrap_or(path.len())];
    // Anchored on the rare `x`s rather than building a searcher per row.
    let hxxp =
        |t: &[u8]| memchr::memchr_iter(b'x', t).any(|i| i >= 1 && t[i - 1..].starts_with(b"hxxp"));
    if hxxp(host.as_bytes()) || hxxp(path) {
        return None;
    }
    Some(path)
}

/// Whether every byte is printable ASCII other than a quote or a backslash:
/// text JSON writes as it is. Eight bytes at a time (SWAR).
#[inline]
fn json_plain(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // High bit of each byte of `w` that equals `c`, exactly.
    let eq = |w: u64, c: u8| {
        let x = w ^ (ONES * u64::from(c));
        !(((x & !HIGH) + !HIGH) | x) & HIGH
    };
    let bad = |w: u64| {
        let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        (w & HIGH) | below_space | eq(w, 0x7f) | eq(w, b'"') | eq(w, b'\\')
    };
    let words = b.chunks_exact(8);
    let rest = words.remainder();
    let mut acc = 0;
    for w in words {
        acc |= <[u8; 8]>::try_from(w).map_or(HIGH, |a| bad(u64::from_le_bytes(a)));
    }
    acc == 0 && rest.iter().all(|&c| PLAIN[usize::from(c)])
}

/// The bytes [`json_plain`] accepts.
const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0x20;
    while c < 0x7f {
        t[c] = c != b'"' as usize && c != b'\\' as usize;
        c += 1;
    }
    t
};

/// A domain name the `Fqdn` rule keeps as it is: lower-case letters,
/// digits, hyphens and dots, labels of 1 to 63 bytes, not all digits and
/// dots (which could read as an address).
#[inline]
pub(super) fn plain_domain(b: &[u8]) -> bool {
    let mut label = 0usize;
    let mut letter = false;
    for &c in b {
        match c {
            b'.' => {
                if label == 0 {
                    return false;
                }
                label = 0;
                continue;
            }
            b'a'..=b'z' | b'-' => letter = true,
            b'0'..=b'9' => {}
            _ => return false,
        }
        label += 1;
        if label > 63 {
            return false;
        }
    }
    label > 0 && letter
}

/// Text the `String` rule keeps as it is and JSON writes as it is:
/// printable ASCII without quotes or backslashes, not starting or ending
/// with a space (which would be stripped).
#[inline]
fn plain_text(b: &[u8], json: bool) -> bool {
    !b.is_empty() && b[0] != b' ' && b[b.len() - 1] != b' ' && (json || json_plain(b))
}

/// `YYYY-MM-DD HH:MM:SS` with a valid date and time, as
/// `YYYY-MM-DDTHH:MM:SS`.
fn utc_time(b: &[u8]) -> Option<[u8; 19]> {
    let b: &[u8; 19] = b.try_into().ok()?;
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if y < 1 || d < 1 || d > days || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut t = *b;
    t[10] = b'T';
    Some(t)
}

/// Domain names, good and bad, for the tests of the domain checks.
#[cfg(test)]
pub(super) const DOMAINS: &[&str] = &[
    "example.com",
    "a-b.c0",
    "gate.example.net",
    "x",
    "1.example",
    "10.0.0.1",
    "a..b",
    ".a",
    "a.",
    "Example.com",
    "a_b.com",
    "a b",
    "-",
    "1234",
    "xn--bcher-kva.example",
    "abcdefghijklmnopqrstuvwxyz0123.x",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The loop skips an empty value without asking the quick way when the
    /// kind says empty means absent; the quick way must then agree.
    #[test]
    fn empty_values_are_absent_where_the_kind_says_so() {
        let kinds = [
            Quick::No,
            Quick::Text { to_none: false },
            Quick::Text { to_none: true },
            Quick::Lower { to_none: false },
            Quick::Lower { to_none: true },
            Quick::Country,
            Quick::ExtraText { to_none: false },
            Quick::ExtraText { to_none: true },
            Quick::Int {
                zero_is_none: true,
                rule: Some(Rule::Port),
            },
            Quick::Int {
                zero_is_none: false,
                rule: None,
            },
            Quick::Ipv4,
            Quick::UtcTime,
            Quick::Checked {
                field: Field::Severity,
                to_none: false,
            },
            Quick::Fqdn {
                field: Field::DestinationFqdn,
            },
        ];
        let text = super::super::Text::new(b", \"k\": ");
        let ranges = [(0, 0)];
        let fields = Fields::from_parts("", &ranges);
        for q in kinds {
            let mut out = Vec::new();
            let key = Key {
                text: &text,
                skip: 0,
            };
            let done = q.write(fields, 0, key, &mut out);
            assert_eq!(
                matches!(done, Some(Done::Absent)),
                q.empty_is_absent(),
                "{q:?}"
            );
        }
    }

    #[test]
    fn plain_json_text_agrees_with_a_byte_loop() {
        let slow = |b: &[u8]| {
            b.iter()
                .all(|&c| (0x20..0x7f).contains(&c) && c != b'"' && c != b'\\')
        };
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 20) as usize;
            let mut b: Vec<u8> = (0..len)
                .map(|i| b"ab Z~\"\\\x1f\x7f\x80\xff 0"[((seed >> (i * 3)) % 13) as usize])
                .collect();
            if seed.is_multiple_of(3) {
                b.retain(|c| (0x20..0x7f).contains(c) && *c != b'"' && *c != b'\\');
            }
            assert_eq!(json_plain(&b), slow(&b), "{b:?}");
        }
        for c in 0..=255u8 {
            assert_eq!(json_plain(&[c]), slow(&[c]), "{c:#x}");
            assert_eq!(
                json_plain(&[b'a', c, b'a', b'a', b'a', b'a', b'a', b'a', b'a']),
                slow(&[c]),
                "{c:#x}"
            );
        }
    }

    #[test]
    fn plain_domains_are_what_the_rule_keeps() {
        for &name in DOMAINS {
            let rule = Field::DestinationFqdn.rule().clean(Input::Str(name));
            let kept = matches!(&rule, Ok(kizuki_event::Clean::Str(s)) if s == name);
            if plain_domain(name.as_bytes()) {
                assert!(kept, "{name}: {rule:?}");
            }
        }
        assert!(plain_domain(b"gate.example.net"));
        assert!(!plain_domain(b"10.0.0.1"));
        assert!(!plain_domain(&[b'a'; 64]));
        assert!(plain_domain(&[b'a'; 63]));
    }

    #[test]
    fn times() {
        assert_eq!(
            utc_time(b"2021-02-22 18:32:07").as_ref().map(|t| &t[..]),
            Some(&b"2021-02-22T18:32:07"[..])
        );
        assert!(utc_time(b"2024-02-29 00:00:00").is_some());
        for bad in [
            &b"2021-02-29 00:00:00"[..],
            b"2021-13-01 00:00:00",
            b"2021-02-22 24:00:00",
            b"2021-02-22 18:32:60",
            b"2021-02-22T18:32:07",
            b"2021-02-22 18:32:07Z",
            b"0000-01-01 00:00:00",
            b"2021-0a-22 18:32:07",
        ] {
            assert!(utc_time(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
