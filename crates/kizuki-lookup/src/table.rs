//! [`IpTable`]: longest-prefix match over IPv4 and IPv6.
//!
//! IPv4 uses DIR-24-8 (Gupta, Lin and McKeown, 1998): one 2^24-entry array
//! indexed by the top 24 bits, and 256-entry chunks for the /24s that are
//! split further, so a lookup is one or two memory reads. IPv6 keeps the
//! flattened, disjoint segments sorted and binary-searches them.
//!
//! Tables are built from ranges (prefixes are ranges); where ranges overlap
//! the smallest one wins, which for prefixes is the longest prefix.

use crate::range::{IpRange, Segment, Tie, flatten};
use std::net::IpAddr;

/// Top bit of a tbl24 entry: the rest is a chunk number in `long`.
const LONG: u32 = 1 << 31;

/// DIR-24-8 for IPv4. Entries are value indexes, 0 meaning "no value".
#[derive(Clone)]
pub(crate) struct V4Table {
    tbl24: Box<[u32; 1 << 24]>,
    long: Vec<u32>,
}

impl V4Table {
    pub(crate) fn empty() -> V4Table {
        let mut v: Box<[u32]> = vec![0u32; 1 << 24].into_boxed_slice();
        advise_huge_pages(&mut v);
        // The length is 1 << 24 by construction.
        let tbl24: Box<[u32; 1 << 24]> = v.try_into().unwrap_or_else(|_| unreachable!());
        V4Table {
            tbl24,
            long: Vec::new(),
        }
    }

    pub(crate) fn build(segments: &[Segment<u32>]) -> V4Table {
        let mut t = V4Table::empty();
        for s in segments {
            let (b0, b1) = (s.lo >> 8, s.hi >> 8);
            if b0 == b1 {
                t.fill(b0, (s.lo & 255) as u8, (s.hi & 255) as u8, s.value);
                continue;
            }
            t.fill(b0, (s.lo & 255) as u8, 255, s.value);
            for b in b0 + 1..b1 {
                t.tbl24[b as usize] = s.value;
            }
            t.fill(b1, 0, (s.hi & 255) as u8, s.value);
        }
        t
    }

    /// Sets addresses `a..=b` of /24 block `block` to `v`.
    fn fill(&mut self, block: u32, a: u8, b: u8, v: u32) {
        let e = &mut self.tbl24[block as usize];
        if a == 0 && b == 255 && *e & LONG == 0 {
            *e = v;
            return;
        }
        if *e & LONG == 0 {
            let chunk = (self.long.len() / 256) as u32;
            self.long.extend(std::iter::repeat_n(*e, 256));
            *e = LONG | chunk;
        }
        let base = ((*e & !LONG) as usize) << 8;
        self.long[base + usize::from(a)..=base + usize::from(b)].fill(v);
    }

    #[inline]
    pub(crate) fn get(&self, ip: u32) -> u32 {
        let e = self.tbl24[(ip >> 8) as usize];
        if e & LONG == 0 {
            e
        } else {
            self.long_get(e, ip)
        }
    }

    #[inline]
    fn long_get(&self, e: u32, ip: u32) -> u32 {
        self.long
            .get((((e & !LONG) as usize) << 8) | (ip & 255) as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Many lookups at once: the first-level reads of a whole block are
    /// issued before any is used, so the memory system serves them in
    /// parallel instead of one miss at a time.
    pub(crate) fn get_many(&self, ips: &[u32], out: &mut [u32]) {
        const BLOCK: usize = 64;
        for (ips, out) in ips.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            for (o, ip) in out.iter_mut().zip(ips) {
                *o = self.tbl24[(*ip >> 8) as usize];
            }
            for (o, ip) in out.iter_mut().zip(ips) {
                if *o & LONG != 0 {
                    *o = self.long_get(*o, *ip);
                }
            }
        }
    }

    pub(crate) fn parts(&self) -> (&[u32], &[u32]) {
        (&self.tbl24[..], &self.long)
    }

    pub(crate) fn parts_mut(&mut self) -> (&mut [u32], &mut Vec<u32>) {
        (&mut self.tbl24[..], &mut self.long)
    }

    pub(crate) fn with_long(mut self, long: Vec<u32>) -> V4Table {
        self.long = long;
        self
    }
}

/// Asks the kernel to back the 64 MB table with huge pages: random lookups
/// into it then miss the TLB far less often. Only a hint; without it (or on
/// other systems) the table works the same.
#[allow(unsafe_code)]
fn advise_huge_pages(buf: &mut [u32]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = buf.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(buf);
        let aligned = start.next_multiple_of(HUGE);
        if aligned < end {
            let len = (end - aligned) / HUGE * HUGE;
            // SAFETY: madvise only advises the kernel about pages of a buffer
            // this function holds exclusively; the range lies inside it, is
            // page-aligned, and the call neither reads nor writes memory.
            // MADV_HUGEPAGE changes no contents, and its failure is harmless.
            unsafe {
                libc::madvise(aligned as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
            }
        }
    }
}

/// Sorted disjoint IPv6 segments.
#[derive(Clone, Default)]
pub(crate) struct V6Table {
    pub(crate) lo: Vec<u128>,
    pub(crate) hi: Vec<u128>,
    pub(crate) value: Vec<u32>,
}

impl V6Table {
    fn build(segments: &[Segment<u128>]) -> V6Table {
        V6Table {
            lo: segments.iter().map(|s| s.lo).collect(),
            hi: segments.iter().map(|s| s.hi).collect(),
            value: segments.iter().map(|s| s.value).collect(),
        }
    }

    #[inline]
    fn get(&self, ip: u128) -> u32 {
        let i = self.lo.partition_point(|&lo| lo <= ip);
        if i == 0 || self.hi[i - 1] < ip {
            0
        } else {
            self.value[i - 1]
        }
    }
}

/// A longest-prefix-match table from addresses to values.
///
/// ```
/// use kizuki_lookup::{IpRange, IpTableBuilder};
///
/// let mut b = IpTableBuilder::new();
/// b.insert(IpRange::parse("192.0.2.0/24").unwrap(), "outer");
/// b.insert(IpRange::parse("192.0.2.128/25").unwrap(), "inner");
/// let (t, _ties) = b.build();
/// assert_eq!(t.lookup("192.0.2.200".parse().unwrap()), Some(&"inner"));
/// assert_eq!(t.lookup("192.0.2.1".parse().unwrap()), Some(&"outer"));
/// assert_eq!(t.lookup("198.51.100.1".parse().unwrap()), None);
/// ```
#[derive(Clone)]
pub struct IpTable<V> {
    pub(crate) v4: V4Table,
    pub(crate) v6: V6Table,
    /// Values; index 0 is unused (0 means "none").
    pub(crate) values: Vec<V>,
}

impl<V> IpTable<V> {
    /// The value for an address.
    #[inline]
    pub fn lookup(&self, ip: IpAddr) -> Option<&V> {
        let i = match ip {
            IpAddr::V4(a) => self.v4.get(a.into()),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.get(v4.into()),
                None => self.v6.get(a.into()),
            },
        };
        if i == 0 {
            None
        } else {
            self.values.get(i as usize - 1)
        }
    }

    /// The value for an IPv4 address as a number (the fastest path).
    #[inline]
    pub fn lookup_v4(&self, ip: u32) -> Option<&V> {
        let i = self.v4.get(ip);
        if i == 0 {
            None
        } else {
            self.values.get(i as usize - 1)
        }
    }

    /// Looks up many IPv4 addresses (as numbers) at once, which is faster
    /// than one at a time; `out[i]` is the value of `ips[i]`.
    pub fn lookup_v4_many<'a>(&'a self, ips: &[u32], out: &mut Vec<Option<&'a V>>) {
        let mut idx = vec![0u32; ips.len()];
        self.v4.get_many(ips, &mut idx);
        out.clear();
        out.extend(idx.iter().map(|&i| {
            if i == 0 {
                None
            } else {
                self.values.get(i as usize - 1)
            }
        }));
    }

    /// All values.
    pub fn values(&self) -> &[V] {
        &self.values
    }

    /// The number of IPv6 segments (for figures).
    pub fn v6_segments(&self) -> usize {
        self.v6.lo.len()
    }
}

/// Collects ranges and values, then builds an [`IpTable`].
pub struct IpTableBuilder<V> {
    v4: Vec<(u32, u32, u32)>,
    v6: Vec<(u128, u128, u32)>,
    values: Vec<V>,
}

impl<V> Default for IpTableBuilder<V> {
    fn default() -> Self {
        IpTableBuilder {
            v4: Vec::new(),
            v6: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<V> IpTableBuilder<V> {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a range. Returns the value's index, as ties report it.
    pub fn insert(&mut self, range: IpRange, value: V) -> u32 {
        self.values.push(value);
        let id = self.values.len() as u32;
        match range {
            IpRange::V4(lo, hi) => self.v4.push((lo, hi, id)),
            IpRange::V6(lo, hi) => self.v6.push((lo, hi, id)),
        }
        id
    }

    /// The value with the index `insert` returned.
    pub fn value(&self, id: u32) -> Option<&V> {
        self.values.get(id as usize - 1)
    }

    /// Builds the table; also returns the ties (two equally specific ranges
    /// claiming the same addresses; the one inserted first wins).
    pub fn build(self) -> (IpTable<V>, Vec<Tie>) {
        let (s4, mut ties) = flatten(&self.v4);
        let (s6, t6) = flatten(&self.v6);
        ties.extend(t6);
        let t = IpTable {
            v4: V4Table::build(&s4),
            v6: V6Table::build(&s6),
            values: self.values,
        };
        (t, ties)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(entries: &[(&str, u32)]) -> IpTable<u32> {
        let mut b = IpTableBuilder::new();
        for (r, v) in entries {
            b.insert(IpRange::parse(r).unwrap(), *v);
        }
        b.build().0
    }

    fn get(t: &IpTable<u32>, ip: &str) -> Option<u32> {
        t.lookup(ip.parse().unwrap()).copied()
    }

    #[test]
    fn longest_prefix_wins_in_both_families() {
        let t = build(&[
            ("0.0.0.0/0", 1),
            ("10.0.0.0/8", 2),
            ("10.1.0.0/16", 3),
            ("10.1.2.0/24", 4),
            ("10.1.2.128/25", 5),
            ("10.1.2.200/32", 6),
            ("2001:db8::/32", 7),
            ("2001:db8:1::/48", 8),
        ]);
        assert_eq!(get(&t, "9.9.9.9"), Some(1));
        assert_eq!(get(&t, "10.9.9.9"), Some(2));
        assert_eq!(get(&t, "10.1.9.9"), Some(3));
        assert_eq!(get(&t, "10.1.2.9"), Some(4));
        assert_eq!(get(&t, "10.1.2.129"), Some(5));
        assert_eq!(get(&t, "10.1.2.200"), Some(6));
        assert_eq!(get(&t, "10.1.2.201"), Some(5));
        assert_eq!(get(&t, "255.255.255.255"), Some(1));
        assert_eq!(get(&t, "2001:db8:1::1"), Some(8));
        assert_eq!(get(&t, "2001:db8:2::1"), Some(7));
        assert_eq!(get(&t, "2001:db9::1"), None);
        // An IPv4-mapped IPv6 address is looked up as IPv4.
        assert_eq!(get(&t, "::ffff:10.1.2.200"), Some(6));
    }

    #[test]
    fn ranges_that_are_not_prefixes() {
        let t = build(&[("192.0.2.10-192.0.3.20", 1), ("192.0.2.0/24", 2)]);
        assert_eq!(get(&t, "192.0.2.9"), Some(2));
        // The /24 (256 addresses) is smaller than the range (267): it wins.
        assert_eq!(get(&t, "192.0.2.10"), Some(2));
        assert_eq!(get(&t, "192.0.3.20"), Some(1));
        assert_eq!(get(&t, "192.0.3.21"), None);
    }

    /// Against a plain scan over random prefixes.
    #[test]
    fn agrees_with_brute_force() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let mut entries = Vec::new();
        for v in 1..2000u32 {
            let len = rng.random_range(4..=32u8);
            let addr = std::net::Ipv4Addr::from(rng.random::<u32>() & 0x0fff_ffff);
            entries.push((IpRange::prefix(addr.into(), len).unwrap(), v));
        }
        let mut b = IpTableBuilder::new();
        for (r, v) in &entries {
            b.insert(*r, *v);
        }
        let (t, _) = b.build();
        for _ in 0..20000 {
            let ip = rng.random::<u32>() & 0x0fff_ffff;
            let want = entries
                .iter()
                .filter(|(r, _)| r.contains(std::net::Ipv4Addr::from(ip).into()))
                .min_by_key(|(r, v)| (r.span(), *v))
                .map(|(_, v)| *v);
            assert_eq!(
                t.lookup_v4(ip).copied(),
                want,
                "{}",
                std::net::Ipv4Addr::from(ip)
            );
        }
    }
}
