//! Domain → owner, the most specific suffix winning.

use std::collections::HashMap;

/// Maps domains (and their subdomains) to values. `example.jp` matches
/// `example.jp` and `mail.example.jp`, not `badexample.jp`; a more specific
/// entry (`mail.example.jp`) wins over a shorter one.
///
/// ```
/// use kizuki_lookup::DomainTable;
///
/// let mut t = DomainTable::new();
/// t.insert("example.jp", "isp-a");
/// t.insert("corp.example.jp", "corp");
/// assert_eq!(t.lookup("user@Mail.Example.JP"), Some(&"isp-a"));
/// assert_eq!(t.lookup("pc1.corp.example.jp"), Some(&"corp"));
/// assert_eq!(t.lookup("badexample.jp"), None);
/// ```
#[derive(Clone, Debug)]
pub struct DomainTable<V> {
    map: HashMap<String, V>,
}

impl<V> Default for DomainTable<V> {
    fn default() -> Self {
        DomainTable {
            map: HashMap::new(),
        }
    }
}

/// The domain part of an account or name, lower-cased, without a trailing
/// dot.
pub fn normalize(s: &str) -> String {
    let d = s.rsplit('@').next().unwrap_or(s);
    d.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl<V> DomainTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a domain; returns the value it replaced, if the domain was
    /// already there.
    pub fn insert(&mut self, domain: &str, v: V) -> Option<V> {
        self.map.insert(normalize(domain), v)
    }

    /// The value of the most specific domain that `name` (a host name, a
    /// domain, or an e-mail address) is in.
    pub fn lookup(&self, name: &str) -> Option<&V> {
        let n = normalize(name);
        let mut rest = n.as_str();
        loop {
            if let Some(v) = self.map.get(rest) {
                return Some(v);
            }
            rest = rest.split_once('.')?.1;
        }
    }

    /// The number of domains.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every domain with its value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }
}
