//! `kizuki subscribers import`.

use crate::Global;
use crate::output::thousands;
use anyhow::{Context, Result};
use kizuki_attribution::directory::read_csv;
use kizuki_store::{Subscriber, SubscriberKind};
use std::path::Path;
use std::process::ExitCode;

/// Runs `kizuki subscribers import FILE`.
pub fn import(file: &Path, g: &Global) -> Result<ExitCode> {
    let data = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let (rows, errors) = read_csv(&file.display().to_string(), &data);
    // The reasons name lines and columns, never the personal data itself,
    // except for the rejected value, which the operator must see to fix.
    for e in errors.iter().take(20) {
        eprintln!("  rejected: {e}");
    }
    if errors.len() > 20 {
        eprintln!("  ... and {} more rejected rows", errors.len() - 20);
    }
    let subs: Vec<Subscriber> = rows
        .into_iter()
        .map(|r| Subscriber {
            kind: SubscriberKind::parse(&r.kind).unwrap_or(SubscriberKind::Person),
            id: r.id,
            name: r.name,
            emails: r.emails,
            language: r.language,
            timezone: r.timezone,
            postal_address: r.postal_address,
            keys: r.keys,
        })
        .collect();
    let rt = super::runtime()?;
    let counts = rt.block_on(async {
        let store = super::open_store(g).await?;
        let c = store
            .put_subscribers(&subs, &super::actor(), &file.display().to_string())
            .await?;
        store.close().await;
        anyhow::Ok(c)
    })?;
    if !g.quiet {
        eprintln!(
            "kizuki subscribers import: {} subscriber(s) ({} new, {} replaced), {} key(s){}, {} row(s) rejected",
            thousands(counts.added + counts.updated),
            thousands(counts.added),
            thousands(counts.updated),
            thousands(counts.keys),
            if counts.keys_moved > 0 {
                format!(
                    " ({} moved from another subscriber)",
                    thousands(counts.keys_moved)
                )
            } else {
                String::new()
            },
            thousands(errors.len() as u64)
        );
    }
    // As with feeds, refused rows are reported, not failures.
    Ok(ExitCode::SUCCESS)
}
