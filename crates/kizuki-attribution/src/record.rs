//! What the assignment-log readers produce: [`LogRecord`]s, one per thing a
//! log says happened (a session started, a lease was granted, a port block
//! was released), normalized to UTC and to one shape for every format.
//!
//! Records are not yet intervals: a RADIUS Start and its Stop may sit in two
//! files imported on two days. The [`crate::session`] state machines turn a
//! day's records, in time order, into [`Interval`]s.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// Which kind of log a record came from. Each kind has its own state
/// machine and its own partitions in the index.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// FreeRADIUS accounting `detail` files.
    Radius,
    /// ISC Kea memfile leases, DHCPv4.
    Kea4,
    /// ISC Kea memfile leases, DHCPv6 (addresses and delegated prefixes).
    Kea6,
    /// ISC dhcpd.leases (v4 and v6).
    Dhcpd,
    /// CGNAT port-block allocation logs (Juniper, A10, NFWare).
    PortBlock,
}

impl SourceKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Radius,
        SourceKind::Kea4,
        SourceKind::Kea6,
        SourceKind::Dhcpd,
        SourceKind::PortBlock,
    ];

    /// The name used in directories, output and `extra.attribution.via`.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Radius => "radius",
            SourceKind::Kea4 => "kea4",
            SourceKind::Kea6 => "kea6",
            SourceKind::Dhcpd => "dhcpd",
            SourceKind::PortBlock => "pba",
        }
    }

    /// Parses [`SourceKind::name`].
    pub fn from_name(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.name() == s)
    }

    /// Whether its intervals map a public address and port block to an
    /// inside address (the first of the two CGNAT hops).
    pub fn is_port_block(self) -> bool {
        self == SourceKind::PortBlock
    }

    pub(crate) fn code(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a record says happened.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Action {
    /// A session or block begins (RADIUS Start, port-block allocation).
    Start = 1,
    /// A session or block is still alive (RADIUS Interim-Update, a
    /// port-block interim or "active" record, a lease renewal).
    Interim = 2,
    /// A session or block ends at the record's time (RADIUS Stop, a
    /// port-block release, a lease release or expiry).
    Stop = 3,
    /// Every open session of the record's group ends (RADIUS
    /// Accounting-On/Off: the NAS rebooted).
    Reset = 4,
    /// A lease with a known span: [`LogRecord::start`] to
    /// [`LogRecord::end`].
    Lease = 5,
}

impl Action {
    pub(crate) fn from_code(c: u8) -> Option<Action> {
        Some(match c {
            1 => Action::Start,
            2 => Action::Interim,
            3 => Action::Stop,
            4 => Action::Reset,
            5 => Action::Lease,
            _ => return None,
        })
    }
}

/// An address or prefix. Addresses are prefixes of full length.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Net {
    /// The first address of the prefix (host bits are cleared).
    pub addr: IpAddr,
    /// The prefix length: 32 (IPv4) or 128 (IPv6) for one address.
    pub len: u8,
}

impl Net {
    /// One address.
    pub fn host(addr: IpAddr) -> Net {
        let len = if addr.is_ipv4() { 32 } else { 128 };
        Net { addr, len }
    }

    /// A prefix; host bits are cleared. `None` when `len` is too long.
    pub fn new(addr: IpAddr, len: u8) -> Option<Net> {
        match addr {
            IpAddr::V4(a) if len <= 32 => {
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                Some(Net {
                    addr: IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)),
                    len,
                })
            }
            IpAddr::V6(a) if len <= 128 => {
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                Some(Net {
                    addr: IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask)),
                    len,
                })
            }
            _ => None,
        }
    }

    /// Parses `a.b.c.d`, `a.b.c.d/n`, `x::y` or `x::/n`.
    pub fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        match s.split_once('/') {
            Some((a, l)) => Net::new(a.trim().parse().ok()?, l.trim().parse().ok()?),
            None => Some(Net::host(s.parse().ok()?)),
        }
    }

    /// Whether `ip` lies inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        Net::new(ip, self.len).is_some_and(|n| n.addr == self.addr)
    }

    /// Whether this is one address.
    pub fn is_host(&self) -> bool {
        self.len == if self.addr.is_ipv4() { 32 } else { 128 }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.len)
        }
    }
}

/// Who a record says holds the address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holder {
    /// A subscriber key as the subscriber directory writes it:
    /// `user:NAME` (RADIUS User-Name), `mac:aa:bb:cc:dd:ee:ff` (normalized
    /// lower case with colons), `client-id:HEX` or `duid:HEX`.
    Key(Arc<str>),
    /// An inside address behind a CGNAT port block: the second hop finds
    /// who held it.
    Inside(IpAddr),
}

impl Holder {
    /// A `user:` key.
    pub fn user(name: &str) -> Holder {
        Holder::Key(format!("user:{name}").into())
    }

    /// A `mac:` key from a MAC address in any common notation
    /// (`AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`, `aa:bb:…`); `None` when it
    /// is not six octets.
    pub fn mac(text: &str) -> Option<Holder> {
        normalize_mac(text).map(|m| Holder::Key(format!("mac:{m}").into()))
    }

    /// A `client-id:` key from octets in hex (`01:aa:bb…` or `01aabb…`).
    pub fn client_id(text: &str) -> Option<Holder> {
        normalize_hex(text).map(|h| Holder::Key(format!("client-id:{h}").into()))
    }

    /// A `duid:` key (DHCPv6) from octets in hex.
    pub fn duid(text: &str) -> Option<Holder> {
        normalize_hex(text).map(|h| Holder::Key(format!("duid:{h}").into()))
    }

    /// A stable 64-bit identity, kept in the record files. An inside IPv4
    /// address is its own identity ([`INSIDE_V4_TAG`] and the address), so
    /// port-block records name their holder without a table.
    pub fn hash(&self) -> u64 {
        match self {
            Holder::Inside(IpAddr::V4(a)) => INSIDE_V4_TAG | u64::from(u32::from(*a)),
            Holder::Key(k) => {
                xxhash_rust::xxh3::xxh3_64_with_seed(k.as_bytes(), 1) & !INSIDE_V4_MASK
            }
            Holder::Inside(ip) => {
                xxhash_rust::xxh3::xxh3_64_with_seed(&ip_bytes(*ip), 2) & !INSIDE_V4_MASK
            }
        }
    }

    /// The holder an identity names by itself (an inside IPv4 address).
    pub fn from_hash(h: u64) -> Option<Holder> {
        (h & INSIDE_V4_MASK == INSIDE_V4_TAG)
            .then(|| Holder::Inside(IpAddr::V4(Ipv4Addr::from(h as u32))))
    }
}

/// The holder of an identity: named by itself, or found in `table`.
pub fn resolve_holder(h: u64, table: &rustc_hash::FxHashMap<u64, Holder>) -> Option<Holder> {
    Holder::from_hash(h).or_else(|| table.get(&h).cloned())
}

/// The top bits of an inside IPv4 address's identity ([`Holder::hash`]);
/// hashed identities never have them.
pub const INSIDE_V4_TAG: u64 = 0xfff4 << 48;
const INSIDE_V4_MASK: u64 = 0xffff << 48;

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Holder::Key(k) => f.write_str(k),
            Holder::Inside(ip) => write!(f, "inside:{ip}"),
        }
    }
}

/// The 16 bytes of an address, IPv4 mapped into IPv6.
pub(crate) fn ip_bytes(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// A MAC address as `aa:bb:cc:dd:ee:ff`, from any of the usual notations.
pub fn normalize_mac(text: &str) -> Option<String> {
    let hex: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.' | ' '))
        .collect();
    if hex.len() != 12 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let hex = hex.to_ascii_lowercase();
    let parts: Vec<&str> = (0..6).map(|i| &hex[2 * i..2 * i + 2]).collect();
    Some(parts.join(":"))
}

/// Octets in hex as lower-case `aa:bb:…`.
fn normalize_hex(text: &str) -> Option<String> {
    let t = text.trim();
    // Hex is ASCII: anything else is refused before the text is cut into
    // pairs of bytes (which could split a character).
    if !t.is_ascii() {
        return None;
    }
    let octets: Vec<String> = if t.contains(':') {
        t.split(':')
            .map(|p| match p.len() {
                1 => format!("0{p}"),
                _ => p.to_owned(),
            })
            .collect()
    } else {
        if !t.len().is_multiple_of(2) {
            return None;
        }
        (0..t.len() / 2)
            .map(|i| t[2 * i..2 * i + 2].to_owned())
            .collect()
    };
    if octets.is_empty()
        || !octets
            .iter()
            .all(|o| o.len() == 2 && o.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return None;
    }
    Some(octets.join(":").to_ascii_lowercase())
}

/// Where a record came from: a file and a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordRef {
    /// The file as it was named on import.
    pub file: Arc<str>,
    /// The line where the record starts.
    pub line: u64,
}

impl fmt::Display for RecordRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// An inclusive port range; `0..=65535` when the whole address is meant.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ports {
    /// The first port.
    pub lo: u16,
    /// The last port.
    pub hi: u16,
}

impl Ports {
    /// Every port.
    pub const ALL: Ports = Ports {
        lo: 0,
        hi: u16::MAX,
    };

    /// Whether `port` is inside.
    pub fn contains(&self, port: u16) -> bool {
        self.lo <= port && port <= self.hi
    }

    /// Whether this is every port (the whole address).
    pub fn is_all(&self) -> bool {
        *self == Ports::ALL
    }
}

impl fmt::Display for Ports {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.lo, self.hi)
    }
}

/// One thing an assignment log says happened, in UTC seconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    /// When it happened.
    pub time: i64,
    /// The log kind.
    pub source: SourceKind,
    /// What happened.
    pub action: Action,
    /// The identity of the session, lease or block the record belongs to
    /// (a hash of, for RADIUS, the NAS, the session id and the address
    /// family; for a lease, the address; for a port block, the public
    /// address, ports and inside address).
    pub session: u64,
    /// The group a [`Action::Reset`] ends: the NAS, for RADIUS.
    pub group: u64,
    /// The address or prefix held.
    pub net: Net,
    /// The ports held (all, except for port blocks).
    pub ports: Ports,
    /// Who holds it.
    pub holder: Holder,
    /// When the holding began, when the record says so (a lease's start,
    /// or a RADIUS record's time minus its Acct-Session-Time).
    pub start: Option<i64>,
    /// When the holding ends, when the record says so (a lease's expiry).
    pub end: Option<i64>,
    /// The session's interim interval in seconds, when the record says.
    pub interim: Option<u32>,
    /// Where the record is.
    pub at: RecordRef,
}

/// A span of time during which a holder held an address (or a port block
/// of it): the normalized form every log becomes. The records behind it
/// are found by [`crate::Assignments::records`] (`kizuki whois-at` shows
/// them with their files and lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    /// The address or prefix.
    pub net: Net,
    /// The ports.
    pub ports: Ports,
    /// Start, UTC seconds, inclusive.
    pub start: i64,
    /// End, UTC seconds, exclusive.
    pub end: i64,
    /// Who held it.
    pub holder: Holder,
    /// The log kind.
    pub source: SourceKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_match_whatever_their_notation() {
        for m in [
            "AA:BB:CC:DD:EE:FF",
            "aa-bb-cc-dd-ee-ff",
            "aabb.ccdd.eeff",
            "AABBCCDDEEFF",
        ] {
            assert_eq!(
                normalize_mac(m).as_deref(),
                Some("aa:bb:cc:dd:ee:ff"),
                "{m}"
            );
        }
        assert_eq!(normalize_mac("aa:bb:cc:dd:ee"), None);
        assert_eq!(normalize_mac("gg:bb:cc:dd:ee:ff"), None);
    }

    #[test]
    fn client_ids_are_lower_case_octets() {
        assert_eq!(
            Holder::client_id("01:AA:b:cc").map(|h| h.to_string()),
            Some("client-id:01:aa:0b:cc".into())
        );
        assert_eq!(
            Holder::client_id("01aabb").map(|h| h.to_string()),
            Some("client-id:01:aa:bb".into())
        );
        assert_eq!(Holder::client_id("01a"), None);
        // Not hex, and not cut inside a character either.
        assert_eq!(Holder::client_id("縺003"), None);
        assert_eq!(Holder::client_id("é1"), None);
    }

    #[test]
    fn nets_clear_host_bits() {
        let n = Net::parse("2001:db8:100:ab12::/56").unwrap();
        assert_eq!(n.to_string(), "2001:db8:100:ab00::/56");
        assert!(n.contains("2001:db8:100:abff::1".parse().unwrap()));
        assert!(!n.contains("2001:db8:100:ac00::1".parse().unwrap()));
        assert_eq!(Net::parse("192.0.2.1").unwrap().to_string(), "192.0.2.1");
        assert_eq!(Net::parse("192.0.2.1/33"), None);
    }
}
