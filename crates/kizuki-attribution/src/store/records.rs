//! A day's records on disk: fixed-size rows (`records.bin`, each stored as
//! the bytes that differ from the row before it, see `codec`), the files
//! they came from (`files.json`) and the holders they name (`holders.bin`).
//! In memory a day is the parts it was read in (see `rows`).
//!
//! Rows are sorted the way the state machines read them (time, then file
//! name, then line) and hold no duplicates: the same record read twice,
//! from the same file or another, is kept once, with the reference that
//! sorts first. That is what makes importing a file twice change nothing.

use crate::error::AttributionError;
use crate::record::{Action, Holder, LogRecord, Net, Ports, RecordRef, SourceKind};
use crate::session::Rec;
use bytemuck::{Pod, Zeroable};
use rustc_hash::FxHashMap as HashMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::Arc;

mod codec;
mod merge;
mod rows;

pub(crate) use rows::Rows;

/// One record as stored.
#[repr(C)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Pod, Zeroable)]
pub(crate) struct DiskRecord {
    time: i64,
    session: u64,
    group: u64,
    holder: u64,
    addr: [u8; 16],
    /// `start - time`, or `i32::MIN` when there is no start.
    start: i32,
    /// `end - time`, or `i32::MIN` when there is no end.
    end: i32,
    line: u32,
    interim: u32,
    lo: u16,
    hi: u16,
    file: u16,
    len: u8,
    /// Bit 0: IPv4. Bits 1-7: the action.
    flags: u8,
}

const NONE: i32 = i32::MIN;

impl DiskRecord {
    /// A log record as stored, its file being `file`; a holder that its
    /// identity does not name by itself goes into `holders`.
    fn from_log(r: &LogRecord, file: u16, holders: &mut HashMap<u64, Holder>) -> DiskRecord {
        let h = r.holder.hash();
        if Holder::from_hash(h).is_none() {
            holders.entry(h).or_insert_with(|| r.holder.clone());
        }
        let (addr, v4) = match r.net.addr {
            IpAddr::V4(a) => (a.to_ipv6_mapped().octets(), 1),
            IpAddr::V6(a) => (a.octets(), 0),
        };
        DiskRecord {
            time: r.time,
            session: r.session,
            group: r.group,
            holder: h,
            addr,
            start: delta(r.start, r.time),
            end: delta(r.end, r.time),
            line: u32::try_from(r.at.line).unwrap_or(u32::MAX),
            interim: r.interim.unwrap_or(0),
            lo: r.ports.lo,
            hi: r.ports.hi,
            file,
            len: r.net.len,
            flags: v4 | (r.action as u8) << 1,
        }
    }

    fn net(&self) -> Option<Net> {
        let addr = if self.flags & 1 == 1 {
            IpAddr::V4(Ipv6Addr::from(self.addr).to_ipv4_mapped()?)
        } else {
            IpAddr::V6(Ipv6Addr::from(self.addr))
        };
        Net::new(addr, self.len)
    }

    /// The machine's view.
    fn rec(&self) -> Option<Rec> {
        let undelta = |d: i32| (d != NONE).then(|| self.time + i64::from(d));
        Some(Rec {
            time: self.time,
            action: Action::from_code(self.flags >> 1)?,
            session: self.session,
            group: self.group,
            holder: self.holder,
            net: self.net()?,
            ports: Ports {
                lo: self.lo,
                hi: self.hi,
            },
            start: undelta(self.start),
            end: undelta(self.end),
            interim: (self.interim > 0).then_some(self.interim),
        })
    }
}

/// Records of one file taken into compact form as a reader finds them,
/// so that the file's [`LogRecord`]s never all exist at once.
pub(crate) struct RowSink {
    rows: Vec<DiskRecord>,
    holders: HashMap<u64, Holder>,
}

impl RowSink {
    /// Room for `n` records.
    pub(crate) fn with_capacity(n: usize) -> RowSink {
        RowSink {
            rows: Vec::with_capacity(n),
            holders: HashMap::default(),
        }
    }

    /// Takes one record of the file.
    pub(crate) fn push(&mut self, r: &LogRecord) {
        self.rows
            .push(DiskRecord::from_log(r, 0, &mut self.holders));
    }

    /// The records, as [`DayRecords::from_records`] makes them of the same
    /// records of the file `name`.
    pub(crate) fn finish(mut self, name: Arc<str>) -> Result<DayRecords, AttributionError> {
        order_lines(&mut self.rows);
        let names = if self.rows.is_empty() {
            Vec::new()
        } else {
            vec![name]
        };
        let mut d = DayRecords {
            rows: Rows::default(),
            files: Vec::new(),
            holders: self.holders,
        };
        d.absorb(self.rows, names)?;
        Ok(d)
    }
}

/// The records of one day of one log kind.
#[derive(Clone, Debug, Default)]
pub(crate) struct DayRecords {
    pub(crate) rows: Rows,
    /// File names; a row's `file` indexes this. Kept sorted.
    pub(crate) files: Vec<Arc<str>>,
    /// Holders by hash.
    pub(crate) holders: HashMap<u64, Holder>,
}

fn delta(v: Option<i64>, time: i64) -> i32 {
    v.and_then(|v| i32::try_from(v - time).ok()).unwrap_or(NONE)
}

impl DayRecords {
    /// Log records in compact form (of one kind; in any order).
    pub(crate) fn from_records(new: &[LogRecord]) -> Result<DayRecords, AttributionError> {
        let mut names: Vec<Arc<str>> = Vec::new();
        let mut last: Option<(*const u8, u16)> = None;
        let mut rank: HashMap<Arc<str>, u16> = HashMap::default();
        let mut holders: HashMap<u64, Holder> = HashMap::default();
        let mut rows = Vec::with_capacity(new.len());
        for r in new {
            // Records come in runs from one file: remember the last one's
            // index rather than hashing its name every time.
            let file = match last {
                Some((p, k)) if std::ptr::eq(p, r.at.file.as_ptr()) => k,
                _ => {
                    let k = match rank.get(&r.at.file) {
                        Some(k) => *k,
                        None => {
                            if names.len() >= usize::from(u16::MAX) {
                                return Err(AttributionError::Config(format!(
                                    "more than {} files for one day of one log kind",
                                    u16::MAX
                                )));
                            }
                            names.push(Arc::clone(&r.at.file));
                            rank.insert(Arc::clone(&r.at.file), (names.len() - 1) as u16);
                            (names.len() - 1) as u16
                        }
                    };
                    last = Some((r.at.file.as_ptr(), k));
                    k
                }
            };
            rows.push(DiskRecord::from_log(r, file, &mut holders));
        }
        order_lines(&mut rows);
        let mut d = DayRecords {
            rows: Rows::default(),
            files: Vec::new(),
            holders,
        };
        d.absorb(rows, names)?;
        Ok(d)
    }

    /// Takes `rows` whose file indexes refer to `names`: the file table
    /// becomes the sorted union and every row is remapped to it.
    fn absorb(
        &mut self,
        rows: Vec<DiskRecord>,
        names: Vec<Arc<str>>,
    ) -> Result<(), AttributionError> {
        let mut rows = Rows::from(rows);
        self.unify_files(&mut rows, names)?;
        for p in rows.take_parts() {
            self.rows.push(p);
        }
        Ok(())
    }

    /// Makes the file table the sorted union of its files and `names`, and
    /// remaps the file indexes of the day's rows and of `rows` (which refer
    /// to `names`) to it.
    fn unify_files(
        &mut self,
        rows: &mut Rows,
        names: Vec<Arc<str>>,
    ) -> Result<(), AttributionError> {
        let mut all: Vec<Arc<str>> = self.files.clone();
        all.extend(names.iter().cloned());
        all.sort();
        all.dedup();
        if all.len() > usize::from(u16::MAX) {
            return Err(AttributionError::Config(format!(
                "more than {} files for one day of one log kind",
                u16::MAX
            )));
        }
        let rank = |n: &Arc<str>| all.binary_search(n).map_or(0, |i| i as u16);
        let old: Vec<u16> = self.files.iter().map(rank).collect();
        let new: Vec<u16> = names.iter().map(rank).collect();
        if old.iter().enumerate().any(|(i, r)| usize::from(*r) != i) {
            for r in self.rows.iter_mut() {
                r.file = old[usize::from(r.file)];
            }
        }
        // Rows of one file, or of files already in order, keep their
        // indexes: no pass over them.
        if new.iter().enumerate().any(|(i, r)| usize::from(*r) != i) {
            for r in rows.iter_mut() {
                r.file = new[usize::from(r.file)];
            }
        }
        self.files = all;
        Ok(())
    }

    /// Adds other records of the same kind and day and restores order and
    /// uniqueness (once, however many there are), on up to `threads`
    /// threads.
    pub(crate) fn merge(
        &mut self,
        others: Vec<DayRecords>,
        threads: usize,
    ) -> Result<(), AttributionError> {
        for mut other in others {
            for (h, v) in other.holders {
                self.holders.entry(h).or_insert(v);
            }
            self.unify_files(&mut other.rows, other.files)?;
            for p in other.rows.take_parts() {
                self.rows.push(p);
            }
        }
        self.settle(threads);
        Ok(())
    }

    /// Sorts the rows and drops duplicates.
    fn settle(&mut self, threads: usize) {
        self.rows.order(threads);
        // The same record twice (a file imported again, the same line in
        // two files) shares its second: keep the first, whose reference
        // sorts first.
        // Only the files the rows name stay in the table, so that the
        // table does not depend on how files were grouped into imports.
        let mut used = vec![false; self.files.len()];
        self.rows.dedupe(&mut used, threads);
        if used.iter().any(|u| !u) {
            let mut map = vec![0u16; self.files.len()];
            let mut kept = Vec::new();
            for (i, f) in self.files.iter().enumerate() {
                if used[i] {
                    map[i] = kept.len() as u16;
                    kept.push(Arc::clone(f));
                }
            }
            for r in self.rows.iter_mut() {
                r.file = map[usize::from(r.file)];
            }
            self.files = kept;
        }
        // And only the holders they name.
        if self.holders.len() > self.rows.len() {
            let named: rustc_hash::FxHashSet<u64> = self.rows.iter().map(|r| r.holder).collect();
            self.holders.retain(|h, _| named.contains(h));
        }
    }

    /// Splits records of several days into days, by their UTC day.
    pub(crate) fn into_days(mut self) -> Vec<(i64, DayRecords)> {
        // Duplicates go when the day is merged.
        self.rows.order(1);
        // Usually all of one day: no copy.
        if let (Some(a), Some(b)) = (self.rows.first(), self.rows.last()) {
            let day = crate::session::day_of(a.time).0;
            if crate::session::day_of(b.time).0 == day {
                return vec![(day, self)];
            }
        }
        let rows = std::mem::take(&mut self.rows);
        rows.into_days()
            .into_iter()
            .map(|(day, rows)| {
                let holders: HashMap<u64, Holder> = rows
                    .iter()
                    .filter_map(|r| self.holders.get(&r.holder).map(|h| (r.holder, h.clone())))
                    .collect();
                let d = DayRecords {
                    rows,
                    files: self.files.clone(),
                    holders,
                };
                (day, d)
            })
            .collect()
    }

    /// The records as the state machines read them, those whose identity
    /// and group pass `keep` (which sees them before they are decoded).
    pub(crate) fn recs_where<'a>(
        &'a self,
        keep: impl Fn(u64, u64) -> bool + 'a,
    ) -> impl Iterator<Item = Rec> + 'a {
        self.rows
            .iter()
            .filter(move |r| keep(r.session, r.group))
            .filter_map(DiskRecord::rec)
    }

    pub(crate) fn decode(&self, r: &DiskRecord, kind: SourceKind) -> Option<LogRecord> {
        let addr = if r.flags & 1 == 1 {
            IpAddr::V4(
                Ipv6Addr::from(r.addr)
                    .to_ipv4_mapped()
                    .unwrap_or(Ipv4Addr::UNSPECIFIED),
            )
        } else {
            IpAddr::V6(Ipv6Addr::from(r.addr))
        };
        let undelta = |d: i32| (d != NONE).then(|| r.time + i64::from(d));
        Some(LogRecord {
            time: r.time,
            source: kind,
            action: Action::from_code(r.flags >> 1)?,
            session: r.session,
            group: r.group,
            net: Net::new(addr, r.len)?,
            ports: Ports { lo: r.lo, hi: r.hi },
            holder: crate::record::resolve_holder(r.holder, &self.holders)?,
            start: undelta(r.start),
            end: undelta(r.end),
            interim: (r.interim > 0).then_some(r.interim),
            at: RecordRef {
                file: Arc::clone(self.files.get(usize::from(r.file))?),
                line: u64::from(r.line),
            },
        })
    }

    /// The records of a day on one network between two times, without
    /// reading the whole day into memory: the rows file is mapped and only
    /// the blocks around the time range are decoded. (A day of a large ISP
    /// holds tens of millions of rows; `whois-at` wants a handful.)
    pub(crate) fn load_matching(
        dir: &Path,
        kind: SourceKind,
        t0: i64,
        t1: i64,
        net: &Net,
    ) -> Result<Vec<LogRecord>, AttributionError> {
        let rows_path = dir.join("records.bin");
        let Some(map) = map_file(&rows_path)? else {
            return Ok(Vec::new());
        };
        let damaged = || AttributionError::index(&rows_path, "truncated or damaged");
        let near: Vec<DiskRecord> = if codec::is_encoded(&map) {
            let stored = codec::Stored::open(&map).ok_or_else(damaged)?;
            let mut rows = Vec::new();
            for b in stored.blocks_between(t0, t1) {
                stored.block(b, &mut rows).ok_or_else(damaged)?;
            }
            rows
        } else {
            let rows: &[DiskRecord] = bytemuck::try_cast_slice(&map).map_err(|_| damaged())?;
            let lo = rows.partition_point(|r| r.time < t0);
            rows[lo..]
                .iter()
                .take_while(|r| r.time <= t1)
                .copied()
                .collect()
        };
        let (addr, v4) = match net.addr {
            IpAddr::V4(a) => (a.to_ipv6_mapped().octets(), 1),
            IpAddr::V6(a) => (a.octets(), 0),
        };
        let hits: Vec<DiskRecord> = near
            .into_iter()
            .filter(|r| r.time >= t0 && r.time <= t1)
            .filter(|r| r.addr == addr && r.len == net.len && r.flags & 1 == v4)
            .collect();
        if hits.is_empty() {
            return Ok(Vec::new());
        }
        let files: Vec<String> = read_json(&dir.join("files.json"))?;
        let day = DayRecords {
            rows: Rows::default(),
            files: files.into_iter().map(Arc::from).collect(),
            holders: read_holders(&dir.join("holders.bin"))?,
        };
        Ok(hits.iter().filter_map(|r| day.decode(r, kind)).collect())
    }

    /// Reads a day from `dir`; an absent day is empty.
    pub(crate) fn load(dir: &Path) -> Result<DayRecords, AttributionError> {
        let rows_path = dir.join("records.bin");
        let Some(map) = map_file(&rows_path)? else {
            return Ok(DayRecords::default());
        };
        let rows = if codec::is_encoded(&map) {
            codec::Stored::open(&map).and_then(|s| s.all())
        } else {
            codec::raw_rows(&map)
        }
        .ok_or_else(|| AttributionError::index(&rows_path, "truncated or damaged"))?;
        drop(map);
        let files_path = dir.join("files.json");
        let files: Vec<String> = read_json(&files_path)?;
        let holders = read_holders(&dir.join("holders.bin"))?;
        Ok(DayRecords {
            rows: Rows::from(rows),
            files: files.into_iter().map(Arc::from).collect(),
            holders,
        })
    }

    /// Writes the day to `dir` (each file replaced atomically).
    pub(crate) fn save(&self, dir: &Path) -> Result<(), AttributionError> {
        std::fs::create_dir_all(dir).map_err(|e| AttributionError::io(dir, e))?;
        write_atomic_with(&dir.join("records.bin"), |w| {
            codec::write(self.rows.parts(), w)
        })?;
        let names: Vec<&str> = self.files.iter().map(|f| &**f).collect();
        write_atomic(
            &dir.join("files.json"),
            serde_json::to_string(&names)
                .map_err(|e| AttributionError::index(dir, e.to_string()))?
                .as_bytes(),
        )?;
        write_atomic(&dir.join("holders.bin"), &encode_holders(&self.holders))
    }
}

/// A file mapped for reading; `None` when it does not exist, an empty
/// slice when it is empty.
fn map_file(path: &Path) -> Result<Option<MappedOrEmpty>, AttributionError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(AttributionError::io(path, e)),
    };
    let len = file
        .metadata()
        .map_err(|e| AttributionError::io(path, e))?
        .len();
    if len == 0 {
        return Ok(Some(MappedOrEmpty(None)));
    }
    // SAFETY: the map is only read, and kizuki replaces record files by
    // rename, never in place, so the mapped bytes do not change.
    #[allow(unsafe_code)]
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| AttributionError::io(path, e))?;
    Ok(Some(MappedOrEmpty(Some(map))))
}

/// A mapped file's bytes (an empty file cannot be mapped).
struct MappedOrEmpty(Option<memmap2::Mmap>);

impl std::ops::Deref for MappedOrEmpty {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.0.as_deref().unwrap_or(&[])
    }
}

pub(crate) fn read_json<T: serde::de::DeserializeOwned>(
    path: &Path,
) -> Result<T, AttributionError> {
    let text = std::fs::read(path).map_err(|e| AttributionError::io(path, e))?;
    serde_json::from_slice(&text).map_err(|e| AttributionError::index(path, e.to_string()))
}

/// Puts the rows of each log line (a RADIUS record gives one per address,
/// each its own session) in the order a day keeps its rows, so that a file
/// read in time order needs no sort.
fn order_lines(rows: &mut [DiskRecord]) {
    let line = |r: &DiskRecord| (r.time, r.file, r.line);
    let mut i = 0;
    while i < rows.len() {
        let mut j = i + 1;
        while j < rows.len() && line(&rows[j]) == line(&rows[i]) {
            j += 1;
        }
        if j - i > 1 {
            rows[i..j].sort_by_key(|r| (r.session, r.addr));
        }
        i = j;
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it and renames
/// it over `path`, so a crash leaves the old file or the new one.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AttributionError> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// As [`write_atomic`], the content being what `fill` writes.
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), AttributionError> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp).map_err(|e| AttributionError::io(&tmp, e))?;
    fill(&mut f)
        .and_then(|_| f.sync_data())
        .map_err(|e| AttributionError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| AttributionError::io(path, e))
}

/// Holders as `hash, kind, length, bytes` rows: kind 0 is a key (UTF-8),
/// kind 4 or 6 an inside address.
pub(crate) fn encode_holders(h: &HashMap<u64, Holder>) -> Vec<u8> {
    let mut keys: Vec<&u64> = h.keys().collect();
    keys.sort_unstable();
    let mut out = Vec::with_capacity(h.len() * 32);
    for k in keys {
        out.extend_from_slice(&k.to_le_bytes());
        match &h[k] {
            Holder::Key(s) => {
                out.push(0);
                out.extend_from_slice(&(s.len() as u32).to_le_bytes());
                out.extend_from_slice(s.as_bytes());
            }
            Holder::Inside(IpAddr::V4(a)) => {
                out.push(4);
                out.extend_from_slice(&4u32.to_le_bytes());
                out.extend_from_slice(&a.octets());
            }
            Holder::Inside(IpAddr::V6(a)) => {
                out.push(6);
                out.extend_from_slice(&16u32.to_le_bytes());
                out.extend_from_slice(&a.octets());
            }
        }
    }
    out
}

pub(crate) fn decode_holder(kind: u8, b: &[u8]) -> Option<Holder> {
    Some(match kind {
        0 => Holder::Key(std::str::from_utf8(b).ok()?.into()),
        4 => Holder::Inside(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?))),
        6 => Holder::Inside(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(b).ok()?))),
        _ => return None,
    })
}

pub(crate) fn read_holders(path: &Path) -> Result<HashMap<u64, Holder>, AttributionError> {
    let b = std::fs::read(path).map_err(|e| AttributionError::io(path, e))?;
    let mut out = HashMap::default();
    let mut i = 0;
    let bad = || AttributionError::index(path, "damaged");
    while i < b.len() {
        let hash = u64::from_le_bytes(
            b.get(i..i + 8)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        );
        let kind = *b.get(i + 8).ok_or_else(bad)?;
        let len = u32::from_le_bytes(
            b.get(i + 9..i + 13)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        ) as usize;
        let body = b.get(i + 13..i + 13 + len).ok_or_else(bad)?;
        out.insert(hash, decode_holder(kind, body).ok_or_else(bad)?);
        i += 13 + len;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Action, Net, Ports, RecordRef, SourceKind};

    /// The addresses of one RADIUS record, in the file's attribute order,
    /// come out of `from_records` in the day's order: no sort is needed.
    #[test]
    fn the_rows_of_one_line_come_in_day_order() {
        let file: Arc<str> = "detail".into();
        let rec = |line: u64, session: u64, net: &str| LogRecord {
            time: 1_614_038_400 + line as i64,
            source: SourceKind::Radius,
            action: Action::Start,
            session,
            group: 1,
            net: Net::parse(net).unwrap(),
            ports: Ports::ALL,
            holder: Holder::user("a"),
            start: None,
            end: None,
            interim: Some(3600),
            at: RecordRef {
                file: Arc::clone(&file),
                line,
            },
        };
        let recs: Vec<LogRecord> = (0..4)
            .flat_map(|l| {
                [
                    rec(l, 30 + l, "100.64.0.1"),
                    rec(l, 10 + l, "2001:db8::/64"),
                    rec(l, 20 + l, "2001:db8::/56"),
                ]
            })
            .collect();
        let d = DayRecords::from_records(&recs).unwrap();
        let key = |r: &DiskRecord| (r.time, r.file, r.line, r.session, r.addr);
        let rows: Vec<DiskRecord> = d.rows.iter().copied().collect();
        assert!(rows.is_sorted_by(|a, b| key(a) <= key(b)));
        assert_eq!(d.rows.len(), 12);
    }

    /// A day saved in the earlier form (rows as they are in memory) is
    /// still read, whole and by time range.
    #[test]
    fn days_in_the_earlier_form_are_read() {
        let file: Arc<str> = "pba.log".into();
        let recs: Vec<LogRecord> = (0..5000u64)
            .map(|line| LogRecord {
                time: 1_614_038_400 + (line / 3) as i64,
                source: SourceKind::PortBlock,
                action: Action::Start,
                session: line,
                group: 0,
                net: Net::parse(&format!("192.0.2.{}", line % 7)).unwrap(),
                ports: Ports { lo: 1024, hi: 2047 },
                holder: Holder::Inside(format!("100.64.0.{}", line % 250).parse().unwrap()),
                start: None,
                end: None,
                interim: None,
                at: RecordRef {
                    file: Arc::clone(&file),
                    line,
                },
            })
            .collect();
        let day = DayRecords::from_records(&recs).unwrap();
        let dir = std::env::temp_dir().join(format!("kizuki-records-{}", std::process::id()));
        day.save(&dir).unwrap();
        let encoded = std::fs::metadata(dir.join("records.bin")).unwrap().len();
        assert!(encoded < (recs.len() * std::mem::size_of::<DiskRecord>() / 2) as u64);
        let net = Net::parse("192.0.2.3").unwrap();
        let (t0, t1) = (1_614_038_400 + 100, 1_614_038_400 + 1200);
        let want = DayRecords::load_matching(&dir, SourceKind::PortBlock, t0, t1, &net).unwrap();
        assert_eq!(
            want.len(),
            recs.iter()
                .filter(|r| r.net == net && r.time >= t0 && r.time <= t1)
                .count()
        );
        assert_eq!(DayRecords::load(&dir).unwrap().rows, day.rows);
        let raw: Vec<DiskRecord> = day.rows.iter().copied().collect();
        std::fs::write(dir.join("records.bin"), bytemuck::cast_slice(&raw)).unwrap();
        assert_eq!(DayRecords::load(&dir).unwrap().rows, day.rows);
        let got = DayRecords::load_matching(&dir, SourceKind::PortBlock, t0, t1, &net).unwrap();
        assert_eq!(got, want);
        std::fs::write(
            dir.join("records.bin"),
            &bytemuck::cast_slice::<_, u8>(&raw)[..100],
        )
        .unwrap();
        assert!(DayRecords::load(&dir).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
