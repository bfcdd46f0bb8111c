//! IP → AS number, AS name and country, from ip2asn TSV, CAIDA Routeviews
//! pfx2as, or MaxMind DB files (GeoLite2-ASN / GeoLite2-Country layout).

use crate::range::IpRange;
use crate::table::{IpTable, IpTableBuilder};
use crate::{LineError, LookupError};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// What a table says about an address's network.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AsnInfo {
    /// The origin AS (the first, when a prefix has several).
    pub asn: Option<u32>,
    /// Further origins (pfx2as `a_b` multi-origin or `a,b` AS sets).
    pub more: Vec<u32>,
    /// The AS name.
    pub name: Option<Arc<str>>,
    /// The ISO 3166 country code, upper case.
    pub cc: Option<[u8; 2]>,
}

impl AsnInfo {
    /// The country code as text.
    pub fn country(&self) -> Option<&str> {
        self.cc.as_ref().and_then(|c| std::str::from_utf8(c).ok())
    }
}

/// The table formats kizuki reads.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AsnFormat {
    /// iptoasn.com TSV: `range_start range_end AS_number country_code AS_description`.
    Ip2asn,
    /// CAIDA Routeviews prefix-to-AS: `prefix<TAB>length<TAB>asn`.
    Pfx2as,
    /// A MaxMind DB (GeoLite2-ASN or GeoLite2-Country layout).
    Mmdb,
}

impl AsnFormat {
    /// Tells the format from the first bytes and the name.
    pub fn detect(name: &str, head: &[u8]) -> Option<AsnFormat> {
        if head.windows(14).any(|w| w == b"\xab\xcd\xefMaxMind.com") || name.ends_with(".mmdb") {
            return Some(AsnFormat::Mmdb);
        }
        let text = String::from_utf8_lossy(&head[..head.len().min(4096)]);
        let line = text
            .lines()
            .find(|l| !l.trim().is_empty() && !l.starts_with('#'))?;
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.len() {
            3 if fields[1].trim().parse::<u8>().is_ok() => Some(AsnFormat::Pfx2as),
            n if n >= 4 && fields[0].trim().parse::<IpAddr>().is_ok() => Some(AsnFormat::Ip2asn),
            _ => None,
        }
    }
}

/// One source of AS data.
pub enum AsnSource {
    /// A table built from text.
    Table(IpTable<AsnInfo>),
    /// A MaxMind DB, looked up directly.
    Mmdb(maxminddb::Reader<Vec<u8>>),
}

impl AsnSource {
    /// What this source knows about an address.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnInfo> {
        match self {
            AsnSource::Table(t) => t.lookup(ip).cloned(),
            AsnSource::Mmdb(r) => mmdb_lookup(r, ip),
        }
    }
}

#[derive(serde::Deserialize)]
struct MmdbRecord {
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
    country: Option<MmdbCountry>,
    registered_country: Option<MmdbCountry>,
}

#[derive(serde::Deserialize)]
struct MmdbCountry {
    iso_code: Option<String>,
}

fn mmdb_lookup(r: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<AsnInfo> {
    // A damaged database gives an error here, not a panic (the reader
    // checks every offset it follows).
    let rec: MmdbRecord = r.lookup(ip).ok()?.decode().ok()??;
    let cc = rec
        .country
        .or(rec.registered_country)
        .and_then(|c| c.iso_code)
        .and_then(|c| cc_bytes(&c));
    let info = AsnInfo {
        asn: rec.autonomous_system_number.filter(|a| *a != 0),
        more: Vec::new(),
        name: rec.autonomous_system_organization.map(Arc::from),
        cc,
    };
    (info.asn.is_some() || info.cc.is_some()).then_some(info)
}

fn cc_bytes(c: &str) -> Option<[u8; 2]> {
    let b = c.trim().as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_alphanumeric))
        .then(|| [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()])
}

/// Parses one AS number: `64496`, `AS64496`.
fn parse_asn(s: &str) -> Option<u32> {
    let s = s.trim();
    let s = s
        .strip_prefix("AS")
        .or_else(|| s.strip_prefix("as"))
        .unwrap_or(s);
    s.parse().ok()
}

/// Loads a table file; malformed lines are reported, the rest is kept.
pub fn load(path: &Path) -> Result<(AsnSource, Vec<LineError>), LookupError> {
    let data = std::fs::read(path).map_err(|source| LookupError::Io {
        path: path.to_owned(),
        source,
    })?;
    let data = if data.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&data[..])
            .read_to_end(&mut out)
            .map_err(|e| LookupError::Format {
                path: path.display().to_string(),
                reason: format!("damaged gzip: {e}"),
            })?;
        out
    } else {
        data
    };
    let name = path.display().to_string();
    let fmt = AsnFormat::detect(&name, &data).ok_or_else(|| LookupError::Format {
        path: name.clone(),
        reason: "not an ip2asn TSV, pfx2as or MaxMind DB file".into(),
    })?;
    match fmt {
        AsnFormat::Mmdb => {
            let r = maxminddb::Reader::from_source(data).map_err(|e| LookupError::Format {
                path: name,
                reason: format!("not a valid MaxMind DB: {e}"),
            })?;
            Ok((AsnSource::Mmdb(r), Vec::new()))
        }
        AsnFormat::Ip2asn | AsnFormat::Pfx2as => {
            let text = String::from_utf8_lossy(&data);
            let (b, errors) = parse_text(&name, &text, fmt);
            Ok((AsnSource::Table(b.build().0), errors))
        }
    }
}

/// Parses ip2asn or pfx2as text into a builder.
pub fn parse_text(
    name: &str,
    text: &str,
    fmt: AsnFormat,
) -> (IpTableBuilder<AsnInfo>, Vec<LineError>) {
    let mut b = IpTableBuilder::new();
    let mut errors = Vec::new();
    let mut names: std::collections::HashMap<String, Arc<str>> = std::collections::HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let err = |reason: String| LineError {
            file: name.to_owned(),
            line: i as u64 + 1,
            reason,
        };
        let f: Vec<&str> = line.split('\t').collect();
        match fmt {
            AsnFormat::Ip2asn => {
                if f.len() < 4 {
                    errors.push(err(format!(
                        "expected 5 tab-separated fields, found {}",
                        f.len()
                    )));
                    continue;
                }
                let (Ok(lo), Ok(hi)) =
                    (f[0].trim().parse::<IpAddr>(), f[1].trim().parse::<IpAddr>())
                else {
                    errors.push(err("range_start or range_end is not an address".into()));
                    continue;
                };
                let Some(range) = IpRange::new(lo, hi) else {
                    errors.push(err(
                        "range_end is before range_start, or the families differ".into(),
                    ));
                    continue;
                };
                let Some(asn) = parse_asn(f[2]) else {
                    errors.push(err(format!("{:?} is not an AS number", f[2])));
                    continue;
                };
                // AS 0 marks "Not routed": no value.
                if asn == 0 {
                    continue;
                }
                let desc = f
                    .get(4)
                    .map(|d| d.trim())
                    .filter(|d| !d.is_empty() && *d != "Not routed");
                let name = desc.map(|d| {
                    names
                        .entry(d.to_owned())
                        .or_insert_with(|| Arc::from(d))
                        .clone()
                });
                b.insert(
                    range,
                    AsnInfo {
                        asn: Some(asn),
                        more: Vec::new(),
                        name,
                        cc: cc_bytes(f[3]).filter(|c| c != b"No" && c != b"ZZ"),
                    },
                );
            }
            AsnFormat::Pfx2as => {
                if f.len() != 3 {
                    errors.push(err(format!(
                        "expected prefix<TAB>length<TAB>asn, found {} fields",
                        f.len()
                    )));
                    continue;
                }
                let Ok(addr) = f[0].trim().parse::<IpAddr>() else {
                    errors.push(err(format!("{:?} is not an address", f[0])));
                    continue;
                };
                let Some(range) = f[1]
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .and_then(|l| IpRange::prefix(addr, l))
                else {
                    errors.push(err(format!("{:?} is not a prefix length for {addr}", f[1])));
                    continue;
                };
                // Multi-origin `a_b` and AS sets `a,b`.
                let asns: Option<Vec<u32>> = f[2].split(['_', ',']).map(parse_asn).collect();
                match asns {
                    Some(list) if !list.is_empty() => {
                        b.insert(
                            range,
                            AsnInfo {
                                asn: Some(list[0]),
                                more: list[1..].to_vec(),
                                name: None,
                                cc: None,
                            },
                        );
                    }
                    _ => errors.push(err(format!("{:?} is not an AS number or set", f[2]))),
                }
            }
            AsnFormat::Mmdb => {}
        }
    }
    (b, errors)
}

/// Several sources, consulted in order: the first that knows an address
/// gives its AS; missing name or country are filled from later sources
/// (e.g. pfx2as for the AS, a Country MMDB for the country).
#[derive(Default)]
pub struct AsnDb {
    sources: Vec<(String, AsnSource)>,
}

impl AsnDb {
    /// An empty database.
    pub fn new() -> AsnDb {
        AsnDb::default()
    }

    /// Adds a source.
    pub fn add(&mut self, name: impl Into<String>, s: AsnSource) {
        self.sources.push((name.into(), s));
    }

    /// Whether no source was added.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// What the sources know about an address.
    pub fn lookup(&self, ip: IpAddr) -> Option<AsnInfo> {
        let mut out: Option<AsnInfo> = None;
        for (_, s) in &self.sources {
            let Some(i) = s.lookup(ip) else { continue };
            match &mut out {
                None => out = Some(i),
                Some(o) => {
                    if o.asn.is_none() {
                        o.asn = i.asn;
                        o.more = i.more;
                    }
                    if o.name.is_none() && o.asn == i.asn {
                        o.name = i.name;
                    }
                    if o.cc.is_none() {
                        o.cc = i.cc;
                    }
                }
            }
            if out
                .as_ref()
                .is_some_and(|o| o.asn.is_some() && o.name.is_some() && o.cc.is_some())
            {
                break;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip2asn_ranges_skip_not_routed_and_report_bad_lines() {
        let text = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n\
                    1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n\
                    1.0.4.0\t1.0.7.255\t38803\tAU\tWPL-AS-AP Wirefreebroadband Pty Ltd\n\
                    garbage line\n\
                    1.0.8.0\t1.0.7.0\t1\tAU\tbackwards\n";
        let (b, errors) = parse_text("ip2asn.tsv", text, AsnFormat::Ip2asn);
        let (t, _) = b.build();
        let at = |ip: &str| t.lookup(ip.parse().unwrap()).cloned();
        assert_eq!(at("1.0.0.7").unwrap().asn, Some(13335));
        assert_eq!(at("1.0.0.7").unwrap().country(), Some("US"));
        assert_eq!(at("1.0.2.1"), None);
        assert_eq!(
            at("1.0.5.5").unwrap().name.as_deref(),
            Some("WPL-AS-AP Wirefreebroadband Pty Ltd")
        );
        assert_eq!(errors.len(), 2);
        assert_eq!((errors[0].line, errors[1].line), (4, 5));
        assert_eq!(
            errors[0].to_string(),
            "ip2asn.tsv:4: expected 5 tab-separated fields, found 1"
        );
    }

    #[test]
    fn pfx2as_multi_origin_and_sets() {
        let text = "1.0.0.0\t24\t13335\n1.0.4.0\t22\t38803_56203\n1.0.8.0\t21\t4134,4847\n2001:db8::\t32\t64496\n1.0.16.0\t33\t1\n";
        let (b, errors) = parse_text("pfx2as", text, AsnFormat::Pfx2as);
        let (t, _) = b.build();
        let at = |ip: &str| t.lookup(ip.parse().unwrap()).cloned().unwrap();
        assert_eq!(at("1.0.5.1").asn, Some(38803));
        assert_eq!(at("1.0.5.1").more, vec![56203]);
        assert_eq!(at("1.0.9.1").more, vec![4847]);
        assert_eq!(at("2001:db8::1").asn, Some(64496));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 5);
    }

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(
            AsnFormat::detect("x", b"1.0.0.0\t24\t13335\n"),
            Some(AsnFormat::Pfx2as)
        );
        assert_eq!(
            AsnFormat::detect("x", b"1.0.0.0\t1.0.0.255\t13335\tUS\tX\n"),
            Some(AsnFormat::Ip2asn)
        );
        assert_eq!(AsnFormat::detect("x", b"hello\n"), None);
    }
}
