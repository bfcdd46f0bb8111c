//! One module per subcommand; each parses nothing and prints only what the
//! user asked for.

pub mod assignments;
pub mod attribute;
pub mod bench;
pub mod bench_attribution;
pub mod bench_isp;
pub mod bench_notify;
pub mod demo;
pub mod ingest;
pub mod notices;
pub mod notify;
pub mod report;
pub mod route;
pub mod run;
pub mod stats;
pub mod subscribers;
pub mod synth;

use crate::Global;
use anyhow::{Context, Result, bail};

/// A runtime for the store's async calls.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Opens the store: `[store] url`, else SQLite in the data directory.
pub async fn open_store(g: &Global) -> Result<kizuki_store::Store> {
    Ok(match &g.config.store.url {
        Some(url) => kizuki_store::Store::open(url).await?,
        None => kizuki_store::Store::open_dir(&g.data_dir).await?,
    })
}

/// Who is acting, for the audit log: `KIZUKI_ACTOR`, else the login name.
pub fn actor() -> String {
    std::env::var("KIZUKI_ACTOR")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

/// Seconds in `90`, `90s`, `15m`, `2h` or `1d`.
pub fn parse_duration(s: &str) -> Result<i64> {
    let t = s.trim();
    let (num, unit) = t
        .find(|c: char| !c.is_ascii_digit())
        .map_or((t, ""), |i| t.split_at(i));
    let n: i64 = num
        .parse()
        .with_context(|| format!("{s:?} is not a duration (e.g. 60s, 15m, 2h)"))?;
    let mult = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        other => bail!("{s:?}: unknown unit {other:?} (s, m, h or d)"),
    };
    Ok(n * mult)
}

/// A zone by IANA name.
pub fn zone(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name).with_context(|| format!("{name:?} is not a known time zone"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60").unwrap(), 60);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("15m").unwrap(), 900);
        assert_eq!(parse_duration("2h").unwrap(), 7200);
        assert!(parse_duration("2w").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
