//! The interval index of one partition: a file that is memory-mapped and
//! searched in place.
//!
//! Layout (little-endian):
//!
//! | part | size |
//! | --- | --- |
//! | [`Header`] | 96 bytes |
//! | IPv4 directory, for large files: for each /16, the first entry | 65,537 × 4 bytes |
//! | IPv4 entries, sorted by address then start | 24 bytes each |
//! | IPv6 entries, sorted by prefix length, prefix, start | 40 bytes each |
//! | holder offsets | (holders + 1) × 4 bytes |
//! | holders: a kind byte and the key or address | variable |
//!
//! Each entry keeps, besides its own span, the latest end among the
//! entries of its address sorted before it (`max_end`), so a search walks
//! back from the query time only as far as an interval could still reach
//! it.

use crate::error::AttributionError;
use crate::record::{Holder, Interval, Net, Ports, SourceKind, ip_bytes};
use crate::store::records::decode_holder;
use bytemuck::{Pod, Zeroable};
use memmap2::Mmap;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

const MAGIC: [u8; 8] = *b"KZAIDX\x00\x01";
const DIR_LEN: usize = 65_537;
/// Below this many IPv4 entries a binary search over all of them is as
/// quick, and the directory would dwarf the file.
const DIR_MIN: usize = 1 << 16;

#[repr(C)]
#[derive(Copy, Clone, Debug, Pod, Zeroable)]
struct Header {
    magic: [u8; 8],
    kind: u32,
    _pad: u32,
    n4: u64,
    n6: u64,
    nholders: u64,
    holder_bytes: u64,
    span_start: i64,
    span_end: i64,
    overlaps: u64,
    merged_from: u64,
    /// 1 when the IPv4 directory is present.
    has_dir: u64,
    _reserved: u64,
}

/// An IPv4 interval as stored: 24 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Pod, Zeroable)]
pub(crate) struct V4Entry {
    pub(crate) addr: u32,
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) max_end: u32,
    pub(crate) holder: u32,
    pub(crate) lo: u16,
    pub(crate) hi: u16,
}

/// An IPv6 interval as stored: 40 bytes.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Pod, Zeroable)]
pub(crate) struct V6Entry {
    pub(crate) net: [u8; 16],
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) max_end: u32,
    pub(crate) holder: u32,
    pub(crate) lo: u16,
    pub(crate) hi: u16,
    pub(crate) len: u8,
    pub(crate) _pad: [u8; 3],
}

/// Seconds as stored: 1970 to 2106.
fn secs(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

/// What building an index found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Intervals given.
    pub intervals: u64,
    /// Entries written, after touching intervals of the same holder were
    /// joined.
    pub entries: u64,
    /// Pairs of entries for the same address, overlapping ports and
    /// overlapping times, with different holders.
    pub overlaps: u64,
    /// The earliest start.
    pub span_start: i64,
    /// The latest end.
    pub span_end: i64,
}

/// Builds the index bytes from intervals of one log kind.
pub(crate) fn build(kind: SourceKind, intervals: &[Interval]) -> (Vec<u8>, BuildStats) {
    let mut holders: HashMap<&Holder, u32> = HashMap::new();
    let mut table: Vec<&Holder> = Vec::new();
    let mut v4: Vec<V4Entry> = Vec::new();
    let mut v6: Vec<V6Entry> = Vec::new();
    for iv in intervals {
        let h = *holders.entry(&iv.holder).or_insert_with(|| {
            table.push(&iv.holder);
            (table.len() - 1) as u32
        });
        match iv.net.addr {
            IpAddr::V4(a) if iv.net.len == 32 => v4.push(V4Entry {
                addr: u32::from(a),
                start: secs(iv.start),
                end: secs(iv.end),
                max_end: 0,
                holder: h,
                lo: iv.ports.lo,
                hi: iv.ports.hi,
            }),
            addr => v6.push(V6Entry {
                net: ip_bytes(addr),
                start: secs(iv.start),
                end: secs(iv.end),
                max_end: 0,
                holder: h,
                lo: iv.ports.lo,
                hi: iv.ports.hi,
                // IPv4 prefixes are kept with the IPv6 ones, mapped.
                len: if addr.is_ipv4() {
                    iv.net.len + 96
                } else {
                    iv.net.len
                },
                _pad: [0; 3],
            }),
        }
    }
    let stats_in = intervals.len() as u64;
    let v4 = join_v4(v4);
    let v6 = join_v6(v6);
    let mut overlaps = 0u64;
    let v4 = finish_v4(v4, &mut overlaps);
    let v6 = finish_v6(v6, &mut overlaps);
    let span_start = v4
        .iter()
        .map(|e| e.start)
        .chain(v6.iter().map(|e| e.start))
        .min()
        .map_or(0, i64::from);
    let span_end = v4
        .iter()
        .map(|e| e.end)
        .chain(v6.iter().map(|e| e.end))
        .max()
        .map_or(0, i64::from);
    let mut blob = Vec::new();
    let mut offsets = Vec::with_capacity(table.len() + 1);
    for h in &table {
        offsets.push(blob.len() as u32);
        match h {
            Holder::Key(k) => {
                blob.push(0);
                blob.extend_from_slice(k.as_bytes());
            }
            Holder::Inside(IpAddr::V4(a)) => {
                blob.push(4);
                blob.extend_from_slice(&a.octets());
            }
            Holder::Inside(IpAddr::V6(a)) => {
                blob.push(6);
                blob.extend_from_slice(&a.octets());
            }
        }
    }
    offsets.push(blob.len() as u32);
    let mut dir = if v4.len() >= DIR_MIN {
        vec![0u32; DIR_LEN]
    } else {
        Vec::new()
    };
    if !dir.is_empty() {
        let mut i = 0usize;
        for (b, slot) in dir.iter_mut().enumerate() {
            while i < v4.len() && (v4[i].addr >> 16) < b as u32 {
                i += 1;
            }
            *slot = i as u32;
        }
    }
    let header = Header {
        magic: MAGIC,
        kind: u32::from(kind.code()),
        _pad: 0,
        n4: v4.len() as u64,
        n6: v6.len() as u64,
        nholders: table.len() as u64,
        holder_bytes: blob.len() as u64,
        span_start,
        span_end,
        overlaps,
        merged_from: stats_in,
        has_dir: u64::from(!dir.is_empty()),
        _reserved: 0,
    };
    let mut out = Vec::with_capacity(
        96 + dir.len() * 4 + v4.len() * 24 + v6.len() * 40 + offsets.len() * 4 + blob.len() + 8,
    );
    out.extend_from_slice(bytemuck::bytes_of(&header));
    out.extend_from_slice(bytemuck::cast_slice(&dir));
    pad8(&mut out);
    out.extend_from_slice(bytemuck::cast_slice(&v4));
    out.extend_from_slice(bytemuck::cast_slice(&v6));
    out.extend_from_slice(bytemuck::cast_slice(&offsets));
    out.extend_from_slice(&blob);
    let stats = BuildStats {
        intervals: stats_in,
        entries: (v4.len() + v6.len()) as u64,
        overlaps,
        span_start,
        span_end,
    };
    (out, stats)
}

fn pad8(v: &mut Vec<u8>) {
    while v.len() % 8 != 0 {
        v.push(0);
    }
}

/// Joins intervals of the same address, ports and holder that touch or
/// overlap (a block split by interim records, a lease renewed).
fn join_v4(mut v: Vec<V4Entry>) -> Vec<V4Entry> {
    v.sort_unstable_by_key(|e| (e.addr, e.lo, e.hi, e.holder, e.start, e.end));
    let mut out: Vec<V4Entry> = Vec::with_capacity(v.len());
    for e in v {
        if let Some(p) = out.last_mut()
            && (p.addr, p.lo, p.hi, p.holder) == (e.addr, e.lo, e.hi, e.holder)
            && e.start <= p.end
        {
            p.end = p.end.max(e.end);
            continue;
        }
        out.push(e);
    }
    out
}

fn join_v6(mut v: Vec<V6Entry>) -> Vec<V6Entry> {
    v.sort_unstable_by_key(|e| (e.len, e.net, e.lo, e.hi, e.holder, e.start, e.end));
    let mut out: Vec<V6Entry> = Vec::with_capacity(v.len());
    for e in v {
        if let Some(p) = out.last_mut()
            && (p.len, p.net, p.lo, p.hi, p.holder) == (e.len, e.net, e.lo, e.hi, e.holder)
            && e.start <= p.end
        {
            p.end = p.end.max(e.end);
            continue;
        }
        out.push(e);
    }
    out
}

/// Sorts by address and start, fills `max_end`, counts overlaps.
fn finish_v4(mut v: Vec<V4Entry>, overlaps: &mut u64) -> Vec<V4Entry> {
    v.sort_unstable_by_key(|e| (e.addr, e.start, e.end, e.lo, e.holder));
    let mut group_start = 0;
    let mut max_end = 0u32;
    for i in 0..v.len() {
        if i == 0 || v[i].addr != v[i - 1].addr {
            group_start = i;
            max_end = 0;
        }
        // Earlier entries that still run when this one starts.
        let mut j = i;
        while j > group_start {
            j -= 1;
            if v[j].max_end <= v[i].start {
                break;
            }
            if v[j].end > v[i].start
                && v[j].holder != v[i].holder
                && v[j].lo <= v[i].hi
                && v[i].lo <= v[j].hi
            {
                *overlaps += 1;
            }
        }
        max_end = max_end.max(v[i].end);
        v[i].max_end = max_end;
    }
    v
}

fn finish_v6(mut v: Vec<V6Entry>, overlaps: &mut u64) -> Vec<V6Entry> {
    v.sort_unstable_by_key(|e| (e.len, e.net, e.start, e.end, e.lo, e.holder));
    let mut group_start = 0;
    let mut max_end = 0u32;
    for i in 0..v.len() {
        if i == 0 || (v[i].len, v[i].net) != (v[i - 1].len, v[i - 1].net) {
            group_start = i;
            max_end = 0;
        }
        let mut j = i;
        while j > group_start {
            j -= 1;
            if v[j].max_end <= v[i].start {
                break;
            }
            if v[j].end > v[i].start && v[j].holder != v[i].holder {
                *overlaps += 1;
            }
        }
        max_end = max_end.max(v[i].end);
        v[i].max_end = max_end;
    }
    v
}

/// One interval found by a query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// The address or prefix.
    pub net: Net,
    /// The ports.
    pub ports: Ports,
    /// Start, UTC seconds.
    pub start: i64,
    /// End, UTC seconds, exclusive.
    pub end: i64,
    /// Who held it.
    pub holder: Holder,
    /// The log kind.
    pub source: SourceKind,
}

/// A memory-mapped partition index.
pub struct IndexFile {
    map: Mmap,
    kind: SourceKind,
    header: Header,
    off4: usize,
    off6: usize,
    offh: usize,
    offb: usize,
    /// Distinct prefix lengths among the IPv6 entries, longest first, with
    /// their entry ranges.
    lens6: Vec<(u8, usize, usize)>,
}

impl IndexFile {
    /// Opens an index file.
    pub fn open(path: &Path) -> Result<IndexFile, AttributionError> {
        let file = std::fs::File::open(path).map_err(|e| AttributionError::io(path, e))?;
        // SAFETY: the file is only read through this map and kizuki
        // replaces index files by rename, never in place, so the mapped
        // bytes do not change under us.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file) }.map_err(|e| AttributionError::io(path, e))?;
        let bad = |why: &str| AttributionError::index(path, why.to_owned());
        let header: Header =
            bytemuck::try_pod_read_unaligned(map.get(..96).ok_or_else(|| bad("truncated"))?)
                .map_err(|_| bad("truncated"))?;
        if header.magic != MAGIC {
            return Err(bad("not a kizuki attribution index (or an older version)"));
        }
        let kind = SourceKind::ALL
            .into_iter()
            .find(|k| u32::from(k.code()) == header.kind)
            .ok_or_else(|| bad("unknown log kind"))?;
        let dir_len = if header.has_dir == 1 { DIR_LEN } else { 0 };
        let mut off = 96 + dir_len * 4;
        off = off.div_ceil(8) * 8;
        let off4 = off;
        let off6 = off4 + header.n4 as usize * 24;
        let offh = off6 + header.n6 as usize * 40;
        let offb = offh + (header.nholders as usize + 1) * 4;
        if map.len() != offb + header.holder_bytes as usize {
            return Err(bad("size does not match its header"));
        }
        let mut idx = IndexFile {
            map,
            kind,
            header,
            off4,
            off6,
            offh,
            offb,
            lens6: Vec::new(),
        };
        let v6 = idx.v6();
        let mut lens = Vec::new();
        let mut i = 0;
        while i < v6.len() {
            let len = v6[i].len;
            let j = i + v6[i..].partition_point(|e| e.len == len);
            lens.push((len, i, j));
            i = j;
        }
        lens.reverse();
        idx.lens6 = lens;
        Ok(idx)
    }

    /// The log kind.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// Entries in the file.
    pub fn entries(&self) -> u64 {
        self.header.n4 + self.header.n6
    }

    /// Intervals the file was built from.
    pub fn intervals(&self) -> u64 {
        self.header.merged_from
    }

    /// The earliest start and the latest end.
    pub fn span(&self) -> (i64, i64) {
        (self.header.span_start, self.header.span_end)
    }

    /// The file size.
    pub fn bytes(&self) -> u64 {
        self.map.len() as u64
    }

    /// The IPv4 entries that may hold `a`: its /16 from the directory, or
    /// all of them.
    fn v4_candidates(&self, a: u32) -> &[V4Entry] {
        let v = self.v4();
        if self.header.has_dir != 1 {
            return v;
        }
        let dir: &[u32] = bytemuck::cast_slice(&self.map[96..96 + DIR_LEN * 4]);
        let b = (a >> 16) as usize;
        &v[dir[b] as usize..dir[b + 1] as usize]
    }

    pub(crate) fn v4(&self) -> &[V4Entry] {
        bytemuck::cast_slice(&self.map[self.off4..self.off6])
    }

    pub(crate) fn v6(&self) -> &[V6Entry] {
        bytemuck::cast_slice(&self.map[self.off6..self.offh])
    }

    /// The holder with id `i`.
    pub(crate) fn holder(&self, i: u32) -> Option<Holder> {
        let offs: &[u32] = bytemuck::cast_slice(&self.map[self.offh..self.offb]);
        let a = *offs.get(i as usize)? as usize;
        let b = *offs.get(i as usize + 1)? as usize;
        let body = self.map.get(self.offb + a..self.offb + b)?;
        decode_holder(*body.first()?, &body[1..])
    }

    /// Every interval holding `ip` that overlaps `[t0, t1)`.
    pub fn query(&self, ip: IpAddr, t0: i64, t1: i64, out: &mut Vec<Hit>) {
        let (q0, q1) = (secs(t0), secs(t1));
        match ip {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.query_v4(a, q0, q1, out);
                self.query_v6(&ip_bytes(ip), q0, q1, out, true);
            }
            IpAddr::V6(_) => self.query_v6(&ip_bytes(ip), q0, q1, out, false),
        }
    }

    fn query_v4(&self, a: u32, q0: u32, q1: u32, out: &mut Vec<Hit>) {
        let v = self.v4_candidates(a);
        // Entries of this address starting before q1.
        let first = v.partition_point(|e| e.addr < a);
        let end = first + v[first..].partition_point(|e| e.addr == a && e.start < q1);
        let mut i = end;
        while i > first {
            i -= 1;
            let e = &v[i];
            if e.max_end <= q0 {
                break;
            }
            if e.end > q0 {
                self.push(
                    out,
                    Net::host(IpAddr::V4(Ipv4Addr::from(a))),
                    e.lo,
                    e.hi,
                    e.start,
                    e.end,
                    e.holder,
                );
            }
        }
    }

    fn query_v6(&self, addr: &[u8; 16], q0: u32, q1: u32, out: &mut Vec<Hit>, mapped: bool) {
        let v = self.v6();
        let a = u128::from_be_bytes(*addr);
        for &(len, lo, hi) in &self.lens6 {
            // An IPv4 address can only be in an IPv4 prefix (kept mapped).
            if mapped && len < 96 {
                continue;
            }
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            let key = (a & mask).to_be_bytes();
            let g = &v[lo..hi];
            let first = g.partition_point(|e| e.net < key);
            let end = first + g[first..].partition_point(|e| e.net == key && e.start < q1);
            let mut i = end;
            while i > first {
                i -= 1;
                let e = &g[i];
                if e.max_end <= q0 {
                    break;
                }
                if e.end > q0 {
                    let ip = Ipv6Addr::from(e.net);
                    let net = match ip.to_ipv4_mapped() {
                        Some(v4) if len >= 96 => Net::new(IpAddr::V4(v4), len - 96),
                        _ => Net::new(IpAddr::V6(ip), len),
                    };
                    if let Some(net) = net {
                        self.push(out, net, e.lo, e.hi, e.start, e.end, e.holder);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &self,
        out: &mut Vec<Hit>,
        net: Net,
        lo: u16,
        hi: u16,
        start: u32,
        end: u32,
        holder: u32,
    ) {
        if let Some(h) = self.holder(holder) {
            out.push(Hit {
                net,
                ports: Ports { lo, hi },
                start: i64::from(start),
                end: i64::from(end),
                holder: h,
                source: self.kind,
            });
        }
    }

    /// Overlapping entries with different holders, counted at build time.
    pub fn overlaps(&self) -> u64 {
        self.header.overlaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::RecordRef;
    use rand::{Rng, SeedableRng};

    fn interval(net: Net, lo: u16, hi: u16, start: i64, end: i64, who: u32) -> Interval {
        let r = RecordRef {
            file: "t".into(),
            line: 1,
        };
        Interval {
            net,
            ports: Ports { lo, hi },
            start,
            end,
            holder: Holder::user(&format!("u{who}")),
            source: SourceKind::Radius,
            first: r.clone(),
            last: r,
        }
    }

    /// Random intervals, small and large files (with and without the /16
    /// directory), IPv4 and IPv6, against a plain scan.
    #[test]
    fn queries_agree_with_a_scan() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for n in [500usize, 120_000] {
            let mut ivs = Vec::new();
            for i in 0..n {
                let start = rng.random_range(0..100_000i64);
                let end = start + rng.random_range(1..20_000);
                let net = if i % 7 == 0 {
                    let a: u128 = (0x2001_0db8u128 << 96) | (rng.random_range(0..64u128) << 72);
                    Net::new(IpAddr::V6(Ipv6Addr::from(a)), 56).unwrap()
                } else if i % 11 == 0 {
                    Net::new(
                        IpAddr::V4(Ipv4Addr::from(
                            0x0a00_0000 | rng.random_range(0..1u32 << 20),
                        )),
                        24,
                    )
                    .unwrap()
                } else {
                    Net::host(IpAddr::V4(Ipv4Addr::from(
                        0x0a00_0000 | rng.random_range(0..1u32 << 20),
                    )))
                };
                let lo = rng.random_range(0..60_000u16);
                ivs.push(interval(
                    net,
                    lo,
                    lo + 999,
                    start,
                    end,
                    rng.random_range(0..50),
                ));
            }
            let (bytes, stats) = build(SourceKind::Radius, &ivs);
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("index.bin");
            std::fs::write(&path, &bytes).unwrap();
            let idx = IndexFile::open(&path).unwrap();
            assert_eq!(idx.entries(), stats.entries);
            assert_eq!(idx.header.has_dir == 1, n > 100_000, "n={n}");
            let mut hits = Vec::new();
            for q in 0..1000 {
                // Query addresses that exist, and some that do not.
                let iv = &ivs[rng.random_range(0..ivs.len())];
                let ip = match iv.net.addr {
                    IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(
                        u128::from(a) | rng.random_range(0..1u128 << 72),
                    )),
                    IpAddr::V4(a) if q % 5 == 0 => {
                        IpAddr::V4(Ipv4Addr::from(u32::from(a) ^ 0x0010_0000))
                    }
                    IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(
                        u32::from(a) | rng.random_range(0..1u32 << (32 - iv.net.len)),
                    )),
                };
                let t = rng.random_range(0..120_000i64);
                hits.clear();
                idx.query(ip, t, t + 1, &mut hits);
                let mut got: Vec<String> = hits.iter().map(|h| h.holder.to_string()).collect();
                got.sort();
                got.dedup();
                let mut want: Vec<String> = ivs
                    .iter()
                    .filter(|i| i.net.contains(ip) && i.start <= t && t < i.end)
                    .map(|i| i.holder.to_string())
                    .collect();
                want.sort();
                want.dedup();
                assert_eq!(got, want, "n={n} {ip} at {t}");
            }
        }
    }
}
