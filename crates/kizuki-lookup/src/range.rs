//! Address ranges and the sweep that turns overlapping ranges into disjoint
//! segments, the most specific range winning each address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An inclusive range of addresses of one family.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpRange {
    /// IPv4, `lo..=hi`.
    V4(u32, u32),
    /// IPv6, `lo..=hi`.
    V6(u128, u128),
}

impl IpRange {
    /// The range from `lo` to `hi`, both included; `None` when the families
    /// differ or `hi < lo`.
    pub fn new(lo: IpAddr, hi: IpAddr) -> Option<IpRange> {
        match (lo, hi) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => Some(IpRange::V4(a.into(), b.into())),
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => Some(IpRange::V6(a.into(), b.into())),
            _ => None,
        }
    }

    /// The range of a prefix (host bits are ignored); `None` when the length
    /// is too long.
    pub fn prefix(addr: IpAddr, len: u8) -> Option<IpRange> {
        match addr {
            IpAddr::V4(a) if len <= 32 => {
                let a = u32::from(a);
                let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                Some(IpRange::V4(a & mask, (a & mask) | !mask))
            }
            IpAddr::V6(a) if len <= 128 => {
                let a = u128::from(a);
                let mask = if len == 0 {
                    0
                } else {
                    u128::MAX << (128 - len)
                };
                Some(IpRange::V6(a & mask, (a & mask) | !mask))
            }
            _ => None,
        }
    }

    /// Parses `a.b.c.d/len`, `a.b.c.d` (one address), or `a-b`.
    pub fn parse(s: &str) -> Option<IpRange> {
        let s = s.trim();
        if let Some((a, b)) = s.split_once('-') {
            return IpRange::new(a.trim().parse().ok()?, b.trim().parse().ok()?);
        }
        match s.split_once('/') {
            Some((a, l)) => IpRange::prefix(a.parse().ok()?, l.parse().ok()?),
            None => {
                let a: IpAddr = s.parse().ok()?;
                IpRange::new(a, a)
            }
        }
    }

    /// Whether the range holds `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self, ip) {
            (IpRange::V4(lo, hi), IpAddr::V4(a)) => (*lo..=*hi).contains(&u32::from(a)),
            (IpRange::V6(lo, hi), IpAddr::V6(a)) => (*lo..=*hi).contains(&u128::from(a)),
            _ => false,
        }
    }

    /// Whether two ranges share an address.
    pub fn overlaps(&self, other: &IpRange) -> bool {
        match (self, other) {
            (IpRange::V4(a, b), IpRange::V4(c, d)) => a <= d && c <= b,
            (IpRange::V6(a, b), IpRange::V6(c, d)) => a <= d && c <= b,
            _ => false,
        }
    }

    /// The number of addresses minus one (so a single address is 0), as a
    /// measure of specificity: smaller is more specific.
    pub fn span(&self) -> u128 {
        match self {
            IpRange::V4(lo, hi) => u128::from(hi - lo),
            IpRange::V6(lo, hi) => hi - lo,
        }
    }

    /// Whether this range is exactly one CIDR prefix.
    pub fn is_prefix(&self) -> bool {
        let size = self.span().wrapping_add(1);
        let lo = match self {
            IpRange::V4(lo, _) => u128::from(*lo),
            IpRange::V6(lo, _) => *lo,
        };
        // size 0 is the whole IPv6 space (the span wrapped).
        size == 0 || (size.is_power_of_two() && lo % size == 0)
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (lo, hi): (IpAddr, IpAddr) = match self {
            IpRange::V4(a, b) => (Ipv4Addr::from(*a).into(), Ipv4Addr::from(*b).into()),
            IpRange::V6(a, b) => (Ipv6Addr::from(*a).into(), Ipv6Addr::from(*b).into()),
        };
        if self.is_prefix() {
            let bits = if lo.is_ipv4() { 32 } else { 128 };
            let len = bits - (self.span().wrapping_add(1)).trailing_zeros().min(bits);
            write!(f, "{lo}/{len}")
        } else {
            write!(f, "{lo}-{hi}")
        }
    }
}

/// A disjoint piece of the address space and the value (index) that wins
/// there.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Segment<K> {
    /// First address.
    pub lo: K,
    /// Last address.
    pub hi: K,
    /// The winning entry's value index.
    pub value: u32,
}

/// Two entries of the same size claim the same addresses: which wins is
/// arbitrary, so it is reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tie {
    /// The value index that won (the one given first).
    pub winner: u32,
    /// The value index that lost.
    pub loser: u32,
}

/// Flattens possibly overlapping `(lo, hi, value)` entries into sorted,
/// disjoint segments: at each address the smallest entry covering it wins
/// (for prefixes, the longest prefix); equal sizes go to the entry given
/// first, and such ties are returned.
pub fn flatten<K>(entries: &[(K, K, u32)]) -> (Vec<Segment<K>>, Vec<Tie>)
where
    K: Copy + Ord + Into<u128> + TryFrom<u128>,
{
    let mut starts: Vec<(u128, usize)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.0.into(), i))
        .collect();
    starts.sort_unstable();
    let mut segments: Vec<Segment<K>> = Vec::new();
    let mut ties = Vec::new();
    let span = |i: usize| entries[i].1.into() - entries[i].0.into();
    let end = |i: usize| entries[i].1.into();
    // Entries covering `pos`. Nesting is shallow in real tables (a prefix
    // inside a few shorter ones), so a vector scan beats a heap here.
    let mut active: Vec<usize> = Vec::new();
    let mut next_start = 0;
    let Some(&(mut pos, _)) = starts.first() else {
        return (segments, ties);
    };
    loop {
        active.retain(|&i| end(i) >= pos);
        while next_start < starts.len() && starts[next_start].0 == pos {
            active.push(starts[next_start].1);
            next_start += 1;
        }
        let Some(&winner) = active.iter().min_by_key(|&&i| (span(i), i)) else {
            // A gap: jump to the next start.
            match starts.get(next_start) {
                Some(&(p, _)) => {
                    pos = p;
                    continue;
                }
                None => break,
            }
        };
        // The winner holds until an active entry ends or a new one starts.
        let mut stop = active.iter().map(|&i| end(i)).min().unwrap_or(pos);
        if let Some(&(p, _)) = starts.get(next_start) {
            stop = stop.min(p - 1);
        }
        // A tie is reported once, where the two entries first meet.
        for &i in &active {
            if i != winner
                && span(i) == span(winner)
                && entries[i].0.into().max(entries[winner].0.into()) == pos
            {
                ties.push(Tie {
                    winner: entries[winner].2,
                    loser: entries[i].2,
                });
            }
        }
        if let (Ok(lo), Ok(hi)) = (K::try_from(pos), K::try_from(stop)) {
            let value = entries[winner].2;
            match segments.last_mut() {
                // Merge with the previous segment when it continues it.
                Some(last) if last.value == value && last.hi.into().checked_add(1) == Some(pos) => {
                    last.hi = hi
                }
                _ => segments.push(Segment { lo, hi, value }),
            }
        }
        match stop.checked_add(1) {
            Some(p) => pos = p,
            None => break,
        }
    }
    (segments, ties)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        assert_eq!(
            IpRange::parse("10.0.0.0/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            IpRange::parse("10.1.2.3/8").unwrap().to_string(),
            "10.0.0.0/8"
        );
        assert_eq!(
            IpRange::parse("10.0.0.5-10.0.0.9").unwrap().to_string(),
            "10.0.0.5-10.0.0.9"
        );
        assert_eq!(
            IpRange::parse("10.0.0.5").unwrap().to_string(),
            "10.0.0.5/32"
        );
        assert_eq!(
            IpRange::parse("2001:db8::/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(
            IpRange::parse("0.0.0.0/0").unwrap().to_string(),
            "0.0.0.0/0"
        );
        assert!(IpRange::parse("10.0.0.9-10.0.0.5").is_none());
        assert!(IpRange::parse("10.0.0.0/33").is_none());
        assert!(IpRange::parse("10.0.0.0-2001:db8::").is_none());
    }

    #[test]
    fn most_specific_wins_and_ranges_merge() {
        let entries: Vec<(u32, u32, u32)> = vec![
            (0, 99, 1),   // outer
            (10, 19, 2),  // inner
            (15, 15, 3),  // innermost
            (50, 120, 4), // overlaps the outer's end, is smaller than it
        ];
        let (segs, ties) = flatten(&entries);
        let got: Vec<(u32, u32, u32)> = segs.iter().map(|s| (s.lo, s.hi, s.value)).collect();
        assert_eq!(
            got,
            vec![
                (0, 9, 1),
                (10, 14, 2),
                (15, 15, 3),
                (16, 19, 2),
                (20, 49, 1),
                (50, 120, 4)
            ]
        );
        assert!(ties.is_empty());
    }

    #[test]
    fn ties_are_reported_and_the_first_wins() {
        let entries: Vec<(u32, u32, u32)> = vec![(10, 19, 7), (10, 19, 8)];
        let (segs, ties) = flatten(&entries);
        assert_eq!(
            segs,
            vec![Segment {
                lo: 10,
                hi: 19,
                value: 7
            }]
        );
        assert_eq!(
            ties,
            vec![Tie {
                winner: 7,
                loser: 8
            }]
        );
    }

    #[test]
    fn whole_space() {
        let entries: Vec<(u32, u32, u32)> = vec![(0, u32::MAX, 1), (u32::MAX, u32::MAX, 2)];
        let (segs, _) = flatten(&entries);
        assert_eq!(segs.last().unwrap().hi, u32::MAX);
        assert_eq!(segs.last().unwrap().value, 2);
    }
}
