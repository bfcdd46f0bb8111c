//! Searches over an index's sorted tables that first guess where the
//! answer is. Address pools and port blocks are regular, so a guess lands
//! on the right cache line where a binary search would miss the cache at
//! each of its last steps; skewed data falls back to the binary search.

use super::layout::V4Entry;

/// Where `a` is in `addrs` (sorted and distinct), answered as
/// `binary_search` answers. A CGNAT pool is a few ranges of consecutive
/// addresses, so the position is guessed by interpolation; because the
/// addresses are distinct integers, a guess that misses by `d` addresses
/// also bounds the answer within `d` places.
pub(crate) fn find_addr(addrs: &[u32], a: u32) -> Result<usize, usize> {
    let (mut lo, mut hi) = (0usize, addrs.len());
    for _ in 0..4 {
        if hi - lo <= 8 {
            break;
        }
        let (x0, x1) = (addrs[lo], addrs[hi - 1]);
        if a < x0 {
            return Err(lo);
        }
        if a > x1 {
            return Err(hi);
        }
        let span = u64::from(x1 - x0).max(1);
        let g = lo + (u64::from(a - x0) * (hi - lo - 1) as u64 / span) as usize;
        let v = addrs[g];
        if v == a {
            return Ok(g);
        }
        if v < a {
            lo = g + 1;
            hi = hi.min(g.saturating_add(1 + (a - v) as usize));
        } else {
            hi = g;
            lo = lo.max(g.saturating_sub((v - a) as usize));
        }
    }
    match addrs[lo..hi].binary_search(&a) {
        Ok(i) => Ok(lo + i),
        Err(i) => Err(lo + i),
    }
}

/// The number of entries of `g` (in port order) whose first port is at or
/// below `port`.
///
/// CGNAT port blocks are usually of one size and spread over the dynamic
/// ports (1024-65535), so the position is first guessed from the port
/// alone, which reads no memory: the first cache line touched is usually
/// the answer's. When that guess is more than a couple of entries off (the
/// blocks lie elsewhere), the guess is made again from the address's own
/// first and last blocks, and a skewed address falls back to the binary
/// search.
pub(crate) fn port_partition(g: &[V4Entry], port: u16) -> usize {
    let n = g.len();
    let (Some(first), Some(last)) = (g.first(), g.last()) else {
        return 0;
    };
    let above = u64::from(port.saturating_sub(1024));
    let guess = ((above * n as u64) / 64_512).min(n as u64 - 1) as usize + 1;
    if let Some(i) = settle(g, port, guess, 2) {
        return i;
    }
    if port < first.lo {
        return 0;
    }
    if port >= last.lo {
        return n;
    }
    let span = u64::from(last.lo - first.lo);
    let guess = (u64::from(port - first.lo) * (n as u64 - 1) / span) as usize + 1;
    settle(g, port, guess, 8).unwrap_or_else(|| g.partition_point(|e| e.lo <= port))
}

/// Walks `i` (in `1..=len`) at most `steps` entries to where the entries at
/// or below `port` end; `None` if it is further.
#[inline]
fn settle(g: &[V4Entry], port: u16, mut i: usize, steps: usize) -> Option<usize> {
    let n = g.len();
    for _ in 0..=steps {
        if i > 0 && g[i - 1].lo > port {
            i -= 1;
        } else if i < n && g[i].lo <= port {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

#[cfg(test)]
mod port_tests {
    use super::*;

    fn g(los: &[u16]) -> Vec<V4Entry> {
        los.iter()
            .map(|&lo| V4Entry {
                addr: 1,
                start: 0,
                end: 1,
                max_end: 0,
                holder: 0,
                lo,
                hi: lo,
            })
            .collect()
    }

    #[test]
    fn the_guess_agrees_with_a_binary_search_even_when_blocks_are_skewed() {
        let even: Vec<u16> = (0..64).flat_map(|b| [1024 + b * 1000; 3]).collect();
        let mut skewed = vec![1024u16; 200];
        skewed.extend([5000, 5001, 60000, 65000]);
        // Blocks in the lower half only, and from port 1: the first guess
        // is far off there.
        let low: Vec<u16> = (0..64).flat_map(|b| [1024 + b * 500; 2]).collect();
        let from_one: Vec<u16> = (0..32).map(|b| 1 + b * 2000).collect();
        for los in [
            even,
            skewed,
            low,
            from_one,
            vec![7],
            vec![7, 7, 7],
            Vec::new(),
        ] {
            let v = g(&los);
            for port in 0..=u16::MAX {
                assert_eq!(
                    port_partition(&v, port),
                    v.partition_point(|e| e.lo <= port),
                    "{los:?} {port}"
                );
            }
        }
    }
}

#[cfg(test)]
mod addr_tests {
    use super::find_addr;

    #[test]
    fn the_guess_agrees_with_a_binary_search() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dense: Vec<u32> = (1000..3000).collect();
        let two: Vec<u32> = (1000..2000).chain(900_000..901_000).collect();
        let mut sparse: Vec<u32> = (0..3000).map(|_| next() as u32).collect();
        sparse.sort_unstable();
        sparse.dedup();
        let edges = vec![0, 1, 2, u32::MAX - 1, u32::MAX];
        for addrs in [dense, two, sparse, edges, vec![5], Vec::new()] {
            let mut probes: Vec<u32> = vec![0, 1, 999, 1000, 1999, 2000, 2999, 3000, u32::MAX];
            probes.extend(
                addrs
                    .iter()
                    .flat_map(|&a| [a.wrapping_sub(1), a, a.wrapping_add(1)]),
            );
            probes.extend((0..2000).map(|_| next() as u32));
            for a in probes {
                assert_eq!(find_addr(&addrs, a), addrs.binary_search(&a), "{a}");
            }
        }
    }
}
