//! What a vendor parser finds on a port-block line, and the small parsers
//! the three share. Everything borrows from the line: no allocation unless
//! the line is rejected.

use crate::record::Action;
use jiff::civil::DateTime;
use std::net::IpAddr;

/// A time found on the line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum Stamp {
    /// UTC seconds (an offset, an epoch, or a time said to be UTC).
    Utc(i64),
    /// A wall-clock time in the log's zone.
    Local(DateTime),
}

/// One port-block event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Event {
    pub action: Action,
    pub inside: IpAddr,
    pub public: IpAddr,
    pub lo: u16,
    pub hi: u16,
    /// A time the event carries in its own fields, better than the syslog
    /// header's (which may be the relay's, local, and yearless).
    pub time: Option<Stamp>,
}

/// What a vendor parser makes of a line that passed the quick scan:
/// `Ok(None)` when it is not a port-block event after all (another
/// message of the same device), `Err` when it is one that cannot be read.
pub(super) type Parsed = Result<Option<Event>, String>;

/// An address.
pub(super) fn ip(text: &str, what: &str) -> Result<IpAddr, String> {
    if let Some(a) = ipv4(text.as_bytes()) {
        return Ok(IpAddr::V4(a));
    }
    text.parse()
        .map_err(|_| format!("{what} {text:?} is not an IP address"))
}

/// A dotted-quad IPv4 address, read without the general parser (most
/// port-block addresses are IPv4); `None` sends anything else to it.
fn ipv4(b: &[u8]) -> Option<std::net::Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, octet) in octets.iter_mut().enumerate() {
        let start = i;
        let mut v: u32 = 0;
        // A fourth digit already refuses the octet: reading stops there, so
        // a long run of digits cannot overflow.
        while i < b.len() && b[i].is_ascii_digit() && i - start < 4 {
            v = v * 10 + u32::from(b[i] - b'0');
            i += 1;
        }
        // One to three digits, no leading zero, at most 255.
        if i == start || i - start > 3 || (i - start > 1 && b[start] == b'0') || v > 255 {
            return None;
        }
        *octet = v as u8;
        if k < 3 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    (i == b.len()).then(|| std::net::Ipv4Addr::from(octets))
}

/// A port.
pub(super) fn port(text: &str, what: &str) -> Result<u16, String> {
    if let Some(p) = port_digits(text.as_bytes()) {
        return Ok(p);
    }
    text.parse()
        .map_err(|_| format!("{what} {text:?} is not a port number"))
}

/// One to five digits up to 65535, read without the general parser (which
/// takes anything else: a sign, or fails).
fn port_digits(b: &[u8]) -> Option<u16> {
    if b.is_empty() || b.len() > 5 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    u16::try_from(v).ok()
}

/// `lo-hi`.
pub(super) fn range(text: &str) -> Result<(u16, u16), String> {
    let dash = memchr::memchr(b'-', text.as_bytes())
        .ok_or_else(|| format!("port range {text:?} is not lo-hi"))?;
    let (lo, hi) = (&text[..dash], &text[dash + 1..]);
    Ok((port(lo, "first port")?, port(hi, "last port")?))
}

/// `PUBLIC:lo-hi` (Juniper MS-DPC, NFWare).
pub(super) fn public_block(text: &str) -> Result<(IpAddr, u16, u16), String> {
    let colon = memchr::memrchr(b':', text.as_bytes());
    let split = colon.map(|i| (&text[..i], &text[i + 1..]));
    let Some((public, ports)) = split.filter(|(_, p)| memchr::memchr(b'-', p.as_bytes()).is_some())
    else {
        return Err(format!(
            "{text:?} has no :lo-hi port range after the public address"
        ));
    };
    let public = ip(public, "public address")?;
    let (lo, hi) = range(ports)?;
    Ok((public, lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_ipv4_agrees_with_std() {
        for t in [
            "1.2.3.4",
            "255.255.255.255",
            "0.0.0.0",
            "01.2.3.4",
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "1.2.3.4 ",
            "",
            "1..2.3",
            "3002::1",
            "1.2.3.-4",
            "1000.1.1.1",
            "198.51429496729621.1.1",
            "99999999999999999999.1.1.1",
            "1.2.3.99999999999999999999",
        ] {
            assert_eq!(ipv4(t.as_bytes()), t.parse().ok(), "{t:?}");
        }
    }

    #[test]
    fn fast_ports_agree_with_std() {
        for t in [
            "0", "1024", "65535", "65536", "99999", "00080", "000080", "+80", "-1", "", "8a",
            " 80", "80 ", "٣",
        ] {
            assert_eq!(port(t, "port").ok(), t.parse::<u16>().ok(), "{t:?}");
            if let Some(p) = port_digits(t.as_bytes()) {
                assert_eq!(Some(p), t.parse::<u16>().ok(), "{t:?}");
            }
        }
        for v in 0..=70_000u32 {
            let t = v.to_string();
            assert_eq!(port_digits(t.as_bytes()), t.parse::<u16>().ok(), "{t}");
        }
    }

    #[test]
    fn public_blocks() {
        assert_eq!(
            public_block("33.33.0.3:1050-1099"),
            Ok(("33.33.0.3".parse().unwrap(), 1050, 1099))
        );
        assert!(public_block("33.33.0.3").unwrap_err().contains("no :lo-hi"));
        assert!(
            public_block("33.33.0.3:1050")
                .unwrap_err()
                .contains("no :lo-hi")
        );
        assert!(
            public_block("33.33.0.300:1-2")
                .unwrap_err()
                .contains("public address")
        );
        assert!(
            public_block("33.33.0.3:1-70000")
                .unwrap_err()
                .contains("last port")
        );
    }
}
