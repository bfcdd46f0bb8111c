//! `kizuki route` and `kizuki contacts check`: the coordinator's routing.

use crate::Global;
use crate::cli::RouteArgs;
use crate::output::{Output, thousands, write_reject};
use anyhow::{Context, Result, bail};
use kizuki_event::{Event, json};
use kizuki_feeds::{ReadContext, Reader, input};
use kizuki_lookup::{AsnDb, AsnSource};
use kizuki_route::contacts::{Directory, Severity};
use kizuki_route::enrich::EnrichOptions;
use kizuki_route::{Routed, Router};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The file listing what a route run wrote, so `report` reads only those.
pub const MANIFEST: &str = "_route.json";
/// Unrouted events.
pub const UNROUTED: &str = "_unrouted.jsonl";
/// Input lines that were not events, with file, line and reason.
pub const REJECTS: &str = "_rejects.jsonl";

/// Loads AS tables; text tables are compiled once and kept in
/// `<data-dir>/lookup/`, keyed by the file's path, size and time.
pub fn load_asn_tables(paths: &[PathBuf], data_dir: &Path, quiet: bool) -> Result<AsnDb> {
    let mut db = AsnDb::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .with_context(|| format!("AS table {}: cannot read it", p.display()))?;
        let is_mmdb = p.extension().is_some_and(|e| e == "mmdb") || {
            let mut head = [0u8; 4];
            std::fs::File::open(p)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
                .is_ok()
                && head[..] == [0xab, 0xcd, 0xef, b'M']
        };
        if !is_mmdb {
            let stamp = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            let key = format!("{}|{}|{}", canon.display(), meta.len(), stamp);
            let hash: u64 = key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let cache = data_dir
                .join("lookup")
                .join(format!("{stem}-{hash:016x}.kzt"));
            if let Ok(t) = kizuki_lookup::store::open(&cache) {
                db.add(p.display().to_string(), AsnSource::Table(t));
                continue;
            }
            let (src, errors) = kizuki_lookup::asn::load(p)?;
            report_line_errors(&errors, quiet);
            if let AsnSource::Table(t) = &src {
                if let Some(dir) = cache.parent() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                }
                if let Err(e) = kizuki_lookup::store::save(t, &cache) {
                    tracing::warn!("could not keep the compiled table: {e}");
                }
            }
            db.add(p.display().to_string(), src);
            continue;
        }
        let (src, errors) = kizuki_lookup::asn::load(p)?;
        report_line_errors(&errors, quiet);
        db.add(p.display().to_string(), src);
    }
    Ok(db)
}

fn report_line_errors(errors: &[kizuki_lookup::LineError], quiet: bool) {
    if quiet {
        return;
    }
    for e in errors.iter().take(20) {
        eprintln!("  table line skipped: {e}");
    }
    if errors.len() > 20 {
        eprintln!("  ... and {} more table lines skipped", errors.len() - 20);
    }
}

fn print_findings(dir: &Directory) {
    for f in dir.findings() {
        eprintln!("  contacts {f}");
    }
}

/// Runs `kizuki contacts check`.
pub fn check_contacts(file: &Path) -> Result<ExitCode> {
    let dir = Directory::load(file)?;
    println!("{}: {} contact(s)", file.display(), dir.contacts().len());
    for c in dir.contacts() {
        println!(
            "  {} ({}): {} range(s), {} AS(es), {} domain(s), {} report to {}",
            c.id,
            c.name,
            c.ranges.len(),
            c.asns.len(),
            c.domains.len(),
            c.format.name(),
            c.to.join(", ")
        );
    }
    for f in dir.findings() {
        println!("  {f}");
    }
    let conflicts = dir
        .findings()
        .iter()
        .filter(|f| f.severity == Severity::Conflict)
        .count();
    Ok(if conflicts > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Default)]
struct Tally {
    events: u64,
    addresses: HashSet<String>,
    via: BTreeMap<&'static str, u64>,
}

/// Runs `kizuki route`.
pub fn run(args: RouteArgs, g: &Global) -> Result<ExitCode> {
    let dir = Directory::load(&args.contacts)?;
    if !g.quiet {
        print_findings(&dir);
    }
    let asn = load_asn_tables(&args.asn_tables, &g.data_dir, g.quiet)?;
    let router = Router::new(
        &dir,
        &asn,
        EnrichOptions {
            overwrite: args.overwrite_enrichment,
        },
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let ctx = ReadContext::new().threads(threads);
    let reader = Reader::auto();
    let mut outputs: HashMap<String, Output> = HashMap::new();
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut unrouted_reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut rejected = 0u64;
    let mut line = Vec::new();
    let start = std::time::Instant::now();
    for path in &args.events {
        for src in input::load(path)? {
            let mut err: Option<anyhow::Error> = None;
            let mut sink = |b: kizuki_feeds::Batch| {
                for r in &b.rejects {
                    rejected += 1;
                    if !g.quiet && rejected <= 20 {
                        eprintln!("  not an event: {}:{}: {}", r.file, r.line, r.reason);
                    }
                    // Kept, like every line read: nothing is lost.
                    line.clear();
                    write_reject(r, &mut line);
                    if err.is_none()
                        && let Err(e) = output_for(&mut outputs, &args.out, REJECTS)
                            .and_then(|o| o.write(&line))
                    {
                        err = Some(e);
                    }
                }
                for mut ev in b.events {
                    let (file, kind) = match router.route(&mut ev) {
                        Routed::To(c, via) => (
                            format!("{}.jsonl", c.id),
                            match via {
                                kizuki_route::contacts::Via::Domain(_) => "domain",
                                kizuki_route::contacts::Via::Range(_) => "range",
                                kizuki_route::contacts::Via::Asn(_) => "AS",
                            },
                        ),
                        Routed::Unrouted(reason) => {
                            let short = reason
                                .split(", and ")
                                .nth(1)
                                .map_or_else(|| reason.clone(), |s| s.to_owned());
                            *unrouted_reasons.entry(short).or_default() += 1;
                            (UNROUTED.to_owned(), "unrouted")
                        }
                    };
                    let t = tallies.entry(file.clone()).or_default();
                    t.events += 1;
                    *t.via.entry(kind).or_default() += 1;
                    if let Some(ip) = ev.source_ip() {
                        t.addresses.insert(ip.to_string());
                    }
                    line.clear();
                    json::write_event(&ev, &mut line, &json::WriteOptions::default());
                    if err.is_some() {
                        continue;
                    }
                    if let Err(e) =
                        output_for(&mut outputs, &args.out, &file).and_then(|o| o.write(&line))
                    {
                        err = Some(e);
                    }
                }
            };
            reader
                .read(&src, &ctx, &mut sink)
                .with_context(|| format!("{}", src.name))?;
            if let Some(e) = err {
                return Err(e);
            }
        }
    }
    // Files of an earlier run that this run did not write are removed, so the
    // directory holds exactly this run's result.
    let manifest_path = args.out.join(MANIFEST);
    if let Ok(old) = std::fs::read_to_string(&manifest_path)
        && let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&old)
        && let Some(serde_json::Value::Object(files)) = m.get("files")
    {
        for f in files.keys() {
            if !outputs.contains_key(f) && !f.contains(['/', '\\']) {
                let _ = std::fs::remove_file(args.out.join(f));
            }
        }
    }
    let mut files = serde_json::Map::new();
    for (f, out) in outputs {
        out.finish()?;
        files.insert(f.clone(), tallies.get(&f).map_or(0, |t| t.events).into());
    }
    let manifest =
        serde_json::json!({ "contacts": args.contacts.display().to_string(), "files": files });
    std::fs::write(&manifest_path, format!("{manifest:#}\n"))
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;

    if !g.quiet {
        let total: u64 = tallies.values().map(|t| t.events).sum();
        eprintln!(
            "kizuki route: {} event(s) in {:.2} s",
            thousands(total),
            start.elapsed().as_secs_f64()
        );
        for c in dir.contacts() {
            let Some(t) = tallies.get(&format!("{}.jsonl", c.id)) else {
                continue;
            };
            let via: Vec<String> = t
                .via
                .iter()
                .map(|(k, n)| format!("{k} {}", thousands(*n)))
                .collect();
            eprintln!(
                "  {} ({}): {} event(s), {} address(es) [by {}]",
                c.id,
                c.name,
                thousands(t.events),
                thousands(t.addresses.len() as u64),
                via.join(", ")
            );
        }
        if let Some(t) = tallies.get(UNROUTED) {
            eprintln!(
                "  unrouted: {} event(s), reasons in {}",
                thousands(t.events),
                args.out.join(UNROUTED).display()
            );
            let mut reasons: Vec<(&String, &u64)> = unrouted_reasons.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1));
            for (r, n) in reasons.into_iter().take(5) {
                eprintln!("    {}: {r}", thousands(*n));
            }
        }
        if rejected > 0 {
            eprintln!(
                "  {} input line(s) were not events; kept with the reason in {}",
                thousands(rejected),
                args.out.join(REJECTS).display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The output for one file of the run, created on first use.
fn output_for<'o>(
    outputs: &'o mut HashMap<String, Output>,
    dir: &Path,
    file: &str,
) -> Result<&'o mut Output> {
    if !outputs.contains_key(file) {
        let o = Output::create(&dir.join(file))?;
        outputs.insert(file.to_owned(), o);
    }
    outputs.get_mut(file).context("output was just created")
}

/// Reads the events of one routed file.
pub fn read_events(path: &Path) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    for src in input::load(path)? {
        kizuki_feeds::Reader::new(kizuki_feeds::Format::Intelmq).read(
            &src,
            &ReadContext::new(),
            &mut |b| {
                events.extend(b.events);
                bad.extend(b.rejects);
            },
        )?;
    }
    if let Some(r) = bad.first() {
        bail!("{}:{}: {}", r.file, r.line, r.reason);
    }
    Ok(events)
}
