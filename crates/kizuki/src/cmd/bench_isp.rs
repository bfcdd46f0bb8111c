//! `kizuki bench isp`: a whole generated ISP through the commands an abuse
//! desk runs (`subscribers import`, `assignments import` as the manifest
//! says, `attribute`), timed step by step, with every answer compared with
//! the generator's ground truth.

use crate::cli::{AssignmentsImportArgs, AttributeArgs, BenchIspArgs, GenIspArgs};
use crate::output::thousands;
use crate::{Global, config};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Agreement with the ground truth for one true status.
#[derive(Default)]
struct Tally {
    agree: u64,
    disagree: u64,
}

pub fn run(args: BenchIspArgs, quiet: bool) -> Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "kizuki-bench-isp-{}-{}-{}",
            args.subscribers, args.days, args.seed
        ))
    });
    let isp = dir.join("isp");
    let manifest_path = isp.join("manifest.json");
    let g0 = Global {
        data_dir: dir.join("data"),
        config: config::Config::default(),
        quiet,
    };
    if !manifest_path.exists() {
        let t = Instant::now();
        crate::cmd::synth::isp(
            GenIspArgs {
                subscribers: args.subscribers,
                days: args.days,
                cgnat_share: args.cgnat_share,
                seed: args.seed,
                start: "2021-02-22".into(),
                observations: args.observations,
                out_dir: isp.clone(),
            },
            &g0,
        )?;
        eprintln!("generated in {:.1} s", t.elapsed().as_secs_f64());
    } else {
        eprintln!("reusing {}", isp.display());
    }
    // Every run imports into an empty data directory.
    let data = dir.join("data");
    if data.exists() {
        std::fs::remove_dir_all(&data)
            .with_context(|| format!("cannot empty {}", data.display()))?;
    }
    let g = Global {
        data_dir: data,
        config: config::Config::load(Some(&isp.join("kizuki.toml")))?,
        quiet,
    };
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?,
    )
    .with_context(|| format!("{}: not JSON", manifest_path.display()))?;

    let mut rows: Vec<(String, f64, u64)> = Vec::new();
    let t = Instant::now();
    crate::cmd::subscribers::import(&isp.join("subscribers.csv"), &g)?;
    rows.push(("subscribers import".into(), t.elapsed().as_secs_f64(), 0));

    rows.extend(import_manifest(&isp, &manifest, &g, args.threads)?);

    let out = dir.join("attributed.jsonl");
    let t = Instant::now();
    crate::cmd::attribute::run(
        AttributeArgs {
            events: vec![isp.join("observations.jsonl")],
            out: out.clone(),
            tolerance: None,
        },
        &g,
    )?;
    let attribute_s = t.elapsed().as_secs_f64();

    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    let mut examples = Vec::new();
    let file =
        std::fs::File::open(&out).with_context(|| format!("cannot read {}", out.display()))?;
    for line in std::io::BufReader::new(file).lines() {
        let line = line?;
        let v: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("{}: not JSON", out.display()))?;
        let truth = v["extra.truth.status"].as_str().unwrap_or("?").to_owned();
        let same = v["extra.attribution.status"] == v["extra.truth.status"]
            && v["extra.attribution.subscribers"] == v["extra.truth.subscribers"];
        let t = tally.entry(truth).or_default();
        if same {
            t.agree += 1;
        } else {
            t.disagree += 1;
            if examples.len() < 5 {
                examples.push(line);
            }
        }
    }
    let observed: u64 = tally.values().map(|t| t.agree + t.disagree).sum();

    println!(
        "generated ISP: {} subscribers, {} day(s), CGNAT share {}, seed {} ({})",
        thousands(u64::from(args.subscribers)),
        args.days,
        args.cgnat_share,
        args.seed,
        isp.display()
    );
    println!("{:<36} {:>9} {:>12}", "step", "seconds", "MB/s");
    for (step, s, bytes) in &rows {
        let rate = if *bytes > 0 {
            format!("{:.0}", *bytes as f64 / 1e6 / s.max(1e-9))
        } else {
            String::new()
        };
        println!("{step:<36} {s:>9.2} {rate:>12}");
    }
    println!(
        "{:<36} {:>9.2} {:>12}",
        format!("attribute ({} events)", thousands(observed)),
        attribute_s,
        format!("{:.0} ev/s", observed as f64 / attribute_s.max(1e-9))
    );
    println!("{:<10} {:>10} {:>10}", "truth", "agree", "disagree");
    let mut wrong = 0;
    for (status, t) in &tally {
        println!(
            "{status:<10} {:>10} {:>10}",
            thousands(t.agree),
            thousands(t.disagree)
        );
        wrong += t.disagree;
    }
    for e in &examples {
        println!("disagrees: {e}");
    }
    Ok(if wrong == 0 && observed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Imports every log a generated ISP's manifest lists, as `assignments
/// import` would; returns (step, seconds, bytes) per import.
pub fn import_manifest(
    isp: &std::path::Path,
    manifest: &serde_json::Value,
    g: &Global,
    threads: Option<usize>,
) -> Result<Vec<(String, f64, u64)>> {
    let mut rows = Vec::new();
    let empty = Vec::new();
    let imports = manifest["imports"].as_array().unwrap_or(&empty);
    for imp in imports {
        let format = imp["format"].as_str().unwrap_or_default().to_owned();
        let files: Vec<PathBuf> = imp["files"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .filter_map(|f| f.as_str().map(|f| isp.join(f)))
            .collect();
        let bytes = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let t = Instant::now();
        let code = crate::cmd::assignments::import(
            AssignmentsImportArgs {
                format: format.clone(),
                files,
                tz: imp["tz"].as_str().map(str::to_owned),
                year: imp["year"].as_i64().and_then(|y| i16::try_from(y).ok()),
                radius_key: None,
                grace: None,
                rejects: None,
                threads,
            },
            g,
        )?;
        if code != ExitCode::SUCCESS {
            anyhow::bail!("assignments import --format {format} failed");
        }
        rows.push((
            format!("assignments import {format}"),
            t.elapsed().as_secs_f64(),
            bytes,
        ));
    }

    Ok(rows)
}
