//! `kizuki ingest`: feed files in, IntelMQ JSON lines out.

use crate::Global;
use crate::cli::IngestArgs;
use crate::output::{Output, rate, thousands, write_reject};
use anyhow::{Context, Result, bail};
use kizuki_event::{Field, Timestamp, Zone, json};
use kizuki_feeds::shadowserver::{Schema, ShadowserverReader};
use kizuki_feeds::{Batch, Format, ReadContext, Reader, generic::GenericCsvReader, input};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Counts for one input.
#[derive(Debug, Default, Clone)]
pub struct FileStats {
    /// The input's name.
    pub name: String,
    /// The format it was read as (with the report type for Shadowserver).
    pub format: String,
    /// Rows read.
    pub rows: u64,
    /// Events written.
    pub accepted: u64,
    /// Rows refused.
    pub rejected: u64,
    /// Why the input could not be read at all.
    pub error: Option<String>,
}

/// The outcome of an ingest run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Per input.
    pub files: Vec<FileStats>,
    /// Wall time.
    pub seconds: f64,
    /// Where refused rows went, if any were.
    pub rejects_path: Option<PathBuf>,
    /// The first few reasons for refusals, for the summary.
    pub sample_reasons: Vec<String>,
}

impl Summary {
    /// Rows read in all inputs.
    pub fn rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
    /// Events written.
    pub fn accepted(&self) -> u64 {
        self.files.iter().map(|f| f.accepted).sum()
    }
    /// Rows refused.
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }
    /// Inputs that could not be read.
    pub fn failed(&self) -> usize {
        self.files.iter().filter(|f| f.error.is_some()).count()
    }

    /// Prints the summary to stderr.
    pub fn print(&self) {
        eprintln!(
            "kizuki ingest: {} file(s), {} rows in {:.2} s ({}): {} accepted, {} rejected",
            self.files.len(),
            thousands(self.rows()),
            self.seconds,
            rate(self.rows(), self.seconds),
            thousands(self.accepted()),
            thousands(self.rejected())
        );
        for f in &self.files {
            match &f.error {
                Some(e) => eprintln!("  {}: NOT READ: {e}", f.name),
                None => eprintln!(
                    "  {} [{}]: {} rows, {} accepted, {} rejected",
                    f.name,
                    f.format,
                    thousands(f.rows),
                    thousands(f.accepted),
                    thousands(f.rejected)
                ),
            }
        }
        for r in &self.sample_reasons {
            eprintln!("  rejected: {r}");
        }
        if let Some(p) = &self.rejects_path {
            eprintln!(
                "  rejected rows (file, line, reason, raw row): {}",
                p.display()
            );
        }
    }
}

/// Everything `ingest` needs, resolved from flags and configuration.
pub struct IngestPlan {
    /// The configured readers.
    pub reader: Reader,
    /// Threads.
    pub threads: usize,
    /// time.observation.
    pub observation: Timestamp,
    /// Fields set when missing.
    pub defaults: Vec<(Field, String)>,
    /// Whether origins are written.
    pub origin: bool,
}

impl IngestPlan {
    /// Resolves flags and configuration.
    pub fn from_args(args: &IngestArgs, g: &Global) -> Result<IngestPlan> {
        let schema_path = args
            .schema
            .clone()
            .or_else(|| g.config.ingest.schema.clone());
        let schema = match &schema_path {
            Some(p) => Schema::load(p)?,
            None => kizuki_feeds::shadowserver::builtin_schema(),
        };
        let shadowserver = ShadowserverReader::new(Arc::new(schema))
            .report_type(args.report_type.clone())
            .lenient_rows(args.lenient_rows)
            .full_raw(args.full_raw)
            .drop_empty_dates(args.drop_empty_dates)
            .strict_required(args.strict_required);
        let tz = args
            .tz
            .as_deref()
            .map(Zone::parse)
            .transpose()
            .context("--tz")?;
        let generic = args
            .mapping
            .as_deref()
            .map(GenericCsvReader::load)
            .transpose()?
            .map(|g| g.timezone(tz));
        let format = args.format.as_deref().map(Format::from_name).transpose()?;
        if format == Some(Format::Csv) && generic.is_none() {
            bail!("--format csv needs --mapping FILE (see examples/mappings/)");
        }
        let mut reader = Reader::auto().format(format);
        reader.shadowserver = shadowserver;
        reader.generic = generic;

        let mut defaults = Vec::new();
        let pairs = g
            .config
            .ingest
            .set
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()));
        let flags = args.set.iter().map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.trim().to_owned(), v.to_owned())),
            None => bail!("--set {kv:?}: expected FIELD=VALUE"),
        });
        for pair in pairs.map(Ok).chain(flags) {
            let (k, v) = pair?;
            let f =
                Field::from_name(&k).with_context(|| format!("--set {k}: not an IntelMQ field"))?;
            defaults.retain(|(x, _)| *x != f);
            defaults.push((f, v));
        }
        let observation = match &args.observation_time {
            Some(t) => Timestamp::parse_iso(t)
                .or_else(|_| kizuki_event::time::parse_lenient(t, Some(&Zone::Utc)))
                .with_context(|| format!("--observation-time {t:?}"))?,
            None => Timestamp::now(),
        };
        let threads = args
            .threads
            .or(g.config.ingest.threads)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        Ok(IngestPlan {
            reader,
            threads,
            observation,
            defaults,
            origin: !args.no_origin,
        })
    }

    /// Reads `files`, writing events to `out` and refused rows to
    /// `rejects` (created only when needed).
    pub fn run(
        &self,
        files: &[PathBuf],
        out: &Path,
        rejects: &Path,
        show_progress: bool,
    ) -> Result<Summary> {
        let ctx = ReadContext::new()
            .threads(self.threads)
            .observation(self.observation)
            .json(json::WriteOptions::default().origin(self.origin))
            .defaults(self.defaults.clone())
            .map_err(|e| anyhow::anyhow!("--set: {e}"))?;

        let total_bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let progress = (show_progress && std::io::stderr().is_terminal() && total_bytes > 32 << 20)
            .then(|| {
                let pb = indicatif::ProgressBar::new(total_bytes);
                pb.set_style(
                    indicatif::ProgressStyle::with_template(
                        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                pb
            });

        let start = Instant::now();
        let mut out_file = Output::create(out)?;
        let mut rejects_file: Option<Output> = None;
        let mut summary = Summary::default();
        let mut write_err: Option<anyhow::Error> = None;
        for path in files {
            let sources = match input::load(path) {
                Ok(s) => s,
                Err(e) => {
                    summary.files.push(FileStats {
                        name: path.display().to_string(),
                        error: Some(e.to_string()),
                        ..FileStats::default()
                    });
                    continue;
                }
            };
            for src in sources {
                let mut stats = FileStats {
                    name: src.name.to_string(),
                    ..FileStats::default()
                };
                let mut rej_buf = Vec::new();
                let mut handle = |b: &Batch| {
                    stats.rows += b.rows;
                    stats.accepted += b.accepted;
                    stats.rejected += b.rejects.len() as u64;
                    if let Some(pb) = &progress {
                        pb.inc(b.bytes);
                    }
                    if write_err.is_some() {
                        return;
                    }
                    if let Err(e) = out_file.write(&b.encoded) {
                        write_err = Some(e);
                        return;
                    }
                    for r in &b.rejects {
                        if summary.sample_reasons.len() < 5 {
                            summary
                                .sample_reasons
                                .push(format!("{}:{}: {}", r.file, r.line, r.reason));
                        }
                        rej_buf.clear();
                        write_reject(r, &mut rej_buf);
                        let w = match &mut rejects_file {
                            Some(w) => w,
                            None => match Output::create(rejects) {
                                Ok(w) => rejects_file.insert(w),
                                Err(e) => {
                                    write_err = Some(e);
                                    return;
                                }
                            },
                        };
                        if let Err(e) = w.write(&rej_buf) {
                            write_err = Some(e);
                            return;
                        }
                    }
                };
                let mut sink = |b: Batch| {
                    handle(&b);
                    ctx.recycle(b);
                };
                match self.reader.read(&src, &ctx, &mut sink) {
                    Ok(f) => {
                        stats.format = match f {
                            Format::Shadowserver => format!(
                                "shadowserver/{}",
                                self.reader
                                    .shadowserver
                                    .report_type_for(&src.file_name)
                                    .unwrap_or("?")
                            ),
                            other => other.name().to_owned(),
                        }
                    }
                    Err(e) => stats.error = Some(e.to_string()),
                }
                summary.files.push(stats);
            }
        }
        if let Some(pb) = progress {
            pb.finish_and_clear();
        }
        if let Some(e) = write_err {
            return Err(e);
        }
        out_file.finish()?;
        if let Some(r) = rejects_file {
            r.finish()?;
            summary.rejects_path = Some(rejects.to_owned());
        }
        summary.seconds = start.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// The default rejects path next to OUT.
pub fn default_rejects(out: &Path) -> PathBuf {
    if out == Path::new("-") {
        return PathBuf::from("rejects.jsonl");
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".jsonl").unwrap_or(&name);
    out.with_file_name(format!("{stem}.rejects.jsonl"))
}

/// Runs `kizuki ingest`.
pub fn run(args: IngestArgs, g: &Global) -> Result<std::process::ExitCode> {
    let plan = IngestPlan::from_args(&args, g)?;
    let rejects = args
        .rejects
        .clone()
        .unwrap_or_else(|| default_rejects(&args.out));
    let summary = plan.run(&args.files, &args.out, &rejects, !g.quiet)?;
    if !g.quiet {
        summary.print();
    }
    if summary.failed() > 0 {
        for f in summary.files.iter().filter(|f| f.error.is_some()) {
            eprintln!("error: {}: {}", f.name, f.error.as_deref().unwrap_or(""));
        }
        return Ok(std::process::ExitCode::from(1));
    }
    Ok(std::process::ExitCode::SUCCESS)
}
