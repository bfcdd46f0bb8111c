//! `kizuki drill start|report`: rehearse the enterprise response through
//! the real intake.

use crate::Global;
use crate::cli_cases::{DrillCommand, DrillStartArgs};
use crate::cmd::cases::{engine, human};
use crate::cmd::intake::mailbox_config;
use crate::cmd::{actor, now, parse_time, rfc3339, runtime, zone};
use anyhow::{Context, Result, bail};
use kizuki_cases::drill::{self, DrillSpec};
use kizuki_store::Drill;
use std::io::Write;
use std::process::ExitCode;

/// Runs `kizuki drill …`.
pub fn run(cmd: DrillCommand, g: &Global) -> Result<ExitCode> {
    runtime()?.block_on(async {
        match cmd {
            DrillCommand::Start(a) => start(*a, g).await,
            DrillCommand::Report { id, json } => report(id, json, g).await,
        }
    })
}

async fn start(a: DrillStartArgs, g: &Global) -> Result<ExitCode> {
    let at = now()?;
    let address = match a
        .address
        .clone()
        .or_else(|| g.config.cases.public_addresses.first().cloned())
    {
        Some(x) => x,
        None => {
            bail!("give --address, or list the company's addresses in [cases] public_addresses")
        }
    };
    address
        .parse::<std::net::IpAddr>()
        .with_context(|| format!("--address {address:?} is not an IP address"))?;
    // Japanese ISPs write Japan time; others their own zone, often UTC.
    let tz = if a.lang == "en" {
        match &g.config.cases.tz {
            Some(z) => zone(z)?,
            None => jiff::tz::TimeZone::UTC,
        }
    } else {
        zone("Asia/Tokyo")?
    };
    let observed_at = match &a.time {
        Some(t) => parse_time(t, &tz)?,
        None => at - 3_600_000_000,
    };
    let spec = DrillSpec {
        address: address.clone(),
        observed_at,
        malware: a.malware.to_lowercase(),
        language: a.lang.clone(),
        charset: a.charset.clone(),
        isp: a.isp.clone(),
        from: a.from.clone(),
        to: a.to.clone(),
        recipient: if a.lang == "en" {
            "Customer"
        } else {
            "ご担当者"
        }
        .into(),
        tz,
        now: at,
    };
    let notice = drill::notice(&spec, &mut rand::rng());
    let target = match (&a.mailbox, &a.maildir) {
        (Some(name), _) => name.clone(),
        (None, Some(dir)) => format!("maildir:{}", dir.display()),
        (None, None) => bail!("give --mailbox NAME (from [[cases.mailbox]]) or --maildir DIR"),
    };
    let cases = engine(g).await?;
    // The drill is recorded before its notice can arrive, so that intake
    // always knows the notice for what it is.
    let d = cases
        .store()
        .add_drill(&Drill {
            id: 0,
            message_id: notice.message_id.clone(),
            mailbox: target.clone(),
            address: address.clone(),
            observed_at,
            malware: spec.malware.clone(),
            started_at: at,
            started_by: actor(),
            note: a.note.clone(),
        })
        .await?;
    match (&a.mailbox, &a.maildir) {
        (Some(name), _) => {
            let m = mailbox_config(g, name)?;
            if let Some(dir) = &m.maildir {
                kizuki_mailbox::Maildir::create(dir)?.deliver(&notice.bytes)?;
            } else if let Some(imap) = &m.imap {
                kizuki_mailbox::Imap::from_config(imap.clone())?
                    .append(&notice.bytes)
                    .await?;
            } else {
                bail!("[[cases.mailbox]] {name:?} has neither maildir nor imap");
            }
        }
        (None, Some(dir)) => {
            kizuki_mailbox::Maildir::create(dir)?.deliver(&notice.bytes)?;
        }
        (None, None) => unreachable!("checked above"),
    }
    println!(
        "drill {}: a {} notice about {address} at {} is in {target}",
        d.id,
        spec.malware,
        rfc3339(observed_at)
    );
    println!("  it looks like any ISP's notice; take it in as usual (kizuki intake)");
    println!("  kizuki drill report {} shows how the case went", d.id);
    Ok(ExitCode::SUCCESS)
}

async fn report(id: Option<i64>, json: bool, g: &Global) -> Result<ExitCode> {
    let cases = engine(g).await?;
    let at = now()?;
    let drills: Vec<Drill> = cases
        .store()
        .drills()
        .await?
        .into_iter()
        .filter(|d| id.is_none_or(|i| i == d.id))
        .collect();
    if let Some(i) = id
        && drills.is_empty()
    {
        bail!("no drill {i}");
    }
    let incidents = cases.store().incidents().await?;
    let out = std::io::stdout();
    let mut out = out.lock();
    for d in drills.iter().rev() {
        let view = match incidents.iter().find(|i| i.drill_id == Some(d.id)) {
            Some(i) => Some(cases.view(i.id).await?),
            None => None,
        };
        let r = drill::report(d, view.as_ref(), at);
        if json {
            writeln!(out, "{}", serde_json::to_string(&r)?)?;
            continue;
        }
        writeln!(
            out,
            "drill {}: {} at {} into {}, started {} by {}{}",
            d.id,
            d.address,
            rfc3339(d.observed_at),
            d.mailbox,
            rfc3339(d.started_at),
            d.started_by,
            r.incident
                .map(|i| format!(", incident {i}"))
                .unwrap_or_default()
        )?;
        for s in &r.steps {
            writeln!(
                out,
                "  {} {:<60} {:>8}  {}",
                if s.missed { "MISSED" } else { "  ok  " },
                s.step,
                s.after.map_or_else(|| "-".into(), human),
                s.why
            )?;
        }
        writeln!(out, "  {} steps missed", r.missed)?;
    }
    Ok(ExitCode::SUCCESS)
}
