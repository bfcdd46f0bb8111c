//! Runs the flows benchmark and prints its report as JSON.
//!
//! ```text
//! cargo run --release -p kizuki-flows --example bench_flows -- [ROWS] [DIR]
//! ```
//!
//! ROWS defaults to 10,000,000; DIR to `$TMPDIR/kizuki-bench-flows`.

use kizuki_flows::bench::{BenchConfig, bench};

fn main() {
    let mut args = std::env::args().skip(1);
    let mut cfg = BenchConfig::default();
    if let Some(rows) = args.next() {
        match rows.replace('_', "").parse() {
            Ok(n) => cfg.rows = n,
            Err(_) => {
                eprintln!("usage: bench_flows [ROWS] [DIR]");
                std::process::exit(2);
            }
        }
    }
    if let Some(dir) = args.next() {
        cfg.dir = dir.into();
    }
    match bench(&cfg) {
        Ok(report) => {
            for r in &report.runs {
                eprintln!(
                    "{} thread(s): {:.3} s, {:.2} M flows/s, {:.0} MB/s, {} matches",
                    r.threads,
                    r.seconds,
                    r.flows_per_sec / 1e6,
                    r.mb_per_sec,
                    r.stats.matches
                );
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            if !report.correct {
                eprintln!("match counts differ from the ground truth");
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("bench: {e}");
            std::process::exit(1);
        }
    }
}
