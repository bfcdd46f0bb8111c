//! `kizuki intake`: notices from files, standard input, Maildirs and IMAP
//! mailboxes become incidents.
//!
//! Each message is kept byte for byte in the data directory (`intake/`)
//! before it is recorded, and a Maildir message is moved to `cur/` (an
//! IMAP cursor advanced) only after that, so a crash at any point loses
//! nothing; taking the same bytes in twice changes nothing.

use crate::Global;
use crate::cli_cases::IntakeArgs;
use crate::cmd::cases::engine;
use crate::cmd::{actor, now, rfc3339, runtime};
use crate::config::MailboxConfig;
use crate::output::printable;
use anyhow::{Context, Result, bail};
use kizuki_cases::{Cases, IncomingNotice, IncomingReport, IntakeOutcome};
use kizuki_feeds::mail::{MailNotice, MailOptions, Status, parse_notice};
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// The `[[cases.mailbox]]` named `name`.
pub fn mailbox_config<'a>(g: &'a Global, name: &str) -> Result<&'a MailboxConfig> {
    g.config
        .cases
        .mailbox
        .iter()
        .find(|m| m.name == name)
        .with_context(|| {
            let known: Vec<&str> = g
                .config
                .cases
                .mailbox
                .iter()
                .map(|m| m.name.as_str())
                .collect();
            format!(
                "no [[cases.mailbox]] named {name:?} (known: {})",
                known.join(", ")
            )
        })
}

/// Runs `kizuki intake`.
pub fn run(a: IntakeArgs, g: &Global) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let cases = engine(g).await?;
        if a.list {
            return list(&cases, a.unparsed, a.json).await;
        }
        if a.files.is_empty() && a.maildir.is_empty() && a.mailbox.is_empty() {
            bail!("give .eml files, --maildir DIR or --mailbox NAME (or --list)");
        }
        let mut t = Taker {
            cases: &cases,
            g,
            correlate: !a.no_correlate,
            json: a.json,
            counts: Counts::default(),
        };
        for f in &a.files {
            let raw = if f.as_os_str() == "-" {
                let mut v = Vec::new();
                std::io::stdin().read_to_end(&mut v)?;
                v
            } else {
                std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?
            };
            let source = if f.as_os_str() == "-" { "stdin".to_owned() } else { format!("file:{}", f.display()) };
            t.take(&source, &raw).await?;
        }
        for dir in &a.maildir {
            t.maildir(&format!("maildir:{}", dir.display()), dir).await?;
        }
        let names: Vec<String> = if a.mailbox.iter().any(|m| m == "all") {
            g.config.cases.mailbox.iter().map(|m| m.name.clone()).collect()
        } else {
            a.mailbox.clone()
        };
        for name in &names {
            let m = mailbox_config(g, name)?;
            if let Some(dir) = &m.maildir {
                t.maildir(name, dir).await?;
            } else if let Some(imap) = &m.imap {
                t.imap(name, imap).await?;
            } else {
                bail!("[[cases.mailbox]] {name:?} has neither maildir nor imap");
            }
        }
        let c = &t.counts;
        if !g.quiet {
            eprintln!(
                "intake: {} messages: {} opened an incident, {} joined one, {} seen before, {} kept for a person (unreadable)",
                c.messages, c.opened, c.joined, c.duplicates, c.flagged
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(Default)]
struct Counts {
    messages: u64,
    opened: u64,
    joined: u64,
    duplicates: u64,
    flagged: u64,
}

struct Taker<'a> {
    cases: &'a Cases,
    g: &'a Global,
    correlate: bool,
    json: bool,
    counts: Counts,
}

impl Taker<'_> {
    async fn maildir(&mut self, source: &str, dir: &Path) -> Result<()> {
        let md = kizuki_mailbox::Maildir::open(dir)
            .with_context(|| format!("intake mailbox {source}"))?;
        for entry in md.list_new()? {
            let raw = match md.read(&entry) {
                Ok(r) => r,
                Err(e) => {
                    // Gone between listing and reading (another reader took
                    // it): not ours to lose.
                    eprintln!("warning: {source}: {e}");
                    continue;
                }
            };
            self.take(source, &raw).await?;
            md.mark_processed(&entry)?;
        }
        Ok(())
    }

    async fn imap(&mut self, name: &str, cfg: &kizuki_mailbox::ImapConfig) -> Result<()> {
        let store = self.cases.store();
        let key = format!("imap:{name}");
        let cursor = store.intake_cursor(&key).await?.and_then(|(v, u)| {
            Some(kizuki_mailbox::ImapCursor {
                uidvalidity: u32::try_from(v).ok()?,
                last_uid: u32::try_from(u).ok()?,
            })
        });
        let client = kizuki_mailbox::Imap::from_config(cfg.clone())?;
        let mut cursor = cursor;
        loop {
            let fetched = client.fetch_new(cursor).await?;
            let validity = i64::from(fetched.cursor.uidvalidity);
            for m in &fetched.messages {
                self.take(name, &m.bytes).await?;
                // Advance after each stored message: a crash re-reads at
                // most one, and that one is a duplicate by digest.
                store
                    .set_intake_cursor(&key, validity, i64::from(m.uid), now()?)
                    .await?;
            }
            let last = i64::from(fetched.cursor.last_uid);
            store
                .set_intake_cursor(&key, validity, last, now()?)
                .await?;
            cursor = Some(fetched.cursor);
            if !fetched.more_waiting {
                return Ok(());
            }
        }
    }

    async fn take(&mut self, source: &str, raw: &[u8]) -> Result<()> {
        let parsed = parse_notice(raw, &MailOptions::default());
        let raw_path = keep_raw(&self.g.data_dir, raw)?;
        let n = incoming(source, &parsed, raw_path, now()?);
        let outcome = self.cases.take_in(raw, &n, &actor()).await?;
        self.counts.messages += 1;
        match &outcome {
            IntakeOutcome::Opened { incident, .. } => {
                self.counts.opened += 1;
                // The notice is stored; a log that cannot be read must not
                // stop the intake (the host can be found later by hand or
                // with `correlate --incident`).
                if self.correlate
                    && let Err(e) =
                        crate::cmd::correlate::on_intake(self.cases, self.g, *incident).await
                {
                    eprintln!("warning: incident {incident}: correlation failed: {e:#}");
                }
            }
            IntakeOutcome::Joined { .. } => self.counts.joined += 1,
            IntakeOutcome::Duplicate { .. } => self.counts.duplicates += 1,
            IntakeOutcome::Flagged { .. } => self.counts.flagged += 1,
        }
        let out = std::io::stdout();
        let mut out = out.lock();
        if self.json {
            let mut v = serde_json::to_value(&outcome)?;
            v["source"] = source.into();
            v["status"] = n.status.clone().into();
            v["reports"] = serde_json::to_value(&n.reports)?;
            v["problems"] = serde_json::to_value(&n.problems)?;
            writeln!(out, "{v}")?;
            return Ok(());
        }
        let what = match &outcome {
            IntakeOutcome::Opened { intake, incident } => {
                format!("message {intake} opened incident {incident}")
            }
            IntakeOutcome::Joined { intake, incident } => {
                format!("message {intake} joined incident {incident}")
            }
            IntakeOutcome::Duplicate { intake, .. } => {
                format!("message {intake} was taken in before")
            }
            IntakeOutcome::Flagged { intake } => {
                format!(
                    "message {intake} KEPT FOR A PERSON: no report could be read ({})",
                    n.problems.join("; ")
                )
            }
        };
        let addrs: Vec<String> = n
            .reports
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.address,
                    r.observed_at.map_or_else(|| "?".into(), rfc3339)
                )
            })
            .collect();
        let addrs = if addrs.is_empty() {
            String::new()
        } else {
            format!(" [{}]", addrs.join(", "))
        };
        // The problems quote the mail: no control characters to the
        // terminal.
        writeln!(out, "{}", printable(&format!("{source}: {what}{addrs}")))?;
        Ok(())
    }
}

/// Keeps the raw message under `intake/` in the data directory, named by
/// its digest; returns the path relative to the data directory.
fn keep_raw(data: &Path, raw: &[u8]) -> Result<String> {
    // The same digest the store keeps the message under.
    let hex = kizuki_cases::digest(raw);
    let rel = format!("intake/{}/{hex}.eml", &hex[..2]);
    let path = data.join(&rel);
    if path.exists() {
        return Ok(rel);
    }
    let dir = path.parent().context("intake path has no parent")?;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{hex}.tmp"));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(raw)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    Ok(rel)
}

/// What the case engine needs of a parsed mail.
pub fn incoming(
    source: &str,
    m: &MailNotice,
    raw_path: String,
    received_at: i64,
) -> IncomingNotice {
    let who = |b: &Option<kizuki_feeds::mail::Mailbox>| {
        b.as_ref()
            .and_then(|x| x.address.clone().or_else(|| x.name.clone()))
            .unwrap_or_default()
    };
    let mut reports: Vec<IncomingReport> = m
        .reports
        .iter()
        .map(|r| IncomingReport {
            address: r.address.to_string(),
            port: r.port,
            observed_at: r.time,
            time_text: r.time_text.clone().unwrap_or_default(),
            zone: r.zone.clone().unwrap_or_default(),
            malware: r.malware.clone().unwrap_or_default().to_lowercase(),
        })
        .collect();
    reports.sort_by(|a, b| (&a.address, a.observed_at).cmp(&(&b.address, b.observed_at)));
    reports.dedup();
    IncomingNotice {
        source: source.to_owned(),
        message_id: m.message_id.clone().unwrap_or_default(),
        sender: who(&m.from),
        forwarded_by: m
            .forwarded_by
            .as_ref()
            .map(|f| who(&f.by))
            .unwrap_or_default(),
        subject: m.subject.clone().unwrap_or_default(),
        code: m.code.as_ref().map(|c| c.code.clone()).unwrap_or_default(),
        received_at,
        status: match m.status {
            Status::Parsed => "parsed",
            Status::Partial => "partial",
            Status::Unparsed => "unparsed",
        }
        .into(),
        problems: m.problems.clone(),
        parsed: serde_json::to_string(m).unwrap_or_else(|_| "{}".into()),
        raw_path,
        reports,
    }
}

async fn list(cases: &Cases, unparsed: bool, json: bool) -> Result<ExitCode> {
    let rows = cases
        .store()
        .intake_list(unparsed.then_some("unparsed"))
        .await?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for r in rows {
        if json {
            let mut v = serde_json::to_value(&r)?;
            if let Some(o) = v.as_object_mut() {
                o.remove("parsed");
            }
            writeln!(out, "{v}")?;
        } else {
            let line = format!(
                "{:>5} {} {:<9} incident {:<5} from {} via {}: {}  [{}]",
                r.id,
                rfc3339(r.received_at),
                r.status,
                r.incident_id.map_or_else(|| "-".into(), |i| i.to_string()),
                r.sender,
                r.source,
                r.subject,
                r.raw_path
            );
            writeln!(out, "{}", printable(&line))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
