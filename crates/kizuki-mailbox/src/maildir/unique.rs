//! Unique names for delivered messages.
//!
//! The shape is the one qmail's and Dovecot's deliveries use today,
//! `SECONDS.M<micros>P<pid>Q<counter>.HOST`: the time, then what makes the
//! name unique on this host at that time (process id and a per-process
//! counter, plus the microseconds against pid reuse), then the host name so
//! that hosts sharing a Maildir over NFS do not collide.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh unique name for a message in this Maildir.
pub(crate) fn unique_name() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{}.M{}P{}Q{}.{}",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        counter,
        host()
    )
}

/// The host name, made safe for a Maildir file name.
fn host() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        let raw = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .unwrap_or_default();
        safe_host(raw.trim())
    })
}

/// Maildir's escapes for the two characters a file name must not carry
/// (`/` and the info separator `:`), as octal; empty becomes `localhost`.
fn safe_host(raw: &str) -> String {
    if raw.is_empty() {
        return "localhost".to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '/' => out.push_str("\\057"),
            ':' => out.push_str("\\072"),
            c if c.is_control() || c.is_whitespace() => out.push('_'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_well_formed() {
        let a = unique_name();
        let b = unique_name();
        assert_ne!(a, b);
        for n in [&a, &b] {
            assert!(!n.contains('/') && !n.contains(':'), "{n}");
            let parts: Vec<&str> = n.splitn(3, '.').collect();
            assert!(parts[0].parse::<u64>().is_ok(), "{n}");
            assert!(parts[1].starts_with('M') && parts[1].contains('P'), "{n}");
            assert!(
                parts[1].contains(&format!("P{}Q", std::process::id())),
                "{n}"
            );
        }
    }

    #[test]
    fn host_names_are_escaped() {
        assert_eq!(safe_host("a/b:c"), "a\\057b\\072c");
        assert_eq!(safe_host(""), "localhost");
        assert_eq!(safe_host("mx 1"), "mx_1");
        assert_eq!(safe_host("mail.example.jp"), "mail.example.jp");
    }
}
