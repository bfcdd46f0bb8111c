//! `kizuki notify`, `kizuki send` and `kizuki bounces import`.

use crate::Global;
use crate::cli::{NotifyArgs, SendArgs};
use crate::output::thousands;
use anyhow::{Context, Result, bail};
use kizuki_notify::message::Attached;
use kizuki_notify::send::{Backoff, SendReport, Sender, Transport};
use kizuki_notify::{Notifier, Summary, event_record};
use kizuki_store::{NewEvent, Recipient, Store};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Reads events; a line that is not an event is reported with its file
/// and line and skipped.
pub fn read_events(paths: &[PathBuf]) -> Result<(Vec<NewEvent>, u64)> {
    let mut out = Vec::new();
    let mut bad = 0u64;
    for path in paths {
        let f =
            std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
        for (n, line) in std::io::BufReader::new(f).split(b'\n').enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            let text = String::from_utf8_lossy(&line);
            if text.trim().is_empty() {
                continue;
            }
            let r = match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(m)) => event_record(&m, &text),
                Ok(_) => Err("not a JSON object".into()),
                Err(e) => Err(format!("not JSON: {e}")),
            };
            match r {
                Ok(e) => out.push(e),
                Err(why) => {
                    bad += 1;
                    if bad <= 20 {
                        eprintln!("  {}:{}: skipped: {why}", path.display(), n + 1);
                    }
                }
            }
        }
    }
    if bad > 20 {
        eprintln!("  ... and {} more lines skipped", bad - 20);
    }
    Ok((out, bad))
}

/// The contacts directory named on the command line or in `[notify]`.
fn contacts(flag: Option<&Path>, g: &Global) -> Result<Option<kizuki_route::contacts::Directory>> {
    let Some(p) = flag.or(g.config.notify.contacts.as_deref()) else {
        return Ok(None);
    };
    Ok(Some(kizuki_route::contacts::Directory::load(p)?))
}

/// Recipients for the ids named: subscribers from the store (an audited
/// read), contacts from the directory.
pub async fn resolve(
    store: &Store,
    ids: &[String],
    dir: Option<&kizuki_route::contacts::Directory>,
) -> Result<HashMap<String, Recipient>> {
    let mut out = HashMap::new();
    let subs: Vec<String> = ids
        .iter()
        .filter_map(|i| i.strip_prefix("subscriber:").map(str::to_owned))
        .collect();
    if !subs.is_empty() {
        for s in store.subscribers(&subs, &super::actor(), "notify").await? {
            let id = format!("subscriber:{}", s.id);
            out.insert(
                id.clone(),
                Recipient {
                    id,
                    kind: s.kind.name().to_owned(),
                    name: s.name,
                    emails: s.emails,
                    cc: Vec::new(),
                    language: s.language,
                    timezone: s.timezone,
                    attachment: String::new(),
                },
            );
        }
    }
    for id in ids {
        let (Some(c), Some(dir)) = (id.strip_prefix("contact:"), dir) else {
            continue;
        };
        if let Some(c) = dir.get(c) {
            out.insert(
                id.clone(),
                Recipient {
                    id: id.clone(),
                    kind: match c.kind {
                        kizuki_route::contacts::ContactKind::Operator => "operator",
                        kizuki_route::contacts::ContactKind::Organisation => "organisation",
                    }
                    .into(),
                    name: c.name.clone(),
                    emails: c.to.clone(),
                    cc: c.cc.clone(),
                    language: c.language.code().into(),
                    timezone: c.timezone_name.clone(),
                    attachment: match c.format {
                        kizuki_route::contacts::ReportFormat::Csv => "csv",
                        kizuki_route::contacts::ReportFormat::Intelmq => "intelmq",
                        kizuki_route::contacts::ReportFormat::Xarf => "xarf",
                    }
                    .into(),
                },
            );
        }
    }
    Ok(out)
}

/// The notifier for the configuration, with report attachments for
/// organisations made as `kizuki report` makes them.
pub fn notifier(g: &Global) -> Result<Notifier> {
    let n = g.config.notify.clone();
    let from = kizuki_route::report::Sender::from_email(&n.operator, &n.from);
    Ok(
        Notifier::new(n)?.with_attachments(Box::new(move |fmt, lines| {
            let format = kizuki_route::contacts::ReportFormat::parse(fmt)
                .ok_or_else(|| format!("attachment format {fmt:?}"))?;
            let mut events = Vec::with_capacity(lines.len());
            for l in lines {
                let e = kizuki_event::json::parse_event(l.as_bytes(), None)
                    .map_err(|e| format!("a stored event does not parse: {e}"))?;
                events.push(e);
            }
            Ok(Attached {
                name: format!("events.{}", format.extension()),
                mime: format.mime().into(),
                bytes: kizuki_route::report::attachment(format, &events, &from),
            })
        })),
    )
}

fn print_summary(s: &Summary, dry: bool) {
    let queued: u64 = s.queued.values().sum();
    let langs: Vec<String> = s.queued.iter().map(|(l, n)| format!("{n} {l}")).collect();
    eprintln!(
        "kizuki notify{}: {} new event(s), {} seen before; {} notice(s) to send ({}), {} held for review, {} escalation(s), {} follow-up row(s)",
        if dry {
            " (dry run, nothing written)"
        } else {
            ""
        },
        thousands(s.new_events),
        thousands(s.repeated),
        thousands(queued),
        if langs.is_empty() {
            "none".into()
        } else {
            langs.join(", ")
        },
        thousands(s.held),
        thousands(s.escalations),
        thousands(s.follow_up),
    );
    let states: Vec<String> = s
        .events
        .iter()
        .map(|(k, n)| format!("{} {k}", thousands(*n)))
        .collect();
    if !states.is_empty() {
        eprintln!("  events: {}", states.join(", "));
    }
}

/// Appends follow-up rows to `DATA/follow-up.csv`.
fn write_follow_up(g: &Global, rows: &[kizuki_notify::policy::FollowUp]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(&g.data_dir)?;
    let path = g.data_dir.join("follow-up.csv");
    let new = !path.exists();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    if new {
        writeln!(
            f,
            "recipient,address,malware,first_notice,last_observed,step"
        )?;
    }
    for r in rows {
        writeln!(
            f,
            "{},{},{},{},{},{}",
            r.recipient,
            r.address,
            r.malware.replace([',', '"', '\n'], " "),
            r.first_notice,
            kizuki_notify::policy::fmt_micros(r.last_observed),
            r.step
        )?;
    }
    f.sync_all()?;
    Ok(())
}

/// Microseconds for `--now`.
pub fn now_flag(now: Option<&str>) -> Result<i64> {
    match now {
        Some(s) => Ok(s
            .parse::<jiff::Timestamp>()
            .with_context(|| format!("--now {s:?}: expected an RFC 3339 time"))?
            .as_microsecond()),
        None => Ok(kizuki_store::now_micros()),
    }
}

/// The outcome of one notify run.
pub async fn notify_run(
    g: &Global,
    store: &Store,
    events: Vec<NewEvent>,
    contacts_flag: Option<&Path>,
    now: i64,
    dry_run: bool,
) -> Result<Summary> {
    let notifier = notifier(g)?;
    let dir = contacts(contacts_flag, g)?;
    let prep = notifier.prepare(store, events).await?;
    let recipients = resolve(store, &prep.recipient_ids, dir.as_ref()).await?;
    let (plan, summary, decided) = notifier.decide(&prep, &recipients, now)?;
    if !dry_run {
        store.apply_plan(&plan).await?;
        write_follow_up(g, &decided.follow_up)?;
    }
    Ok(summary)
}

/// Runs `kizuki notify`.
pub fn notify(args: NotifyArgs, g: &Global) -> Result<ExitCode> {
    let (events, bad) = read_events(&args.events)?;
    let now = now_flag(args.now.as_deref())?;
    let rt = super::runtime()?;
    let summary = rt.block_on(async {
        let store = super::open_store(g).await?;
        let s = notify_run(
            g,
            &store,
            events,
            args.contacts.as_deref(),
            now,
            args.dry_run,
        )
        .await;
        store.close().await;
        s
    })?;
    if !g.quiet {
        print_summary(&summary, args.dry_run);
        if bad > 0 {
            eprintln!("  {} line(s) skipped (see above)", thousands(bad));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The transport the configuration names.
pub fn transport(g: &Global) -> Result<Transport> {
    Ok(match &g.config.notify.smtp {
        Some(c) => Transport::smtp(c)?,
        None => Transport::Maildir(g.data_dir.join("outbox")),
    })
}

/// Holds the sender lock of a data directory.
pub fn sender_lock(g: &Global) -> Result<std::fs::File> {
    std::fs::create_dir_all(&g.data_dir)?;
    let path = g.data_dir.join("send.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => {
            bail!(
                "another `kizuki send` is running on {}",
                g.data_dir.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

/// Delivers the outbox.
pub async fn send_run(g: &Global, store: &Store, wait: bool) -> Result<SendReport> {
    let t = transport(g)?;
    let backoff = Backoff::from_config(g.config.notify.smtp.as_ref())?;
    Ok(Sender::new(store.clone(), t, backoff).run(wait).await?)
}

/// Runs `kizuki send`.
pub fn send(args: SendArgs, g: &Global) -> Result<ExitCode> {
    let _lock = sender_lock(g)?;
    let rt = super::runtime()?;
    let start = std::time::Instant::now();
    let (r, left) = rt.block_on(async {
        let store = super::open_store(g).await?;
        let r = send_run(g, &store, args.wait).await;
        let left = store.outbox_summary().await;
        store.close().await;
        anyhow::Ok((r?, left?))
    })?;
    if !g.quiet {
        let queued = left
            .0
            .iter()
            .find(|(s, _)| s == "queued")
            .map_or(0, |(_, n)| *n);
        eprintln!(
            "kizuki send: {} sent, {} to retry, {} failed, {} resent after an interrupted attempt, in {:.2} s via {}; {} waiting",
            thousands(r.sent),
            thousands(r.retried),
            thousands(r.failed),
            thousands(r.interrupted),
            start.elapsed().as_secs_f64(),
            match &g.config.notify.smtp {
                Some(c) => format!(
                    "SMTP {}:{}",
                    c.host,
                    c.port
                        .map_or_else(|| "default port".into(), |p| p.to_string())
                ),
                None => format!("Maildir {}", g.data_dir.join("outbox").display()),
            },
            queued
        );
    }
    Ok(if r.failed > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every message file under the paths: files as they are, Maildirs'
/// `new/` and `cur/`.
fn message_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let subs: Vec<PathBuf> = if p.join("new").is_dir() || p.join("cur").is_dir() {
                vec![p.join("new"), p.join("cur")]
            } else {
                vec![p.clone()]
            };
            for d in subs {
                let Ok(rd) = std::fs::read_dir(&d) else {
                    continue;
                };
                let mut files: Vec<PathBuf> = rd
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.is_file())
                    .collect();
                files.sort();
                out.extend(files);
            }
        } else {
            out.push(p.clone());
        }
    }
    out
}

/// Runs `kizuki bounces import`.
pub fn bounces_import(paths: &[PathBuf], g: &Global) -> Result<ExitCode> {
    let rt = super::runtime()?;
    let (mut matched, mut unmatched, mut repeated, mut not_dsn) = (0u64, 0u64, 0u64, 0u64);
    rt.block_on(async {
        let store = super::open_store(g).await?;
        for f in message_files(paths) {
            let raw = std::fs::read(&f).with_context(|| format!("cannot read {}", f.display()))?;
            let bounces = match kizuki_notify::dsn::parse(&raw) {
                Ok(b) => b,
                Err(e) => {
                    not_dsn += 1;
                    eprintln!("  {}: not a delivery status notification: {e}", f.display());
                    continue;
                }
            };
            for b in bounces {
                let mid = b.original_message_id.clone().unwrap_or_default();
                let notice = if mid.is_empty() {
                    None
                } else {
                    store.notice_by_message_id(&mid).await?
                };
                let new = store
                    .add_bounce(
                        &kizuki_store::Bounce {
                            notice_id: notice.as_ref().map(|n| n.id),
                            message_id: mid,
                            recipient: b.recipient,
                            action: b.action,
                            status: b.status,
                            diagnostic: b.diagnostic,
                            source: f.display().to_string(),
                        },
                        &super::actor(),
                    )
                    .await?;
                match (new, notice.is_some()) {
                    (false, _) => repeated += 1,
                    (true, true) => matched += 1,
                    (true, false) => unmatched += 1,
                }
            }
        }
        store.close().await;
        anyhow::Ok(())
    })?;
    if !g.quiet {
        eprintln!(
            "kizuki bounces import: {matched} matched to a notice, {unmatched} about no known notice, {repeated} read before, {not_dsn} file(s) not a DSN"
        );
    }
    Ok(ExitCode::SUCCESS)
}
