//! `kizuki notices …`: list, show, explain, verify, and the review of held
//! notices.

use crate::Global;
use crate::cli::NoticesCommand;
use anyhow::{Context, Result, bail};
use kizuki_notify::code;
use kizuki_notify::policy::fmt_micros;
use kizuki_store::{Notice, Store};
use std::process::ExitCode;

fn when(us: Option<i64>) -> String {
    us.map_or_else(|| "-".into(), fmt_micros)
}

async fn notice_or_fail(store: &Store, id: i64) -> Result<Notice> {
    store
        .notice(id)
        .await?
        .with_context(|| format!("no notice {id}"))
}

fn json_line(n: &Notice, items: &[kizuki_store::NoticeItem]) -> serde_json::Value {
    serde_json::json!({
        "id": n.id,
        "code": code::display(&n.code),
        "recipient": n.recipient_id,
        "candidates": n.candidates,
        "kind": n.kind,
        "language": n.language,
        "status": n.status,
        "hold_reason": n.hold_reason,
        "assigned_to": n.assigned_to,
        "created_at": fmt_micros(n.created_at),
        "sent_at": n.sent_at.map(fmt_micros),
        "message_id": n.message_id,
        "events": items.iter().map(|i| serde_json::json!({
            "id": i.event_id,
            "source.ip": i.address,
            "malware.name": i.malware,
            "time.source": fmt_micros(i.observed_at),
        })).collect::<Vec<_>>(),
    })
}

/// Runs `kizuki notices …`.
pub fn run(cmd: NoticesCommand, g: &Global) -> Result<ExitCode> {
    let rt = super::runtime()?;
    rt.block_on(async {
        let store = super::open_store(g).await?;
        let r = run_async(cmd, g, &store).await;
        store.close().await;
        r
    })
}

async fn run_async(cmd: NoticesCommand, g: &Global, store: &Store) -> Result<ExitCode> {
    let actor = super::actor();
    match cmd {
        NoticesCommand::List {
            status,
            json,
            limit,
        } => {
            let notices = store.notices(status.as_deref(), limit).await?;
            for n in &notices {
                if json {
                    let items = store.notice_items(n.id).await?;
                    println!("{}", json_line(n, &items));
                } else {
                    println!(
                        "{:>6}  {}  {:<9} {:<10} {:<2} {:<24} {}",
                        n.id,
                        code::display(&n.code),
                        n.status,
                        n.kind,
                        n.language,
                        n.recipient_id.as_deref().unwrap_or("(candidates)"),
                        fmt_micros(n.created_at)
                    );
                }
            }
        }
        NoticesCommand::Show { id } => {
            let n = notice_or_fail(store, id).await?;
            let items = store.notice_items(id).await?;
            println!("notice {}  code {}", n.id, code::display(&n.code));
            println!("status:     {} ({})", n.status, n.kind);
            println!("recipient:  {}", n.recipient_id.as_deref().unwrap_or("-"));
            if n.candidates.len() > 1 {
                println!("candidates: {}", n.candidates.join(", "));
            }
            println!("language:   {}", n.language);
            println!("made:       {}", fmt_micros(n.created_at));
            println!("sent:       {}", when(n.sent_at));
            println!("message-id: <{}>", n.message_id);
            if !n.hold_reason.is_empty() {
                println!("held:       {}", n.hold_reason);
            }
            println!("events:");
            for i in &items {
                println!(
                    "  {}  {}  {}  (event {})",
                    fmt_micros(i.observed_at),
                    i.address,
                    i.malware,
                    i.event_id
                );
            }
            if !n.subject.is_empty() {
                println!("\nSubject: {}\n\n{}", n.subject, n.body);
            }
            for d in store.deliveries(id).await? {
                println!(
                    "delivery attempt {}: {} at {}: {}",
                    d.attempt,
                    d.outcome,
                    fmt_micros(d.at),
                    d.detail
                );
            }
            for b in store.bounces(id).await? {
                println!(
                    "bounce: {} {} for {}: {}",
                    b.status, b.action, b.recipient, b.diagnostic
                );
            }
            store
                .audit(
                    &actor,
                    "notice.read",
                    &id.to_string(),
                    &serde_json::json!({}),
                )
                .await?;
        }
        NoticesCommand::Explain { id } => {
            let n = notice_or_fail(store, id).await?;
            println!(
                "notice {} to {} is {}{}",
                n.id,
                n.recipient_id.as_deref().unwrap_or("(undecided)"),
                n.status,
                if n.hold_reason.is_empty() {
                    String::new()
                } else {
                    format!(": {}", n.hold_reason)
                }
            );
            for d in store.decisions_for_notice(id).await? {
                let what = match (d.notice_id, d.event_id) {
                    (_, Some(e)) => format!("event {e}"),
                    (Some(n), None) => format!("notice {n}"),
                    (None, None) => String::new(),
                };
                println!(
                    "  {}  {:<12} {:<10} {:<12} {}",
                    fmt_micros(d.at),
                    d.actor,
                    d.decision,
                    what,
                    d.reason
                );
            }
            for d in store.deliveries(id).await? {
                println!(
                    "  {}  {:<12} {:<10} attempt {}  {}",
                    fmt_micros(d.at),
                    "sender",
                    d.outcome,
                    d.attempt,
                    d.detail
                );
            }
            for b in store.bounces(id).await? {
                println!(
                    "  bounce       {} {} for {}: {}",
                    b.status, b.action, b.recipient, b.diagnostic
                );
            }
        }
        NoticesCommand::Verify { code: typed } => {
            let Some(c) = code::normalize(&typed) else {
                println!(
                    "not a notice code: it has {} symbols of the code alphabet (20 expected)",
                    typed.chars().filter(char::is_ascii_alphanumeric).count()
                );
                return Ok(ExitCode::from(2));
            };
            store
                .audit(&actor, "notice.verify", &c, &serde_json::json!({}))
                .await?;
            match store.notice_by_code(&c).await? {
                Some(n) if matches!(n.status.as_str(), "queued" | "sent" | "bounced") => {
                    println!(
                        "genuine: notice {} ({}), made {}, {}",
                        n.id,
                        n.kind,
                        fmt_micros(n.created_at),
                        match n.sent_at {
                            Some(s) => format!("sent {}", fmt_micros(s)),
                            None => "not sent yet".into(),
                        }
                    );
                    return Ok(ExitCode::SUCCESS);
                }
                Some(n) => {
                    println!(
                        "not issued: notice {} was never sent ({}); a message carrying this code is not from us",
                        n.id, n.status
                    );
                    return Ok(ExitCode::from(1));
                }
                None => {
                    println!("unknown code: no notice has it; the message is not genuine");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        NoticesCommand::Review => {
            let held = store.notices(Some("held"), 10_000).await?;
            if held.is_empty() {
                println!("nothing is held for review");
            }
            for n in held {
                let items = store.notice_items(n.id).await?;
                println!(
                    "{:>6}  {} event(s)  {}  assigned: {}",
                    n.id,
                    items.len(),
                    n.hold_reason,
                    if n.assigned_to.is_empty() {
                        "-"
                    } else {
                        &n.assigned_to
                    }
                );
                println!("        candidates: {}", n.candidates.join(", "));
            }
        }
        NoticesCommand::Approve { id, to, reason } => {
            let n = notice_or_fail(store, id).await?;
            if n.status != "held" {
                bail!("notice {id} is {}, not held", n.status);
            }
            let chosen: Vec<String> = if !to.is_empty() {
                for t in &to {
                    if !n.candidates.contains(t) && n.recipient_id.as_deref() != Some(t) {
                        bail!(
                            "{t} is not a candidate of notice {id} (candidates: {})",
                            n.candidates.join(", ")
                        );
                    }
                }
                to
            } else if let Some(r) = &n.recipient_id {
                vec![r.clone()]
            } else if n.candidates.len() == 1 {
                n.candidates.clone()
            } else {
                bail!(
                    "notice {id} has {} candidates; choose with --to ({})",
                    n.candidates.len(),
                    n.candidates.join(", ")
                );
            };
            let events = store.notice_events(id).await?;
            let dir = match &g.config.notify.contacts {
                Some(p) => Some(kizuki_route::contacts::Directory::load(p)?),
                None => None,
            };
            let recipients = super::notify::resolve(store, &chosen, dir.as_ref()).await?;
            let notifier = super::notify::notifier(g)?;
            let (_, mut next) = store.next_ids().await?;
            let now = kizuki_store::now_micros();
            let mut planned = Vec::new();
            for c in &chosen {
                let r = recipients
                    .get(c)
                    .with_context(|| format!("{c} is not in the directory"))?;
                planned.push(notifier.approve(next, &n, &events, r, now)?);
                next += 1;
            }
            store.release_held(id, &actor, &reason, &planned).await?;
            for p in &planned {
                println!(
                    "notice {} to {} queued ({} event(s), code {})",
                    p.notice.id,
                    p.notice.recipient_id.as_deref().unwrap_or("-"),
                    p.items.len(),
                    code::display(&p.notice.code)
                );
            }
        }
        NoticesCommand::Reject { id, reason } => {
            store.reject_held(id, &actor, &reason).await?;
            println!("notice {id} rejected: {reason}");
        }
        NoticesCommand::Assign { id, to } => {
            store.assign_notice(id, &actor, &to).await?;
            println!("notice {id} assigned to {to}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
