//! The assignments database in the data directory: partitions of records,
//! carries and indexes, one per log kind and UTC day.
//!
//! ```text
//! DATA/attribution/<kind>/<YYYY-MM-DD>/
//!     records.bin files.json holders.bin     the day's records, unique
//!     carry.bin carry-files.json carry-holders.bin   open at the day's end
//!     index.bin                                the day's intervals
//!     meta.json                                counts, span, digests
//! ```
//!
//! An import merges new records into their days, then rebuilds those days
//! and, while what is open at a day's end changes, the days after them.
//! Days before the earliest new record are never touched. Importing the
//! same records twice leaves every file as it was; importing a day's files
//! in two runs gives what importing them together gives, because a day is
//! always rebuilt from all of its records.

use crate::error::AttributionError;
use crate::index::{self, Hit, IndexFile};
use crate::readers::{self, Format, ReadOptions, ReadOutput, Source, pba, radius};
use crate::record::{LogRecord, Net, SourceKind};
use crate::session::{self, Anomalies, DAY, SessionConfig};
use crate::store::{carry, records::DayRecords, records::write_atomic};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const VERSION: u32 = 1;

/// A partition's `meta.json`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartitionMeta {
    /// Format version.
    pub version: u32,
    /// The log kind.
    pub kind: String,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Records stored.
    pub records: u64,
    /// Intervals the state machine emitted.
    pub intervals: u64,
    /// Index entries (touching intervals of one holder joined).
    pub entries: u64,
    /// The earliest interval start.
    pub span_start: i64,
    /// The latest interval end.
    pub span_end: i64,
    /// Overlapping entries with different holders.
    pub overlaps: u64,
    /// Sessions, leases or blocks open at the day's end.
    pub open_at_end: u64,
    /// The digest of the carry this day was built from.
    pub carry_in: String,
    /// The digest of the carry it left.
    pub carry_out: String,
    /// Odd things in the day's records.
    pub anomalies: AnomalyCounts,
}

/// [`Anomalies`] as stored.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct AnomalyCounts {
    pub stop_without_start: u64,
    pub interim_without_start: u64,
    pub start_while_open: u64,
    pub missing_stop: u64,
    pub ended_by_reset: u64,
    pub release_without_lease: u64,
    pub taken_over: u64,
}

impl From<&Anomalies> for AnomalyCounts {
    fn from(a: &Anomalies) -> Self {
        AnomalyCounts {
            stop_without_start: a.stop_without_start,
            interim_without_start: a.interim_without_start,
            start_while_open: a.start_while_open,
            missing_stop: a.missing_stop,
            ended_by_reset: a.ended_by_reset,
            release_without_lease: a.release_without_lease,
            taken_over: a.taken_over,
        }
    }
}

struct Partition {
    meta: PartitionMeta,
    dir: PathBuf,
    index: OnceLock<Option<IndexFile>>,
}

impl Partition {
    fn index(&self) -> Option<&IndexFile> {
        self.index
            .get_or_init(|| IndexFile::open(&self.dir.join("index.bin")).ok())
            .as_ref()
    }
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    /// Records given.
    pub records_in: u64,
    /// Records new to the database (the rest were already there).
    pub records_added: u64,
    /// Days whose records changed.
    pub days_touched: u64,
    /// Days rebuilt (touched, or after a touched day whose carry changed).
    pub days_rebuilt: u64,
    /// Intervals in the rebuilt days.
    pub intervals: u64,
    /// Index entries in the rebuilt days.
    pub entries: u64,
    /// Overlapping entries with different holders in the rebuilt days.
    pub overlaps: u64,
    /// Open at the end of the last rebuilt day of each kind.
    pub open_at_end: u64,
    /// Odd things in the rebuilt days.
    pub anomalies: Anomalies,
    /// Bytes of the rebuilt days' index files.
    pub index_bytes: u64,
}

/// The assignments database.
pub struct Assignments {
    root: PathBuf,
    config: SessionConfig,
    parts: BTreeMap<SourceKind, BTreeMap<i64, Partition>>,
    /// How far before its own day a partition's intervals may start.
    max_back: i64,
}

/// `YYYY-MM-DD` of a day start.
pub fn day_name(day: i64) -> String {
    jiff::Timestamp::from_second(day)
        .map(|t| t.to_string()[..10].to_owned())
        .unwrap_or_else(|_| format!("day{day}"))
}

fn parse_day(s: &str) -> Option<i64> {
    let d: jiff::civil::Date = s.parse().ok()?;
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

impl Assignments {
    /// Opens the database under `root` (created when absent).
    pub fn open(root: &Path, config: SessionConfig) -> Result<Assignments, AttributionError> {
        std::fs::create_dir_all(root).map_err(|e| AttributionError::io(root, e))?;
        let mut db = Assignments {
            root: root.to_owned(),
            config,
            parts: BTreeMap::new(),
            max_back: 0,
        };
        for kind in SourceKind::ALL {
            let kdir = root.join(kind.name());
            let Ok(rd) = std::fs::read_dir(&kdir) else {
                continue;
            };
            for entry in rd.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let Some(day) = parse_day(&name) else {
                    continue;
                };
                let dir = entry.path();
                let meta: PartitionMeta = match std::fs::read(dir.join("meta.json")) {
                    Ok(b) => serde_json::from_slice(&b).map_err(|e| {
                        AttributionError::index(dir.join("meta.json"), e.to_string())
                    })?,
                    // Records merged but never built (an import stopped):
                    // the next import rebuilds it.
                    Err(_) => PartitionMeta::default(),
                };
                db.insert(kind, day, dir, meta);
            }
        }
        Ok(db)
    }

    fn insert(&mut self, kind: SourceKind, day: i64, dir: PathBuf, meta: PartitionMeta) {
        if meta.entries > 0 {
            self.max_back = self.max_back.max(day - meta.span_start);
        }
        self.parts.entry(kind).or_default().insert(
            day,
            Partition {
                meta,
                dir,
                index: OnceLock::new(),
            },
        );
    }

    fn dir(&self, kind: SourceKind, day: i64) -> PathBuf {
        self.root.join(kind.name()).join(day_name(day))
    }

    /// The partitions, by kind and day.
    pub fn partitions(&self) -> Vec<(SourceKind, i64, &PartitionMeta)> {
        self.parts
            .iter()
            .flat_map(|(k, m)| m.iter().map(move |(d, p)| (*k, *d, &p.meta)))
            .collect()
    }

    /// Adds records. Every kind is built on its own thread.
    pub fn import(&mut self, records: Vec<LogRecord>) -> Result<ImportSummary, AttributionError> {
        let mut records = records;
        records.sort_unstable_by_key(|r| r.source);
        let mut batches = Vec::new();
        let mut rest: &[LogRecord] = &records;
        while let Some(first) = rest.first() {
            let n = rest.partition_point(|r| r.source == first.source);
            let (group, tail) = rest.split_at(n);
            batches.push(Batch::new(first.source, group)?);
            rest = tail;
        }
        self.import_batches(batches)
    }

    /// Adds records already in compact form (see [`Batch`]): what a reader
    /// thread makes of each file, so that the records of many files never
    /// all exist in their larger form at once.
    pub fn import_batches(
        &mut self,
        batches: Vec<Batch>,
    ) -> Result<ImportSummary, AttributionError> {
        let lock_path = self.root.join(".lock");
        let lock =
            std::fs::File::create(&lock_path).map_err(|e| AttributionError::io(&lock_path, e))?;
        lock.lock()
            .map_err(|e| AttributionError::io(&lock_path, e))?;
        let mut summary = ImportSummary {
            records_in: batches.iter().map(|b| b.records.rows.len() as u64).sum(),
            ..ImportSummary::default()
        };
        let mut by_kind: BTreeMap<SourceKind, (Vec<DayRecords>, BTreeSet<i64>)> = BTreeMap::new();
        for b in batches {
            by_kind.entry(b.kind).or_default().0.push(b.records);
        }
        // Days left half-done by an import that stopped count as touched.
        for (kind, days) in &self.parts {
            for (day, p) in days {
                if p.meta.version != VERSION {
                    by_kind.entry(*kind).or_default().1.insert(*day);
                }
            }
        }
        // The cores are shared among the kinds being built.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let threads = (cores / by_kind.len().max(1)).max(1);
        let jobs: Vec<Job> = by_kind
            .into_iter()
            .map(|(k, (batches, redo))| {
                let existing = self
                    .parts
                    .get(&k)
                    .map(|m| m.keys().copied().collect())
                    .unwrap_or_default();
                (k, batches, redo, existing)
            })
            .collect();
        let root = self.root.clone();
        let config = self.config.clone();
        let results: Vec<Result<KindResult, AttributionError>> = std::thread::scope(|s| {
            let handles: Vec<_> = jobs
                .into_iter()
                .map(|(kind, batches, redo, existing)| {
                    let root = &root;
                    let config = &config;
                    s.spawn(move || {
                        import_kind(root, config, kind, batches, &redo, &existing, threads)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(AttributionError::Config("an import thread failed".into()))
                    })
                })
                .collect()
        });
        for r in results {
            let r = r?;
            summary.records_added += r.added;
            summary.days_touched += r.touched;
            for (day, meta, anomalies, bytes) in r.built {
                summary.days_rebuilt += 1;
                summary.intervals += meta.intervals;
                summary.entries += meta.entries;
                summary.overlaps += meta.overlaps;
                summary.anomalies.add(&anomalies);
                summary.index_bytes += bytes;
                let dir = self.dir(r.kind, day);
                self.insert(r.kind, day, dir, meta);
            }
            summary.open_at_end += r.open_at_end;
        }
        drop(lock);
        Ok(summary)
    }

    /// Every interval of every kind holding `ip` that overlaps `[t0, t1)`.
    pub fn query(&self, ip: IpAddr, t0: i64, t1: i64, out: &mut Vec<Hit>) {
        for kind in self.parts.keys() {
            self.query_kind(*kind, ip, t0, t1, out);
        }
    }

    /// As [`Assignments::query`], for one kind.
    pub fn query_kind(&self, kind: SourceKind, ip: IpAddr, t0: i64, t1: i64, out: &mut Vec<Hit>) {
        let Some(days) = self.parts.get(&kind) else {
            return;
        };
        // Intervals of day D end by D's end and start no earlier than
        // max_back before D.
        let first = session::day_of(t0).0;
        let last = t1 - 1 + self.max_back;
        for (_, p) in days.range(first..=last) {
            if p.meta.span_start >= t1 || p.meta.span_end <= t0 {
                continue;
            }
            if let Some(idx) = p.index() {
                idx.query(ip, t0, t1, out);
            }
        }
    }

    /// As [`Assignments::query_kind`], for the intervals whose ports hold
    /// `port` (a port-block search).
    pub fn query_kind_port(
        &self,
        kind: SourceKind,
        ip: IpAddr,
        port: u16,
        t0: i64,
        t1: i64,
        out: &mut Vec<Hit>,
    ) {
        let Some(days) = self.parts.get(&kind) else {
            return;
        };
        let first = session::day_of(t0).0;
        let last = t1 - 1 + self.max_back;
        for (_, p) in days.range(first..=last) {
            if p.meta.span_start >= t1 || p.meta.span_end <= t0 {
                continue;
            }
            if let Some(idx) = p.index() {
                idx.query_port(ip, port, t0, t1, out);
            }
        }
    }

    /// Whether any partition of `kind` exists.
    pub fn has(&self, kind: SourceKind) -> bool {
        self.parts.get(&kind).is_some_and(|m| !m.is_empty())
    }

    /// The stored records of `kind` on `net` between `t0` and `t1` that
    /// `keep` accepts: the evidence behind a hit. Only the rows on `net`
    /// are decoded, from the mapped day files.
    pub fn records(
        &self,
        kind: SourceKind,
        net: &Net,
        t0: i64,
        t1: i64,
        keep: &dyn Fn(&LogRecord) -> bool,
    ) -> Result<Vec<LogRecord>, AttributionError> {
        let mut out = Vec::new();
        let Some(days) = self.parts.get(&kind) else {
            return Ok(out);
        };
        for (_, p) in days.range(session::day_of(t0).0..=t1) {
            let recs = DayRecords::load_matching(&p.dir, kind, t0, t1, net)?;
            out.extend(recs.into_iter().filter(|l| keep(l)));
        }
        Ok(out)
    }
}

/// Records of one log kind in compact form, ready to import: 72 bytes a
/// record, where a [`LogRecord`] takes about twice that and more.
pub struct Batch {
    kind: SourceKind,
    records: DayRecords,
}

impl Batch {
    /// Records of `kind` (records of other kinds are an error).
    pub fn new(kind: SourceKind, records: &[LogRecord]) -> Result<Batch, AttributionError> {
        if let Some(r) = records.iter().find(|r| r.source != kind) {
            return Err(AttributionError::Config(format!(
                "a {} record ({}) in a batch of {kind}",
                r.source, r.at
            )));
        }
        Ok(Batch {
            kind,
            records: DayRecords::from_records(records)?,
        })
    }

    /// Reads one log straight into a batch: what [`readers::read`] and
    /// [`Batch::new`] of its records give, without the [`LogRecord`]s of
    /// the whole file ever existing at once (port-block logs go row by
    /// row; other formats are read whole, then made compact). The
    /// output's `records` is empty; everything else is as `read` gives it.
    pub fn read(
        format: Format,
        src: &Source,
        opts: &ReadOptions,
    ) -> Result<(Batch, ReadOutput), AttributionError> {
        let vendor = match format {
            Format::PbaJuniper => Some(pba::Vendor::Juniper),
            Format::PbaA10 => Some(pba::Vendor::A10),
            Format::PbaNfware => Some(pba::Vendor::Nfware),
            _ => None,
        };
        let compact = match (format, vendor) {
            (_, Some(v)) => Some(pba::read_rows(src, opts, v)),
            (Format::RadiusDetail, None) => Some(radius::read_rows(src, opts)),
            _ => None,
        };
        if let Some((out, Some(rows))) = compact {
            let records = rows.finish(std::sync::Arc::clone(&src.name))?;
            return Ok((
                Batch {
                    kind: format.kind(),
                    records,
                },
                out,
            ));
        }
        let mut out = readers::read(format, src, opts);
        let batch = Batch::new(format.kind(), &out.records)?;
        out.records = Vec::new();
        Ok((batch, out))
    }

    /// Records in the batch.
    pub fn len(&self) -> usize {
        self.records.rows.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.records.rows.is_empty()
    }
}

/// One kind's import: its new records, days to redo, days that exist.
type Job = (SourceKind, Vec<DayRecords>, BTreeSet<i64>, BTreeSet<i64>);

struct KindResult {
    kind: SourceKind,
    added: u64,
    touched: u64,
    built: Vec<(i64, PartitionMeta, Anomalies, u64)>,
    open_at_end: u64,
}

fn import_kind(
    root: &Path,
    config: &SessionConfig,
    kind: SourceKind,
    batches: Vec<DayRecords>,
    redo: &BTreeSet<i64>,
    existing: &BTreeSet<i64>,
    threads: usize,
) -> Result<KindResult, AttributionError> {
    let kdir = root.join(kind.name());
    let dir = |d: i64| kdir.join(day_name(d));
    // The new records, day by day.
    let clock = std::time::Instant::now();
    let lap =
        |what: &str| tracing::debug!("{kind}: {what} at {:.3} s", clock.elapsed().as_secs_f64());
    let mut days: BTreeMap<i64, Vec<DayRecords>> = BTreeMap::new();
    for b in batches {
        for (day, part) in b.into_days() {
            days.entry(day).or_default().push(part);
        }
    }
    // A merged day's files are written on a thread of their own while the
    // day is built (writing a large day's rows takes as long as building
    // it); its meta.json, which marks it built, waits for them.
    std::thread::scope(|s| {
        let mut saving: BTreeMap<
            i64,
            std::thread::ScopedJoinHandle<'_, Result<(), AttributionError>>,
        > = BTreeMap::new();
        let mut added = 0u64;
        let mut touched: BTreeSet<i64> = redo.clone();
        // The merged days, kept for the build rather than read back.
        let mut merged: BTreeMap<i64, Arc<DayRecords>> = BTreeMap::new();
        for (day, new) in days {
            touched.insert(day);
            let d = dir(day);
            lap("split into days");
            let mut stored = DayRecords::load(&d)?;
            lap("loaded");
            let before = stored.rows.len();
            stored.merge(new, threads)?;
            lap("merged");
            added += (stored.rows.len() - before) as u64;
            if stored.rows.len() != before || !d.join("meta.json").exists() {
                // Marks the day unbuilt until its index is rewritten.
                let _ = std::fs::remove_file(d.join("meta.json"));
                let rows = Arc::new(stored);
                let writer = Arc::clone(&rows);
                let wd = d.clone();
                saving.insert(day, s.spawn(move || writer.save(&wd)));
                merged.insert(day, rows);
            } else {
                merged.insert(day, Arc::new(stored));
            }
            lap("saving");
        }
        let all: BTreeSet<i64> = existing.union(&touched).copied().collect();
        let (Some(&first), Some(&last)) = (touched.first(), all.last()) else {
            return Ok(KindResult {
                kind,
                added,
                touched: 0,
                built: Vec::new(),
                open_at_end: 0,
            });
        };
        let mut built = Vec::new();
        let mut carry_in = match all.range(..first).next_back() {
            Some(prev) if *prev == first - DAY => carry::load(&dir(*prev))?,
            _ => Default::default(),
        };
        let mut day = first;
        let mut open_at_end = 0;
        while day <= last {
            let d = dir(day);
            let digest_in = format!("{:016x}", carry::digest(&carry_in.0));
            let exists = all.contains(&day);
            if !touched.contains(&day) {
                let old: Option<PartitionMeta> = std::fs::read(d.join("meta.json"))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok());
                let up_to_date = old
                    .as_ref()
                    .is_some_and(|m| m.carry_in == digest_in && m.version == VERSION);
                if up_to_date || (!exists && carry_in.0.open.is_empty()) {
                    // Nothing changes from here unless a later day was touched.
                    match touched.range(day + 1..).next() {
                        Some(next) => {
                            day = *next;
                            carry_in = match all.range(..day).next_back() {
                                Some(prev) if *prev == day - DAY => carry::load(&dir(*prev))?,
                                _ => Default::default(),
                            };
                            continue;
                        }
                        None => break,
                    }
                }
            }
            let mut stored = match merged.remove(&day) {
                Some(s) => s,
                None => Arc::new(DayRecords::load(&d)?),
            };
            lap("loaded for the build");
            let out = session::run_day_parallel(
                kind,
                &carry_in.0,
                |shard| stored.recs_where(move |s, g| shard.holds(s, g)),
                day,
                day + DAY,
                config,
                threads,
            );
            lap("sessions");
            // Holders of the day's records and of what was carried into it.
            let mut holders = match Arc::get_mut(&mut stored) {
                Some(st) => std::mem::take(&mut st.holders),
                // Still being written.
                None => stored.holders.clone(),
            };
            for (h, v) in std::mem::take(&mut carry_in.1) {
                holders.entry(h).or_insert(v);
            }
            let (bytes, stats) = index::build_spans(kind, &out.spans, &holders, threads);
            lap("index built");
            std::fs::create_dir_all(&d).map_err(|e| AttributionError::io(&d, e))?;
            if !exists {
                DayRecords {
                    rows: stored.rows.clone(),
                    files: stored.files.clone(),
                    holders: Default::default(),
                }
                .save(&d)?;
            }
            write_atomic(&d.join("index.bin"), &bytes)?;
            carry::save(&out.carry, &holders, &d)?;
            let meta = PartitionMeta {
                version: VERSION,
                kind: kind.name().into(),
                day: day_name(day),
                records: stored.rows.len() as u64,
                intervals: stats.intervals,
                entries: stats.entries,
                span_start: stats.span_start,
                span_end: stats.span_end,
                overlaps: stats.overlaps,
                open_at_end: out.carry.open.len() as u64,
                carry_in: digest_in,
                carry_out: format!("{:016x}", carry::digest(&out.carry)),
                anomalies: AnomalyCounts::from(&out.anomalies),
            };
            if let Some(w) = saving.remove(&day) {
                join_writer(w)?;
            }
            write_atomic(
                &d.join("meta.json"),
                &serde_json::to_vec_pretty(&meta)
                    .map_err(|e| AttributionError::index(&d, e.to_string()))?,
            )?;
            open_at_end = meta.open_at_end;
            built.push((day, meta, out.anomalies, bytes.len() as u64));
            carry_in = (out.carry, holders);
            lap("written");
            day += DAY;
        }
        for w in std::mem::take(&mut saving).into_values() {
            join_writer(w)?;
        }
        Ok(KindResult {
            kind,
            added,
            touched: touched.len() as u64,
            built,
            open_at_end,
        })
    })
}

/// Waits for a day's files to be written.
fn join_writer(
    w: std::thread::ScopedJoinHandle<'_, Result<(), AttributionError>>,
) -> Result<(), AttributionError> {
    w.join()
        .unwrap_or_else(|_| Err(AttributionError::Config("a writer thread failed".into())))
}
