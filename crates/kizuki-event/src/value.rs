//! The typed values an [`Event`](crate::Event) field holds.

use crate::Timestamp;
use compact_str::CompactString;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// One field's value, already validated for that field.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text (strings, FQDNs, URLs, enumerations).
    Str(CompactString),
    /// An integer (ports, ASNs, counters).
    Int(i64),
    /// A finite floating-point number.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// An IP network in canonical form (host bits zero).
    Net(IpNet),
    /// A point in time, UTC.
    Time(Timestamp),
    /// The original input the event was made from.
    Raw(Box<Raw>),
}

impl Value {
    /// A borrowed view, as the JSON writer takes it.
    pub fn as_clean(&self) -> crate::Clean<'_> {
        use std::borrow::Cow;
        match self {
            Value::Str(s) => crate::Clean::Str(Cow::Borrowed(s.as_str())),
            Value::Int(i) => crate::Clean::Int(*i),
            Value::Float(f) => crate::Clean::Float(*f),
            Value::Bool(b) => crate::Clean::Bool(*b),
            Value::Ip(ip) => crate::Clean::Ip(*ip),
            Value::Net(n) => crate::Clean::Net(*n),
            Value::Time(t) => crate::Clean::Time(*t),
            Value::Raw(r) => crate::Clean::Raw(Cow::Borrowed(&**r)),
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// An IP network: an address with its host bits cleared and a prefix length.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Builds a network, clearing host bits. `None` when the prefix is longer
    /// than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<IpNet> {
        match addr {
            IpAddr::V4(a) if prefix <= 32 => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
                Some(IpNet {
                    addr: IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)),
                    prefix,
                })
            }
            IpAddr::V6(a) if prefix <= 128 => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - prefix)
                };
                Some(IpNet {
                    addr: IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask)),
                    prefix,
                })
            }
            _ => None,
        }
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        IpNet::new(ip, self.prefix).is_some_and(|n| n.addr == self.addr)
    }

    /// Parses `addr/len`, `addr/netmask` or a bare address (a host network),
    /// ignoring host bits as Python's `ip_network(strict=False)` does.
    pub fn parse(s: &str) -> Option<IpNet> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|c| c.is_ascii_digit()) => {
                p.parse().ok()?
            }
            Some(p) => match (addr, p.parse::<Ipv4Addr>().ok()?) {
                (IpAddr::V4(_), mask) => mask_to_prefix(u32::from(mask))?,
                _ => return None,
            },
        };
        IpNet::new(addr, prefix)
    }
}

/// A netmask (`255.255.255.0`) or hostmask (`0.0.0.255`) as a prefix length.
fn mask_to_prefix(m: u32) -> Option<u8> {
    let ones = m.leading_ones();
    if m.checked_shl(ones).unwrap_or(0) == 0 {
        return Some(ones as u8);
    }
    let inv = !m;
    let ones = inv.leading_ones();
    (inv.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The original input of an event, kept for evidence (`raw`).
///
/// It is written out base64-encoded, as IntelMQ does. Readers that give every
/// row the same leading text (the CSV header) share it through
/// [`RawPrefix`], whose encoding is computed once.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    /// Bytes, optionally after a shared prefix.
    Bytes {
        /// Shared leading bytes, if any.
        prefix: Option<Arc<RawPrefix>>,
        /// The bytes of this event.
        bytes: Vec<u8>,
    },
    /// Already base64 text, as read from IntelMQ JSON; kept as it was so the
    /// round trip is lossless.
    Base64(String),
}

/// Leading bytes shared by the raw data of many events, with the base64 of
/// its longest prefix whose length is a multiple of three precomputed.
#[derive(Debug, PartialEq)]
pub struct RawPrefix {
    bytes: Vec<u8>,
    encoded_whole: String,
}

impl RawPrefix {
    /// Prepares a shared prefix.
    pub fn new(bytes: Vec<u8>) -> Arc<RawPrefix> {
        let whole = bytes.len() / 3 * 3;
        let encoded_whole = base64_simd::STANDARD.encode_to_string(&bytes[..whole]);
        Arc::new(RawPrefix {
            bytes,
            encoded_whole,
        })
    }

    /// The prefix bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends the base64 of this prefix followed by `rest`.
    pub fn write_base64_with(&self, rest: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(self.encoded_whole.as_bytes());
        let tail = &self.bytes[self.bytes.len() / 3 * 3..];
        if tail.is_empty() {
            append_b64(out, rest);
        } else {
            // Encode the prefix's last one or two bytes with the start of
            // `rest`, then the remainder, without building the joined bytes.
            let take = (3 - tail.len()).min(rest.len());
            let mut head = [0u8; 3];
            head[..tail.len()].copy_from_slice(tail);
            head[tail.len()..tail.len() + take].copy_from_slice(&rest[..take]);
            append_b64(out, &head[..tail.len() + take]);
            append_b64(out, &rest[take..]);
        }
    }
}

impl Raw {
    /// Raw data from plain bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Raw {
        Raw::Bytes {
            prefix: None,
            bytes,
        }
    }

    /// Appends the base64 form.
    pub fn write_base64(&self, out: &mut Vec<u8>) {
        match self {
            Raw::Base64(s) => out.extend_from_slice(s.as_bytes()),
            Raw::Bytes {
                prefix: None,
                bytes,
            } => append_b64(out, bytes),
            Raw::Bytes {
                prefix: Some(p),
                bytes,
            } => {
                out.extend_from_slice(p.encoded_whole.as_bytes());
                let rest = &p.bytes[p.bytes.len() / 3 * 3..];
                if rest.is_empty() {
                    append_b64(out, bytes);
                } else {
                    let mut joined = Vec::with_capacity(rest.len() + bytes.len());
                    joined.extend_from_slice(rest);
                    joined.extend_from_slice(bytes);
                    append_b64(out, &joined);
                }
            }
        }
    }

    /// The decoded bytes (lossy for invalid base64 text).
    pub fn decoded(&self) -> Vec<u8> {
        match self {
            Raw::Base64(s) => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(s.trim())
                    .unwrap_or_else(|_| s.as_bytes().to_vec())
            }
            Raw::Bytes { prefix, bytes } => {
                let mut v = prefix.as_ref().map(|p| p.bytes.clone()).unwrap_or_default();
                v.extend_from_slice(bytes);
                v
            }
        }
    }
}

fn append_b64(out: &mut Vec<u8>, bytes: &[u8]) {
    // Encoded straight into the spare room, with no zeroing first.
    base64_simd::STANDARD.encode_append(bytes, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_are_canonical() {
        assert_eq!(
            IpNet::parse("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(IpNet::parse("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
        assert_eq!(
            IpNet::parse("10.1.2.0/255.255.255.0").unwrap().to_string(),
            "10.1.2.0/24"
        );
        assert_eq!(
            IpNet::parse("10.1.2.0/0.0.0.255").unwrap().to_string(),
            "10.1.2.0/24"
        );
        assert_eq!(
            IpNet::parse("2001:db8::1/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert!(IpNet::parse("10.0.0.0/33").is_none());
        assert!(IpNet::parse("10.0.0.0/255.0.255.0").is_none());
        assert!(IpNet::parse("x/8").is_none());
        assert!(
            IpNet::parse("10.0.0.0/8")
                .unwrap()
                .contains("10.9.9.9".parse().unwrap())
        );
    }

    #[test]
    fn shared_prefix_encodes_like_the_whole() {
        use base64::Engine;
        for plen in 0..7 {
            for blen in 0..7 {
                let prefix: Vec<u8> = (0..plen).map(|i| b'a' + i).collect();
                let body: Vec<u8> = (0..blen).map(|i| b'0' + i).collect();
                let raw = Raw::Bytes {
                    prefix: Some(RawPrefix::new(prefix.clone())),
                    bytes: body.clone(),
                };
                let mut out = Vec::new();
                raw.write_base64(&mut out);
                let whole = [prefix, body].concat();
                assert_eq!(
                    out,
                    base64::engine::general_purpose::STANDARD
                        .encode(&whole)
                        .into_bytes()
                );
                assert_eq!(raw.decoded(), whole);
            }
        }
    }
}
