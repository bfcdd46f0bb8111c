//! A partition's index: opened from its file (memory-mapped) or from bytes
//! in memory, and searched in place.

use super::layout::{
    DIR_LEN, FLAG_ADDRS, FLAG_DIR, FLAG_INSIDE_V4, FLAG_PORT_ORDER, HEADER_LEN, Header, MAGIC,
    V4Entry, V6Entry, secs,
};
use super::search::{find_addr, port_partition};
use crate::error::AttributionError;
use crate::record::{Holder, Net, Ports, SourceKind, ip_bytes};
use crate::store::records::decode_holder;
use memmap2::Mmap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// Where the bytes are.
enum Storage {
    Map(Mmap),
    /// Held in `u64`s so that the entries are aligned.
    Owned(Vec<u64>, usize),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Storage::Map(m) => m,
            Storage::Owned(v, len) => &bytemuck::cast_slice(v)[..*len],
        }
    }
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

/// Keeps, of the hits from `from` on, those whose ports hold `port`.
fn retain_port(out: &mut Vec<Hit>, from: usize, port: u16) {
    let mut k = from;
    for i in from..out.len() {
        if out[i].ports.contains(port) {
            out.swap(k, i);
            k += 1;
        }
    }
    out.truncate(k);
}

/// A partition index.
pub struct IndexFile {
    map: Storage,
    kind: SourceKind,
    header: Header,
    off4: usize,
    off6: usize,
    offh: usize,
    offb: usize,
    /// Where the address table starts.
    offa: usize,
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
        IndexFile::with(Storage::Map(map), path)
    }

    /// An index held in memory (as [`super::build_entries`] made it).
    pub fn from_bytes(bytes: &[u8]) -> Result<IndexFile, AttributionError> {
        let mut words = vec![0u64; bytes.len().div_ceil(8)];
        bytemuck::cast_slice_mut::<u64, u8>(&mut words)[..bytes.len()].copy_from_slice(bytes);
        IndexFile::with(Storage::Owned(words, bytes.len()), Path::new("(memory)"))
    }

    fn with(map: Storage, path: &Path) -> Result<IndexFile, AttributionError> {
        let bad = |why: &str| AttributionError::index(path, why.to_owned());
        let bytes = map.bytes();
        let header: Header = bytemuck::try_pod_read_unaligned(
            bytes.get(..HEADER_LEN).ok_or_else(|| bad("truncated"))?,
        )
        .map_err(|_| bad("truncated"))?;
        if header.magic != MAGIC {
            return Err(bad("not a kizuki attribution index (or an older version)"));
        }
        let kind = SourceKind::ALL
            .into_iter()
            .find(|k| u32::from(k.code()) == header.kind)
            .ok_or_else(|| bad("unknown log kind"))?;
        let dir_len = if header.flags & FLAG_DIR != 0 {
            DIR_LEN
        } else {
            0
        };
        let mut off = HEADER_LEN + dir_len * 4;
        off = off.div_ceil(8) * 8;
        let off4 = off;
        let off6 = off4 + header.n4 as usize * 24;
        let offh = off6 + header.n6 as usize * 40;
        let table = if header.flags & FLAG_INSIDE_V4 != 0 {
            0
        } else {
            (header.nholders as usize + 1) * 4
        };
        let offb = offh + table;
        let offa = (offb + header.holder_bytes as usize).div_ceil(8) * 8;
        let expected = if header.flags & FLAG_ADDRS != 0 {
            offa + (2 * header.naddrs as usize + 1) * 4
        } else {
            offb + header.holder_bytes as usize
        };
        if bytes.len() != expected {
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
            offa,
            lens6: Vec::new(),
        };
        if header.flags & FLAG_ADDRS != 0 {
            let (a, st) = idx.address_table();
            let sound = st.len() == a.len() + 1
                && st.last().is_some_and(|&n| n as u64 == header.n4)
                && st.windows(2).all(|w| w[0] <= w[1])
                && a.windows(2).all(|w| w[0] < w[1]);
            if !sound {
                return Err(bad("its address table is damaged"));
            }
        }
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
        self.map.bytes().len() as u64
    }

    /// The IPv4 entries that may hold `a`: its /16 from the directory, or
    /// all of them.
    fn v4_candidates(&self, a: u32) -> &[V4Entry] {
        let v = self.v4();
        if self.header.flags & FLAG_DIR == 0 {
            return v;
        }
        let dir: &[u32] =
            bytemuck::cast_slice(&self.map.bytes()[HEADER_LEN..HEADER_LEN + DIR_LEN * 4]);
        let b = (a >> 16) as usize;
        &v[dir[b] as usize..dir[b + 1] as usize]
    }

    pub(crate) fn v4(&self) -> &[V4Entry] {
        bytemuck::cast_slice(&self.map.bytes()[self.off4..self.off6])
    }

    pub(crate) fn v6(&self) -> &[V6Entry] {
        bytemuck::cast_slice(&self.map.bytes()[self.off6..self.offh])
    }

    /// The holder with id `i`.
    pub(crate) fn holder(&self, i: u32) -> Option<Holder> {
        if self.header.flags & FLAG_INSIDE_V4 != 0 {
            return Some(Holder::Inside(IpAddr::V4(Ipv4Addr::from(i))));
        }
        let offs: &[u32] = bytemuck::cast_slice(&self.map.bytes()[self.offh..self.offb]);
        let a = *offs.get(i as usize)? as usize;
        let b = *offs.get(i as usize + 1)? as usize;
        let body = self.map.bytes().get(self.offb + a..self.offb + b)?;
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

    /// The distinct addresses and where their entries start.
    fn address_table(&self) -> (&[u32], &[u32]) {
        let n = self.header.naddrs as usize;
        let b = self.map.bytes();
        (
            bytemuck::cast_slice(&b[self.offa..self.offa + n * 4]),
            bytemuck::cast_slice(&b[self.offa + n * 4..self.offa + (2 * n + 1) * 4]),
        )
    }

    /// The IPv4 entries of one address.
    fn address(&self, a: u32) -> &[V4Entry] {
        if self.header.flags & FLAG_ADDRS != 0 {
            let (addrs, starts) = self.address_table();
            return match find_addr(addrs, a) {
                Ok(i) => &self.v4()[starts[i] as usize..starts[i + 1] as usize],
                Err(_) => &[],
            };
        }
        let v = self.v4_candidates(a);
        let first = v.partition_point(|e| e.addr < a);
        let n = v[first..].partition_point(|e| e.addr == a);
        &v[first..first + n]
    }

    fn port_order(&self) -> bool {
        self.header.flags & FLAG_PORT_ORDER != 0
    }

    fn query_v4(&self, a: u32, q0: u32, q1: u32, out: &mut Vec<Hit>) {
        self.visit_v4(a, q0, q1, |e| {
            self.push(
                out,
                Net::host(IpAddr::V4(Ipv4Addr::from(a))),
                e.lo,
                e.hi,
                e.start,
                e.end,
                e.holder,
            );
        });
    }

    fn visit_v4(&self, a: u32, q0: u32, q1: u32, mut f: impl FnMut(&V4Entry)) {
        let g = self.address(a);
        if self.port_order() {
            // No time order: every block of the address is looked at.
            for e in g {
                if e.start < q1 && e.end > q0 {
                    f(e);
                }
            }
            return;
        }
        // Entries starting before q1, walked back while one could still
        // reach q0.
        let mut i = g.partition_point(|e| e.start < q1);
        while i > 0 {
            i -= 1;
            let e = &g[i];
            if e.max_end <= q0 {
                break;
            }
            if e.end > q0 {
                f(e);
            }
        }
    }

    /// Calls `f` with every IPv4 entry of `addr` overlapping `[t0, t1)`,
    /// without decoding holders: the fast path for bulk attribution.
    pub fn each_v4(&self, addr: u32, t0: i64, t1: i64, f: impl FnMut(&V4Entry)) {
        self.visit_v4(addr, secs(t0), secs(t1), f);
    }

    /// As [`IndexFile::each_v4`], for the entries whose ports hold `port`.
    pub fn each_v4_port(
        &self,
        addr: u32,
        port: u16,
        t0: i64,
        t1: i64,
        mut f: impl FnMut(&V4Entry),
    ) {
        let (q0, q1) = (secs(t0), secs(t1));
        if !self.port_order() {
            self.visit_v4(addr, q0, q1, |e| {
                if e.lo <= port && port <= e.hi {
                    f(e);
                }
            });
            return;
        }
        let g = self.address(addr);
        // Blocks starting at or below the port, walked back while one
        // could still reach it.
        let mut i = port_partition(g, port);
        while i > 0 {
            i -= 1;
            let e = &g[i];
            if e.max_end < u32::from(port) {
                break;
            }
            if e.hi >= port && e.start < q1 && e.end > q0 {
                f(e);
            }
        }
    }

    /// Every interval holding `ip` whose ports hold `port`, overlapping
    /// `[t0, t1)`.
    pub fn query_port(&self, ip: IpAddr, port: u16, t0: i64, t1: i64, out: &mut Vec<Hit>) {
        match ip {
            IpAddr::V4(a) => {
                self.each_v4_port(u32::from(a), port, t0, t1, |e| {
                    self.push(out, Net::host(ip), e.lo, e.hi, e.start, e.end, e.holder);
                });
                let (q0, q1) = (secs(t0), secs(t1));
                let from = out.len();
                self.query_v6(&ip_bytes(ip), q0, q1, out, true);
                retain_port(out, from, port);
            }
            IpAddr::V6(_) => {
                let from = out.len();
                self.query(ip, t0, t1, out);
                retain_port(out, from, port);
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

    /// Whether the file has the IPv4 directory (large files do).
    pub fn has_directory(&self) -> bool {
        self.header.flags & FLAG_DIR != 0
    }

    /// Overlapping entries with different holders, counted at build time.
    pub fn overlaps(&self) -> u64 {
        self.header.overlaps
    }
}
