//! Deterministic NAT (RFC 7422): the port block of every inside address is
//! computed, not logged.
//!
//! Inside addresses are numbered from the start of the inside range; each
//! `ratio` of them (inside size / outside size) share one outside address,
//! in consecutive blocks of `ports_per_host` ports from `first_port`:
//!
//! ```text
//! off  = inside - inside_start
//! out  = outside_start + off / ratio
//! lo   = first_port + ports_per_host * (off % ratio)
//! back: inside = inside_start + (out - outside_start) * ratio + (port - first_port) / ports_per_host
//! ```

use crate::error::AttributionError;
use crate::record::Ports;
use serde::Deserialize;
use std::net::{IpAddr, Ipv4Addr};

/// One deterministic NAT, as configured under
/// `[[attribution.deterministic_nat]]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct DetNatConfig {
    /// A name for messages and `extra.attribution.via`.
    #[serde(default)]
    pub name: Option<String>,
    /// The inside range: a prefix (`100.64.0.0/18`) or `first-last`.
    pub inside: String,
    /// The outside range, the same way.
    pub outside: String,
    /// Ports each inside address gets.
    pub ports_per_host: u16,
    /// The first port of the first block. By default, 1024.
    #[serde(default = "default_first_port")]
    pub first_port: u16,
    /// When the mapping took effect (RFC 3339). By default, always.
    #[serde(default)]
    pub valid_from: Option<String>,
    /// When it stopped (RFC 3339). By default, never.
    #[serde(default)]
    pub valid_until: Option<String>,
}

fn default_first_port() -> u16 {
    1024
}

/// A checked deterministic NAT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetNat {
    /// Its name.
    pub name: String,
    inside: (u32, u32),
    outside: (u32, u32),
    ratio: u32,
    ports_per_host: u16,
    first_port: u16,
    from: i64,
    until: i64,
}

fn range(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    if let Some((a, b)) = s.split_once('-') {
        let a: Ipv4Addr = a.trim().parse().ok()?;
        let b: Ipv4Addr = b.trim().parse().ok()?;
        return (a <= b).then(|| (u32::from(a), u32::from(b)));
    }
    let (a, len) = s.split_once('/')?;
    let a: Ipv4Addr = a.trim().parse().ok()?;
    let len: u32 = len.trim().parse().ok()?;
    if len > 32 {
        return None;
    }
    let size = 1u64 << (32 - len);
    let start = u32::from(a) & !((size - 1) as u32);
    Some((start, (u64::from(start) + size - 1) as u32))
}

impl DetNat {
    /// Checks a configuration.
    pub fn new(c: &DetNatConfig) -> Result<DetNat, AttributionError> {
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| format!("{} -> {}", c.inside, c.outside));
        let err =
            |why: String| AttributionError::Config(format!("deterministic NAT {name}: {why}"));
        let inside = range(&c.inside).ok_or_else(|| {
            err(format!(
                "inside {:?} is not an IPv4 prefix or range",
                c.inside
            ))
        })?;
        let outside = range(&c.outside).ok_or_else(|| {
            err(format!(
                "outside {:?} is not an IPv4 prefix or range",
                c.outside
            ))
        })?;
        let n_in = u64::from(inside.1 - inside.0) + 1;
        let n_out = u64::from(outside.1 - outside.0) + 1;
        if n_in % n_out != 0 {
            return Err(err(format!(
                "{n_in} inside addresses do not share {n_out} outside addresses evenly"
            )));
        }
        let ratio = n_in / n_out;
        if c.ports_per_host == 0 {
            return Err(err("ports_per_host is 0".into()));
        }
        let top = u64::from(c.first_port) + ratio * u64::from(c.ports_per_host);
        if top > 65_536 {
            return Err(err(format!(
                "{ratio} hosts per address × {} ports from port {} run past 65535",
                c.ports_per_host, c.first_port
            )));
        }
        let time = |v: &Option<String>, default: i64| -> Result<i64, AttributionError> {
            match v {
                None => Ok(default),
                Some(s) => crate::clock::parse_rfc3339(s)
                    .ok_or_else(|| err(format!("{s:?} is not an RFC 3339 time"))),
            }
        };
        Ok(DetNat {
            name: name.clone(),
            inside,
            outside,
            ratio: ratio as u32,
            ports_per_host: c.ports_per_host,
            first_port: c.first_port,
            from: time(&c.valid_from, i64::MIN)?,
            until: time(&c.valid_until, i64::MAX)?,
        })
    }

    /// Whether the mapping was in effect at any time in `[t0, t1)`.
    pub fn active(&self, t0: i64, t1: i64) -> bool {
        self.from < t1 && t0 < self.until
    }

    /// Whether `ip` is one of its outside addresses.
    pub fn is_outside(&self, ip: IpAddr) -> bool {
        matches!(ip, IpAddr::V4(a) if (self.outside.0..=self.outside.1).contains(&u32::from(a)))
    }

    /// The outside address and ports of an inside address.
    pub fn forward(&self, inside: Ipv4Addr) -> Option<(Ipv4Addr, Ports)> {
        let i = u32::from(inside);
        if !(self.inside.0..=self.inside.1).contains(&i) {
            return None;
        }
        let off = i - self.inside.0;
        let out = self.outside.0 + off / self.ratio;
        let lo = u32::from(self.first_port) + u32::from(self.ports_per_host) * (off % self.ratio);
        let hi = lo + u32::from(self.ports_per_host) - 1;
        Some((
            Ipv4Addr::from(out),
            Ports {
                lo: lo as u16,
                hi: hi as u16,
            },
        ))
    }

    /// The inside address behind an outside address and port; `None` when
    /// the port is in no block.
    pub fn reverse(&self, outside: Ipv4Addr, port: u16) -> Option<Ipv4Addr> {
        let o = u32::from(outside);
        if !(self.outside.0..=self.outside.1).contains(&o) || port < self.first_port {
            return None;
        }
        let slot = u32::from(port - self.first_port) / u32::from(self.ports_per_host);
        if slot >= self.ratio {
            return None;
        }
        Some(Ipv4Addr::from(
            self.inside.0 + (o - self.outside.0) * self.ratio + slot,
        ))
    }

    /// Every inside address sharing an outside address, with its block.
    pub fn sharing(&self, outside: Ipv4Addr) -> Vec<(Ipv4Addr, Ports)> {
        let o = u32::from(outside);
        if !(self.outside.0..=self.outside.1).contains(&o) {
            return Vec::new();
        }
        let base = self.inside.0 + (o - self.outside.0) * self.ratio;
        (0..self.ratio)
            .filter_map(|k| {
                let ip = Ipv4Addr::from(base + k);
                self.forward(ip).map(|(_, p)| (ip, p))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nat(inside: &str, outside: &str, pph: u16, first: u16) -> Result<DetNat, AttributionError> {
        DetNat::new(&DetNatConfig {
            name: None,
            inside: inside.into(),
            outside: outside.into(),
            ports_per_host: pph,
            first_port: first,
            valid_from: None,
            valid_until: None,
        })
    }

    #[test]
    fn both_directions_agree_everywhere() {
        let n = nat("100.64.0.0/22", "198.51.100.0/28", 1000, 1024).unwrap();
        // 1024 inside over 16 outside: 64 each.
        for i in 0..1024u32 {
            let inside = Ipv4Addr::from(u32::from(Ipv4Addr::new(100, 64, 0, 0)) + i);
            let (out, ports) = n.forward(inside).unwrap();
            assert!(n.is_outside(IpAddr::V4(out)));
            for p in [ports.lo, ports.hi, ports.lo + (ports.hi - ports.lo) / 2] {
                assert_eq!(n.reverse(out, p), Some(inside));
            }
        }
        let out = Ipv4Addr::new(198, 51, 100, 3);
        assert_eq!(n.sharing(out).len(), 64);
        assert_eq!(n.reverse(out, 1023), None);
        assert_eq!(n.reverse(out, 1024 + 64 * 1000), None);
        assert_eq!(n.forward(Ipv4Addr::new(100, 64, 4, 0)), None);
    }

    #[test]
    fn bad_configurations_say_why() {
        assert!(nat("100.64.0.0/22", "198.51.100.0/28", 1100, 1024).is_err());
        assert!(nat("100.64.0.0-100.64.0.9", "198.51.100.0/30", 10, 1024).is_err());
        assert!(nat("100.64.0.0/33", "198.51.100.0/30", 10, 1024).is_err());
        assert!(nat("100.64.0.0/24", "198.51.100.0/30", 0, 1024).is_err());
    }
}
