//! The time in a syslog line's header: RFC 5424 (`<PRI>1 TIMESTAMP …`), a
//! bare RFC 3339 time (rsyslog's high-precision format), or RFC 3164
//! (`<PRI>Mmm dd HH:MM:SS …`: local and yearless).

use super::event::Stamp;
use crate::clock::{self, SyslogYear};

/// The header time of `line`, if it has one. `years` follows the year of
/// RFC 3164 lines through the file; `first_year` gives the year of the
/// first one from its month.
pub(super) fn header_time(
    line: &str,
    years: &mut Option<SyslogYear>,
    first_year: impl FnOnce(i8) -> i16,
) -> Option<Stamp> {
    let mut s = line.trim_start();
    if let Some(rest) = s.strip_prefix('<') {
        let close = rest.find('>')?;
        if close == 0 || close > 3 || !rest[..close].bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s = &rest[close + 1..];
    }
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (first, rest) = s.split_once(' ').unwrap_or((s, ""));
        let ts = if first.len() <= 2 && first.bytes().all(|b| b.is_ascii_digit()) {
            // RFC 5424: VERSION SP TIMESTAMP (`-` when the sender had none).
            rest.split(' ').next().unwrap_or("")
        } else {
            first
        };
        return clock::parse_rfc3339(ts).map(Stamp::Utc);
    }
    let month = clock::month(s.get(..3)?)?;
    let fresh = years.is_none();
    let y = years.get_or_insert_with(|| SyslogYear::new(first_year(month)));
    match clock::parse_rfc3164(s, y) {
        Some((dt, _)) => Some(Stamp::Local(dt)),
        None => {
            if fresh {
                // Not a timestamp after all: let a real one set the year.
                *years = None;
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: &str) -> Option<Stamp> {
        header_time(line, &mut None, |_| 2021)
    }

    #[test]
    fn every_header_form() {
        let utc = Some(Stamp::Utc(1613956501));
        assert_eq!(
            at("<134>1 2021-02-22T10:15:01.123+09:00 cgn app - - - x"),
            utc
        );
        assert_eq!(at("1 2021-02-22T01:15:01Z cgn app - - - x"), utc);
        assert_eq!(at("2021-02-22T10:15:01+09:00 cgn x"), utc);
        assert_eq!(at("<14>2021-02-22T10:15:01.5+09:00 cgn x"), utc);
        let local = "2021-02-22T10:15:01".parse().ok().map(Stamp::Local);
        assert_eq!(at("<134>Feb 22 10:15:01 cgn x"), local);
        assert_eq!(at("Feb 22 10:15:01 cgn x"), local);
        assert_eq!(at("<134>1 - cgn app - - - x"), None);
        assert_eq!(at("0|A10|CFW|x"), None);
        assert_eq!(at("Marker line"), None);
        assert_eq!(at("<1234>Feb 22 10:15:01 cgn x"), None);
    }

    #[test]
    fn a_false_start_does_not_fix_the_year() {
        let mut years = None;
        assert_eq!(header_time("Mar is not a date", &mut years, |_| 2020), None);
        assert!(years.is_none());
        header_time("Dec 31 23:59:59 h x", &mut years, |m| {
            if m == 12 { 2020 } else { 0 }
        });
        let jan = header_time("Jan  1 00:00:01 h x", &mut years, |_| 0);
        assert_eq!(jan, "2021-01-01T00:00:01".parse().ok().map(Stamp::Local));
    }
}
