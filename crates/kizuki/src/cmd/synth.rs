//! `kizuki gen feed`: synthetic feeds.

use crate::cli::GenFeedArgs;
use anyhow::{Context, Result};
use kizuki_event::{Timestamp, Zone, time::parse_lenient};
use kizuki_feeds::synth::{FeedKind, Synth};
use std::io::Write;

/// Runs `kizuki gen feed`.
pub fn feed(args: GenFeedArgs) -> Result<()> {
    let kind = FeedKind::from_name(&args.kind).with_context(|| {
        let names: Vec<_> = FeedKind::ALL.iter().map(|(_, n)| *n).collect();
        format!(
            "unknown feed type {:?}; known: {}",
            args.kind,
            names.join(", ")
        )
    })?;
    let start: Timestamp = parse_lenient(&args.start, Some(&Zone::Utc))
        .with_context(|| format!("--start {:?}", args.start))?;
    let synth = Synth::new(kind, args.rows, args.seed)
        .start(start.unix_seconds())
        .span(i64::from(args.days.max(1)) * 86_400)
        .emotet_share(args.emotet_share)
        .bad_share(args.bad_share);
    let path = match (&args.out, &args.out_dir) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Some(dir.join(kind.file_name(&args.start)))
        }
        (None, None) => None,
    };
    match path {
        Some(p) => {
            let mut f = std::fs::File::create(&p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            synth.write(&mut f)?;
            f.flush()?;
            eprintln!(
                "wrote {} rows of {} to {}",
                args.rows,
                kind.name(),
                p.display()
            );
        }
        None => synth.write(&mut std::io::stdout().lock())?,
    }
    Ok(())
}
