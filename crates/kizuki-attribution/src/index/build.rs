//! Building an index: intervals to sorted, joined entries to bytes.
//!
//! IPv4 entries are put in address order by two counting passes (16 bits
//! each), so the work left is per address: sort its few entries by block
//! and time, join touching intervals of the same holder (a block split by
//! interim records, a renewed lease), sort by start, fill `max_end` and
//! count overlaps. Addresses are shared out among threads.

use super::layout::{
    DIR_LEN, DIR_MIN, FLAG_ADDRS, FLAG_DIR, FLAG_INSIDE_V4, FLAG_PORT_ORDER, HEADER_LEN, Header,
    MAGIC, V4Entry, V6Entry, secs,
};
use crate::record::{Holder, Interval, SourceKind, ip_bytes};
use crate::session::Span;
use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;

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

/// Who the entries' holder fields name.
pub enum Holders {
    /// An index into this table.
    Table(Vec<Holder>),
    /// An inside IPv4 address, kept in the entry itself.
    InsideV4,
}

/// Builds the index bytes from intervals of one log kind.
pub fn build_intervals(
    kind: SourceKind,
    intervals: &[Interval],
    threads: usize,
) -> (Vec<u8>, BuildStats) {
    let mut holders: HashMap<u64, Holder> = HashMap::default();
    let spans: Vec<Span> = intervals
        .iter()
        .map(|iv| {
            let h = iv.holder.hash();
            if Holder::from_hash(h).is_none() {
                holders.entry(h).or_insert_with(|| iv.holder.clone());
            }
            Span {
                net: iv.net,
                ports: iv.ports,
                start: iv.start,
                end: iv.end,
                holder: h,
            }
        })
        .collect();
    build_spans(kind, &spans, &holders, threads)
}

/// Builds the index bytes from a state machine's spans, whose holders are
/// hashes found in `holders` (spans whose holder is not there are left
/// out).
pub(crate) fn build_spans(
    kind: SourceKind,
    spans: &[Span],
    holders: &HashMap<u64, Holder>,
    threads: usize,
) -> (Vec<u8>, BuildStats) {
    let inside_v4 = !spans.is_empty()
        && spans.iter().all(|s| {
            matches!(
                Holder::from_hash(s.holder),
                Some(Holder::Inside(IpAddr::V4(_)))
            )
        });
    let mut ids: HashMap<u64, u32> = HashMap::default();
    let mut table: Vec<Holder> = Vec::new();
    let mut v4: Vec<V4Entry> = Vec::with_capacity(spans.len());
    let mut v6: Vec<V6Entry> = Vec::new();
    for sp in spans {
        let h = if inside_v4 {
            // The identity is the address (see Holder::hash).
            sp.holder as u32
        } else {
            match ids.get(&sp.holder) {
                Some(i) => *i,
                None => {
                    let Some(holder) = crate::record::resolve_holder(sp.holder, holders) else {
                        continue;
                    };
                    table.push(holder);
                    ids.insert(sp.holder, (table.len() - 1) as u32);
                    (table.len() - 1) as u32
                }
            }
        };
        match sp.net.addr {
            IpAddr::V4(a) if sp.net.len == 32 => v4.push(V4Entry {
                addr: u32::from(a),
                start: secs(sp.start),
                end: secs(sp.end),
                max_end: 0,
                holder: h,
                lo: sp.ports.lo,
                hi: sp.ports.hi,
            }),
            addr => v6.push(V6Entry {
                net: ip_bytes(addr),
                start: secs(sp.start),
                end: secs(sp.end),
                max_end: 0,
                holder: h,
                lo: sp.ports.lo,
                hi: sp.ports.hi,
                // IPv4 prefixes are kept with the IPv6 ones, mapped.
                len: if addr.is_ipv4() {
                    sp.net.len + 96
                } else {
                    sp.net.len
                },
                _pad: [0; 3],
            }),
        }
    }
    let holders = if inside_v4 {
        Holders::InsideV4
    } else {
        Holders::Table(table)
    };
    build_entries(kind, v4, v6, holders, spans.len() as u64, threads)
}

/// Builds the index bytes from entries (any order) and their holders.
pub fn build_entries(
    kind: SourceKind,
    v4: Vec<V4Entry>,
    v6: Vec<V6Entry>,
    holders: Holders,
    intervals: u64,
    threads: usize,
) -> (Vec<u8>, BuildStats) {
    // Port-block indexes are searched by port: they keep port order.
    let port_order = kind.is_port_block();
    let (v4, o4) = finish_v4(v4, threads.max(1), port_order);
    let (v6, o6) = finish_v6(v6);
    let overlaps = o4 + o6;
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
    let mut offsets: Vec<u32> = Vec::new();
    let mut flags = if port_order { FLAG_PORT_ORDER } else { 0 };
    match &holders {
        Holders::InsideV4 => flags |= FLAG_INSIDE_V4,
        Holders::Table(table) => {
            offsets.reserve(table.len() + 1);
            for h in table {
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
        }
    }
    let dir = if v4.len() >= DIR_MIN {
        flags |= FLAG_DIR;
        let mut dir = vec![0u32; DIR_LEN];
        let mut i = 0usize;
        for (b, slot) in dir.iter_mut().enumerate() {
            while i < v4.len() && (v4[i].addr >> 16) < b as u32 {
                i += 1;
            }
            *slot = i as u32;
        }
        dir
    } else {
        Vec::new()
    };
    // The address table: distinct addresses, then the first entry of each
    // (and the end).
    let mut addrs: Vec<u32> = Vec::new();
    let mut starts: Vec<u32> = Vec::new();
    for (i, e) in v4.iter().enumerate() {
        if addrs.last() != Some(&e.addr) {
            addrs.push(e.addr);
            starts.push(i as u32);
        }
    }
    starts.push(v4.len() as u32);
    flags |= FLAG_ADDRS;
    let header = Header {
        magic: MAGIC,
        kind: u32::from(kind.code()),
        _pad: 0,
        n4: v4.len() as u64,
        n6: v6.len() as u64,
        nholders: offsets.len().saturating_sub(1) as u64,
        holder_bytes: blob.len() as u64,
        span_start,
        span_end,
        overlaps,
        merged_from: intervals,
        flags,
        naddrs: addrs.len() as u64,
    };
    let mut out = Vec::with_capacity(
        HEADER_LEN
            + dir.len() * 4
            + 8
            + v4.len() * 24
            + v6.len() * 40
            + offsets.len() * 4
            + blob.len(),
    );
    out.extend_from_slice(bytemuck::bytes_of(&header));
    out.extend_from_slice(bytemuck::cast_slice(&dir));
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend_from_slice(bytemuck::cast_slice(&v4));
    out.extend_from_slice(bytemuck::cast_slice(&v6));
    out.extend_from_slice(bytemuck::cast_slice(&offsets));
    out.extend_from_slice(&blob);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend_from_slice(bytemuck::cast_slice(&addrs));
    out.extend_from_slice(bytemuck::cast_slice(&starts));
    let stats = BuildStats {
        intervals,
        entries: (v4.len() + v6.len()) as u64,
        overlaps,
        span_start,
        span_end,
    };
    (out, stats)
}

/// One stable counting pass on a 16-bit key, from `src` into `dst` (of
/// the same length), on up to `threads` threads.
///
/// Each thread takes a run of `src` and counts its keys. `dst` is then cut
/// into one piece per key and run, key-major and in run order, so the
/// threads scatter into pieces of their own and the order of equal keys is
/// kept.
fn radix_pass(
    src: &[V4Entry],
    dst: &mut [V4Entry],
    threads: usize,
    key: impl Fn(&V4Entry) -> usize + Sync,
) {
    const KEYS: usize = 1 << 16;
    let runs: Vec<&[V4Entry]> = src.chunks(src.len().div_ceil(threads).max(1)).collect();
    let count = |run: &[V4Entry]| {
        let mut counts = vec![0usize; KEYS];
        for e in run {
            counts[key(e)] += 1;
        }
        counts
    };
    let scatter = |run: &[V4Entry], mut pieces: Vec<&mut [V4Entry]>| {
        let mut at = vec![0usize; KEYS];
        for e in run {
            let k = key(e);
            pieces[k][at[k]] = *e;
            at[k] += 1;
        }
    };
    let counts: Vec<Vec<usize>> = if runs.len() == 1 {
        runs.iter().map(|r| count(r)).collect()
    } else {
        std::thread::scope(|s| {
            let hs: Vec<_> = runs.iter().map(|r| s.spawn(|| count(r))).collect();
            hs.into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    let mut pieces: Vec<Vec<&mut [V4Entry]>> =
        runs.iter().map(|_| Vec::with_capacity(KEYS)).collect();
    let mut rest = dst;
    for k in 0..KEYS {
        for (run, c) in counts.iter().enumerate() {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut(c[k]);
            pieces[run].push(head);
            rest = tail;
        }
    }
    if runs.len() == 1 {
        for (run, p) in runs.into_iter().zip(pieces) {
            scatter(run, p);
        }
    } else {
        std::thread::scope(|s| {
            for (run, p) in runs.into_iter().zip(pieces) {
                s.spawn(move || scatter(run, p));
            }
        });
    }
}

impl Default for V4Entry {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

/// Puts entries in address order and, when `by_port`, in first-port order
/// within an address; says whether the second holds.
///
/// Counting passes, least significant key first, each stable: first port
/// (when `by_port`), then the address's low and high 16 bits. A port-block
/// address holds thousands of intervals of a few dozen blocks, so sorting
/// by port here leaves only each block's own few intervals to sort.
fn order_v4(v: &mut Vec<V4Entry>, by_port: bool, threads: usize) -> bool {
    if v.len() < 4096 {
        v.sort_unstable_by_key(|e| e.addr);
        return false;
    }
    // Zeroed memory from the allocator: the kernel's fresh pages, not a
    // second pass writing zeros over them.
    let mut tmp: Vec<V4Entry> = bytemuck::zeroed_vec(v.len());
    if by_port {
        radix_pass(v, &mut tmp, threads, |e| usize::from(e.lo));
        radix_pass(&tmp, v, threads, |e| (e.addr & 0xffff) as usize);
        radix_pass(v, &mut tmp, threads, |e| (e.addr >> 16) as usize);
        std::mem::swap(v, &mut tmp);
    } else {
        radix_pass(v, &mut tmp, threads, |e| (e.addr & 0xffff) as usize);
        radix_pass(&tmp, v, threads, |e| (e.addr >> 16) as usize);
    }
    by_port
}

/// Sorts by address, then finishes every address's entries, the addresses
/// shared out among `threads`.
pub(super) fn finish_v4(
    mut v: Vec<V4Entry>,
    threads: usize,
    port_order: bool,
) -> (Vec<V4Entry>, u64) {
    let by_lo = order_v4(&mut v, port_order, threads);
    finish_ordered_v4(v, threads, port_order, by_lo)
}

/// Finishes entries in address order (and first-port order within an
/// address when `by_lo`).
pub(super) fn finish_ordered_v4(
    mut v: Vec<V4Entry>,
    threads: usize,
    port_order: bool,
    by_lo: bool,
) -> (Vec<V4Entry>, u64) {
    // Address groups, shared out in runs of about equal size.
    let n = v.len();
    let per = n.div_ceil(threads).max(1);
    let mut cuts = vec![0usize];
    let mut at = per;
    while at < n {
        let addr = v[at].addr;
        let next = at + v[at..].partition_point(|e| e.addr == addr);
        if next >= n {
            break;
        }
        cuts.push(next);
        at = next + per;
    }
    cuts.push(n);
    let mut parts: Vec<&mut [V4Entry]> = Vec::new();
    let mut rest: &mut [V4Entry] = &mut v;
    let mut done = 0;
    for w in cuts.windows(2) {
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(w[1] - done);
        done = w[1];
        parts.push(head);
        rest = tail;
    }
    let results: Vec<(Vec<(usize, usize)>, u64)> = if parts.len() == 1 {
        parts
            .into_iter()
            .map(|p| finish_run(p, port_order, by_lo))
            .collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .into_iter()
                .map(|p| s.spawn(move || finish_run(p, port_order, by_lo)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    // Each group kept a prefix of itself: close the gaps.
    let mut overlaps = 0;
    let mut write = 0usize;
    for ((groups, o), w) in results.into_iter().zip(cuts.windows(2)) {
        overlaps += o;
        for (start, len) in groups {
            let from = w[0] + start;
            v.copy_within(from..from + len, write);
            write += len;
        }
    }
    v.truncate(write);
    (v, overlaps)
}

/// Finishes the address groups of one run in place; returns each group's
/// start (in the run) and kept length, and the overlaps found. With
/// `by_lo`, each group is already in first-port order.
fn finish_run(run: &mut [V4Entry], port_order: bool, by_lo: bool) -> (Vec<(usize, usize)>, u64) {
    let mut groups = Vec::new();
    let mut overlaps = 0;
    let mut i = 0;
    while i < run.len() {
        let addr = run[i].addr;
        let j = i + run[i..].partition_point(|e| e.addr == addr);
        let g = &mut run[i..j];
        // Join touching intervals of one block and holder.
        if by_lo {
            // Logs are mostly in time order: a block's intervals often are
            // already.
            let key = |e: &V4Entry| (e.hi, e.holder, e.start, e.end);
            for block in g.chunk_by_mut(|a, b| a.lo == b.lo) {
                if !block.is_sorted_by_key(key) {
                    block.sort_unstable_by_key(key);
                }
            }
        } else {
            g.sort_unstable_by_key(|e| (e.lo, e.hi, e.holder, e.start, e.end));
        }
        let mut kept = 0usize;
        for k in 0..g.len() {
            let e = g[k];
            if kept > 0 {
                let p = &mut g[kept - 1];
                if (p.lo, p.hi, p.holder) == (e.lo, e.hi, e.holder) && e.start <= p.end {
                    p.end = p.end.max(e.end);
                    continue;
                }
            }
            g[kept] = e;
            kept += 1;
        }
        let g = &mut g[..kept];
        if port_order {
            overlaps += finish_by_port(g);
            groups.push((i, kept));
            i = j;
            continue;
        }
        g.sort_unstable_by_key(|e| (e.start, e.end, e.lo, e.holder));
        let mut max_end = 0u32;
        for k in 0..g.len() {
            // Earlier entries still running when this one starts.
            let mut m = k;
            while m > 0 {
                m -= 1;
                if g[m].max_end <= g[k].start {
                    break;
                }
                if g[m].end > g[k].start
                    && g[m].holder != g[k].holder
                    && g[m].lo <= g[k].hi
                    && g[k].lo <= g[m].hi
                {
                    overlaps += 1;
                }
            }
            max_end = max_end.max(g[k].end);
            g[k].max_end = max_end;
        }
        groups.push((i, kept));
        i = j;
    }
    (groups, overlaps)
}

/// Port order (port-block indexes): an address's entries by first port,
/// then start; `max_end` holds the highest last port so far, so a search
/// for a port walks back only over blocks that could hold it.
fn finish_by_port(g: &mut [V4Entry]) -> u64 {
    g.sort_unstable_by_key(|e| (e.lo, e.hi, e.start, e.end, e.holder));
    let mut overlaps = 0;
    let mut max_hi = 0u32;
    for k in 0..g.len() {
        // Earlier blocks whose ports reach this one's.
        let mut m = k;
        while m > 0 {
            m -= 1;
            if g[m].max_end < u32::from(g[k].lo) {
                break;
            }
            if g[m].hi >= g[k].lo
                && g[m].start < g[k].end
                && g[k].start < g[m].end
                && g[m].holder != g[k].holder
            {
                overlaps += 1;
            }
        }
        max_hi = max_hi.max(u32::from(g[k].hi));
        g[k].max_end = max_hi;
    }
    overlaps
}

/// Sorts, joins and finishes the IPv6 (and IPv4 prefix) entries.
fn finish_v6(mut v: Vec<V6Entry>) -> (Vec<V6Entry>, u64) {
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
    let mut v = out;
    v.sort_unstable_by_key(|e| (e.len, e.net, e.start, e.end, e.lo, e.holder));
    let mut overlaps = 0;
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
                overlaps += 1;
            }
        }
        max_end = max_end.max(v[i].end);
        v[i].max_end = max_end;
    }
    (v, overlaps)
}
