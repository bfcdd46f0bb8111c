//! Keys and static prefixes to subscriber ids, in memory.

use crate::attribute::SubscriberDirectory;
use kizuki_lookup::{IpRange, Segment, flatten};
use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;

/// The directory for attribution: built from `(key, subscriber id)` pairs.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    keys: HashMap<String, String>,
    ids: Vec<String>,
    v4: Vec<Segment<u32>>,
    v6: Vec<Segment<u128>>,
}

impl Directory {
    /// Builds from `(key, subscriber id)` pairs; `prefix:` keys become
    /// static assignments, the most specific prefix winning.
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Directory {
        let mut d = Directory::default();
        let mut e4: Vec<(u32, u32, u32)> = Vec::new();
        let mut e6: Vec<(u128, u128, u32)> = Vec::new();
        for (key, id) in pairs {
            if let Some(p) = key.strip_prefix("prefix:") {
                let Some(r) = IpRange::parse(p) else {
                    continue;
                };
                let v = d.ids.len() as u32;
                d.ids.push(id);
                match r {
                    IpRange::V4(a, b) => e4.push((a, b, v)),
                    IpRange::V6(a, b) => e6.push((a, b, v)),
                }
            } else {
                d.keys.insert(key, id);
            }
        }
        d.v4 = flatten(&e4).0;
        d.v6 = flatten(&e6).0;
        d
    }

    /// Keys known.
    pub fn len(&self) -> usize {
        self.keys.len() + self.ids.len()
    }

    /// Whether it knows no one.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn find<K: Copy + Ord>(segs: &[Segment<K>], k: K) -> Option<u32> {
    let i = segs.partition_point(|s| s.hi < k);
    segs.get(i).filter(|s| s.lo <= k).map(|s| s.value)
}

impl SubscriberDirectory for Directory {
    fn by_key(&self, key: &str) -> Option<String> {
        self.keys.get(key).cloned()
    }

    fn static_holders(&self, ip: IpAddr) -> Vec<String> {
        let v = match ip {
            IpAddr::V4(a) => find(&self.v4, u32::from(a)),
            IpAddr::V6(a) => find(&self.v6, u128::from(a)),
        };
        v.and_then(|v| self.ids.get(v as usize))
            .cloned()
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_static_prefix_wins() {
        let d = Directory::new([
            ("prefix:198.51.100.0/24".to_string(), "BIG".to_string()),
            ("prefix:198.51.100.64/29".into(), "SMALL".into()),
            ("prefix:2001:db8::/48".into(), "V6".into()),
            ("user:a".into(), "A".into()),
        ]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(d.static_holders(ip("198.51.100.65")), ["SMALL"]);
        assert_eq!(d.static_holders(ip("198.51.100.1")), ["BIG"]);
        assert!(d.static_holders(ip("198.51.101.1")).is_empty());
        assert_eq!(d.static_holders(ip("2001:db8::5")), ["V6"]);
        assert_eq!(d.by_key("user:a").as_deref(), Some("A"));
    }
}
