//! `kizuki report`: each contact's report file and ready e-mail.

use super::route::{MANIFEST, read_events};
use crate::Global;
use crate::cli::ReportArgs;
use crate::output::{Output, thousands};
use anyhow::{Context, Result, bail};
use kizuki_event::Timestamp;
use kizuki_route::contacts::{Directory, ReportFormat};
use kizuki_route::report::{self, Sender};
use std::process::ExitCode;

/// The sender: `--from`, else `[coordinator]`, else a local placeholder.
fn sender(args: &ReportArgs, g: &Global) -> Result<Sender> {
    let c = &g.config.coordinator;
    let (name, email) = match &args.from {
        Some(m) => match m.rsplit_once('<') {
            Some((n, e)) => (
                n.trim().trim_matches('"').to_owned(),
                e.trim_end_matches('>').trim().to_owned(),
            ),
            None => (String::new(), m.trim().to_owned()),
        },
        None => (
            c.name
                .clone()
                .unwrap_or_else(|| "kizuki coordinator".into()),
            c.email
                .clone()
                .unwrap_or_else(|| "kizuki@localhost.localdomain".into()),
        ),
    };
    if !email.contains('@') {
        bail!("--from {email:?}: expected \"Name <address>\"");
    }
    let name = if name.is_empty() { email.clone() } else { name };
    let mut s = Sender::from_email(&name, &email);
    if let Some(org) = &c.org {
        s.org = org.clone();
    }
    Ok(s)
}

/// Runs `kizuki report`.
pub fn run(args: ReportArgs, g: &Global) -> Result<ExitCode> {
    let dir = Directory::load(&args.contacts)?;
    let from = sender(&args, g)?;
    let forced = match &args.format {
        Some(f) => Some(
            ReportFormat::parse(f)
                .with_context(|| format!("--format {f:?}: expected csv, intelmq or xarf"))?,
        ),
        None => None,
    };
    // The route manifest lists this run's files; without one, every
    // <contact-id>.jsonl is taken.
    let manifest = args.routed.join(MANIFEST);
    let files: Vec<String> = match std::fs::read_to_string(&manifest) {
        Ok(text) => {
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is damaged", manifest.display()))?;
            v.get("files")
                .and_then(|f| f.as_object())
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        }
        Err(_) => std::fs::read_dir(&args.routed)
            .with_context(|| format!("cannot read {}", args.routed.display()))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.ends_with(".jsonl"))
            .collect(),
    };
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let now = Timestamp::now();
    let mut written = 0;
    // `_unrouted.jsonl`, `_rejects.jsonl`: contact ids never start with '_'.
    for f in files.iter().filter(|f| !f.starts_with('_')) {
        let id = f.trim_end_matches(".jsonl");
        let Some(contact) = dir.get(id) else {
            bail!(
                "{}: no contact {id:?} in {}",
                args.routed.join(f).display(),
                args.contacts.display()
            );
        };
        let events = read_events(&args.routed.join(f))?;
        if events.is_empty() {
            continue;
        }
        let format = forced.unwrap_or(contact.format);
        let r = report::build(contact, &events, format, &from, now)?;
        let mut a = Output::create(&args.out.join(&r.file_name))?;
        a.write(&r.file)?;
        a.finish()?;
        let mut m = Output::create(&args.out.join(format!("{}.eml", contact.id)))?;
        m.write(&r.eml)?;
        m.finish()?;
        written += 1;
        if !g.quiet {
            eprintln!(
                "  {} ({}, {}): {} event(s) -> {} + {}.eml [{}]",
                contact.id,
                contact.language.code(),
                format.name(),
                thousands(events.len() as u64),
                r.file_name,
                contact.id,
                r.id
            );
        }
    }
    if !g.quiet {
        eprintln!(
            "kizuki report: {written} report(s) in {}",
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
