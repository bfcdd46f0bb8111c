//! `kizuki bench flows`: flows matched against the C2 list per second, on
//! generated nfdump rows, with DuckDB's join on the same files as the
//! baseline.

use crate::cli_cases::BenchFlowsArgs;
use crate::output::thousands;
use anyhow::{Context, Result};
use kizuki_flows::bench::{BenchConfig, bench};

/// Runs the benchmark and prints its figures.
pub fn run(a: BenchFlowsArgs) -> Result<()> {
    let c = BenchConfig {
        dir: a
            .dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("kizuki-bench-flows")),
        rows: a.rows,
        c2_entries: a.c2,
        threads: a.threads.clone(),
        ..BenchConfig::default()
    };
    println!(
        "bench flows: {} nfdump rows against {} C2 entries (data in {})",
        thousands(a.rows),
        thousands(u64::from(a.c2)),
        c.dir.display()
    );
    let r = bench(&c).context("the flow benchmark failed")?;
    if r.generate_seconds > 0.0 {
        println!("  generated the data in {:.1} s", r.generate_seconds);
    }
    for run in &r.runs {
        println!(
            "  kizuki, {} thread(s): {:.2} s, {} flows/s ({:.0} MB/s), {} matches",
            run.threads,
            run.seconds,
            thousands(run.flows_per_sec as u64),
            run.mb_per_sec,
            thousands(run.stats.matches)
        );
    }
    println!(
        "  matches agree with the generator's ground truth ({}): {}",
        thousands(r.data.expected_matches),
        if r.correct { "yes" } else { "NO" }
    );
    if let Some(py) = &a.baseline_python {
        let threads: Vec<String> = a.threads.iter().map(usize::to_string).collect();
        let threads = threads.join(",");
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../bench/flows/duckdb_baseline.py");
        let out = std::process::Command::new(py)
            .arg(&script)
            .arg("--dir")
            .arg(&c.dir)
            .arg("--threads")
            .arg(threads)
            .output()
            .with_context(|| format!("cannot run {}", py.display()))?;
        if !out.status.success() {
            anyhow::bail!(
                "the DuckDB baseline failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            for line in text.lines() {
                println!("  duckdb: {line}");
            }
            return Ok(());
        };
        let version = v["duckdb_version"].as_str().unwrap_or("?");
        for (mode, what) in [
            ("csv", "reads the CSV and joins"),
            ("table", "joins a loaded table"),
        ] {
            let Some(runs) = v[mode].as_object() else {
                continue;
            };
            for (threads, r) in runs {
                let load = r["load_seconds"]
                    .as_f64()
                    .map(|l| format!(" (after loading it in {l:.1} s)"))
                    .unwrap_or_default();
                println!(
                    "  DuckDB {version} {what}, {threads} thread(s): {:.2} s, {} rows/s, {} matches{load}",
                    r["seconds"].as_f64().unwrap_or(0.0),
                    thousands(r["rows_per_sec"].as_f64().unwrap_or(0.0) as u64),
                    r["matches"]
                );
            }
        }
    }
    Ok(())
}
