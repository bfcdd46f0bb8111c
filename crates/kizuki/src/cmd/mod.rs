//! One module per subcommand; each parses nothing and prints only what the
//! user asked for.

pub mod assignments;
pub mod attribute;
pub mod bench;
pub mod bench_attribution;
pub mod bench_flows;
pub mod bench_isp;
pub mod bench_notify;
pub mod cases;
pub mod correlate;
pub mod demo;
pub mod demo_company;
pub mod drill;
pub mod ingest;
pub mod intake;
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

/// The time now, in microseconds: `KIZUKI_NOW` (RFC 3339) when set, so
/// that tests and rehearsals can replay a case's clock; else the clock.
pub fn now() -> Result<i64> {
    match std::env::var("KIZUKI_NOW") {
        Ok(s) if !s.is_empty() => Ok(s
            .parse::<jiff::Timestamp>()
            .with_context(|| format!("KIZUKI_NOW {s:?}: expected an RFC 3339 time"))?
            .as_microsecond()),
        _ => Ok(kizuki_store::now_micros()),
    }
}

/// A time given on the command line: RFC 3339 with an offset, or a local
/// `YYYY-MM-DD HH:MM[:SS]` (or with `T`) read in `tz`.
pub fn parse_time(s: &str, tz: &jiff::tz::TimeZone) -> Result<i64> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t.as_microsecond());
    }
    let civil: jiff::civil::DateTime = s
        .trim()
        .replace(' ', "T")
        .parse()
        .with_context(|| format!("{s:?} is not a time (RFC 3339, or YYYY-MM-DD HH:MM:SS)"))?;
    Ok(civil
        .to_zoned(tz.clone())
        .with_context(|| format!("{s:?} does not exist in that zone"))?
        .timestamp()
        .as_microsecond())
}

/// Microseconds as RFC 3339 in UTC (`2021-02-22T01:15:23Z`).
pub fn rfc3339(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| us.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;

    #[test]
    fn times_on_the_command_line() {
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        let a = super::parse_time("2021-02-22 10:15:23", &tokyo).unwrap();
        let b = super::parse_time("2021-02-22T01:15:23Z", &tokyo).unwrap();
        assert_eq!(a, b);
        assert_eq!(super::rfc3339(a), "2021-02-22T01:15:23Z");
        assert!(super::parse_time("yesterday", &tokyo).is_err());
    }

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
