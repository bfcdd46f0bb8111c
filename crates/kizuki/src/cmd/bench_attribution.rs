//! `kizuki bench attribution`: the attribution index and join, measured.
//!
//! * The join: the same normalized port-block intervals (one per block and
//!   hour) and observations go to kizuki and, with `--baseline-python`, to
//!   DuckDB and SQLite (`bench/attribution_baseline.py`). kizuki's time
//!   counts reading the intervals from disk, building the index and
//!   attributing every observation; DuckDB's counts its join reading
//!   Parquet. Both report the number of matches and the sum of the inside
//!   addresses matched, which must agree.
//! * The index at given sizes: build time per thread count, bytes per
//!   interval, and lookups per second on one thread.
//! * Import: raw Juniper port-block syslog through the real import path.

use crate::cli::BenchAttributionArgs;
use crate::output::thousands;
use anyhow::{Context, Result, bail};
use kizuki_attribution::index::{Holders, IndexFile, V4Entry, build_entries};
use kizuki_attribution::readers::{Format, ReadOptions, Source};
use kizuki_attribution::session::SessionConfig;
use kizuki_attribution::synth::bench::{
    BlockInterval, BlockObservation, intervals, observations, write_intervals_csv,
    write_observations_csv, write_syslog,
};
use kizuki_attribution::{Assignments, Batch, SourceKind};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Instant;

const START: u32 = 1_613_952_000; // 2021-02-22
const SEED: u64 = 7;

fn write_bin<T: bytemuck::Pod>(path: &Path, v: &[T]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytemuck::cast_slice(v))
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn read_bin<T: bytemuck::Pod>(path: &Path) -> Result<Vec<T>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(bytemuck::pod_collect_to_vec(&bytes))
}

fn entries(iv: &[BlockInterval]) -> impl Iterator<Item = V4Entry> + '_ {
    iv.iter().map(|i| V4Entry {
        addr: i.ip,
        start: i.start,
        end: i.end,
        max_end: 0,
        holder: i.inside,
        lo: i.lo,
        hi: i.hi,
    })
}

/// Reads an intervals file into index entries, a piece at a time: the
/// entries are the only copy of the whole file made, as an index is built
/// from a day's rows.
fn read_entries(path: &Path) -> Result<Vec<V4Entry>> {
    use std::io::Read;
    let size = std::mem::size_of::<BlockInterval>();
    let mut file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file.metadata()?.len() as usize;
    let mut out = Vec::with_capacity(len / size);
    let mut buf: Vec<BlockInterval> = bytemuck::zeroed_vec(1 << 16);
    loop {
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut buf);
        let want = bytes.len();
        let mut got = 0;
        while got < bytes.len() {
            match file.read(&mut bytes[got..]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
            }
        }
        if got % size != 0 {
            bail!("{}: ends inside a record", path.display());
        }
        out.extend(entries(&buf[..got / size]));
        if got < want {
            return Ok(out);
        }
    }
}

/// Matches and the sum of inside addresses matched, over `obs`, on
/// `threads` threads.
fn attribute(idx: &IndexFile, obs: &[BlockObservation], threads: usize) -> (u64, u64) {
    let run = |part: &[BlockObservation]| {
        let (mut n, mut sum) = (0u64, 0u64);
        for o in part {
            idx.each_v4_port(o.ip, o.port, i64::from(o.t), i64::from(o.t) + 1, |e| {
                n += 1;
                sum += u64::from(e.holder);
            });
        }
        (n, sum)
    };
    if threads <= 1 {
        return run(obs);
    }
    let per = obs.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let hs: Vec<_> = obs.chunks(per).map(|c| s.spawn(move || run(c))).collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_default())
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

struct JoinRun {
    secs: f64,
    build: f64,
    matches: u64,
    inside_sum: u64,
    entries: u64,
}

/// Reads the intervals, builds the index and attributes every observation.
fn join(iv_path: &Path, obs: &[BlockObservation], threads: usize) -> Result<JoinRun> {
    let t = Instant::now();
    let v4 = read_entries(iv_path)?;
    let n = v4.len() as u64;
    let (bytes, stats) = build_entries(
        SourceKind::PortBlock,
        v4,
        Vec::new(),
        Holders::InsideV4,
        n,
        threads,
    );
    let idx = IndexFile::from_bytes(&bytes)?;
    drop(bytes);
    let build = t.elapsed().as_secs_f64();
    let (matches, inside_sum) = attribute(&idx, obs, threads);
    Ok(JoinRun {
        secs: t.elapsed().as_secs_f64(),
        build,
        matches,
        inside_sum,
        entries: stats.entries,
    })
}

fn best(repeat: u32, mut f: impl FnMut() -> Result<JoinRun>) -> Result<JoinRun> {
    let mut best: Option<JoinRun> = None;
    for _ in 0..repeat.max(1) {
        let r = f()?;
        if best.as_ref().is_none_or(|b| r.secs < b.secs) {
            best = Some(r);
        }
    }
    best.context("no run")
}

/// Runs `kizuki bench attribution`.
pub fn run(args: BenchAttributionArgs) -> Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("kizuki-bench-attribution"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let threads: Vec<usize> = args.threads.iter().copied().filter(|t| *t > 0).collect();
    if threads.is_empty() {
        bail!("--threads: give at least one thread count");
    }
    println!("kizuki bench attribution (data in {})", dir.display());

    // The join.
    let n = args.join_intervals;
    let iv_path = dir.join(format!("intervals-{n}.bin"));
    let obs_path = dir.join(format!("observations-{n}-{}.bin", args.observations));
    if !iv_path.exists() || !obs_path.exists() {
        eprintln!(
            "generating {} intervals and {} observations ...",
            thousands(n),
            thousands(u64::from(args.observations))
        );
        let iv = intervals(n, 24, START, SEED);
        write_bin(&iv_path, &iv)?;
        write_bin(&obs_path, &observations(&iv, args.observations, SEED + 1))?;
    }
    let obs: Vec<BlockObservation> = read_bin(&obs_path)?;
    println!();
    println!(
        "join: {} port-block intervals x {} observations (ip = ip, start <= t < end, lo <= port <= hi)",
        thousands(n),
        thousands(obs.len() as u64)
    );
    let mut ours = Vec::new();
    for &t in &threads {
        let r = best(args.repeat, || join(&iv_path, &obs, t))?;
        println!(
            "  kizuki   {t} thread(s): {:>7.2} s (read + build {:.2} s, {} entries; attribute {:.2} s)  matches {} inside-sum {}",
            r.secs,
            r.build,
            thousands(r.entries),
            r.secs - r.build,
            r.matches,
            r.inside_sum
        );
        ours.push((t, r));
    }
    if let Some(py) = &args.baseline_python {
        baseline(
            py,
            &dir,
            n,
            &iv_path,
            &obs,
            &threads,
            args.sqlite_sample,
            &ours,
        )?;
    }

    // The index at given sizes.
    for &size in &args.index_sizes {
        index_size(size, args.lookups, &threads, args.repeat)?;
    }

    // Import from raw logs.
    if args.import_lines > 0 {
        import(&dir, args.import_lines, &threads, args.repeat)?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn baseline(
    py: &Path,
    dir: &Path,
    n: u64,
    iv_path: &Path,
    obs: &[BlockObservation],
    threads: &[usize],
    sqlite_sample: u32,
    ours: &[(usize, JoinRun)],
) -> Result<()> {
    let csv_iv = dir.join(format!("intervals-{n}.csv"));
    let csv_obs = dir.join(format!("observations-{n}-{}.csv", obs.len()));
    if !csv_iv.exists() {
        let iv: Vec<BlockInterval> = read_bin(iv_path)?;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv_iv)?);
        write_intervals_csv(&iv, &mut w)?;
        w.flush()?;
    }
    if !csv_obs.exists() {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&csv_obs)?);
        write_observations_csv(obs, &mut w)?;
        w.flush()?;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/attribution_baseline.py");
    let t: Vec<String> = threads.iter().map(|t| t.to_string()).collect();
    let out = std::process::Command::new(py)
        .arg(&script)
        .args(["--intervals", &csv_iv.display().to_string()])
        .args(["--observations", &csv_obs.display().to_string()])
        .args(["--threads", &t.join(",")])
        .args(["--sqlite-sample", &sqlite_sample.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", py.display()))?;
    if !out.status.success() {
        bail!("the baseline script failed");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("the baseline script printed no JSON")?;
    for (t, r) in ours {
        let d = &v["duckdb"][t.to_string()];
        let secs = d["seconds"].as_f64().unwrap_or(f64::NAN);
        let agree = d["matches"].as_u64() == Some(r.matches)
            && d["inside_sum"].as_u64() == Some(r.inside_sum);
        println!(
            "  DuckDB {} {t} thread(s): {secs:>7.2} s  matches {} inside-sum {}  ({}; kizuki {:.1}x faster)",
            v["duckdb_version"].as_str().unwrap_or("?"),
            d["matches"],
            d["inside_sum"],
            if agree {
                "same answer"
            } else {
                "DIFFERENT ANSWER"
            },
            secs / r.secs
        );
    }
    let s = &v["sqlite"];
    println!(
        "  SQLite {} (index on ip, start): load + index {:.1} s; {} lookups in {:.2} s = {:.0}/s, so about {:.0} s for {}; matches agree on the sample: {}",
        s["version"].as_str().unwrap_or("?"),
        s["load_seconds"].as_f64().unwrap_or(f64::NAN),
        s["sample"],
        s["query_seconds"].as_f64().unwrap_or(f64::NAN),
        s["lookups_per_second"].as_f64().unwrap_or(f64::NAN),
        s["seconds_for_all"].as_f64().unwrap_or(f64::NAN),
        thousands(obs.len() as u64),
        sqlite_agrees(s, obs, iv_path)?
    );
    Ok(())
}

/// Whether SQLite's matches on its sample agree with kizuki's.
fn sqlite_agrees(s: &serde_json::Value, obs: &[BlockObservation], iv_path: &Path) -> Result<bool> {
    let k = s["sample"].as_u64().unwrap_or(0) as usize;
    let v4 = read_entries(iv_path)?;
    let n = v4.len() as u64;
    let (bytes, _) = build_entries(
        SourceKind::PortBlock,
        v4,
        Vec::new(),
        Holders::InsideV4,
        n,
        2,
    );
    let idx = IndexFile::from_bytes(&bytes)?;
    let (m, sum) = attribute(&idx, &obs[..k.min(obs.len())], 1);
    Ok(s["matches"].as_u64() == Some(m) && s["inside_sum"].as_u64() == Some(sum))
}

fn index_size(n: u64, lookups: u32, threads: &[usize], repeat: u32) -> Result<()> {
    println!();
    println!(
        "index of {} port-block intervals (one per block and hour):",
        thousands(n)
    );
    let iv = intervals(n, 24, START, SEED);
    let mut built = None;
    for &t in threads {
        // Each run's time: the first build of a size also waits for the
        // kernel to hand out fresh memory, which later runs reuse.
        let mut runs = Vec::new();
        for _ in 0..repeat.max(1) {
            let e = entries(&iv).collect();
            let s = Instant::now();
            let (bytes, stats) = build_entries(
                SourceKind::PortBlock,
                e,
                Vec::new(),
                Holders::InsideV4,
                n,
                t,
            );
            runs.push(s.elapsed().as_secs_f64());
            built = Some((bytes, stats));
        }
        let (bytes, stats) = built.as_ref().context("no build")?;
        let secs = runs.iter().copied().fold(f64::INFINITY, f64::min);
        let each: Vec<String> = runs.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "  build, {t} thread(s): best {secs:.2} s ({:.1} M intervals/s; runs {} s) -> {} entries, {} bytes = {:.2} bytes per interval ({:.1} per entry)",
            n as f64 / secs / 1e6,
            each.join(", "),
            thousands(stats.entries),
            thousands(bytes.len() as u64),
            bytes.len() as f64 / n as f64,
            bytes.len() as f64 / stats.entries.max(1) as f64
        );
    }
    let (bytes, _) = built.context("no build")?;
    // Open it as the import does: a file, memory-mapped.
    let tmp = tempfile_path("index")?;
    std::fs::write(&tmp, &bytes)?;
    drop(bytes);
    let idx = IndexFile::open(&tmp)?;
    let obs = observations(&iv, lookups, SEED + 2);
    drop(iv);
    let s = Instant::now();
    let (m, _) = attribute(&idx, &obs, 1);
    let fast = s.elapsed().as_secs_f64();
    let s = Instant::now();
    let mut hits = Vec::new();
    let mut full = 0u64;
    for o in &obs {
        hits.clear();
        idx.query(
            IpAddr::V4(Ipv4Addr::from(o.ip)),
            i64::from(o.t),
            i64::from(o.t) + 1,
            &mut hits,
        );
        full += hits.iter().filter(|h| h.ports.contains(o.port)).count() as u64;
    }
    let slow = s.elapsed().as_secs_f64();
    if full != m {
        bail!("the two lookup paths disagree: {m} and {full}");
    }
    println!(
        "  lookups, 1 thread, random: {:.1} M/s (address, port, time -> block); {:.1} M/s with every hit decoded",
        f64::from(lookups) / fast / 1e6,
        f64::from(lookups) / slow / 1e6
    );
    // A batch as `attribute` gets it: in random order, sorted by address
    // first (the sort is timed too), then looked up in index order.
    let mut sorted = obs.clone();
    let s = Instant::now();
    sorted.sort_unstable_by_key(|o| (o.ip, o.t));
    let (m2, _) = attribute(&idx, &sorted, 1);
    if m2 != m {
        bail!("the batch disagrees with single lookups: {m2} and {m}");
    }
    println!(
        "  lookups, 1 thread, a batch in random order (sorting it included): {:.1} M/s",
        f64::from(lookups) / s.elapsed().as_secs_f64() / 1e6
    );
    let _ = std::fs::remove_file(&tmp);
    Ok(())
}

fn tempfile_path(what: &str) -> Result<PathBuf> {
    let p = std::env::temp_dir().join(format!("kizuki-bench-{what}-{}", std::process::id()));
    Ok(p)
}

struct ImportRun {
    secs: f64,
    parse: f64,
    read: u64,
    rejects: usize,
    sum: kizuki_attribution::ImportSummary,
}

/// Reads `files` on `threads` threads into a new store, as `assignments
/// import` does.
fn import_once(files: &[PathBuf], t: usize) -> Result<ImportRun> {
    let db_dir = tempfile_path("import-db")?;
    let _ = std::fs::remove_dir_all(&db_dir);
    let s = Instant::now();
    let opts = ReadOptions::new();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outs = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..t {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    if let Ok(src) = Source::load(f) {
                        // As `assignments import` reads it: straight
                        // into compact rows.
                        let read = Batch::read(Format::PbaJuniper, &src, &opts);
                        drop(src);
                        if let (Ok((batch, o)), Ok(mut v)) = (read, outs.lock()) {
                            v.push((batch, o.read, o.rejects.len()));
                        }
                    }
                }
            });
        }
    });
    let outs: Vec<(Batch, u64, usize)> = outs.into_inner().unwrap_or_default();
    let read: u64 = outs.iter().map(|o| o.1).sum();
    let rejects: usize = outs.iter().map(|o| o.2).sum();
    let batches: Vec<Batch> = outs.into_iter().map(|o| o.0).collect();
    let parse = s.elapsed().as_secs_f64();
    let mut db = Assignments::open(&db_dir, SessionConfig::new())?;
    let sum = db.import_batches(batches)?;
    let secs = s.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&db_dir);
    Ok(ImportRun {
        secs,
        parse,
        read,
        rejects,
        sum,
    })
}

fn import(dir: &Path, lines: u64, threads: &[usize], repeat: u32) -> Result<()> {
    println!();
    let logs = dir.join(format!("syslog-{lines}"));
    if !logs.join("done").exists() {
        eprintln!("generating about {} syslog lines ...", thousands(lines));
        let _ = std::fs::remove_dir_all(&logs);
        let iv = intervals(lines, 24, START, SEED + 3);
        write_syslog(&iv, &logs)?;
        std::fs::write(logs.join("done"), b"")?;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&logs)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    files.sort();
    let bytes: u64 = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    println!(
        "import: {} Juniper port-block syslog files, {} MB (allocations, hourly interims, releases)",
        files.len(),
        bytes >> 20
    );
    for &t in threads {
        let mut runs = Vec::new();
        for _ in 0..repeat.max(1) {
            let r = import_once(&files, t)?;
            println!(
                "  {t} thread(s), run {}: {:.2} s = {:.2} M records/s (reading {:.2} s, index {:.2} s)",
                runs.len() + 1,
                r.secs,
                r.read as f64 / r.secs / 1e6,
                r.parse,
                r.secs - r.parse
            );
            runs.push(r);
        }
        runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
        let (best, median) = (&runs[0], &runs[runs.len() / 2]);
        println!(
            "  {t} thread(s): best {:.2} s for {} lines = {:.2} M records/s, median {:.2} M records/s; {} rejected; {} intervals, {} entries, {} bytes of index",
            best.secs,
            thousands(best.read),
            best.read as f64 / best.secs / 1e6,
            median.read as f64 / median.secs / 1e6,
            best.rejects,
            thousands(best.sum.intervals),
            thousands(best.sum.entries),
            thousands(best.sum.index_bytes)
        );
    }
    Ok(())
}
