//! `kizuki assignments import` and `kizuki assignments status`.

use crate::Global;
use crate::cli::AssignmentsImportArgs;
use crate::output::{Output, rate, thousands};
use anyhow::{Context, Result, bail};
use kizuki_attribution::readers::{Format, Note, ReadOptions, Source};
use kizuki_attribution::session::SessionConfig;
use kizuki_attribution::{Assignments, Batch, LineError, day_name};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// The assignments database of a data directory.
pub fn open_db(g: &Global, grace: Option<i64>) -> Result<Assignments> {
    let root = g.data_dir.join("attribution");
    let mut config = SessionConfig::new();
    if let Some(s) = grace {
        config = config.grace(Some(u32::try_from(s.max(0)).unwrap_or(u32::MAX)));
    }
    Assignments::open(&root, config).with_context(|| format!("cannot open {}", root.display()))
}

/// The grace period from the command line or the configuration.
pub fn grace(flag: Option<&str>, g: &Global) -> Result<Option<i64>> {
    flag.or(g.config.attribution.grace.as_deref())
        .map(super::parse_duration)
        .transpose()
}

struct Parsed {
    batches: Vec<Batch>,
    rejects: Vec<LineError>,
    notes: BTreeMap<Note, u64>,
    read: u64,
}

/// One file, read and made compact.
struct FileOut {
    batch: Batch,
    rejects: Vec<LineError>,
    notes: Vec<Note>,
    read: u64,
    syslog_start: Option<i8>,
    syslog_end: Option<(i16, i8)>,
}

/// Reads one file; its records go straight into compact form, so that the
/// records of many files never all exist in their larger form at once.
fn read_one(path: &Path, format: Format, opts: &ReadOptions) -> Result<FileOut> {
    let src = Source::load(path)?;
    // Port-block logs go straight into compact rows; the others through
    // their records.
    let (batch, out) = Batch::read(format, &src, opts)?;
    drop(src);
    Ok(FileOut {
        batch,
        rejects: out.rejects,
        notes: out.notes.into_iter().map(|(n, _)| n).collect(),
        read: out.read,
        syslog_start: out.syslog_start,
        syslog_end: out.syslog_end,
    })
}

/// Runs `kizuki assignments import`.
pub fn import(args: AssignmentsImportArgs, g: &Global) -> Result<ExitCode> {
    let format = Format::from_name(&args.format).with_context(|| {
        let names: Vec<_> = Format::ALL.iter().map(|f| f.name()).collect();
        format!(
            "--format {:?}: expected one of {}",
            args.format,
            names.join(", ")
        )
    })?;
    let tz_name = args
        .tz
        .clone()
        .or_else(|| g.config.attribution.tz.get(format.name()).cloned());
    let mut opts = ReadOptions::new().year(args.year);
    if let Some(z) = &tz_name {
        opts = opts.tz(super::zone(z)?);
    }
    if let Some(k) = args
        .radius_key
        .as_ref()
        .or(g.config.attribution.radius_key.as_ref())
    {
        opts = opts.radius_key(k);
    }
    for f in &args.files {
        if !f.is_file() {
            bail!("cannot read {}: no such file", f.display());
        }
    }
    let grace = grace(args.grace.as_deref(), g)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let start = std::time::Instant::now();
    let total: u64 = args
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let bar = (!g.quiet && total > 64 << 20).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "  reading {bar:30} {bytes}/{total_bytes} {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let parsed = parse_files(&args.files, format, &opts, threads, bar.as_ref())?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let parse_secs = start.elapsed().as_secs_f64();
    let n_records: u64 = parsed.batches.iter().map(|b| b.len() as u64).sum();
    let mut db = open_db(g, grace)?;
    let summary = db.import_batches(parsed.batches)?;
    let secs = start.elapsed().as_secs_f64();

    let rejects_path = if parsed.rejects.is_empty() {
        None
    } else {
        let p = args.rejects.clone().unwrap_or_else(|| {
            let now = jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%SZ")
                .to_string();
            g.data_dir
                .join("attribution")
                .join(format!("rejects-{now}.jsonl"))
        });
        write_rejects(&p, &parsed.rejects)?;
        Some(p)
    };
    if g.quiet {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "kizuki assignments import [{}]: {} file(s), {} log record(s) in {:.2} s ({}; reading {:.2} s)",
        format.name(),
        args.files.len(),
        thousands(parsed.read),
        secs,
        rate(parsed.read, secs),
        parse_secs
    );
    eprintln!(
        "  {} address record(s) accepted ({} new, {} already in the index), {} log record(s) rejected",
        thousands(n_records),
        thousands(summary.records_added),
        thousands(n_records.saturating_sub(summary.records_added)),
        thousands(parsed.rejects.len() as u64)
    );
    for e in parsed.rejects.iter().take(5) {
        eprintln!("    rejected: {e}");
    }
    if let Some(p) = &rejects_path {
        eprintln!(
            "    every rejected line, with file, line and reason: {}",
            p.display()
        );
    }
    eprintln!(
        "  {} day(s) changed, {} rebuilt: {} interval(s), {} index entries, {} bytes ({:.1} per entry)",
        thousands(summary.days_touched),
        thousands(summary.days_rebuilt),
        thousands(summary.intervals),
        thousands(summary.entries),
        thousands(summary.index_bytes),
        summary.index_bytes as f64 / summary.entries.max(1) as f64
    );
    eprintln!(
        "  open at the end of the latest day: {}",
        thousands(summary.open_at_end)
    );
    let a = &summary.anomalies;
    let mut odd: Vec<String> = Vec::new();
    for (n, what) in [
        (summary.overlaps, "overlapping holders"),
        (a.stop_without_start, "Stop without a Start"),
        (a.interim_without_start, "Interim without a Start"),
        (a.start_while_open, "Start of a session already open"),
        (a.missing_stop, "sessions with no Stop (ended by grace)"),
        (a.ended_by_reset, "sessions ended by Accounting-On/Off"),
        (
            a.release_without_lease,
            "releases by a client not holding the lease",
        ),
        (a.taken_over, "leases taken over early"),
    ] {
        if n > 0 {
            odd.push(format!("{} {what}", thousands(n)));
        }
    }
    for (note, n) in &parsed.notes {
        let what = match note {
            Note::ClockJump => "clock jumps back in a file",
            Note::NoAddress => "records with no address",
            Note::NotHeld => "leases holding no address (declined, free, backup)",
        };
        odd.push(format!("{} {what}", thousands(*n)));
    }
    if !odd.is_empty() {
        eprintln!("  anomalies: {}", odd.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_files(
    files: &[PathBuf],
    format: Format,
    opts: &ReadOptions,
    threads: usize,
    bar: Option<&indicatif::ProgressBar>,
) -> Result<Parsed> {
    let tick = |path: &Path| {
        if let Some(b) = bar {
            b.inc(std::fs::metadata(path).map_or(0, |m| m.len()));
        }
    };
    let next = AtomicU64::new(0);
    let results: Mutex<Vec<(usize, Result<FileOut>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads.min(files.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(path) = files.get(i) else {
                        break;
                    };
                    let out = read_one(path, format, opts);
                    tick(path);
                    if let Ok(mut r) = results.lock() {
                        r.push((i, out));
                    }
                }
            });
        }
    });
    let mut outs = results.into_inner().unwrap_or_default();
    outs.sort_by_key(|(i, _)| *i);
    if format.yearless() && opts.has_year() {
        carry_years(files, format, opts, &mut outs);
    }
    let mut parsed = Parsed {
        batches: Vec::with_capacity(outs.len()),
        rejects: Vec::new(),
        notes: BTreeMap::new(),
        read: 0,
    };
    for (_, r) in outs {
        let out = r?;
        parsed.read += out.read;
        parsed.batches.push(out.batch);
        parsed.rejects.extend(out.rejects);
        for n in out.notes {
            *parsed.notes.entry(n).or_default() += 1;
        }
    }
    Ok(parsed)
}

/// The year given is that of the first file's first yearless line; it
/// carries from file to file in the order given (December to January moves
/// it on). The files were read in parallel as if each were the first: each
/// one whose first yearless line a change of year reaches is read again,
/// in order, after the one before it.
fn carry_years(
    files: &[PathBuf],
    format: Format,
    opts: &ReadOptions,
    outs: &mut [(usize, Result<FileOut>)],
) {
    let mut end = None;
    for (i, slot) in outs.iter_mut() {
        let Ok(out) = &mut *slot else { continue };
        match out.syslog_start {
            // No yearless line: the year passes through untouched.
            None => out.syslog_end = end,
            Some(first) if opts.reads_alike_after(first, end) => {}
            Some(_) => {
                tracing::debug!("{}: read again in the year carried in", files[*i].display());
                *slot = read_one(&files[*i], format, &opts.clone().after(end));
            }
        }
        if let Ok(out) = slot {
            end = out.syslog_end;
        }
    }
}

fn write_rejects(path: &Path, rejects: &[LineError]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut out = Output::create(path)?;
    for r in rejects {
        let line = serde_json::json!({ "file": r.file, "line": r.line, "reason": r.reason });
        out.write(format!("{line}\n").as_bytes())?;
    }
    out.finish()
}

/// Runs `kizuki assignments status`.
pub fn status(g: &Global) -> Result<ExitCode> {
    let db = open_db(g, None)?;
    let parts = db.partitions();
    if parts.is_empty() {
        println!(
            "no assignment logs imported yet ({})",
            g.data_dir.join("attribution").display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("kind   day         records  intervals  entries  open  overlaps");
    for (kind, day, m) in parts {
        println!(
            "{:<6} {} {:>9} {:>10} {:>8} {:>5} {:>9}",
            kind.name(),
            day_name(day),
            m.records,
            m.intervals,
            m.entries,
            m.open_at_end,
            m.overlaps
        );
    }
    Ok(ExitCode::SUCCESS)
}
