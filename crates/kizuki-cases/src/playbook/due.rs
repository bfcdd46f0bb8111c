//! Task deadlines: `"4h"`, `"2d"`, `"1d12h"`.

const MINUTE: i64 = 60 * 1_000_000;
const UNITS: [(char, i64); 4] = [
    ('w', 7 * 24 * 60 * MINUTE),
    ('d', 24 * 60 * MINUTE),
    ('h', 60 * MINUTE),
    ('m', MINUTE),
];

/// Reads a deadline: one or more `<number><unit>` parts, with units `w`
/// (7 days), `d` (24 hours), `h` and `m` (minutes), as in `"4h"`, `"2d"`,
/// `"1d12h"` or `"90m"`. Gives microseconds, or what is wrong.
pub fn parse_due(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty; write e.g. \"4h\" or \"2d\"".to_owned());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for ch in s.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if ch == ' ' && digits.is_empty() {
            continue;
        }
        let Some((_, unit)) = UNITS.iter().find(|(u, _)| *u == ch) else {
            return Err(format!("unknown unit {ch:?}; use w, d, h or m"));
        };
        if digits.is_empty() {
            return Err(format!("unit {ch:?} without a number before it"));
        }
        let n: i64 = digits.parse().map_err(|_| "number too large".to_owned())?;
        digits.clear();
        total = n
            .checked_mul(*unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| "too long".to_owned())?;
    }
    if !digits.is_empty() {
        return Err(format!("{digits} has no unit; use w, d, h or m"));
    }
    Ok(total)
}

/// Writes a deadline in the form [`parse_due`] reads, largest units first
/// (`"1d12h"`); weeks are written as days. Seconds are dropped.
pub fn format_due(micros: i64) -> String {
    let mut rest = micros.max(0);
    let mut out = String::new();
    for (u, size) in UNITS.iter().skip(1) {
        let n = rest / size;
        if n > 0 {
            out.push_str(&format!("{n}{u}"));
            rest -= n * size;
        }
    }
    if out.is_empty() {
        out.push_str("0m");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_due("4h"), Ok(4 * 60 * MINUTE));
        assert_eq!(parse_due("2d"), Ok(48 * 60 * MINUTE));
        assert_eq!(parse_due("1d12h"), Ok(36 * 60 * MINUTE));
        assert_eq!(parse_due("1d 12h"), Ok(36 * 60 * MINUTE));
        assert_eq!(parse_due("1w"), Ok(7 * 24 * 60 * MINUTE));
        assert_eq!(parse_due("90m"), Ok(90 * MINUTE));
        assert!(parse_due("").is_err());
        assert!(parse_due("4").is_err());
        assert!(parse_due("h").is_err());
        assert!(parse_due("4x").is_err());
        assert!(parse_due("-4h").is_err());
        assert!(parse_due("4 h").is_err());
        assert!(parse_due("99999999999999999999d").is_err());
        assert!(parse_due("9999999999999w").is_err());
        assert_eq!(format_due(36 * 60 * MINUTE), "1d12h");
        assert_eq!(format_due(90 * MINUTE), "1h30m");
        assert_eq!(format_due(14 * 24 * 60 * MINUTE), "14d");
    }
}
