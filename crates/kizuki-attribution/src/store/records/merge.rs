//! Bringing new rows into a day: the parts copied side by side, and
//! duplicates dropped in pieces cut between seconds, one piece per thread.
//! Below [`PARALLEL_MIN`] rows, or on one thread, both run as one pass.

use super::DiskRecord;
use rustc_hash::FxHashMap as HashMap;

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

/// Moves to the front of `rows` (sorted by time) each row whose content
/// (all but the file and line) no earlier row of the same second has,
/// marks in `used` the files of the rows kept, and returns how many were
/// kept.
pub(super) fn dedupe(rows: &mut [DiskRecord], used: &mut [bool]) -> usize {
    // Content hashes, checked against the row on a match, so that a
    // collision can never drop a record. Most seconds hold a row or a few:
    // those are compared directly, without hashing.
    const SMALL: usize = 8;
    let mut seen: HashMap<u64, usize> = HashMap::default();
    let n = rows.len();
    let mut kept = 0usize;
    let mut i = 0usize;
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
                let c = r.content();
                if rows[first..kept].iter().any(|p| p.content() == c) {
                    continue;
                }
                if let Some(u) = used.get_mut(usize::from(r.file)) {
                    *u = true;
                }
                rows[kept] = r;
                kept += 1;
            }
        } else {
            seen.clear();
            for k in i..j {
                let r = rows[k];
                let c = r.content();
                let h = xxhash_rust::xxh3::xxh3_64(bytemuck::bytes_of(&c));
                match seen.get(&h) {
                    Some(&p) if rows[p].content() == c => continue,
                    Some(_) => {}
                    None => {
                        seen.insert(h, kept);
                    }
                }
                if let Some(u) = used.get_mut(usize::from(r.file)) {
                    *u = true;
                }
                rows[kept] = r;
                kept += 1;
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
