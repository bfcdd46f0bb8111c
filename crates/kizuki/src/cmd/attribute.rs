//! `kizuki attribute` and `kizuki whois-at`: the abuse desk's question,
//! in bulk and by hand.

use super::assignments::open_db;
use crate::Global;
use crate::cli::{AttributeArgs, WhoisAtArgs};
use crate::output::{Output, thousands, write_reject};
use anyhow::{Context, Result, bail};
use kizuki_attribution::directory::Directory;
use kizuki_attribution::{
    Assignments, Attribution, Attributor, DetNat, Holder, Observation, Status,
};
use kizuki_event::{Event, ExtraValue, json};
use kizuki_feeds::{ReadContext, Reader, input};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::process::ExitCode;

/// The keys an attributed event carries, under `extra.`.
pub const STATUS_KEY: &str = "attribution.status";
const SUBSCRIBERS_KEY: &str = "attribution.subscribers";
const VIA_KEY: &str = "attribution.via";
const REASON_KEY: &str = "attribution.reason";
const INSIDE_KEY: &str = "attribution.inside";
const UNKNOWN_KEY: &str = "attribution.unknown_keys";

fn tolerance(flag: Option<&str>, g: &Global) -> Result<i64> {
    flag.or(g.config.attribution.tolerance.as_deref())
        .map(super::parse_duration)
        .transpose()
        .map(|t| t.unwrap_or(0))
}

fn nats(g: &Global) -> Result<Vec<DetNat>> {
    g.config
        .attribution
        .deterministic_nat
        .iter()
        .map(|c| DetNat::new(c).map_err(anyhow::Error::from))
        .collect()
}

/// The directory of keys and static prefixes, read from the store (the
/// read is audited).
fn directory(g: &Global, purpose: &str) -> Result<Directory> {
    let rt = super::runtime()?;
    let keys = rt.block_on(async {
        let store = super::open_store(g).await?;
        let k = store.subscriber_keys(&super::actor(), purpose).await?;
        store.close().await;
        anyhow::Ok(k)
    })?;
    Ok(Directory::new(keys))
}

/// The static prefixes and those of `keys` in the directory.
fn directory_for(g: &Global, purpose: &str, keys: &[String]) -> Result<Directory> {
    let rt = super::runtime()?;
    let pairs = rt.block_on(async {
        let store = super::open_store(g).await?;
        let k = store
            .subscriber_keys_for(keys, &super::actor(), purpose)
            .await?;
        store.close().await;
        anyhow::Ok(k)
    })?;
    Ok(Directory::new(pairs))
}

fn strings(v: &[String]) -> ExtraValue {
    ExtraValue::Json(Box::new(serde_json::Value::Array(
        v.iter()
            .map(|s| serde_json::Value::String(s.clone()))
            .collect(),
    )))
}

/// Writes an attribution into an event.
pub fn annotate(ev: &mut Event, a: &Attribution) {
    ev.set_extra(STATUS_KEY, ExtraValue::Str(a.status.name().into()));
    ev.set_extra(SUBSCRIBERS_KEY, strings(&a.subscribers));
    ev.set_extra(VIA_KEY, strings(&a.via));
    ev.set_extra(REASON_KEY, ExtraValue::Str(a.reason.as_str().into()));
    if a.inside.is_empty() {
        ev.extra_mut().remove(INSIDE_KEY);
    } else {
        let inside: Vec<String> = a.inside.iter().map(IpAddr::to_string).collect();
        ev.set_extra(INSIDE_KEY, strings(&inside));
    }
    if a.unknown_keys.is_empty() {
        ev.extra_mut().remove(UNKNOWN_KEY);
    } else {
        ev.set_extra(UNKNOWN_KEY, strings(&a.unknown_keys));
    }
}

/// The observation an event makes, or why it makes none.
pub fn observation(ev: &Event) -> Result<Observation, &'static str> {
    let ip = ev.source_ip().ok_or("the event has no source.ip")?;
    let t = ev.time_source().ok_or("the event has no time.source")?;
    Ok(Observation {
        ip,
        port: ev.source_port(),
        time: t.as_micros().div_euclid(1_000_000),
    })
}

fn no_answer(reason: &str) -> Attribution {
    Attribution {
        status: Status::None,
        subscribers: Vec::new(),
        unknown_keys: Vec::new(),
        inside: Vec::new(),
        via: Vec::new(),
        reason: reason.to_owned(),
    }
}

/// Attributes and writes a batch of events as JSON lines, in order, on up
/// to `threads` threads: each takes a run of the events and gives its text
/// and the count of each status.
fn attribute_batch(
    att: &Attributor<'_>,
    mut events: Vec<Event>,
    threads: usize,
) -> Vec<(Vec<u8>, BTreeMap<Status, u64>)> {
    let run = |evs: &mut [Event]| {
        let mut text = Vec::new();
        let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
        for ev in evs {
            let a = match observation(ev) {
                Ok(o) => att.attribute(&o),
                Err(why) => no_answer(why),
            };
            *counts.entry(a.status).or_default() += 1;
            annotate(ev, &a);
            json::write_event(ev, &mut text, &json::WriteOptions::default());
        }
        (text, counts)
    };
    // Below this a thread costs more than it saves.
    const PER_THREAD: usize = 256;
    let per = events.len().div_ceil(threads.max(1)).max(PER_THREAD);
    if events.len() <= per {
        return vec![run(&mut events)];
    }
    std::thread::scope(|s| {
        let hs: Vec<_> = events
            .chunks_mut(per)
            .map(|c| s.spawn(move || run(c)))
            .collect();
        hs.into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Runs `kizuki attribute`.
pub fn run(args: AttributeArgs, g: &Global) -> Result<ExitCode> {
    let tol = tolerance(args.tolerance.as_deref(), g)?;
    let db = open_db(g, None)?;
    let nats = nats(g)?;
    let dir = directory(g, "attribute")?;
    let att = Attributor::new(&db, &nats, &dir, tol);
    let start = std::time::Instant::now();
    let mut out = Output::create(&args.out)?;
    let rejects_path = super::ingest::default_rejects(&args.out);
    let mut rejects: Option<Output> = None;
    let mut counts: BTreeMap<Status, u64> = BTreeMap::new();
    let mut line = Vec::new();
    let mut err: Option<anyhow::Error> = None;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ctx = ReadContext::new().threads(threads);
    for path in &args.events {
        for src in input::load(path)? {
            Reader::auto()
                .read(&src, &ctx, &mut |b| {
                    for r in &b.rejects {
                        line.clear();
                        write_reject(r, &mut line);
                        let w = match &mut rejects {
                            Some(w) => Ok(w),
                            None => Output::create(&rejects_path).map(|w| rejects.insert(w)),
                        };
                        if let Err(e) = w.and_then(|w| w.write(&line)) {
                            err.get_or_insert(e);
                        }
                    }
                    for (text, c) in attribute_batch(&att, b.events, threads) {
                        for (status, n) in c {
                            *counts.entry(status).or_default() += n;
                        }
                        if let Err(e) = out.write(&text) {
                            err.get_or_insert(e);
                        }
                    }
                })
                .with_context(|| src.name.clone())?;
            if let Some(e) = err.take() {
                return Err(e);
            }
        }
    }
    out.finish()?;
    if let Some(r) = rejects {
        r.finish()?;
    }
    if !g.quiet {
        let total: u64 = counts.values().sum();
        let parts: Vec<String> = [
            Status::Exact,
            Status::Shared,
            Status::Conflict,
            Status::None,
        ]
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                thousands(counts.get(s).copied().unwrap_or(0)),
                s.name()
            )
        })
        .collect();
        eprintln!(
            "kizuki attribute: {} event(s) in {:.2} s: {}{}",
            thousands(total),
            start.elapsed().as_secs_f64(),
            parts.join(", "),
            if tol > 0 {
                format!(" (tolerance ±{tol} s)")
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `[PORT] TIME` from the arguments after the address.
fn port_and_time(rest: &[String], tz: &jiff::tz::TimeZone) -> Result<(Option<u16>, i64)> {
    let (port, time) = match rest {
        [p, t @ ..] if !t.is_empty() && p.parse::<u16>().is_ok() => (p.parse().ok(), t.join(" ")),
        all => (None, all.join(" ")),
    };
    if let Ok(ts) = time.parse::<jiff::Timestamp>() {
        return Ok((port, ts.as_second()));
    }
    let dt: jiff::civil::DateTime = time
        .replace('/', "-")
        .parse()
        .with_context(|| format!("{time:?} is not a time (e.g. 2021-02-22T10:15:23+09:00, or \"2021-02-22 10:15:23\" with --tz)"))?;
    let z = dt
        .to_zoned(tz.clone())
        .with_context(|| format!("{time:?} does not exist in that zone"))?;
    Ok((port, z.timestamp().as_second()))
}

fn when(t: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_second(t)
        .map(|ts| {
            ts.to_zoned(tz.clone())
                .strftime("%Y-%m-%d %H:%M:%S %Z")
                .to_string()
        })
        .unwrap_or_else(|_| t.to_string())
}

/// Runs `kizuki whois-at`.
pub fn whois_at(args: WhoisAtArgs, g: &Global) -> Result<ExitCode> {
    let ip: IpAddr = args
        .address
        .trim()
        .parse()
        .with_context(|| format!("{:?} is not an IP address", args.address))?;
    let tz = match &args.tz {
        Some(z) => super::zone(z)?,
        None => jiff::tz::TimeZone::UTC,
    };
    let (port, time) = port_and_time(&args.rest, &tz)?;
    let tol = tolerance(args.tolerance.as_deref(), g)?;
    let db = open_db(g, None)?;
    if db.partitions().is_empty() {
        bail!(
            "no assignment logs in {}: import them first with `kizuki assignments import`",
            g.data_dir.join("attribution").display()
        );
    }
    let nats = nats(g)?;
    // One question needs only the holders it finds: asked first with the
    // static prefixes alone, it names the keys to look up, and is asked
    // again with them (instead of reading the whole directory).
    let purpose = format!("whois-at {ip}");
    let obs = Observation { ip, port, time };
    let prefixes = directory_for(g, &purpose, &[])?;
    let (first, _) = Attributor::new(&db, &nats, &prefixes, tol).explain(&obs);
    let dir = if first.unknown_keys.is_empty() {
        prefixes
    } else {
        directory_for(g, &purpose, &first.unknown_keys)?
    };
    let att = Attributor::new(&db, &nats, &dir, tol);
    let (a, hits) = att.explain(&obs);
    println!(
        "{ip}{} at {}{}",
        port.map(|p| format!(" port {p}")).unwrap_or_default(),
        when(time, &tz),
        if tol > 0 {
            format!(" (±{tol} s)")
        } else {
            String::new()
        }
    );
    println!("status: {} ({})", a.status, a.reason);
    if !a.subscribers.is_empty() {
        let rt = super::runtime()?;
        let subs = rt.block_on(async {
            let store = super::open_store(g).await?;
            let s = store
                .subscribers(
                    &a.subscribers,
                    &super::actor(),
                    &format!("whois-at {ip} {time}"),
                )
                .await?;
            store.close().await;
            anyhow::Ok(s)
        })?;
        for s in subs {
            println!(
                "subscriber: {} {} ({}), {}",
                s.id,
                s.name,
                s.kind.name(),
                s.emails.join(", ")
            );
        }
    }
    for k in &a.unknown_keys {
        println!("holder not in the subscriber directory: {k}");
    }
    if !a.inside.is_empty() {
        let inside: Vec<String> = a.inside.iter().map(IpAddr::to_string).collect();
        println!("inside address(es): {}", inside.join(", "));
    }
    println!("evidence:");
    for h in &hits {
        println!(
            "  {} {} ports {} {} .. {} held by {}",
            h.source.name(),
            h.net,
            h.ports,
            when(h.start, &tz),
            when(h.end, &tz),
            h.holder
        );
        print_records(&db, h, &tz)?;
    }
    if hits.is_empty() {
        println!("  no interval of any log covers it");
    }
    Ok(ExitCode::SUCCESS)
}

/// The log records behind one interval.
fn print_records(
    db: &Assignments,
    h: &kizuki_attribution::index::Hit,
    tz: &jiff::tz::TimeZone,
) -> Result<()> {
    let holder: Holder = h.holder.clone();
    let recs = db.records(h.source, &h.net, h.start - 86_400, h.end, &|r| {
        r.net == h.net && r.ports == h.ports && r.holder == holder
    })?;
    let line = |r: &kizuki_attribution::LogRecord| {
        println!("      {} {:?} at {}", r.at, r.action, when(r.time, tz));
    };
    // The first records and the last: interim records in between only say
    // the same thing again.
    if recs.len() <= 6 {
        recs.iter().for_each(line);
    } else {
        recs[..3].iter().for_each(line);
        println!("      ... {} more records", recs.len() - 5);
        recs[recs.len() - 2..].iter().for_each(line);
    }
    Ok(())
}
