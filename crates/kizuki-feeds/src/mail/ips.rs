//! Finding addresses and ports in folded text.
//!
//! An IPv4 address is four decimal octets not run together with other
//! digits, dots or letters (so `v1.2.3.4` and `1.2.3.4.5` are not
//! addresses); an IPv6 address is what `std` parses from a run of hex
//! digits and colons. Addresses are returned in canonical form
//! (IPv4-mapped IPv6 as IPv4).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// An address found in text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FoundIp {
    /// The address.
    pub ip: IpAddr,
    /// Where it is, port included.
    pub range: Range<usize>,
    /// A port written with it (`203.0.113.5:51514`, `[2001:db8::1]:443`).
    pub port: Option<u16>,
}

fn ipv4_at(b: &[u8], i: usize) -> Option<(Ipv4Addr, usize)> {
    let mut oct = [0u8; 4];
    let mut j = i;
    for (k, o) in oct.iter_mut().enumerate() {
        let start = j;
        let mut v: u32 = 0;
        while j < b.len() && b[j].is_ascii_digit() && j - start < 3 {
            v = v * 10 + u32::from(b[j] - b'0');
            j += 1;
        }
        if j == start || v > 255 || (j < b.len() && b[j].is_ascii_digit()) {
            return None;
        }
        *o = v as u8;
        if k < 3 {
            if b.get(j) != Some(&b'.') {
                return None;
            }
            j += 1;
        }
    }
    // `1.2.3.4.5` and `1.2.3.4a` are something else.
    if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if b.get(j).is_some_and(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    Some((Ipv4Addr::from(oct), j))
}

/// A `:port` right after an address.
fn port_after(b: &[u8], j: usize) -> Option<(u16, usize)> {
    if b.get(j) != Some(&b':') {
        return None;
    }
    let start = j + 1;
    let mut k = start;
    while k < b.len() && b[k].is_ascii_digit() {
        k += 1;
    }
    if k == start || k - start > 5 || b.get(k) == Some(&b':') {
        return None;
    }
    let p: u32 = std::str::from_utf8(&b[start..k]).ok()?.parse().ok()?;
    u16::try_from(p).ok().map(|p| (p, k))
}

fn hexish(c: u8) -> bool {
    c.is_ascii_hexdigit() || c == b':'
}

/// Every address in a folded line, left to right.
pub(crate) fn find_ips(s: &str) -> Vec<FoundIp> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let prev = i.checked_sub(1).map(|p| b[p]);
        let boundary = !prev.is_some_and(|p| p.is_ascii_alphanumeric() || p == b'.');
        if boundary
            && b[i].is_ascii_digit()
            && let Some((ip, end)) = ipv4_at(b, i)
        {
            let (port, end) = match port_after(b, end) {
                Some((p, e)) => (Some(p), e),
                None => (None, end),
            };
            out.push(FoundIp {
                ip: IpAddr::V4(ip),
                range: i..end,
                port,
            });
            i = end;
            continue;
        }
        if boundary && prev != Some(b':') && hexish(b[i]) {
            let mut j = i;
            while j < b.len() && hexish(b[j]) {
                j += 1;
            }
            let run = &s[i..j];
            let colons = run.bytes().filter(|&c| c == b':').count();
            let after_ok = !b
                .get(j)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.');
            if after_ok
                && colons >= 2
                && (run.contains("::") || colons == 7)
                && run.bytes().any(|c| c.is_ascii_hexdigit())
                && let Ok(v6) = run.trim_end_matches(':').parse::<Ipv6Addr>()
            {
                let bracketed = prev == Some(b'[') && b.get(j) == Some(&b']');
                let (port, end) = match bracketed.then(|| port_after(b, j + 1)).flatten() {
                    Some((p, e)) => (Some(p), e),
                    None => (None, j),
                };
                out.push(FoundIp {
                    ip: IpAddr::V6(v6).to_canonical(),
                    range: i..end,
                    port,
                });
                i = end.max(i + 1);
                continue;
            }
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// A port written in words after an address: `(ポート 51514)`,
/// `port 51514`, `ポート番号：51514`.
pub(crate) fn port_in_words(s: &str) -> Option<u16> {
    let lower = s.to_lowercase();
    for key in ["ポート番号", "ポート", "port"] {
        for (i, _) in lower.match_indices(key) {
            let rest = lower[i + key.len()..].trim_start_matches([' ', ':', '=', '#']);
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(p) = digits.parse::<u16>() {
                return Some(p);
            }
        }
    }
    None
}

/// The first whole number in `s` that can be a port.
pub(crate) fn first_port(s: &str) -> Option<u16> {
    s.split(|c: char| !c.is_ascii_digit())
        .find(|w| !w.is_empty())
        .and_then(|w| w.parse::<u16>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(s: &str) -> Vec<String> {
        find_ips(s)
            .into_iter()
            .map(|f| match f.port {
                Some(p) => format!("{}#{p}", f.ip),
                None => f.ip.to_string(),
            })
            .collect()
    }

    #[test]
    fn addresses_in_text() {
        assert_eq!(ips("IP:203.0.113.5 (port 1)"), ["203.0.113.5"]);
        assert_eq!(
            ips("203.0.113.5:51514 -> 198.51.100.7:443"),
            ["203.0.113.5#51514", "198.51.100.7#443"]
        );
        assert_eq!(
            ips("v1.2.3.4 1.2.3.4.5 256.1.1.1 10:15:23"),
            Vec::<String>::new()
        );
        assert_eq!(ips("（203.0.113.5）から"), ["203.0.113.5"]);
        assert_eq!(
            ips("src 2001:DB8::1 and [2001:db8::2]:443"),
            ["2001:db8::1", "2001:db8::2#443"]
        );
        assert_eq!(ips("::ffff:203.0.113.9"), Vec::<String>::new());
        assert_eq!(port_in_words("203.0.113.5 (ポート 51514)"), Some(51514));
        assert_eq!(port_in_words("port: 443"), Some(443));
    }
}
