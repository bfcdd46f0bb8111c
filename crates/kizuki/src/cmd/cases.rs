//! `kizuki cases …`: incidents and their tasks, hosts and evidence.

use crate::Global;
use crate::cli_cases::{CasesCommand, HostArgs};
use crate::cmd::{actor, now, open_store, parse_duration, parse_time, rfc3339, runtime, zone};
use crate::output::printable;
use anyhow::{Context, Result, bail};
use kizuki_cases::metrics::{IncidentTimes, Period, over_time};
use kizuki_cases::{CaseConfig, CaseView, Cases, HostInput, TaskChange};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

/// The case engine as `[cases]` configures it.
pub async fn engine(g: &Global) -> Result<Cases> {
    let c = &g.config.cases;
    let mut cfg = CaseConfig::default();
    if let Some(l) = &c.language {
        cfg.language = l.clone();
    }
    if let Some(w) = &c.group_window {
        cfg.group_window = parse_duration(w).context("[cases] group_window")? * 1_000_000;
    }
    if let Some(o) = &c.default_owner {
        cfg.default_owner = o.clone();
    }
    cfg.playbook_dir = c.playbooks.clone();
    if let Some(f) = &c.fallback_playbook {
        cfg.fallback_playbook = f.clone();
    }
    Ok(Cases::new(open_store(g).await?, cfg))
}

/// The zone of the company's hosts: `--tz`, else `[cases] tz`, else UTC.
pub fn host_zone(flag: Option<&str>, g: &Global) -> Result<jiff::tz::TimeZone> {
    match flag.or(g.config.cases.tz.as_deref()) {
        Some(name) => zone(name),
        None => Ok(jiff::tz::TimeZone::UTC),
    }
}

/// An incident in short, as `cases list --json` prints it.
pub fn summary(v: &CaseView) -> serde_json::Value {
    let i = &v.incident;
    let opt = |t: Option<i64>| t.map(rfc3339);
    json!({
        "id": i.id,
        "state": i.state,
        "drill": v.drill,
        "malware": i.malware,
        "playbook": i.playbook,
        "opened_at": rfc3339(i.opened_at),
        "acknowledged_at": opt(i.acknowledged_at),
        "identified_at": opt(i.identified_at),
        "contained_at": opt(i.contained_at),
        "closed_at": opt(i.closed_at),
        "reports": v.reports.iter().map(|r| json!({
            "address": r.address,
            "port": r.port,
            "time": r.observed_at.map(rfc3339),
            "time_text": r.time_text,
            "zone": r.zone,
            "malware": r.malware,
            "notice": r.intake_id,
        })).collect::<Vec<_>>(),
        "notices": v.notices.iter().map(|n| json!({
            "id": n.id, "source": n.source, "sender": n.sender,
            "forwarded_by": n.forwarded_by, "code": n.code,
            "received_at": rfc3339(n.received_at),
        })).collect::<Vec<_>>(),
        "hosts": v.hosts.iter().map(|h| json!({
            "id": h.id, "address": h.address, "hostname": h.hostname,
            "asset": h.asset_id, "owner": h.owner, "department": h.department,
            "role": h.role, "state": h.state,
        })).collect::<Vec<_>>(),
        "tasks": v.tasks.iter().map(|t| json!({
            "id": t.id, "key": t.task_key, "title": t.title, "phase": t.phase,
            "optional": t.optional != 0, "host": t.host_id, "owner": t.owner,
            "due_at": opt(t.due_at), "state": t.state, "done_at": opt(t.done_at),
        })).collect::<Vec<_>>(),
        "evidence": v.evidence.iter().map(|e| json!({
            "id": e.id, "kind": e.kind, "file": e.file_name, "host": e.host_id,
            "verdict": e.verdict, "observed_at": opt(e.observed_at),
        })).collect::<Vec<_>>(),
    })
}

fn print_view(v: &CaseView, out: &mut impl Write) -> Result<()> {
    let i = &v.incident;
    let when = |t: Option<i64>| t.map_or_else(|| "-".into(), rfc3339);
    writeln!(
        out,
        "incident {}{}  {}  malware {}  playbook {}",
        i.id,
        if v.drill { " (drill)" } else { "" },
        i.state,
        if i.malware.is_empty() {
            "?"
        } else {
            &i.malware
        },
        i.playbook
    )?;
    writeln!(
        out,
        "  opened {}  acknowledged {}  identified {}  contained {}",
        rfc3339(i.opened_at),
        when(i.acknowledged_at),
        when(i.identified_at),
        when(i.contained_at)
    )?;
    writeln!(out, "reported:")?;
    for r in &v.reports {
        let port = r.port.map(|p| format!(":{p}")).unwrap_or_default();
        writeln!(
            out,
            "  {}{port}  {}  (written {:?} in {})  {}",
            r.address,
            when(r.observed_at),
            r.time_text,
            if r.zone.is_empty() { "?" } else { &r.zone },
            r.malware
        )?;
    }
    writeln!(out, "notices:")?;
    for n in &v.notices {
        let fwd = if n.forwarded_by.is_empty() {
            String::new()
        } else {
            format!(", forwarded by {}", n.forwarded_by)
        };
        writeln!(
            out,
            "  #{} {} from {}{fwd} via {} code {}",
            n.id,
            rfc3339(n.received_at),
            n.sender,
            n.source,
            if n.code.is_empty() { "-" } else { &n.code }
        )?;
    }
    writeln!(out, "hosts:")?;
    for h in &v.hosts {
        writeln!(
            out,
            "  [{}] {} {} asset {} owner {} ({})  {} {}",
            h.id, h.address, h.hostname, h.asset_id, h.owner, h.department, h.role, h.state
        )?;
    }
    writeln!(out, "tasks:")?;
    for t in &v.tasks {
        writeln!(
            out,
            "  [{}] {:<12} {:<24} {}{}  owner {}  due {}  host {}",
            t.id,
            t.state,
            t.task_key,
            t.title,
            if t.optional != 0 { " (optional)" } else { "" },
            if t.owner.is_empty() { "-" } else { &t.owner },
            when(t.due_at),
            t.host_id.map_or_else(|| "-".into(), |h| h.to_string())
        )?;
    }
    writeln!(out, "evidence:")?;
    for e in &v.evidence {
        writeln!(
            out,
            "  [{}] {} {} {}: {} (scan {})",
            e.id,
            e.kind,
            e.file_name,
            e.hostname,
            e.verdict,
            when(e.observed_at)
        )?;
    }
    writeln!(out, "timeline:")?;
    for c in &v.timeline {
        let arrow = if c.old_value.is_empty() {
            c.new_value.clone()
        } else {
            format!("{} -> {}", c.old_value, c.new_value)
        };
        writeln!(
            out,
            "  {} {:<10} {:<16} {} {}",
            rfc3339(c.at),
            c.actor,
            c.what,
            arrow,
            c.note
        )?;
    }
    Ok(())
}

/// Runs `kizuki cases …`.
pub fn run(cmd: CasesCommand, g: &Global) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let cases = engine(g).await?;
        let out = std::io::stdout();
        let mut out = out.lock();
        let who = actor();
        let at = now()?;
        match cmd {
            CasesCommand::List { json, all } => {
                for v in cases.views().await? {
                    if !all && v.incident.state == "closed" {
                        continue;
                    }
                    if json {
                        writeln!(out, "{}", summary(&v))?;
                    } else {
                        let addrs: Vec<String> =
                            v.reports.iter().map(|r| r.address.clone()).collect();
                        let open = v
                            .tasks
                            .iter()
                            .filter(|t| t.optional == 0 && t.done_at.is_none())
                            .count();
                        writeln!(
                            out,
                            "{:>4} {:<9}{} {:<8} {}  hosts {}  open tasks {}  opened {}",
                            v.incident.id,
                            v.incident.state,
                            if v.drill { " drill" } else { "      " },
                            v.incident.malware,
                            dedup(addrs).join(","),
                            v.hosts.len(),
                            open,
                            rfc3339(v.incident.opened_at)
                        )?;
                    }
                }
            }
            CasesCommand::Show { id, json } => {
                let v = cases.view(id).await?;
                if json {
                    serde_json::to_writer_pretty(&mut out, &v)?;
                    writeln!(out)?;
                } else {
                    // Mail and reports are not trusted: their text goes to
                    // the terminal without control characters.
                    let mut buf = Vec::new();
                    print_view(&v, &mut buf)?;
                    for line in String::from_utf8_lossy(&buf).lines() {
                        writeln!(out, "{}", printable(line))?;
                    }
                }
            }
            CasesCommand::Ack { id, note } => {
                if cases.acknowledge(id, &who, at, &note).await? {
                    writeln!(out, "incident {id} acknowledged by {who}")?;
                } else {
                    writeln!(out, "incident {id} was acknowledged before")?;
                }
            }
            CasesCommand::Task {
                id,
                task,
                state,
                owner,
                due,
                note,
            } => {
                let due_at = match due {
                    Some(d) => Some(match parse_duration(&d) {
                        Ok(secs) => at + secs * 1_000_000,
                        Err(_) => parse_time(&d, &host_zone(None, g)?)?,
                    }),
                    None => None,
                };
                let change = TaskChange {
                    state,
                    owner,
                    due_at,
                    note,
                };
                let t = cases.change_task(id, &task, &change, &who, at).await?;
                writeln!(
                    out,
                    "task {} {}: {}  owner {}  due {}",
                    t.id,
                    t.task_key,
                    t.state,
                    if t.owner.is_empty() { "-" } else { &t.owner },
                    t.due_at.map_or_else(|| "-".into(), rfc3339)
                )?;
            }
            CasesCommand::Host(a) => host(&cases, a, g, &who, at, &mut out).await?,
            CasesCommand::Evidence {
                id,
                files,
                host,
                tz,
            } => {
                let tz = host_zone(tz.as_deref(), g)?;
                for f in &files {
                    let bytes =
                        std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
                    let kept = keep_evidence(&g.data_dir, id, f, &bytes)?;
                    let name = f
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let o = cases
                        .add_emocheck(id, &name, &bytes, host.as_deref(), &tz, &kept, &who, at)
                        .await?;
                    let closed = if o.closed_tasks.is_empty() {
                        String::new()
                    } else {
                        format!("; closed tasks {:?}", o.closed_tasks)
                    };
                    writeln!(
                        out,
                        "{}: {} on host {}{}{closed}{}",
                        f.display(),
                        o.verdict,
                        o.host,
                        if o.new { "" } else { " (added before)" },
                        if o.contained {
                            "; incident contained"
                        } else {
                            ""
                        }
                    )?;
                }
            }
            CasesCommand::Close { id, note } => {
                cases.close(id, &who, at, &note).await?;
                writeln!(out, "incident {id} closed")?;
            }
            CasesCommand::Metrics {
                period,
                drills,
                json,
            } => metrics(&cases, &period, drills, json, g, &mut out).await?,
        }
        Ok(ExitCode::SUCCESS)
    })
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

/// Keeps an evidence file in the data directory; returns its path there.
fn keep_evidence(data: &Path, incident: i64, file: &Path, bytes: &[u8]) -> Result<String> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().replace(['/', '\\'], "_"))
        .unwrap_or_else(|| "evidence".into());
    let rel = format!("evidence/{incident}/{name}");
    let path = data.join(&rel);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("cannot keep {}", path.display()))?;
    Ok(rel)
}

async fn host(
    cases: &Cases,
    a: HostArgs,
    g: &Global,
    who: &str,
    at: i64,
    out: &mut impl Write,
) -> Result<()> {
    if a.ip.is_none() && a.hostname.is_none() {
        bail!("give --ip or --hostname");
    }
    let mut input = HostInput {
        address: a.ip.clone().unwrap_or_default(),
        hostname: a.hostname.clone().unwrap_or_default(),
        infected: !a.other,
        evidence: r#"{"found_by":"hand"}"#.into(),
        ..HostInput::default()
    };
    if let Some(path) = a
        .assets
        .as_ref()
        .or(g.config.cases.correlate.assets.as_ref())
    {
        let (inv, _rejects) = crate::cmd::correlate::load_assets(path)?;
        if let Some(asset) =
            crate::cmd::correlate::find_asset(&inv, &input.address, &input.hostname)
        {
            crate::cmd::correlate::fill_from_asset(&mut input, &asset);
        }
    }
    let (h, new) = cases.add_host(a.id, &input, who, at).await?;
    writeln!(
        out,
        "host {} {} {} {} on incident {}{}",
        h.id,
        h.address,
        h.hostname,
        h.role,
        a.id,
        if new { "" } else { " (tied before)" }
    )?;
    Ok(())
}

async fn metrics(
    cases: &Cases,
    period: &str,
    drills: bool,
    json: bool,
    g: &Global,
    out: &mut impl Write,
) -> Result<()> {
    let period: Period = period.parse().map_err(anyhow::Error::msg)?;
    let tz = host_zone(None, g)?;
    let incidents = cases.store().incidents().await?;
    let times: Vec<IncidentTimes> = incidents.iter().map(IncidentTimes::of).collect();
    let per = over_time(&times, period, &tz, drills);
    let mine: Vec<&IncidentTimes> = times.iter().filter(|t| t.drill == drills).collect();
    if json {
        let v = json!({"incidents": mine, "periods": per});
        writeln!(out, "{v}")?;
        return Ok(());
    }
    let h = |s: Option<f64>| s.map_or_else(|| "-".into(), human);
    writeln!(
        out,
        "per incident ({}):",
        if drills {
            "drills"
        } else {
            "production, drills left out"
        }
    )?;
    writeln!(
        out,
        "  {:>4}  {:<20}  {:>10}  {:>10}  {:>10}",
        "id", "opened", "ack", "identify", "contain"
    )?;
    for t in &mine {
        writeln!(
            out,
            "  {:>4}  {:<20}  {:>10}  {:>10}  {:>10}",
            t.id,
            rfc3339(t.opened_at),
            h(t.to_acknowledge),
            h(t.to_identify),
            h(t.to_contain)
        )?;
    }
    writeln!(out, "per {period:?} (median / p90):")?;
    for p in &per {
        writeln!(
            out,
            "  {}  opened {}  contained {}  ack {} / {}  identify {} / {}  contain {} / {}",
            p.period,
            p.opened,
            p.contained,
            h(p.to_acknowledge.median),
            h(p.to_acknowledge.p90),
            h(p.to_identify.median),
            h(p.to_identify.p90),
            h(p.to_contain.median),
            h(p.to_contain.p90)
        )?;
    }
    Ok(())
}

/// Seconds as `45s`, `12m`, `3.5h`, `2.1d`.
pub fn human(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.0}s")
    } else if s < 3600.0 {
        format!("{:.0}m", s / 60.0)
    } else if s < 86_400.0 {
        format!("{:.1}h", s / 3600.0)
    } else {
        format!("{:.1}d", s / 86_400.0)
    }
}
