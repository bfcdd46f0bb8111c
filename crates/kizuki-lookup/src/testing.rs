//! A small MaxMind DB writer, so tests (and anyone building fixtures) can make
//! GeoLite2-style files without MaxMind's tools. It follows the MaxMind DB
//! format 2.0: a binary search tree over 128-bit addresses (IPv4 under
//! `::/96`), 32-bit records, a data section and a metadata map.

use std::net::IpAddr;

/// A value in the data section.
#[derive(Clone, Debug, PartialEq)]
pub enum MmdbValue {
    /// UTF-8 text.
    Str(String),
    /// An unsigned 16-bit integer.
    U16(u16),
    /// An unsigned 32-bit integer.
    U32(u32),
    /// An unsigned 64-bit integer.
    U64(u64),
    /// A boolean.
    Bool(bool),
    /// A map with string keys.
    Map(Vec<(String, MmdbValue)>),
    /// An array.
    Array(Vec<MmdbValue>),
}

impl MmdbValue {
    /// A GeoLite2-ASN record.
    pub fn asn(number: u32, org: &str) -> MmdbValue {
        MmdbValue::Map(vec![
            ("autonomous_system_number".into(), MmdbValue::U32(number)),
            (
                "autonomous_system_organization".into(),
                MmdbValue::Str(org.into()),
            ),
        ])
    }

    /// A GeoLite2-Country record.
    pub fn country(iso: &str) -> MmdbValue {
        MmdbValue::Map(vec![(
            "country".into(),
            MmdbValue::Map(vec![("iso_code".into(), MmdbValue::Str(iso.into()))]),
        )])
    }

    fn encode(&self, out: &mut Vec<u8>) {
        fn ctrl(out: &mut Vec<u8>, kind: u8, size: usize) {
            let (first, extra): (u8, Vec<u8>) = if size < 29 {
                (size as u8, vec![])
            } else if size < 29 + 256 {
                (29, vec![(size - 29) as u8])
            } else if size < 285 + 65536 {
                let s = size - 285;
                (30, vec![(s >> 8) as u8, s as u8])
            } else {
                let s = size - 65821;
                (31, vec![(s >> 16) as u8, (s >> 8) as u8, s as u8])
            };
            if kind <= 7 {
                out.push((kind << 5) | first);
            } else {
                out.push(first);
                out.push(kind - 7);
            }
            out.extend_from_slice(&extra);
        }
        fn uint(out: &mut Vec<u8>, kind: u8, v: u64) {
            let bytes = v.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            ctrl(out, kind, 8 - skip);
            out.extend_from_slice(&bytes[skip..]);
        }
        match self {
            MmdbValue::Str(s) => {
                ctrl(out, 2, s.len());
                out.extend_from_slice(s.as_bytes());
            }
            MmdbValue::U16(v) => uint(out, 5, u64::from(*v)),
            MmdbValue::U32(v) => uint(out, 6, u64::from(*v)),
            MmdbValue::U64(v) => uint(out, 9, *v),
            MmdbValue::Bool(b) => ctrl(out, 14, usize::from(*b)),
            MmdbValue::Map(m) => {
                ctrl(out, 7, m.len());
                for (k, v) in m {
                    MmdbValue::Str(k.clone()).encode(out);
                    v.encode(out);
                }
            }
            MmdbValue::Array(a) => {
                ctrl(out, 11, a.len());
                for v in a {
                    v.encode(out);
                }
            }
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq)]
enum Rec {
    Empty,
    Node(usize),
    Data(usize),
}

/// Collects networks and writes a MaxMind DB.
pub struct MmdbWriter {
    database_type: String,
    networks: Vec<(u128, u8, MmdbValue)>,
}

impl MmdbWriter {
    /// A writer for a database of this type (e.g. `GeoLite2-ASN`).
    pub fn new(database_type: &str) -> MmdbWriter {
        MmdbWriter {
            database_type: database_type.into(),
            networks: Vec::new(),
        }
    }

    /// Adds a network; more specific networks override less specific ones
    /// whatever the order they are added in.
    pub fn insert(&mut self, addr: IpAddr, len: u8, value: MmdbValue) {
        let (bits, len) = match addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)), len.min(32) + 96),
            IpAddr::V6(a) => (u128::from(a), len.min(128)),
        };
        self.networks.push((bits, len, value));
    }

    /// The database file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut nets: Vec<&(u128, u8, MmdbValue)> = self.networks.iter().collect();
        nets.sort_by_key(|n| n.1);
        let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty, Rec::Empty]];
        let mut data = Vec::new();
        for (bits, len, value) in nets {
            let offset = data.len();
            value.encode(&mut data);
            let mut node = 0;
            for depth in 0..*len {
                let bit = ((bits >> (127 - depth)) & 1) as usize;
                if depth + 1 == *len {
                    // Everything below this record is replaced.
                    nodes[node][bit] = Rec::Data(offset);
                    break;
                }
                node = match nodes[node][bit] {
                    Rec::Node(n) => n,
                    other => {
                        // Split an empty or data record into a node whose two
                        // halves inherit it.
                        nodes.push([other, other]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n);
                        n
                    }
                };
            }
        }
        let count = nodes.len() as u32;
        let mut out = Vec::with_capacity(nodes.len() * 8 + data.len() + 256);
        for n in &nodes {
            for r in n {
                let v = match r {
                    Rec::Empty => count,
                    Rec::Node(i) => *i as u32,
                    Rec::Data(off) => count + 16 + *off as u32,
                };
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        out.extend_from_slice(&[0u8; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xab\xcd\xefMaxMind.com");
        MmdbValue::Map(vec![
            ("binary_format_major_version".into(), MmdbValue::U16(2)),
            ("binary_format_minor_version".into(), MmdbValue::U16(0)),
            ("build_epoch".into(), MmdbValue::U64(1_614_000_000)),
            (
                "database_type".into(),
                MmdbValue::Str(self.database_type.clone()),
            ),
            (
                "description".into(),
                MmdbValue::Map(vec![(
                    "en".into(),
                    MmdbValue::Str("kizuki test database".into()),
                )]),
            ),
            ("ip_version".into(), MmdbValue::U16(6)),
            (
                "languages".into(),
                MmdbValue::Array(vec![MmdbValue::Str("en".into())]),
            ),
            ("node_count".into(), MmdbValue::U32(count)),
            ("record_size".into(), MmdbValue::U16(32)),
        ])
        .encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AsnSource;

    #[test]
    fn maxminddb_reads_what_we_write() {
        let mut w = MmdbWriter::new("GeoLite2-ASN");
        w.insert(
            "192.0.2.0".parse().unwrap(),
            24,
            MmdbValue::asn(64500, "EXAMPLE-NET"),
        );
        w.insert(
            "192.0.2.128".parse().unwrap(),
            25,
            MmdbValue::asn(64501, "EXAMPLE-INNER"),
        );
        w.insert(
            "2001:db8::".parse().unwrap(),
            32,
            MmdbValue::asn(64502, "EXAMPLE-V6 日本"),
        );
        let r = maxminddb::Reader::from_source(w.to_bytes()).unwrap();
        let s = AsnSource::Mmdb(r);
        let at = |ip: &str| s.lookup(ip.parse().unwrap());
        assert_eq!(at("192.0.2.1").unwrap().asn, Some(64500));
        assert_eq!(
            at("192.0.2.200").unwrap().name.as_deref(),
            Some("EXAMPLE-INNER")
        );
        assert_eq!(
            at("2001:db8::5").unwrap().name.as_deref(),
            Some("EXAMPLE-V6 日本")
        );
        assert!(at("198.51.100.1").is_none());

        let mut w = MmdbWriter::new("GeoLite2-Country");
        w.insert("192.0.2.0".parse().unwrap(), 24, MmdbValue::country("JP"));
        let r = maxminddb::Reader::from_source(w.to_bytes()).unwrap();
        assert_eq!(
            AsnSource::Mmdb(r)
                .lookup("192.0.2.9".parse().unwrap())
                .unwrap()
                .country(),
            Some("JP")
        );
    }
}
