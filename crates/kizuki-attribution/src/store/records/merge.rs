//! Bringing new rows into a day: the parts copied side by side, and
//! duplicates dropped in pieces cut between seconds, one piece per thread.
//! Below [`PARALLEL_MIN`] rows, or on one thread, both run as one pass.

use super::DiskRecord;

/// Rows from which copying and deduplicating use several threads.
pub(super) const PARALLEL_MIN: usize = 1 << 20;

/// Appends `parts` to `rows`, copying on `threads` threads when there are
/// at least `min` rows in all: the copy of a large day is mostly the kernel
/// handing out fresh pages, which the cores do side by side.
pub(super) fn concat(
    rows: &mut Vec<DiskRecord>,
    mut parts: Vec<Vec<DiskRecord>>,
    threads: usize,
    min: usize,
) {
    let total = rows.len() + parts.iter().map(Vec::len).sum::<usize>();
    if rows.is_empty() && parts.len() == 1 {
        // One batch into an empty day is taken as it is, with no copy.
        *rows = parts.pop().unwrap_or_default();
        return;
    }
    if threads <= 1 || total < min {
        rows.reserve(total - rows.len());
        for p in &parts {
            rows.extend_from_slice(p);
        }
        return;
    }
    let mut dest: Vec<DiskRecord> = bytemuck::zeroed_vec(total);
    let mut jobs: Vec<(&mut [DiskRecord], &[DiskRecord])> = Vec::new();
    let mut rest = &mut dest[..];
    for src in std::iter::once(&*rows).chain(&parts) {
        let (d, tail) = rest.split_at_mut(src.len());
        jobs.push((d, src));
        rest = tail;
    }
    let lens: Vec<usize> = jobs.iter().map(|j| j.1.len()).collect();
    std::thread::scope(|s| {
        let mut jobs = &mut jobs[..];
        for take in runs(&lens, threads) {
            let (group, tail) = jobs.split_at_mut(take);
            jobs = tail;
            s.spawn(move || {
                for (d, src) in group.iter_mut() {
                    d.copy_from_slice(src);
                }
            });
        }
    });
    *rows = dest;
}

/// Cuts items of the given sizes into runs of about equal total size, one
/// per thread: how many items each run takes.
fn runs(lens: &[usize], threads: usize) -> Vec<usize> {
    let per = lens.iter().sum::<usize>().div_ceil(threads.max(1)).max(1);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lens.len() {
        let (mut n, mut take) = (0, 0);
        while i + take < lens.len() && (take == 0 || n + lens[i + take] <= per) {
            n += lens[i + take];
            take += 1;
        }
        out.push(take);
        i += take;
    }
    out
}

/// Whether two rows have the same content: all but the file and line.
fn same_content(a: &DiskRecord, b: &DiskRecord) -> bool {
    // The identity first: it tells most rows apart.
    a.session == b.session
        && a.holder == b.holder
        && a.lo == b.lo
        && a.hi == b.hi
        && a.addr == b.addr
        && a.time == b.time
        && a.group == b.group
        && a.start == b.start
        && a.end == b.end
        && a.interim == b.interim
        && a.len == b.len
        && a.flags == b.flags
}

/// A hash of part of a row's content (rows of one second differ mostly in
/// these), for a table that checks [`same_content`] on a match.
fn quick_hash(r: &DiskRecord) -> u64 {
    let addr = u64::from_le_bytes([
        r.addr[8], r.addr[9], r.addr[10], r.addr[11], r.addr[12], r.addr[13], r.addr[14],
        r.addr[15],
    ]);
    let ports = u64::from(r.lo) << 16 | u64::from(r.hi) | u64::from(r.flags) << 32;
    (r.session ^ r.holder.rotate_left(29) ^ addr.rotate_left(41) ^ ports)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Moves to the front of `rows` (sorted by time) each row whose content
/// (all but the file and line) no earlier row of the same second has,
/// marks in `used` the files of the rows kept, and returns how many were
/// kept.
pub(super) fn dedupe(rows: &mut [DiskRecord], used: &mut [bool]) -> usize {
    // Most seconds of a RADIUS or DHCP day hold a row or a few: those are
    // compared directly. Larger seconds (a port-block day holds a hundred
    // and more) go through an open-addressing table of the kept rows'
    // positions, sized to the second, which checks the row itself on a
    // match, so a collision never drops a record.
    const SMALL: usize = 8;
    // Kept positions, as offsets from the second's first kept row.
    let mut table: Vec<u32> = Vec::new();
    let n = rows.len();
    let mut kept = 0usize;
    let mut i = 0usize;
    let mut keep = |rows: &mut [DiskRecord], kept: &mut usize, r: DiskRecord| {
        if let Some(u) = used.get_mut(usize::from(r.file)) {
            *u = true;
        }
        rows[*kept] = r;
        *kept += 1;
    };
    while i < n {
        let t = rows[i].time;
        let mut j = i + 1;
        while j < n && rows[j].time == t {
            j += 1;
        }
        let first = kept;
        if j - i <= SMALL {
            for k in i..j {
                let r = rows[k];
                if !rows[first..kept].iter().any(|p| same_content(p, &r)) {
                    keep(rows, &mut kept, r);
                }
            }
        } else {
            let bits = (2 * (j - i)).next_power_of_two().trailing_zeros();
            table.clear();
            table.resize(1 << bits, u32::MAX);
            let mask = (1usize << bits) - 1;
            for k in i..j {
                let r = rows[k];
                let mut slot = (quick_hash(&r) >> (64 - bits)) as usize;
                loop {
                    let p = table[slot];
                    if p == u32::MAX {
                        // Fewer rows than the table's size: fits.
                        table[slot] = (kept - first) as u32;
                        keep(rows, &mut kept, r);
                        break;
                    }
                    if same_content(&rows[first + p as usize], &r) {
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
            }
        }
        i = j;
    }
    kept
}

/// [`dedupe`] on up to `threads` pieces of `rows` cut between seconds, side
/// by side, when there are at least `min` rows; the kept rows of each piece
/// then move up behind those of the pieces before it.
pub(super) fn dedupe_parallel(
    rows: &mut [DiskRecord],
    used: &mut [bool],
    threads: usize,
    min: usize,
) -> usize {
    let n = rows.len();
    if threads <= 1 || n < min.max(1) {
        return dedupe(rows, used);
    }
    // Each piece starts at the first row of a second.
    let mut cuts = vec![0];
    for k in 1..threads {
        let t = rows[n * k / threads].time;
        let at = rows.partition_point(|r| r.time < t);
        if cuts.last().is_some_and(|&c| at > c) {
            cuts.push(at);
        }
    }
    cuts.push(n);
    let mut pieces: Vec<(usize, &mut [DiskRecord])> = Vec::new();
    let mut rest = &mut rows[..];
    for w in cuts.windows(2) {
        let (piece, tail) = rest.split_at_mut(w[1] - w[0]);
        pieces.push((w[0], piece));
        rest = tail;
    }
    let files = used.len();
    let done: Vec<(usize, usize, Vec<bool>)> = std::thread::scope(|s| {
        let handles: Vec<_> = pieces
            .into_iter()
            .map(|(at, piece)| {
                s.spawn(move || {
                    let mut u = vec![false; files];
                    let kept = dedupe(piece, &mut u);
                    (at, kept, u)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut kept = 0;
    for (at, k, u) in done {
        rows.copy_within(at..at + k, kept);
        kept += k;
        for (a, b) in used.iter_mut().zip(u) {
            *a |= b;
        }
    }
    kept
}

/// [`dedupe`] on each of `parts` (in order, no second split between two),
/// the parts shared among up to `threads` threads; each part is cut to the
/// rows it keeps.
pub(super) fn dedupe_parts(parts: &mut [Vec<DiskRecord>], used: &mut [bool], threads: usize) {
    let files = used.len();
    let total: usize = parts.iter().map(Vec::len).sum();
    let run = |group: &mut [Vec<DiskRecord>]| {
        let mut u = vec![false; files];
        for p in group {
            let kept = dedupe(p, &mut u);
            p.truncate(kept);
        }
        u
    };
    let marks: Vec<Vec<bool>> = if threads <= 1 || total < PARALLEL_MIN {
        vec![run(parts)]
    } else {
        let lens: Vec<usize> = parts.iter().map(Vec::len).collect();
        std::thread::scope(|s| {
            let mut rest = parts;
            let mut handles = Vec::new();
            for take in runs(&lens, threads) {
                let (group, tail) = rest.split_at_mut(take);
                rest = tail;
                handles.push(s.spawn(move || run(group)));
            }
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    for u in marks {
        for (a, b) in used.iter_mut().zip(u) {
            *a |= b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytemuck::Zeroable;

    /// Rows in time order, many seconds holding more than a few, with
    /// repeats of earlier rows of their second from other files.
    fn rows(n: usize, seed: u64) -> Vec<DiskRecord> {
        let mut x = seed;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut out: Vec<DiskRecord> = Vec::with_capacity(n);
        let mut time = 1_000_000i64;
        while out.len() < n {
            if next() % 4 == 0 {
                time += 1 + (next() % 3) as i64;
            }
            let second_start = out.partition_point(|r| r.time < time);
            let mut r = if out.len() > second_start && next() % 3 == 0 {
                // A repeat of a row of this second, from another file.
                let i = second_start + (next() as usize) % (out.len() - second_start);
                out[i]
            } else {
                let mut r = DiskRecord::zeroed();
                r.time = time;
                r.session = next() % 50;
                r.lo = (next() % 7) as u16;
                r
            };
            r.file = (next() % 5) as u16;
            r.line = out.len() as u32;
            out.push(r);
        }
        out
    }

    /// What [`dedupe`] keeps, the slow way: each row unless an earlier
    /// kept row of its second has the same content.
    fn dedupe_slowly(rows: &[DiskRecord]) -> Vec<DiskRecord> {
        let same = |a: &DiskRecord, b: &DiskRecord| {
            DiskRecord {
                line: 0,
                file: 0,
                ..*a
            } == DiskRecord {
                line: 0,
                file: 0,
                ..*b
            }
        };
        let mut out: Vec<DiskRecord> = Vec::new();
        for r in rows {
            if !out.iter().any(|p| p.time == r.time && same(p, r)) {
                out.push(*r);
            }
        }
        out
    }

    #[test]
    fn dedupe_keeps_the_first_of_each_content_in_a_second() {
        for (n, seed) in [(0, 1), (7, 2), (300, 3), (5000, 4)] {
            let mut base = rows(n, seed);
            // Seconds both small and large.
            for (k, r) in base.iter_mut().enumerate() {
                if k % 50 < 20 {
                    r.time = 5_000_000 + k as i64;
                }
            }
            base.sort_by_key(|r| r.time);
            let want = dedupe_slowly(&base);
            let mut got = base.clone();
            let mut used = vec![false; 6];
            let k = dedupe(&mut got, &mut used);
            assert_eq!(got[..k], want[..], "{n} rows");
            assert!(n < 300 || k < n);
        }
    }

    #[test]
    fn pieces_side_by_side_keep_what_one_pass_keeps() {
        for (n, seed) in [(0, 1), (1, 2), (50, 3), (3000, 4), (20_000, 5)] {
            let base = rows(n, seed);
            let mut one = base.clone();
            let mut used_one = vec![false; 6];
            let k = dedupe(&mut one, &mut used_one);
            assert!(n < 50 || k < n, "the rows hold repeats");
            for threads in [2, 3, 7] {
                let mut many = base.clone();
                let mut used = vec![false; 6];
                let km = dedupe_parallel(&mut many, &mut used, threads, 0);
                assert_eq!(km, k, "{n} rows on {threads} threads");
                assert_eq!(many[..km], one[..k], "{n} rows on {threads} threads");
                assert_eq!(used, used_one);
            }
        }
    }

    #[test]
    fn parts_copied_side_by_side_come_out_in_order() {
        let all = rows(10_000, 9);
        let head = all[..1000].to_vec();
        let parts: Vec<Vec<DiskRecord>> = all[1000..].chunks(700).map(<[_]>::to_vec).collect();
        for threads in [1, 2, 3] {
            let mut got = head.clone();
            concat(&mut got, parts.clone(), threads, 0);
            assert_eq!(got, all, "{threads} threads");
        }
        let mut got = Vec::new();
        concat(&mut got, vec![all.clone()], 2, 0);
        assert_eq!(got, all);
    }
}
