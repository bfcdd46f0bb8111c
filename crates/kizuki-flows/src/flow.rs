//! The [`Flow`] record every reader produces, and its [`Protocol`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// One connection (or session, or flow record) from a flow, NAT or firewall
/// log, normalized: times are microseconds since the Unix epoch in UTC, and
/// the origin names the file and 1-based line it came from.
///
/// `nat_src`/`nat_src_port` are the translated (public) source when the log
/// knows it: NAT and firewall logs do, plain flow logs usually do not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// When the flow started (µs since the epoch, UTC).
    #[serde(with = "iso_micros")]
    pub start: i64,
    /// When the flow ended (µs since the epoch, UTC); equal to `start` when
    /// the log gives one time only.
    #[serde(with = "iso_micros")]
    pub end: i64,
    /// The source (originator) address.
    pub src: IpAddr,
    /// The source port, when the protocol has ports and the log gives it.
    pub src_port: Option<u16>,
    /// The destination (responder) address.
    pub dst: IpAddr,
    /// The destination port.
    pub dst_port: Option<u16>,
    /// The transport protocol.
    pub protocol: Option<Protocol>,
    /// The translated source address (after source NAT), when known.
    pub nat_src: Option<IpAddr>,
    /// The translated source port, when known.
    pub nat_src_port: Option<u16>,
    /// Packets, when known (both directions where the log sums them).
    pub packets: Option<u64>,
    /// Bytes, when known.
    pub bytes: Option<u64>,
    /// The input the flow was read from.
    pub file: Arc<str>,
    /// The 1-based line it was read from.
    pub line: u64,
}

impl Flow {
    /// An empty flow of `file` (both addresses 0.0.0.0, times 0): readers
    /// fill one in place per line, so reading allocates nothing per row.
    pub fn empty(file: Arc<str>) -> Flow {
        Flow {
            start: 0,
            end: 0,
            src: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            src_port: None,
            dst: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            dst_port: None,
            protocol: None,
            nat_src: None,
            nat_src_port: None,
            packets: None,
            bytes: None,
            file,
            line: 0,
        }
    }

    /// Whether the flow's time span `[start, end]` meets `[from, to]`.
    pub fn overlaps(&self, from: i64, to: i64) -> bool {
        self.start <= to && self.end >= from
    }

    /// How far `t` is from the flow's time span: 0 inside it.
    pub fn distance(&self, t: i64) -> i64 {
        if t < self.start {
            self.start - t
        } else if t > self.end {
            t - self.end
        } else {
            0
        }
    }
}

/// An IP protocol number, shown by its lower-case name (`tcp`, `udp`,
/// `icmp`, …; the number for protocols without one here).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol(pub u8);

/// Names of the protocols flow logs commonly carry.
const NAMES: [(u8, &str); 12] = [
    (1, "icmp"),
    (2, "igmp"),
    (4, "ipip"),
    (6, "tcp"),
    (17, "udp"),
    (41, "ipv6"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (58, "ipv6-icmp"),
    (89, "ospf"),
    (132, "sctp"),
];

impl Protocol {
    /// TCP.
    pub const TCP: Protocol = Protocol(6);
    /// UDP.
    pub const UDP: Protocol = Protocol(17);
    /// ICMP.
    pub const ICMP: Protocol = Protocol(1);

    /// The protocol's number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The lower-case name, when it has one here.
    pub fn name(self) -> Option<&'static str> {
        NAMES.iter().find(|(n, _)| *n == self.0).map(|(_, s)| *s)
    }

    /// Reads a protocol as logs write it: a number (`6`), or a name in any
    /// case (`TCP`, `udp`, `ICMP6`, `ipv6-icmp`). `None` for names it does
    /// not know (Zeek's `unknown_transport`, say).
    pub fn parse(s: &[u8]) -> Option<Protocol> {
        let s = s.trim_ascii();
        if s.is_empty() {
            return None;
        }
        if s.iter().all(u8::is_ascii_digit) {
            return crate::parse::uint(s)
                .and_then(|n| u8::try_from(n).ok())
                .map(Protocol);
        }
        let mut lower = [0u8; 16];
        if s.len() > lower.len() {
            return None;
        }
        for (d, c) in lower.iter_mut().zip(s) {
            *d = c.to_ascii_lowercase();
        }
        let l = &lower[..s.len()];
        match l {
            b"icmp6" | b"icmpv6" | b"ipv6-icmp" => return Some(Protocol(58)),
            b"ipv4" => return Some(Protocol(4)),
            _ => {}
        }
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes() == l)
            .map(|(n, _)| Protocol(*n))
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Protocol::parse(s.as_bytes())
            .ok_or_else(|| serde::de::Error::custom(format!("unknown protocol {s:?}")))
    }
}

/// Formats µs since the epoch as kizuki's ISO form
/// (`2021-02-22T01:02:03.5+00:00`).
pub fn iso(micros: i64) -> String {
    kizuki_event::Timestamp::from_micros(micros)
        .map(|t| t.to_iso())
        .unwrap_or_else(|| micros.to_string())
}

/// Serde for µs-since-epoch fields: written as ISO 8601 strings in UTC,
/// read from the same (or from a number of µs).
pub mod iso_micros {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the time as an ISO 8601 string.
    pub fn serialize<S: Serializer>(micros: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::iso(*micros))
    }

    /// Reads an ISO 8601 string with a zone, or a number of µs.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum T {
            N(i64),
            S(String),
        }
        match T::deserialize(d)? {
            T::N(n) => Ok(n),
            T::S(s) => kizuki_event::Timestamp::parse_iso(&s)
                .map(|t| t.as_micros())
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_names_and_numbers() {
        assert_eq!(Protocol::parse(b"TCP"), Some(Protocol::TCP));
        assert_eq!(Protocol::parse(b"6"), Some(Protocol::TCP));
        assert_eq!(Protocol::parse(b"icmp6"), Some(Protocol(58)));
        assert_eq!(Protocol::parse(b"unknown_transport"), None);
        assert_eq!(Protocol::parse(b"300"), None);
        assert_eq!(Protocol(99).to_string(), "99");
        assert_eq!(Protocol::UDP.to_string(), "udp");
    }

    #[test]
    fn distance_to_a_span() {
        let mut f = Flow::empty("x".into());
        f.start = 100;
        f.end = 200;
        assert_eq!(f.distance(50), 50);
        assert_eq!(f.distance(150), 0);
        assert_eq!(f.distance(260), 60);
        assert!(f.overlaps(200, 300));
        assert!(!f.overlaps(201, 300));
    }
}
