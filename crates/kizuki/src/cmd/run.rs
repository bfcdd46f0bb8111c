//! `kizuki run` and `kizuki init`.

use crate::Global;
use crate::cli::{AttributeArgs, IngestArgs, RouteArgs, RunArgs};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The example configuration `kizuki init` writes.
pub const EXAMPLE: &str = include_str!("../../../../examples/kizuki.toml");

/// Runs `kizuki init`.
pub fn init(out: &Path, force: bool) -> Result<ExitCode> {
    if out.exists() && !force {
        bail!("{} exists; use --force to replace it", out.display());
    }
    std::fs::write(out, EXAMPLE).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "kizuki init: wrote {} (every key, commented)",
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn expand(files: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for f in files {
        if f.is_dir() {
            let mut v: Vec<PathBuf> = std::fs::read_dir(f)
                .with_context(|| format!("cannot read {}", f.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(f.clone());
        }
    }
    Ok(out)
}

/// Runs `kizuki run`: each step's output is the next one's input, in
/// `DATA/runs/<time>/`.
pub fn run(args: RunArgs, g: &Global) -> Result<ExitCode> {
    let r = &g.config.run;
    if r.input.is_empty() {
        bail!("kizuki.toml has no [[run.input]]: nothing to run (kizuki init writes an example)");
    }
    if r.contacts.is_none() && !r.attribute {
        bail!(
            "[run] needs contacts = \"…\" (to route, as a coordinator) or attribute = true (as an ISP)"
        );
    }
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let dir = g.data_dir.join("runs").join(stamp);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!("kizuki run: working in {}", dir.display());

    let mut events = Vec::new();
    for (i, input) in r.input.iter().enumerate() {
        let out = dir.join(format!("events-{i}.jsonl"));
        super::ingest::run(
            IngestArgs {
                files: expand(&input.files)?,
                out: out.clone(),
                rejects: Some(dir.join(format!("rejects-{i}.jsonl"))),
                format: input.format.clone(),
                report_type: None,
                schema: None,
                mapping: None,
                tz: input.tz.clone(),
                set: Vec::new(),
                observation_time: None,
                threads: None,
                no_origin: false,
                lenient_rows: false,
                full_raw: false,
                drop_empty_dates: false,
                strict_required: false,
            },
            g,
        )?;
        events.push(out);
    }

    let mut to_notify: Vec<PathBuf> = Vec::new();
    if let Some(contacts) = &r.contacts {
        let routed = dir.join("routed");
        super::route::run(
            RouteArgs {
                events: events.clone(),
                contacts: contacts.clone(),
                asn_tables: r.asn_tables.clone(),
                out: routed.clone(),
                overwrite_enrichment: false,
                threads: None,
            },
            g,
        )?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&routed)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "jsonl")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('_'))
            })
            .collect();
        files.sort();
        to_notify.extend(files);
    }
    if r.attribute {
        let out = dir.join("attributed.jsonl");
        super::attribute::run(
            AttributeArgs {
                events: events.clone(),
                out: out.clone(),
                tolerance: None,
            },
            g,
        )?;
        to_notify.push(out);
    }

    let (evs, _) = super::notify::read_events(&to_notify)?;
    let rt = super::runtime()?;
    let contacts = r.contacts.clone();
    let (summary, sent) = rt.block_on(async {
        let store = super::open_store(g).await?;
        let s = super::notify::notify_run(
            g,
            &store,
            evs,
            contacts.as_deref(),
            kizuki_store::now_micros(),
            args.dry_run,
        )
        .await;
        let sent = match (&s, args.dry_run || r.send == Some(false)) {
            (Ok(_), false) => Some(super::notify::send_run(g, &store, false).await),
            _ => None,
        };
        store.close().await;
        anyhow::Ok((s?, sent.transpose()?))
    })?;
    let queued: u64 = summary.queued.values().sum();
    eprintln!(
        "kizuki run: {} new event(s), {} notice(s) made, {} held for review{}",
        summary.new_events,
        queued,
        summary.held,
        match sent {
            Some(s) => format!(
                "; {} sent, {} to retry, {} failed",
                s.sent, s.retried, s.failed
            ),
            None => "; nothing sent".into(),
        }
    );
    Ok(ExitCode::SUCCESS)
}
