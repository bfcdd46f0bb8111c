//! The time at the head of a syslog line: RFC 5424 (`<14>1 2021-02-22T
//! 10:15:23.456+09:00 host …`), an ISO stamp a collector put first
//! (rsyslog's high-precision form), or BSD (`<14>Feb 22 10:15:23 host …`,
//! no year and no zone: both come from the options).

use crate::parse::{self, LocalClock};

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Reads the stamp at the head of `line`: the time (µs, UTC) and the rest
/// of the line after it. `None` when the line has no stamp there.
pub(crate) fn stamp<'a>(
    line: &'a [u8],
    clock: &mut LocalClock,
    year: i16,
) -> Option<(i64, &'a [u8])> {
    let mut s = line.trim_ascii_start();
    // <PRI>
    if s.first() == Some(&b'<')
        && let Some(end) = memchr::memchr(b'>', &s[..s.len().min(6)])
    {
        s = &s[end + 1..];
    }
    // RFC 5424 version.
    if s.len() > 2 && s[0] == b'1' && s[1] == b' ' {
        s = &s[2..];
    }
    if s.len() >= 19 && s[0].is_ascii_digit() && s[4] == b'-' {
        let end = memchr::memchr(b' ', s).unwrap_or(s.len());
        let t = parse::iso(&s[..end], clock)?;
        return Some((t, &s[end..]));
    }
    if s.len() >= 15 && s[3] == b' ' {
        let m = MONTHS
            .iter()
            .position(|m| s[..3].eq_ignore_ascii_case(&m[..]))? as u32
            + 1;
        // The day is space-padded ("Feb  2").
        let day_txt = &s[4..6];
        let day = if day_txt[0] == b' ' {
            parse::uint(&day_txt[1..2])?
        } else {
            parse::uint(day_txt)?
        } as u32;
        let tod = &s[7..15];
        if tod[2] != b':' || tod[5] != b':' {
            return None;
        }
        let text = format!(
            "{year:04}-{m:02}-{day:02} {}",
            std::str::from_utf8(tod).ok()?
        );
        let (naive, rest) = parse::naive(text.as_bytes())?;
        if !rest.is_empty() {
            return None;
        }
        // Sub-second BSD stamps (`Feb 22 10:15:23.123`) keep their fraction.
        let mut after = &s[15..];
        let mut micros = 0;
        if after.first() == Some(&b'.') {
            let n = after[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            micros = parse::secs_micros(&after[..n + 1]).unwrap_or(0);
            after = &after[n + 1..];
        }
        let t = clock.to_utc(naive)? + micros;
        return Some((t, after));
    }
    None
}

/// `key="value"` and `key=value` pairs, as SRX structured data and
/// FortiGate write them. Quoted values may hold `\"`, `\\` and `\]`
/// escapes (kept as written: flow fields never contain them).
pub(crate) fn pairs(s: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = s;
    std::iter::from_fn(move || {
        loop {
            let eq = memchr::memchr(b'=', rest)?;
            // The key is the word right before `=`.
            let key_start = rest[..eq]
                .iter()
                .rposition(|c| matches!(c, b' ' | b'[' | b'\t' | b',' | b'>'))
                .map_or(0, |i| i + 1);
            let key = &rest[key_start..eq];
            let after = &rest[eq + 1..];
            let (value, tail) = if after.first() == Some(&b'"') {
                let body = &after[1..];
                let mut i = 0;
                let mut end = None;
                while i < body.len() {
                    match body[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            end = Some(i);
                            break;
                        }
                        _ => i += 1,
                    }
                }
                match end {
                    Some(e) => (&body[..e], &body[e + 1..]),
                    None => (body, &body[body.len()..]),
                }
            } else {
                let e = after
                    .iter()
                    .position(|c| matches!(c, b' ' | b'\t' | b']'))
                    .unwrap_or(after.len());
                (&after[..e], &after[e..])
            };
            rest = tail;
            if !key.is_empty() {
                return Some((key, value));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    #[test]
    fn stamps() {
        let mut utc = LocalClock::new(TimeZone::UTC);
        let (t, rest) = stamp(
            b"<14>1 2021-02-22T10:15:23.5+09:00 fw RT_FLOW - X",
            &mut utc,
            2000,
        )
        .unwrap();
        assert_eq!(t, 1_613_956_523_500_000);
        assert_eq!(rest, b" fw RT_FLOW - X");
        let mut tokyo = LocalClock::new(TimeZone::get("Asia/Tokyo").unwrap());
        let (t, rest) = stamp(b"Feb  2 10:15:23 fw RT_FLOW: x", &mut tokyo, 2021).unwrap();
        assert_eq!(t, 1_612_228_523_000_000);
        assert_eq!(rest, b" fw RT_FLOW: x");
        assert!(stamp(b"hello world, this is not syslog", &mut utc, 2021).is_none());
    }

    #[test]
    fn key_values() {
        let v: Vec<_> = pairs(br#"[junos@2636.1 a="1" b="x \"y\"" c=3 d=""] e=5"#).collect();
        assert_eq!(
            v,
            vec![
                (&b"a"[..], &b"1"[..]),
                (b"b", br#"x \"y\""#),
                (b"c", b"3"),
                (b"d", b""),
                (b"e", b"5")
            ]
        );
    }
}
