//! `kizuki gen feed`: synthetic feeds.

use crate::cli::GenFeedArgs;
use anyhow::{Context, Result};
use kizuki_event::{Timestamp, Zone, time::parse_lenient};
use kizuki_feeds::synth::{FeedKind, Synth};
use std::io::Write;

/// Runs `kizuki gen feed`.
pub fn feed(args: GenFeedArgs, g: &crate::Global) -> Result<()> {
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
            if !g.quiet {
                eprintln!(
                    "wrote {} rows of {} to {}",
                    args.rows,
                    kind.name(),
                    p.display()
                );
            }
        }
        None => synth.write(&mut std::io::stdout().lock())?,
    }
    Ok(())
}

/// Runs `kizuki gen isp`.
pub fn isp(args: crate::cli::GenIspArgs, g: &crate::Global) -> Result<()> {
    use kizuki_attribution::synth;
    let date: jiff::civil::Date = args
        .start
        .parse()
        .with_context(|| format!("--start {:?}: expected YYYY-MM-DD", args.start))?;
    let start = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .context("--start out of range")?
        .timestamp()
        .as_second();
    if !(0.0..=1.0).contains(&args.cgnat_share) {
        anyhow::bail!("--cgnat-share {}: expected 0 to 1", args.cgnat_share);
    }
    let spec = synth::IspSpec {
        subscribers: args.subscribers,
        days: args.days.max(1),
        start,
        cgnat_share: args.cgnat_share,
        seed: args.seed,
        observations: args.observations,
        ghosts: (args.subscribers / 100).clamp(1, 50),
    };
    let t = std::time::Instant::now();
    let isp = synth::generate(&spec);
    let files = synth::write(&isp, &args.out_dir)
        .with_context(|| format!("cannot write into {}", args.out_dir.display()))?;
    if !g.quiet {
        let c = &files.cases;
        eprintln!(
            "kizuki gen isp: {} subscribers, {} day(s) in {:.1} s -> {}",
            args.subscribers,
            spec.days,
            t.elapsed().as_secs_f64(),
            args.out_dir.display()
        );
        for (log, n) in &files.records {
            eprintln!("  {log}: {n} record(s)");
        }
        eprintln!(
            "  {} sessions ({} across midnight, {} lost Stops, {} ended by a NAS reboot, {} across DST), {} leases, {} port blocks, {} reused addresses, {} ghost sessions",
            c.sessions,
            c.across_midnight,
            c.lost_stops,
            c.ended_by_reboot,
            c.across_dst,
            c.leases,
            c.blocks,
            c.reused_addresses,
            c.ghosts
        );
        eprintln!(
            "  import commands: {}",
            args.out_dir.join("manifest.json").display()
        );
    }
    Ok(())
}
