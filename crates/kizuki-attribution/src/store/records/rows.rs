//! A day's rows, held as the parts they were read in.
//!
//! The files of a day usually follow each other in time (one file an
//! hour). Their rows, concatenated, are already the day in order, so they
//! stay the parts they were read as: a day is put together without copying
//! its rows into one new array, which on a large day is mostly the kernel
//! handing out fresh pages. Parts that overlap in time are copied into one
//! and sorted, as before.

use super::DiskRecord;
use super::merge;

/// The order of a day's rows: time, then file, then line, then session and
/// address (the rows of one RADIUS line).
pub(super) fn key(r: &DiskRecord) -> (i64, u16, u32, u64, [u8; 16]) {
    (r.time, r.file, r.line, r.session, r.addr)
}

/// Rows in parts; concatenated, the parts are the rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rows {
    parts: Vec<Vec<DiskRecord>>,
}

impl From<Vec<DiskRecord>> for Rows {
    fn from(v: Vec<DiskRecord>) -> Rows {
        Rows { parts: vec![v] }
    }
}

impl Rows {
    /// How many rows.
    pub(crate) fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// The rows in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &DiskRecord> + '_ {
        self.parts.iter().flatten()
    }

    /// The rows in order, to change in place.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut DiskRecord> + '_ {
        self.parts.iter_mut().flatten()
    }

    /// The parts, in order.
    pub(crate) fn parts(&self) -> &[Vec<DiskRecord>] {
        &self.parts
    }

    /// The first row.
    pub(crate) fn first(&self) -> Option<&DiskRecord> {
        self.parts.iter().find_map(|p| p.first())
    }

    /// The last row.
    pub(crate) fn last(&self) -> Option<&DiskRecord> {
        self.parts.iter().rev().find_map(|p| p.last())
    }

    /// Adds rows after the others (in no particular order until
    /// [`Rows::order`]).
    pub(crate) fn push(&mut self, part: Vec<DiskRecord>) {
        if !part.is_empty() {
            self.parts.push(part);
        }
    }

    /// Takes the parts, leaving no rows.
    pub(crate) fn take_parts(&mut self) -> Vec<Vec<DiskRecord>> {
        std::mem::take(&mut self.parts)
    }

    /// Puts the rows in the day's order (see [`key`]), on up to `threads`
    /// threads. Parts that follow each other in time stay apart, with any
    /// second they share moved into the first of them; otherwise all rows
    /// become one part, sorted.
    pub(crate) fn order(&mut self, threads: usize) {
        self.parts.retain(|p| !p.is_empty());
        // Each part on its own: a file read in time order already is.
        for p in &mut self.parts {
            if !p.is_sorted_by(|a, b| key(a) <= key(b)) {
                p.sort_by_key(key);
            }
        }
        self.parts.sort_by_key(|p| key(&p[0]));
        let follow = self
            .parts
            .windows(2)
            .all(|w| w[0][w[0].len() - 1].time <= w[1][0].time);
        if !follow {
            let mut all = Vec::new();
            merge::concat(
                &mut all,
                std::mem::take(&mut self.parts),
                threads,
                merge::PARALLEL_MIN,
            );
            // The parts are runs, which a stable sort finds and merges.
            all.sort_by_key(key);
            self.parts = vec![all];
            return;
        }
        // A second split between two parts (a file closed in the middle of
        // it) goes whole into the earlier part, where its rows are sorted.
        let mut kept: Vec<Vec<DiskRecord>> = Vec::with_capacity(self.parts.len());
        for mut p in std::mem::take(&mut self.parts) {
            if let Some(prev) = kept.last_mut() {
                let t = prev[prev.len() - 1].time;
                let n = p.partition_point(|r| r.time <= t);
                if n > 0 {
                    let from = prev.partition_point(|r| r.time < t);
                    prev.extend(p.drain(..n));
                    prev[from..].sort_by_key(key);
                }
            }
            if !p.is_empty() {
                kept.push(p);
            }
        }
        self.parts = kept;
    }

    /// Drops every row whose content an earlier row of the same second has
    /// (see [`merge::dedupe`]), marking in `used` the files of the rows
    /// kept. The rows must be in order, with no second split between
    /// parts, as [`Rows::order`] leaves them.
    pub(crate) fn dedupe(&mut self, used: &mut [bool], threads: usize) {
        if let [one] = &mut self.parts[..] {
            let kept = merge::dedupe_parallel(one, used, threads, merge::PARALLEL_MIN);
            one.truncate(kept);
        } else {
            merge::dedupe_parts(&mut self.parts, used, threads);
        }
        self.parts.retain(|p| !p.is_empty());
    }

    /// Splits the rows (in order) into runs of one UTC day each, with
    /// the day; parts within one day move, parts across days are cut.
    pub(crate) fn into_days(self) -> Vec<(i64, Rows)> {
        let mut out: Vec<(i64, Rows)> = Vec::new();
        let day_of = |r: &DiskRecord| crate::session::day_of(r.time).0;
        let mut add = |day: i64, part: Vec<DiskRecord>| match out.last_mut() {
            Some((d, rows)) if *d == day => rows.push(part),
            _ => out.push((day, Rows::from(part))),
        };
        for p in self.parts {
            let (Some(a), Some(b)) = (p.first(), p.last()) else {
                continue;
            };
            if day_of(a) == day_of(b) {
                add(day_of(a), p);
                continue;
            }
            let mut rest: &[DiskRecord] = &p;
            while let Some(first) = rest.first() {
                let day = day_of(first);
                let n = rest.partition_point(|r| r.time < day + crate::session::DAY);
                let (part, tail) = rest.split_at(n);
                add(day, part.to_vec());
                rest = tail;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytemuck::Zeroable;

    fn row(time: i64, file: u16, line: u32) -> DiskRecord {
        let mut r = DiskRecord::zeroed();
        r.time = time;
        r.file = file;
        r.line = line;
        r
    }

    fn flat(rows: &Rows) -> Vec<DiskRecord> {
        rows.iter().copied().collect()
    }

    fn sorted(mut v: Vec<DiskRecord>) -> Vec<DiskRecord> {
        v.sort_by_key(key);
        v
    }

    /// Files of successive hours stay apart, in time order whatever order
    /// they came in; a second two files share is moved, and sorted.
    #[test]
    fn parts_that_follow_each_other_stay_apart() {
        let a: Vec<_> = (0..10).map(|i| row(100 + i, 1, i as u32)).collect();
        // Starts in a's last second; its file sorts before a's.
        let b: Vec<_> = (0..10).map(|i| row(109 + i, 0, i as u32)).collect();
        let c: Vec<_> = (0..5).map(|i| row(200 + i, 2, i as u32)).collect();
        let mut rows = Rows::default();
        for p in [c.clone(), a.clone(), b.clone()] {
            rows.push(p);
        }
        rows.order(2);
        assert_eq!(rows.parts().len(), 3, "no part was copied into another");
        let all = sorted([a, b, c].concat());
        assert_eq!(flat(&rows), all);
        // The shared second (109) is all in the first part.
        assert_eq!(rows.parts()[0].last().unwrap().time, 109);
        assert_eq!(rows.parts()[1][0].time, 110);
    }

    /// Overlapping parts become one, sorted; a part of one second inside
    /// another's is taken whole.
    #[test]
    fn overlapping_parts_are_sorted_together() {
        let a: Vec<_> = (0..10).map(|i| row(100 + 2 * i, 0, i as u32)).collect();
        let b: Vec<_> = (0..10).map(|i| row(101 + 2 * i, 1, i as u32)).collect();
        let mut rows = Rows::default();
        rows.push(b.clone());
        rows.push(a.clone());
        rows.order(2);
        assert_eq!(rows.parts().len(), 1);
        assert_eq!(flat(&rows), sorted([a, b].concat()));

        let one_second = vec![row(105, 3, 1), row(105, 3, 2)];
        let later: Vec<_> = (0..3).map(|i| row(105 + i, 4, i as u32)).collect();
        let mut rows = Rows::default();
        rows.push(later.clone());
        rows.push(one_second.clone());
        rows.push(Vec::new());
        rows.order(1);
        assert_eq!(flat(&rows), sorted([one_second, later].concat()));
        assert!(
            rows.parts()
                .windows(2)
                .all(|w| w[0].last().unwrap().time < w[1][0].time)
        );
    }

    /// Deduplicating parts keeps what deduplicating their concatenation
    /// keeps.
    #[test]
    fn parts_dedupe_as_one() {
        let mut x = 11u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut all = Vec::new();
        for t in 0..400i64 {
            for k in 0..(next() % 12) {
                let mut r = row(t, (next() % 3) as u16, k as u32);
                r.session = next() % 4;
                all.push(r);
            }
        }
        let all = sorted(all);
        let mut one = all.clone();
        let mut used_one = vec![false; 3];
        let k = merge::dedupe(&mut one, &mut used_one);
        one.truncate(k);
        assert!(k < all.len(), "the rows hold repeats");
        for cut in [1usize, 7, 100] {
            for threads in [1, 2, 3] {
                let mut rows = Rows::default();
                for p in all.chunks(cut * 13) {
                    rows.push(p.to_vec());
                }
                rows.order(threads);
                let mut used = vec![false; 3];
                rows.dedupe(&mut used, threads);
                assert_eq!(
                    flat(&rows),
                    one,
                    "parts of {} rows, {threads} threads",
                    cut * 13
                );
                assert_eq!(used, used_one);
            }
        }
    }

    #[test]
    fn days_are_cut_between_parts_and_within_them() {
        let day = crate::session::DAY;
        let a: Vec<_> = (0..4).map(|i| row(day - 2 + i, 0, i as u32)).collect();
        let b: Vec<_> = (0..4)
            .map(|i| row(day + 10 + i, 0, 10 + i as u32))
            .collect();
        let mut rows = Rows::default();
        rows.push(a.clone());
        rows.push(b.clone());
        let days = rows.into_days();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].0, 0);
        assert_eq!(flat(&days[0].1), a[..2].to_vec());
        assert_eq!(days[1].0, day);
        assert_eq!(flat(&days[1].1), [&a[2..], &b[..]].concat());
    }
}
