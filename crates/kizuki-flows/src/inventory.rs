//! The asset inventory: which machine has an address, who owns it. Lookups
//! go through [`AssetLookup`], so a database table can stand in for the
//! CSV file.

use crate::error::{FlowError, Reject};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;

/// One asset: a machine and who is responsible for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// The inventory's identifier.
    pub asset_id: String,
    /// The host name, when known.
    pub hostname: Option<String>,
    /// The (internal) address, when fixed.
    pub ip: Option<IpAddr>,
    /// The MAC address, normalized to `aa:bb:cc:dd:ee:ff`.
    pub mac: Option<String>,
    /// The owner (a person or a role).
    pub owner: Option<String>,
    /// The owner's department.
    pub department: Option<String>,
}

/// Finds assets by address, host name or MAC address.
pub trait AssetLookup {
    /// The asset with this address.
    fn by_ip(&self, ip: IpAddr) -> Option<Asset>;
    /// The asset with this host name (any case).
    fn by_hostname(&self, hostname: &str) -> Option<Asset>;
    /// The asset with this MAC address (any common notation).
    fn by_mac(&self, mac: &str) -> Option<Asset>;
}

/// Normalizes a MAC address: `AA-BB-CC-DD-EE-FF`, `aa:bb:cc:dd:ee:ff`,
/// `aabb.ccdd.eeff` and `aabbccddeeff` all become `aa:bb:cc:dd:ee:ff`.
pub fn normalize_mac(s: &str) -> Option<String> {
    let s = s.trim();
    let hex: Vec<u8> = s
        .bytes()
        .filter(|c| !matches!(c, b':' | b'-' | b'.'))
        .collect();
    if hex.len() != 12 || !hex.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    // The separators must be one of the usual groupings, not anywhere.
    let shape_ok = match s.len() {
        12 => true,
        17 => {
            let sep = s.as_bytes()[2];
            matches!(sep, b':' | b'-')
                && s.bytes().enumerate().all(|(i, c)| {
                    if i % 3 == 2 {
                        c == sep
                    } else {
                        c != b':' && c != b'-'
                    }
                })
        }
        14 => s
            .bytes()
            .enumerate()
            .all(|(i, c)| if i % 5 == 4 { c == b'.' } else { c != b'.' }),
        _ => false,
    };
    if !shape_ok {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in hex.chunks(2).enumerate() {
        if i > 0 {
            out.push(':');
        }
        for c in pair {
            out.push(c.to_ascii_lowercase() as char);
        }
    }
    Some(out)
}

/// An asset inventory read from CSV with the header
/// `asset_id,hostname,ip,mac,owner,department` (columns in any order;
/// others ignored). Where two rows share an address, host name or MAC,
/// the first one answers lookups and [`Inventory::duplicates`] counts the
/// others.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    assets: Vec<Asset>,
    ip: HashMap<IpAddr, usize>,
    hostname: HashMap<String, usize>,
    mac: HashMap<String, usize>,
    duplicates: u64,
}

impl Inventory {
    /// An inventory of these assets.
    pub fn from_assets(assets: Vec<Asset>) -> Inventory {
        let mut inv = Inventory::default();
        for a in assets {
            inv.push(a);
        }
        inv
    }

    fn push(&mut self, a: Asset) {
        let i = self.assets.len();
        let mut dup = false;
        if let Some(ip) = a.ip {
            match self.ip.entry(ip) {
                Entry::Occupied(_) => dup = true,
                Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
        if let Some(h) = &a.hostname {
            match self.hostname.entry(h.to_lowercase()) {
                Entry::Occupied(_) => dup = true,
                Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
        if let Some(m) = &a.mac {
            match self.mac.entry(m.clone()) {
                Entry::Occupied(_) => dup = true,
                Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
        if dup {
            self.duplicates += 1;
        }
        self.assets.push(a);
    }

    /// Reads an inventory CSV. Rows with no `asset_id`, a bad address or a
    /// bad MAC come back as rejects; the others are kept.
    pub fn read(input: impl Read, file: &Arc<str>) -> Result<(Inventory, Vec<Reject>), FlowError> {
        let mut rd = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let header = rd
            .byte_headers()
            .map_err(|e| FlowError::format(file, format!("header: {e}")))?
            .clone();
        let col = |n: &str| {
            header
                .iter()
                .position(|h| h.trim_ascii().eq_ignore_ascii_case(n.as_bytes()))
        };
        let id = col("asset_id")
            .ok_or_else(|| FlowError::format(file, "header has no asset_id column"))?;
        let (hn, ipc, macc, own, dep) = (
            col("hostname"),
            col("ip"),
            col("mac"),
            col("owner"),
            col("department"),
        );
        let mut inv = Inventory::default();
        let mut rejects = Vec::new();
        let mut rec = csv::ByteRecord::new();
        loop {
            let line = rd.position().line();
            match rd.read_byte_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    rejects.push(Reject::new(file, line, format!("not CSV: {e}"), b""));
                    continue;
                }
            }
            let line = rec.position().map_or(line, |p| p.line());
            let raw = rec.iter().collect::<Vec<_>>().join(&b","[..]);
            if rec.iter().all(|f| f.trim_ascii().is_empty()) {
                continue;
            }
            if rec.len() != header.len() {
                rejects.push(Reject::new(
                    file,
                    line,
                    format!(
                        "row has {} fields, the header has {}",
                        rec.len(),
                        header.len()
                    ),
                    &raw,
                ));
                continue;
            }
            let get = |i: Option<usize>| -> Option<String> {
                let v = String::from_utf8_lossy(rec.get(i?)?).trim().to_owned();
                (!v.is_empty()).then_some(v)
            };
            let Some(asset_id) = get(Some(id)) else {
                rejects.push(Reject::new(file, line, "no asset_id", &raw));
                continue;
            };
            let ip = match get(ipc) {
                None => None,
                Some(v) => match v.parse::<IpAddr>() {
                    Ok(ip) => Some(ip),
                    Err(_) => {
                        rejects.push(Reject::new(
                            file,
                            line,
                            format!("ip {v:?} is not an IP address"),
                            &raw,
                        ));
                        continue;
                    }
                },
            };
            let mac = match get(macc) {
                None => None,
                Some(v) => match normalize_mac(&v) {
                    Some(m) => Some(m),
                    None => {
                        rejects.push(Reject::new(
                            file,
                            line,
                            format!("mac {v:?} is not a MAC address"),
                            &raw,
                        ));
                        continue;
                    }
                },
            };
            inv.push(Asset {
                asset_id,
                hostname: get(hn),
                ip,
                mac,
                owner: get(own),
                department: get(dep),
            });
        }
        Ok((inv, rejects))
    }

    /// Reads an inventory file.
    pub fn read_path(path: &std::path::Path) -> Result<(Inventory, Vec<Reject>), FlowError> {
        let f = std::fs::File::open(path).map_err(|e| FlowError::io(path, e))?;
        let name: Arc<str> = path.display().to_string().into();
        Inventory::read(std::io::BufReader::new(f), &name)
    }

    /// Every asset, in file order.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// The number of assets.
    pub fn len(&self) -> usize {
        self.assets.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.assets.is_empty()
    }

    /// Rows that repeat an address, host name or MAC of an earlier row.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }
}

impl AssetLookup for Inventory {
    fn by_ip(&self, ip: IpAddr) -> Option<Asset> {
        self.ip.get(&ip).map(|&i| self.assets[i].clone())
    }

    fn by_hostname(&self, hostname: &str) -> Option<Asset> {
        self.hostname
            .get(&hostname.trim().to_lowercase())
            .map(|&i| self.assets[i].clone())
    }

    fn by_mac(&self, mac: &str) -> Option<Asset> {
        let m = normalize_mac(mac)?;
        self.mac.get(&m).map(|&i| self.assets[i].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_forms() {
        for m in [
            "AA-BB-CC-DD-EE-0F",
            "aa:bb:cc:dd:ee:0f",
            "aabb.ccdd.ee0f",
            "AABBCCDDEE0F",
        ] {
            assert_eq!(
                normalize_mac(m).as_deref(),
                Some("aa:bb:cc:dd:ee:0f"),
                "{m}"
            );
        }
        for m in [
            "aa:bb:cc:dd:ee",
            "aa:bb-cc:dd:ee:ff",
            "aab.bccd.dee0f",
            "gg:bb:cc:dd:ee:ff",
        ] {
            assert_eq!(normalize_mac(m), None, "{m}");
        }
    }

    #[test]
    fn reads_rows_and_rejects_bad_ones() {
        let csv = "asset_id,hostname,ip,mac,owner,department\n\
                   A-1,PC-Sales-01,10.0.1.5,AA-BB-CC-DD-EE-01,Hanako Sato,Sales\n\
                   A-2,,10.0.1.6,,,\n\
                   ,pc3,10.0.1.7,,x,y\n\
                   A-4,pc4,10.0.1.999,,x,y\n\
                   A-5,pc5,,zz,x,y\n\
                   A-6,pc6\n\
                   A-7,pc-sales-01,10.0.1.8,,x,y\n";
        let (inv, rej) = Inventory::read(csv.as_bytes(), &Arc::from("inv.csv")).unwrap();
        assert_eq!(inv.len(), 3);
        assert_eq!(inv.duplicates(), 1);
        let lines: Vec<u64> = rej.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![4, 5, 6, 7]);
        let a = inv.by_ip("10.0.1.5".parse().unwrap()).unwrap();
        assert_eq!(a.owner.as_deref(), Some("Hanako Sato"));
        assert_eq!(inv.by_hostname("pc-sales-01").unwrap().asset_id, "A-1");
        assert_eq!(inv.by_mac("aabb.ccdd.ee01").unwrap().asset_id, "A-1");
        assert_eq!(
            inv.by_ip("10.0.1.6".parse().unwrap()).unwrap().hostname,
            None
        );
    }
}
