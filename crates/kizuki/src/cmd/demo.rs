//! `kizuki demo`: the chain on built-in sample data, stage by stage.

use super::ingest::{IngestPlan, default_rejects};
use crate::Global;
use crate::cli::DemoArgs;
use crate::output::thousands;
use anyhow::{Context, Result};
use kizuki_event::{Event, Field, Timestamp, json};
use kizuki_feeds::synth::{FeedKind, Synth};
use kizuki_feeds::{Reader, shadowserver::ShadowserverReader};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn write_feed(dir: &Path, kind: FeedKind, rows: u64, seed: u64, bad: f64) -> Result<PathBuf> {
    let path = dir.join(kind.file_name("2021-02-22"));
    let mut f =
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    Synth::new(kind, rows, seed).bad_share(bad).write(&mut f)?;
    f.flush()?;
    Ok(path)
}

fn read_events(path: &Path) -> Result<Vec<Event>> {
    let data = std::fs::read(path)?;
    let mut out = Vec::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        out.push(
            json::parse_event(line, None)
                .with_context(|| format!("{}:{}", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

/// Runs the demo.
pub fn run(args: DemoArgs, g: &Global) -> Result<()> {
    let dir = g.data_dir.join("demo");
    let feeds = dir.join("feeds");
    std::fs::create_dir_all(&feeds)
        .with_context(|| format!("cannot create {}", feeds.display()))?;
    println!(
        "kizuki demo: the notification chain on built-in sample data (data in {})",
        dir.display()
    );
    println!();
    println!("1. Ingest: the coordinator reads the feeds it receives");
    let files = vec![
        write_feed(&feeds, FeedKind::Sinkhole, args.rows, args.seed, 0.002)?,
        write_feed(
            &feeds,
            FeedKind::SinkholeHttp,
            args.rows / 2,
            args.seed + 1,
            0.002,
        )?,
        write_feed(&feeds, FeedKind::FeodoCsv, 300, args.seed + 2, 0.0)?,
    ];
    for f in &files {
        println!("   feed: {}", f.display());
    }
    let mut reader = Reader::auto();
    reader.shadowserver =
        ShadowserverReader::new(Arc::new(kizuki_feeds::shadowserver::builtin_schema()));
    let plan = IngestPlan {
        reader,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        observation: Timestamp::now(),
        defaults: Vec::new(),
        origin: true,
    };
    let out = dir.join("events.jsonl");
    let rejects = default_rejects(&out);
    let _ = std::fs::remove_file(&rejects);
    let summary = plan.run(&files, &out, &rejects, false)?;
    println!(
        "   {} rows read in {:.2} s: {} events, {} rows rejected with a reason",
        thousands(summary.rows()),
        summary.seconds,
        thousands(summary.accepted()),
        thousands(summary.rejected())
    );
    for r in summary.sample_reasons.iter().take(3) {
        println!("     rejected: {r}");
    }
    if let Some(p) = &summary.rejects_path {
        println!(
            "     every rejected row, with file, line and reason: {}",
            p.display()
        );
    }
    println!("   events (IntelMQ JSON lines): {}", out.display());

    let events = read_events(&out)?;
    let infected: Vec<&Event> = events
        .iter()
        .filter(|e| e.classification_type() == Some("infected-system"))
        .collect();
    let c2: Vec<&Event> = events
        .iter()
        .filter(|e| e.classification_type() == Some("c2-server"))
        .collect();
    let mut by_family: BTreeMap<&str, u64> = BTreeMap::new();
    for e in &infected {
        *by_family
            .entry(e.malware_name().unwrap_or("unknown"))
            .or_default() += 1;
    }
    let mut families: Vec<_> = by_family.into_iter().collect();
    families.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!(
        "   infected-system events by malware: {}",
        families
            .iter()
            .map(|(f, n)| format!("{f} {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let emotet: Vec<&&Event> = infected
        .iter()
        .filter(|e| e.malware_name() == Some("emotet"))
        .collect();
    let addrs: BTreeSet<_> = emotet.iter().filter_map(|e| e.source_ip()).collect();
    let asns: BTreeSet<_> = emotet
        .iter()
        .filter_map(|e| e.int(Field::SourceAsn))
        .collect();
    let with_port = emotet.iter().filter(|e| e.source_port().is_some()).count();
    println!(
        "   Emotet: {} events from {} addresses in {} networks (AS{}), {} with a source port",
        thousands(emotet.len() as u64),
        thousands(addrs.len() as u64),
        asns.len(),
        asns.iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", AS"),
        thousands(with_port as u64)
    );
    println!(
        "   Feodo Tracker C2 servers: {} (with first-seen/last-online windows)",
        thousands(c2.len() as u64)
    );
    Ok(())
}
