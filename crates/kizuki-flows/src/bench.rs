//! The flows benchmark: 10M nfdump 1.7 rows against 10k C2 entries,
//! matched in bulk (read + parse + validity-checked match), on one thread
//! and on several. The data is generated once into a directory and reused;
//! `bench/flows/duckdb_baseline.py` runs the same join in DuckDB on the
//! same files.

use crate::bulk::{BulkStats, bulk_match_nfdump};
use crate::c2::C2List;
use crate::error::FlowError;
use crate::options::ReadOptions;
use crate::synth::{FlowStream, SynthConfig, World, write_feodo_csv, write_nfdump17};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Where the data lives (generated when missing or made with other
    /// settings).
    pub dir: PathBuf,
    /// Flow rows (background; the C2 contacts come on top).
    pub rows: u64,
    /// C2 entries.
    pub c2_entries: u32,
    /// Thread counts to time.
    pub threads: Vec<usize>,
    /// Timed runs per thread count; the best is reported.
    pub repeat: u32,
    /// The generator's seed.
    pub seed: u64,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            dir: std::env::temp_dir().join("kizuki-bench-flows"),
            rows: 10_000_000,
            c2_entries: 10_000,
            threads: vec![
                1,
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ],
            repeat: 3,
            seed: 42,
        }
    }
}

/// What the generated data holds, kept beside it so a rerun can reuse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchData {
    /// Background rows asked for.
    pub rows: u64,
    /// C2 entries.
    pub c2_entries: u32,
    /// The seed.
    pub seed: u64,
    /// Rows written (background and contacts).
    pub rows_written: u64,
    /// C2 contacts written: the matches a correct join finds.
    pub expected_matches: u64,
    /// The flow file's size in bytes.
    pub file_bytes: u64,
}

/// One timed configuration.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRun {
    /// Threads used.
    pub threads: usize,
    /// The best wall time, seconds.
    pub seconds: f64,
    /// Flows read, parsed and matched per second.
    pub flows_per_sec: f64,
    /// Input megabytes (10^6) per second.
    pub mb_per_sec: f64,
    /// The counts (equal across runs).
    pub stats: BulkStats,
}

/// The benchmark's result, for the CLI to print.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// The flow file (nfdump 1.7 CSV).
    pub flows_file: PathBuf,
    /// The C2 list (Feodo CSV).
    pub c2_file: PathBuf,
    /// What the data holds.
    pub data: BenchData,
    /// Seconds spent generating (0 when reused).
    pub generate_seconds: f64,
    /// Seconds to build the C2 index (not in the runs).
    pub c2_index_seconds: f64,
    /// One entry per thread count.
    pub runs: Vec<BenchRun>,
    /// Whether every run found exactly the expected matches.
    pub correct: bool,
}

fn synth_config(c: &BenchConfig) -> SynthConfig {
    SynthConfig {
        seed: c.seed,
        hosts: 5_000,
        infected: 100,
        contacts_per_host: ((c.rows / 100_000).clamp(1, 200)) as u32,
        publics: 4,
        c2_entries: c.c2_entries,
        flows: c.rows,
        ..SynthConfig::default()
    }
}

/// Generates the data (unless already there for the same settings).
/// Returns the description and the seconds spent generating.
pub fn prepare(c: &BenchConfig) -> Result<(BenchData, f64), FlowError> {
    let meta_path = c.dir.join("meta.json");
    let flows_path = c.dir.join("flows.csv");
    let c2_path = c.dir.join("feodo.csv");
    if let Ok(text) = std::fs::read_to_string(&meta_path)
        && let Ok(meta) = serde_json::from_str::<BenchData>(&text)
        && meta.rows == c.rows
        && meta.c2_entries == c.c2_entries
        && meta.seed == c.seed
        && std::fs::metadata(&flows_path).is_ok_and(|m| m.len() == meta.file_bytes)
        && c2_path.exists()
    {
        return Ok((meta, 0.0));
    }
    std::fs::create_dir_all(&c.dir).map_err(|e| FlowError::io(&c.dir, e))?;
    let t = Instant::now();
    let world = World::new(&synth_config(c));
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(&c2_path).map_err(|e| FlowError::io(&c2_path, e))?,
    );
    write_feodo_csv(&world, &mut f).map_err(|e| FlowError::io(&c2_path, e))?;
    drop(f);
    let stream = FlowStream::new(&world);
    let expected = stream.contacts().len() as u64;
    let out = std::fs::File::create(&flows_path).map_err(|e| FlowError::io(&flows_path, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, out);
    let rows = write_nfdump17(stream, &mut out, &jiff::tz::TimeZone::UTC, false)
        .map_err(|e| FlowError::io(&flows_path, e))?;
    drop(out);
    let file_bytes = std::fs::metadata(&flows_path)
        .map_err(|e| FlowError::io(&flows_path, e))?
        .len();
    let meta = BenchData {
        rows: c.rows,
        c2_entries: c.c2_entries,
        seed: c.seed,
        rows_written: rows,
        expected_matches: expected,
        file_bytes,
    };
    let text = serde_json::to_string_pretty(&meta).unwrap_or_default();
    std::fs::write(&meta_path, text).map_err(|e| FlowError::io(&meta_path, e))?;
    Ok((meta, t.elapsed().as_secs_f64()))
}

/// Runs the benchmark.
pub fn bench(c: &BenchConfig) -> Result<BenchReport, FlowError> {
    let (data, generate_seconds) = prepare(c)?;
    let flows_path = c.dir.join("flows.csv");
    let t = Instant::now();
    // The entries are regenerated from the seed (the same as in feodo.csv):
    // reading the Feodo CSV is kizuki-feeds' job.
    let world = World::new(&synth_config(c));
    let c2 = C2List::from_entries(world.c2.clone());
    let c2_index_seconds = t.elapsed().as_secs_f64();
    let name: Arc<str> = flows_path.display().to_string().into();
    let opts = ReadOptions::new();
    let mut runs = Vec::new();
    let mut correct = true;
    for &threads in &c.threads {
        let mut best: Option<BenchRun> = None;
        for _ in 0..c.repeat.max(1) {
            let t = Instant::now();
            let f = std::fs::File::open(&flows_path).map_err(|e| FlowError::io(&flows_path, e))?;
            let (stats, _, _) = bulk_match_nfdump(f, &name, &opts, &c2, threads, false)?;
            let secs = t.elapsed().as_secs_f64();
            correct &= stats.matches == data.expected_matches && stats.rejected == 0;
            if best.as_ref().is_none_or(|b| secs < b.seconds) {
                best = Some(BenchRun {
                    threads,
                    seconds: secs,
                    flows_per_sec: stats.flows as f64 / secs,
                    mb_per_sec: data.file_bytes as f64 / 1e6 / secs,
                    stats,
                });
            }
        }
        runs.extend(best);
    }
    Ok(BenchReport {
        flows_file: flows_path,
        c2_file: c.dir.join("feodo.csv"),
        data,
        generate_seconds,
        c2_index_seconds,
        runs,
        correct,
    })
}

/// The data directory's files, for scripts: (flows, Feodo CSV).
pub fn files(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("flows.csv"), dir.join("feodo.csv"))
}
