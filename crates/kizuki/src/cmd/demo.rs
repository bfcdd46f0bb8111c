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

/// The first day of the demo data: 2021-02-22T00:00:00Z.
const FIRST_DAY: i64 = 1_613_952_000;
/// Days of sinkhole reports in the demo.
const DAYS: i64 = 7;

fn write_feed(dir: &Path, kind: FeedKind, day: i64, synth: Synth) -> Result<PathBuf> {
    let date = Timestamp::from_unix(FIRST_DAY + day * 86_400)
        .map(|t| t.to_iso()[..10].to_owned())
        .context("demo date out of range")?;
    let path = dir.join(kind.file_name(&date));
    let mut f =
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    synth.start(FIRST_DAY + day * 86_400).write(&mut f)?;
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
    // A week of daily sinkhole reports in which Emotet fades as machines
    // are cleaned, one HTTP sinkhole report, and the Feodo Tracker list.
    let mut files = Vec::new();
    for day in 0..DAYS {
        let share = 0.30 - 0.04 * day as f64;
        files.push(write_feed(
            &feeds,
            FeedKind::Sinkhole,
            day,
            Synth::new(
                FeedKind::Sinkhole,
                args.rows / DAYS as u64,
                args.seed + day as u64,
            )
            .emotet_share(share)
            .bad_share(0.002),
        )?);
    }
    files.push(write_feed(
        &feeds,
        FeedKind::SinkholeHttp,
        0,
        Synth::new(FeedKind::SinkholeHttp, args.rows / 2, args.seed + 100)
            .span(DAYS * 86_400)
            .emotet_share(0.1)
            .bad_share(0.002),
    )?);
    files.push(write_feed(
        &feeds,
        FeedKind::FeodoCsv,
        0,
        Synth::new(FeedKind::FeodoCsv, 300, args.seed + 200),
    )?);
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

    println!();
    println!("2. Route: the coordinator sends each event to the operator responsible for it");
    let contacts = dir.join("contacts.toml");
    std::fs::write(&contacts, DEMO_CONTACTS)
        .with_context(|| format!("cannot write {}", contacts.display()))?;
    let table = dir.join("ip2asn-demo.tsv");
    std::fs::write(&table, DEMO_IP2ASN)
        .with_context(|| format!("cannot write {}", table.display()))?;
    println!(
        "   contacts: {} (three operators); AS table: {}",
        contacts.display(),
        table.display()
    );
    let routed = dir.join("routed");
    super::route::run(
        crate::cli::RouteArgs {
            events: vec![out.clone()],
            contacts: contacts.clone(),
            asn_tables: vec![table],
            out: routed.clone(),
            overwrite_enrichment: false,
            threads: None,
        },
        g,
    )?;
    println!("   per-operator event files: {}", routed.display());

    println!();
    println!("3. Report: one report and one ready e-mail per operator, in its language");
    let reports = dir.join("reports");
    super::report::run(
        crate::cli::ReportArgs {
            routed: routed.clone(),
            contacts,
            format: None,
            out: reports.clone(),
            from: Some("Demo CERT <cert@coordinator.example.jp>".into()),
        },
        g,
    )?;
    println!("   reports and .eml messages: {}", reports.display());

    println!();
    println!("4. Statistics: addresses sending Emotet per day, per operator (Japan time)");
    let table = dir.join("emotet-per-day.csv");
    let chart = dir.join("emotet-per-day.svg");
    let mut routed_files: Vec<PathBuf> = std::fs::read_dir(&routed)
        .with_context(|| format!("cannot read {}", routed.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    routed_files.sort();
    super::stats::run(crate::cli::StatsArgs {
        events: routed_files,
        by: vec!["day".into(), "recipient".into()],
        count: "addresses".into(),
        filters: vec!["malware.name=emotet".into()],
        format: "csv".into(),
        out: Some(table.clone()),
        chart: Some(chart.clone()),
        tz: Some("Asia/Tokyo".into()),
    })?;
    let text = std::fs::read_to_string(&table)
        .with_context(|| format!("cannot read {}", table.display()))?;
    for line in text.lines() {
        println!("   {line}");
    }
    println!("   table: {}; chart: {}", table.display(), chart.display());

    isp_steps(&dir)
}

/// Steps 5 to 7: an ISP finds its subscribers and tells them.
fn isp_steps(dir: &Path) -> Result<()> {
    println!();
    println!("5. Attribute: the ISP finds who held each address (and port) at that time");
    let isp = dir.join("isp");
    let _ = std::fs::remove_dir_all(&isp);
    let quiet = Global {
        data_dir: isp.join("data"),
        config: crate::config::Config::default(),
        quiet: true,
    };
    super::synth::isp(
        crate::cli::GenIspArgs {
            subscribers: 400,
            days: 2,
            cgnat_share: 0.3,
            seed: 21,
            start: "2021-02-22".into(),
            observations: 300,
            out_dir: isp.join("logs"),
        },
        &quiet,
    )?;
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(isp.join("logs/manifest.json"))?)?;
    let mut config = crate::config::Config::load(Some(&isp.join("logs/kizuki.toml")))?;
    config.notify.operator = "Demo ISP East".into();
    config.notify.from = "abuse@east.isp.example.jp".into();
    config.notify.contact = "abuse@east.isp.example.jp, 0120-000-000".into();
    config.notify.text.insert(
        "ja".into(),
        kizuki_notify::config::OperatorText {
            operator: Some("デモISP東".into()),
            contact: Some("abuse@east.isp.example.jp、0120-000-000 (平日 9時～18時)".into()),
            verify_hint: Some("当社ホームページの「通知の確認」からお進みください".into()),
        },
    );
    let ig = Global {
        data_dir: isp.join("data"),
        config,
        quiet: true,
    };
    super::subscribers::import(&isp.join("logs/subscribers.csv"), &ig)?;
    let imports = super::bench_isp::import_manifest(&isp.join("logs"), &manifest, &ig, None)?;
    println!(
        "   400 subscribers; RADIUS, Kea, CGNAT port blocks and a deterministic NAT ({} log sets) indexed in {}",
        imports.len(),
        isp.join("data").display()
    );
    let attributed = isp.join("attributed.jsonl");
    super::attribute::run(
        crate::cli::AttributeArgs {
            events: vec![isp.join("logs/observations.jsonl")],
            out: attributed.clone(),
            tolerance: None,
        },
        &ig,
    )?;
    let mut by: std::collections::BTreeMap<String, u64> = Default::default();
    for line in std::fs::read_to_string(&attributed)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        *by.entry(
            v["extra.attribution.status"]
                .as_str()
                .unwrap_or("?")
                .to_owned(),
        )
        .or_default() += 1;
    }
    let parts: Vec<String> = by.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!("   300 reports attributed: {}", parts.join(", "));

    println!();
    println!(
        "6. Notify: one notice per subscriber, in their language; shared addresses wait for review"
    );
    let rt = super::runtime()?;
    let (events, _) = super::notify::read_events(std::slice::from_ref(&attributed))?;
    let summary = rt.block_on(async {
        let store = super::open_store(&ig).await?;
        let s =
            super::notify::notify_run(&ig, &store, events, None, kizuki_store::now_micros(), false)
                .await;
        store.close().await;
        s
    })?;
    let langs: Vec<String> = summary
        .queued
        .iter()
        .map(|(l, n)| format!("{n} in {l}"))
        .collect();
    println!(
        "   {} notice(s) to send ({}), {} held for review",
        summary.queued.values().sum::<u64>(),
        langs.join(", "),
        summary.held
    );

    println!();
    println!("7. Send: no SMTP server is configured, so the outbox goes to a Maildir");
    let report = rt.block_on(async {
        let store = super::open_store(&ig).await?;
        let r = super::notify::send_run(&ig, &store, false).await;
        store.close().await;
        r
    })?;
    let outbox = isp.join("data/outbox/new");
    println!("   {} message(s) in {}", report.sent, outbox.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&outbox)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut shown = std::collections::BTreeSet::new();
    for f in files {
        let raw = std::fs::read(&f)?;
        let Some(m) = mail_parser::MessageParser::default().parse(&raw) else {
            continue;
        };
        let subject = m.subject().unwrap_or_default().to_owned();
        let lang = if subject.chars().any(|c| c > '\u{3000}') {
            "ja"
        } else {
            "en"
        };
        if shown.insert(lang) {
            println!("   {lang}: {subject}");
            println!("       {}", f.display());
        }
        if shown.len() == 2 {
            break;
        }
    }
    println!(
        "   review what is held: kizuki --data-dir {} notices review",
        isp.join("data").display()
    );
    super::demo_company::run(dir, &isp.join("data/outbox"))
}

/// Three fictional operators for the synthetic networks of the demo data.
const DEMO_CONTACTS: &str = r#"
[[contact]]
id = "demo-isp-east"
name = "Demo ISP East"
kind = "operator"
asns = [4713, 18126]
to = ["abuse@east.isp.example.jp"]
language = "ja"
format = "csv"
timezone = "Asia/Tokyo"

[[contact]]
id = "demo-isp-west"
name = "Demo ISP West"
kind = "operator"
asns = [2516]
prefixes = ["210.130.0.0/16"]
to = ["abuse@west.isp.example.jp"]
language = "ja"
format = "xarf"
timezone = "Asia/Tokyo"

[[contact]]
id = "demo-mobile"
name = "Demo Mobile Carrier"
kind = "operator"
asns = [17676]
to = ["security@mobile.example.com"]
language = "en"
format = "intelmq"
timezone = "UTC"
"#;

/// An ip2asn-style table for the demo networks.
const DEMO_IP2ASN: &str = "49.96.0.0\t49.96.255.255\t9605\tJP\tDEMO-CARRIER-KYUSHU\n\
106.128.0.0\t106.128.255.255\t2516\tJP\tDEMO-ISP-WEST\n\
126.10.0.0\t126.10.255.255\t17676\tJP\tDEMO-MOBILE\n\
153.156.0.0\t153.156.255.255\t4713\tJP\tDEMO-ISP-EAST\n\
180.46.0.0\t180.46.255.255\t18126\tJP\tDEMO-ISP-EAST-HOKKAIDO\n\
210.130.0.0\t210.130.255.255\t2497\tJP\tDEMO-TRANSIT\n";
