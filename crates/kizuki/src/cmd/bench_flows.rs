//! `kizuki bench flows`: flows matched against the C2 list per second, on
//! generated nfdump rows, with DuckDB's join on the same files as the
//! baseline.

use crate::cli_cases::BenchFlowsArgs;
use crate::output::thousands;
use anyhow::{Context, Result};
use kizuki_flows::bench::{BenchConfig, bench, files};

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
        let (flows, feodo) = files(&c.dir);
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../bench/flows/duckdb_baseline.py");
        let out = std::process::Command::new(py)
            .arg(&script)
            .arg(&flows)
            .arg(&feodo)
            .output()
            .with_context(|| format!("cannot run {}", py.display()))?;
        if !out.status.success() {
            anyhow::bail!(
                "the DuckDB baseline failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            println!("  duckdb: {line}");
        }
    }
    Ok(())
}
