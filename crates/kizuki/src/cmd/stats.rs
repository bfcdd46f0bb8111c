//! `kizuki stats`: counts by day, recipient, malware and more.

use crate::cli::StatsArgs;
use anyhow::{Context, Result, bail};
use kizuki_feeds::{ReadContext, Reader, input};
use kizuki_route::stats::{Count, Filter, Key, Stats};

/// Runs `kizuki stats`.
pub fn run(args: StatsArgs) -> Result<()> {
    let keys = args
        .by
        .iter()
        .map(|k| {
            Key::parse(k).with_context(|| {
                let names: Vec<_> = Key::ALL.iter().map(|(_, n)| *n).collect();
                format!("--by {k:?}: expected one of {}", names.join(", "))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let count = Count::parse(&args.count).with_context(|| {
        format!(
            "--count {:?}: expected events, addresses or accounts",
            args.count
        )
    })?;
    let filters = args
        .filters
        .iter()
        .map(|f| Filter::parse(f).with_context(|| format!("--filter {f:?}: expected FIELD=VALUE")))
        .collect::<Result<Vec<_>>>()?;
    let tz = match &args.tz {
        Some(z) => {
            jiff::tz::TimeZone::get(z).with_context(|| format!("--tz {z:?} is not a known zone"))?
        }
        None => jiff::tz::TimeZone::UTC,
    };
    let mut stats = Stats::new(keys, count, filters, tz);
    let reader = Reader::auto();
    let ctx =
        ReadContext::new().threads(std::thread::available_parallelism().map_or(1, |n| n.get()));
    for path in &args.events {
        for src in input::load(path)? {
            reader.read(&src, &ctx, &mut |b| {
                for e in &b.events {
                    stats.add(e);
                }
            })?;
        }
    }
    let text = match args.format.as_str() {
        "csv" => stats.to_csv(),
        "json" => stats.to_json(),
        other => bail!("--format {other:?}: expected csv or json"),
    };
    match &args.out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{text}"),
    }
    if let Some(svg) = &args.chart {
        let title = format!(
            "{} per day{}",
            args.count,
            if args.filters.is_empty() {
                String::new()
            } else {
                format!(" ({})", args.filters.join(", "))
            }
        );
        stats.chart(svg, &title)?;
        eprintln!("chart: {}", svg.display());
    }
    Ok(())
}
