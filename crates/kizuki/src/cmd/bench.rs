//! `kizuki bench ingest`: how fast the Shadowserver reader is, next to the
//! csv crate reading the same bytes and (optionally) IntelMQ's parser.
//!
//! Each measurement counts the same work: read the file's bytes (already in
//! memory), parse, validate, and serialize every event to IntelMQ JSON
//! lines written to `/dev/null`.

use crate::cli::BenchIngestArgs;
use crate::output::thousands;
use anyhow::{Context, Result, bail};
use kizuki_event::{Timestamp, json};
use kizuki_feeds::shadowserver::ShadowserverReader;
use kizuki_feeds::synth::{FeedKind, Synth};
use kizuki_feeds::{ReadContext, input};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

const SEED: u64 = 42;

/// Makes (or reuses) the input file for a report type.
fn input_file(dir: &Path, kind: FeedKind, rows: u64) -> Result<PathBuf> {
    let path = dir.join(format!(
        "2021-02-22-{}-bench{rows}-seed{SEED}.csv",
        kind.name()
    ));
    if !path.exists() {
        eprintln!("generating {} ...", path.display());
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        Synth::new(kind, rows, SEED).write(&mut f)?;
        f.flush()?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(path)
}

fn best_of<T>(repeat: u32, mut f: impl FnMut() -> Result<T>) -> Result<(f64, T)> {
    let mut best: Option<(f64, T)> = None;
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let v = f()?;
        let secs = start.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|(b, _)| secs < *b) {
            best = Some((secs, v));
        }
    }
    best.context("no run")
}

/// The csv crate alone: every record of the file, nothing else.
fn csv_alone(data: &[u8]) -> Result<u64> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let mut rec = csv::ByteRecord::new();
    let mut n = 0;
    while rdr.read_byte_record(&mut rec)? {
        n += 1;
    }
    Ok(n)
}

/// kizuki: parse, validate and serialize to `/dev/null`.
fn kizuki(src: &kizuki_feeds::Source, threads: usize, general: bool) -> Result<(u64, u64)> {
    let reader = ShadowserverReader::default().fast_path(!general);
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00")?;
    let ctx = ReadContext::new()
        .threads(threads)
        .observation(observation)
        .json(json::WriteOptions::default());
    let mut sink = std::io::BufWriter::new(std::fs::File::create("/dev/null")?);
    let (mut accepted, mut bytes) = (0, 0);
    let mut err = None;
    reader.read(src, &ctx, &mut |b| {
        accepted += b.accepted;
        bytes += b.encoded.len() as u64;
        if let Err(e) = sink.write_all(&b.encoded) {
            err = Some(e);
        }
        ctx.recycle(b);
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    sink.flush()?;
    Ok((accepted, bytes))
}

fn intelmq(python: &Path, schema: &Path, dir: &Path, kind: FeedKind, rows: u64) -> Result<f64> {
    let path = input_file(dir, kind, rows)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/intelmq_shadowserver.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .arg("bench")
        .arg("--schema")
        .arg(schema)
        .arg(&path)
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "IntelMQ run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("IntelMQ bench output")?;
    v["rows_per_second"]
        .as_f64()
        .context("IntelMQ bench output has no rows_per_second")
}

/// Runs `kizuki bench ingest`.
pub fn ingest(args: BenchIngestArgs) -> Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("kizuki-bench"));
    std::fs::create_dir_all(&dir)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    println!(
        "kizuki bench ingest: {} rows per report, best of {}, output to /dev/null{}",
        thousands(args.rows),
        args.repeat,
        if args.general_path {
            ", every row the general way (--general-path)"
        } else {
            ""
        }
    );
    println!(
        "{:<22} {:>18} {:>30} {:>30} {:>16}",
        "report",
        "csv crate alone",
        "kizuki 1 thread",
        format!("kizuki {threads} threads"),
        "IntelMQ 3.5.0"
    );
    for t in &args.types {
        let kind = FeedKind::from_name(t).filter(|k| {
            matches!(
                k,
                FeedKind::Sinkhole | FeedKind::SinkholeHttp | FeedKind::Sinkhole6
            )
        });
        let Some(kind) = kind else {
            bail!("--types: {t} is not a sinkhole report type")
        };
        let path = input_file(&dir, kind, args.rows)?;
        let src = input::load(&path)?.remove(0);
        let (csv_s, n) = best_of(args.repeat, || csv_alone(&src.data))?;
        let (one_s, (acc1, bytes)) = best_of(args.repeat, || kizuki(&src, 1, args.general_path))?;
        let (par_s, (accn, _)) = best_of(args.repeat, || kizuki(&src, threads, args.general_path))?;
        if acc1 != n || accn != n {
            bail!(
                "{t}: {n} rows but {acc1}/{accn} events; the generated file should have no bad rows"
            );
        }
        let intel = match &args.intelmq_python {
            Some(py) => Some(intelmq(
                py,
                &args.intelmq_schema,
                &dir,
                kind,
                args.intelmq_rows,
            )?),
            None => None,
        };
        let r = |secs: f64| n as f64 / secs;
        println!(
            "{:<22} {:>18} {:>30} {:>30} {:>16}",
            t,
            format!("{:.2} M rows/s", r(csv_s) / 1e6),
            format!(
                "{:.2} M rows/s ({:.2}x csv time)",
                r(one_s) / 1e6,
                one_s / csv_s
            ),
            format!(
                "{:.2} M rows/s ({:.2}x csv time)",
                r(par_s) / 1e6,
                par_s / csv_s
            ),
            intel.map_or("-".into(), |x| format!("{x:.0} rows/s")),
        );
        if let Some(x) = intel {
            println!("{:<22} kizuki 1 thread is {:.0}x IntelMQ", "", r(one_s) / x);
        }
        println!(
            "{:<22} {} bytes of JSON lines, {:.0} bytes/event",
            "",
            thousands(bytes),
            bytes as f64 / n as f64
        );
    }
    if args.intelmq_python.is_none() {
        println!("(IntelMQ baseline: see bench/README.md, or pass --intelmq-python)");
    }
    Ok(())
}
