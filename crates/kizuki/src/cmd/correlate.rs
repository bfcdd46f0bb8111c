//! `kizuki correlate`: the internal hosts behind a public address at a
//! time, from the company's flow and NAT logs and the C2 servers valid at
//! that time; and the same at intake, for each new incident.

use crate::Global;
use crate::cli_cases::CorrelateArgs;
use crate::cmd::cases::{engine, host_zone};
use crate::cmd::{actor, now, parse_duration, parse_time, rfc3339, runtime};
use anyhow::{Context, Result, bail};
use kizuki_cases::{Cases, HostInput};
use kizuki_feeds::{Format, ReadContext, Reader, input};
use kizuki_flows::{
    Asset, AssetLookup, C2List, C2Options, Candidate, Flow, FlowFormat, FlowSink, Inventory,
    MatchReport, Matcher, Query, ReadOptions, Reject,
};
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where to look.
struct Sources {
    flows: Vec<(FlowFormat, PathBuf)>,
    c2: PathBuf,
    assets: Option<PathBuf>,
}

/// Reads the asset inventory, reporting refused rows on stderr.
pub fn load_assets(path: &Path) -> Result<(Inventory, usize)> {
    let (inv, rejects) = Inventory::read_path(path)
        .with_context(|| format!("cannot read the asset inventory {}", path.display()))?;
    for r in &rejects {
        eprintln!("warning: {r}");
    }
    Ok((inv, rejects.len()))
}

/// The asset with this address, else this host name.
pub fn find_asset(inv: &Inventory, address: &str, hostname: &str) -> Option<Asset> {
    address
        .parse::<IpAddr>()
        .ok()
        .and_then(|ip| inv.by_ip(ip))
        .or_else(|| {
            (!hostname.is_empty())
                .then(|| inv.by_hostname(hostname))
                .flatten()
        })
}

/// Fills what the inventory knows into a host.
pub fn fill_from_asset(h: &mut HostInput, a: &Asset) {
    h.asset_id = a.asset_id.clone();
    if h.hostname.is_empty() {
        h.hostname = a.hostname.clone().unwrap_or_default();
    }
    if h.address.is_empty() {
        h.address = a.ip.map(|i| i.to_string()).unwrap_or_default();
    }
    h.owner = a.owner.clone().unwrap_or_default();
    h.department = a.department.clone().unwrap_or_default();
}

fn flow_spec(spec: &str, g: &Global) -> Result<(FlowFormat, PathBuf)> {
    let (format, rest) = spec
        .split_once(':')
        .with_context(|| format!("--flows {spec:?}: expected FORMAT:FILE"))?;
    if format == "csv" {
        let (mapping, file) = rest
            .split_once(':')
            .with_context(|| format!("--flows {spec:?}: expected csv:MAPPING.toml:FILE"))?;
        return Ok((
            FlowFormat::from_spec(&format!("csv:{mapping}"))?,
            file.into(),
        ));
    }
    if let Some(mapping) = g.config.cases.correlate.mappings.get(format) {
        let f = FlowFormat::from_spec(&format!("csv:{}", mapping.display()))
            .with_context(|| format!("[cases.correlate.mappings] {format}"))?;
        return Ok((f, rest.into()));
    }
    Ok((FlowFormat::from_spec(format)?, rest.into()))
}

fn sources(
    a_flows: &[String],
    c2: Option<&Path>,
    assets: Option<&Path>,
    g: &Global,
) -> Result<Sources> {
    let c = &g.config.cases.correlate;
    let specs = if a_flows.is_empty() {
        &c.flows
    } else {
        a_flows
    };
    if specs.is_empty() {
        bail!("give --flows FORMAT:FILE (or [cases.correlate] flows)");
    }
    let flows = specs
        .iter()
        .map(|s| flow_spec(s, g))
        .collect::<Result<Vec<_>>>()?;
    let c2 = c2
        .map(Path::to_path_buf)
        .or_else(|| c.c2.clone())
        .context("give --c2 FILE, a Feodo Tracker list (or [cases.correlate] c2)")?;
    let assets = assets.map(Path::to_path_buf).or_else(|| c.assets.clone());
    Ok(Sources { flows, c2, assets })
}

/// Reads a Feodo Tracker list into a C2 list.
fn load_c2(path: &Path) -> Result<C2List> {
    let mut events = Vec::new();
    let mut refused = 0usize;
    let reader = Reader::new(Format::Feodo);
    for src in input::load(path)? {
        reader.read(&src, &ReadContext::new(), &mut |b| {
            for r in &b.rejects {
                eprintln!("warning: {}:{}: {}", r.file, r.line, r.reason);
            }
            refused += b.rejects.len();
            events.extend(b.events);
        })?;
    }
    let (list, rejects) = C2List::from_events(&events, &C2Options::new());
    for r in &rejects {
        eprintln!("warning: {r}");
    }
    if list.is_empty() {
        bail!(
            "{}: no usable C2 entry ({refused} lines refused)",
            path.display()
        );
    }
    Ok(list)
}

/// Answers several queries in one pass: the C2 list, the inventory and
/// each log are read once, every flow going to every query's matcher.
/// Refused lines are reported once.
fn correlate(
    s: &Sources,
    queries: Vec<Query>,
    tz: &jiff::tz::TimeZone,
) -> Result<Vec<MatchReport>> {
    let c2 = load_c2(&s.c2)?;
    let mut fan = Fanout {
        matchers: queries.into_iter().map(|q| Matcher::new(&c2, q)).collect(),
    };
    let opts = ReadOptions::new().zone(tz.clone());
    for (format, path) in &s.flows {
        format
            .read_path(path, &opts, &mut fan)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    let inv = match &s.assets {
        Some(p) => Some(load_assets(p)?.0),
        None => None,
    };
    let lookup = inv.as_ref().map(|i| i as &dyn AssetLookup);
    Ok(fan.matchers.into_iter().map(|m| m.finish(lookup)).collect())
}

/// Hands each flow to every matcher; refused lines are printed here, once.
struct Fanout<'a> {
    matchers: Vec<Matcher<'a>>,
}

impl FlowSink for Fanout<'_> {
    fn flow(&mut self, flow: &Flow) {
        for m in &mut self.matchers {
            m.flow(flow);
        }
    }

    fn reject(&mut self, reject: Reject) {
        eprintln!("warning: {reject}");
    }
}

/// One candidate as `correlate` prints it.
fn candidate_json(c: &Candidate) -> serde_json::Value {
    let mut v = serde_json::to_value(c).unwrap_or_default();
    v["host"] = c.host.to_string().into();
    v["asset"] = c.asset.as_ref().map(|a| a.asset_id.clone()).into();
    v["hostname"] = c.asset.as_ref().and_then(|a| a.hostname.clone()).into();
    v["owner"] = c.owner.clone().into();
    v["department"] = c.department.clone().into();
    v["first"] = rfc3339(c.first).into();
    v["last"] = rfc3339(c.last).into();
    v
}

fn host_input(c: &Candidate) -> HostInput {
    let mut h = HostInput {
        address: c.host.to_string(),
        infected: true,
        evidence: candidate_json(c).to_string(),
        ..HostInput::default()
    };
    if let Some(a) = &c.asset {
        fill_from_asset(&mut h, a);
    }
    h
}

/// The queries for an incident: one per reported address, at its earliest
/// reported contact.
async fn incident_queries(cases: &Cases, id: i64, window: i64) -> Result<Vec<Query>> {
    let v = cases.view(id).await?;
    let mut first: std::collections::BTreeMap<&str, Option<i64>> = Default::default();
    for r in &v.reports {
        let e = first.entry(r.address.as_str()).or_insert(r.observed_at);
        *e = match (*e, r.observed_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    if first.is_empty() {
        bail!("incident {id} has no reported address");
    }
    let malware = (!v.incident.malware.is_empty()).then(|| v.incident.malware.clone());
    Ok(first
        .into_iter()
        .map(|(address, at)| Query {
            public: address.parse().ok(),
            at: at.unwrap_or(v.incident.window_start),
            window,
            malware: malware.clone(),
        })
        .collect())
}

/// Runs `kizuki correlate`.
pub fn run(a: CorrelateArgs, g: &Global) -> Result<ExitCode> {
    runtime()?.block_on(async {
        let tz = host_zone(a.tz.as_deref(), g)?;
        let window = parse_duration(&a.window)? * 1_000_000;
        let s = sources(&a.flows, a.c2.as_deref(), a.assets.as_deref(), g)?;
        let cases = match a.incident {
            Some(_) => Some(engine(g).await?),
            None => None,
        };
        let mut queries = match (&cases, a.incident) {
            (Some(c), Some(id)) => incident_queries(c, id, window).await?,
            _ => {
                let (Some(ip), Some(time)) = (&a.ip, &a.time) else {
                    bail!("give --ip and --time (or --incident)");
                };
                vec![Query {
                    public: Some(ip.parse().with_context(|| format!("--ip {ip:?}"))?),
                    at: parse_time(time, &tz)?,
                    window,
                    malware: None,
                }]
            }
        };
        for q in &mut queries {
            if let Some(ip) = &a.ip {
                q.public = Some(ip.parse().with_context(|| format!("--ip {ip:?}"))?);
            }
            if let Some(m) = &a.malware {
                q.malware = Some(m.to_lowercase());
            }
        }
        let out = std::io::stdout();
        let mut out = out.lock();
        let mut found = 0;
        let publics: Vec<_> = queries.iter().map(|q| q.public).collect();
        let reports = correlate(&s, queries, &tz)?;
        for (public, report) in publics.into_iter().zip(reports) {
            for c in &report.candidates {
                let mut v = candidate_json(c);
                v["public"] = public.map(|p| p.to_string()).into();
                writeln!(out, "{v}")?;
            }
            found += report.candidates.len();
            if !g.quiet {
                eprintln!(
                    "correlate {}: {} flows read, {} in the window, {} matched a valid C2 entry; {} candidate host(s)",
                    public.map_or_else(|| "-".into(), |p| p.to_string()),
                    report.flows,
                    report.in_window,
                    report.matched,
                    report.candidates.len()
                );
            }
            if let (true, Some(cases), Some(id), Some(best)) =
                (a.attach, &cases, a.incident, report.candidates.first())
            {
                let (h, new) = cases.add_host(id, &host_input(best), &actor(), now()?).await?;
                eprintln!(
                    "host {} ({}) {} incident {id}",
                    h.address,
                    h.hostname,
                    if new { "tied to" } else { "was already on" }
                );
            }
        }
        Ok(if found == 0 { ExitCode::from(3) } else { ExitCode::SUCCESS })
    })
}

/// At intake: when `[cases.correlate]` names flows and a C2 list (and
/// `on_intake` is not false), a new incident is correlated at once and the
/// best candidate tied to it by kizuki.
pub async fn on_intake(cases: &Cases, g: &Global, incident: i64) -> Result<()> {
    let c = &g.config.cases.correlate;
    if c.flows.is_empty() || c.c2.is_none() || c.on_intake == Some(false) {
        return Ok(());
    }
    let window = parse_duration(c.window.as_deref().unwrap_or("30m"))? * 1_000_000;
    let s = sources(&[], None, None, g)?;
    let tz = host_zone(None, g)?;
    let queries = incident_queries(cases, incident, window).await?;
    let publics: Vec<_> = queries.iter().map(|q| q.public).collect();
    for (public, report) in publics.into_iter().zip(correlate(&s, queries, &tz)?) {
        match report.candidates.first() {
            Some(best) => {
                cases
                    .add_host(incident, &host_input(best), "kizuki", now()?)
                    .await?;
            }
            None => eprintln!(
                "incident {incident}: no flow from behind {} to a valid C2 server near the reported time; find the host by hand (kizuki cases host)",
                public.map_or_else(|| "?".into(), |p| p.to_string())
            ),
        }
    }
    Ok(())
}
