//! `[notify]` in kizuki.toml: the policy and the sender, with documented
//! defaults (see `kizuki init`).

use crate::error::NotifyError;
use serde::Deserialize;
use std::path::PathBuf;

/// `[notify]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// The operator's name as notices state it.
    pub operator: String,
    /// The From: address and envelope sender.
    pub from: String,
    /// Where recipients can ask questions (an address, a phone number).
    pub contact: String,
    /// How recipients find the verification page on their own, e.g.
    /// "Support > Notice check on www.isp.example". Never a link.
    pub verify_hint: String,
    /// The operator's name, contact and verification hint per language
    /// (`[notify.text.ja]`), where they differ from the fields above.
    pub text: std::collections::BTreeMap<String, OperatorText>,
    /// The domain in Message-IDs (default: the From: address's domain).
    pub message_id_domain: String,
    /// A directory of templates that replace the built-in ones.
    pub templates: Option<PathBuf>,
    /// The contacts directory, for routed events (`extra.recipient`).
    pub contacts: Option<PathBuf>,
    /// Observations of the same address and malware closer than this are
    /// one line in a notice.
    pub dedupe_window: String,
    /// A recipient whose address is observed this long after their last
    /// notice was sent gets a new one.
    pub renotify_after: String,
    /// Events older than this (by `time.source`) are not notified; empty:
    /// no limit (the default; a coordinator may hand over a list weeks
    /// later).
    pub max_age: String,
    /// Attribution statuses held for review.
    pub hold: Vec<String>,
    /// Notices per recipient per day; 0: no limit.
    pub rate_limit: u32,
    /// The language for a recipient whose language is unknown; empty:
    /// hold such notices for review.
    pub default_language: String,
    /// The escalation ladder.
    pub escalation: Vec<LadderStep>,
    /// Suppressed addresses, networks and recipients.
    pub suppress: Vec<Suppression>,
    /// SMTP; without it, `send` writes into the data directory's Maildir.
    pub smtp: Option<SmtpConfig>,
    /// DKIM signing.
    pub dkim: Option<DkimConfig>,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            operator: "Example ISP".into(),
            from: "abuse@isp.example".into(),
            contact: "abuse@isp.example".into(),
            verify_hint: "find \"notice check\" on our home page".into(),
            text: std::collections::BTreeMap::from([(
                "ja".to_owned(),
                OperatorText {
                    operator: Some("Example ISP".into()),
                    contact: None,
                    verify_hint: Some("当社ホームページの「通知の確認」からお進みください".into()),
                },
            )]),
            message_id_domain: String::new(),
            templates: None,
            contacts: None,
            dedupe_window: "24h".into(),
            renotify_after: "7d".into(),
            max_age: String::new(),
            hold: vec!["shared".into(), "conflict".into()],
            rate_limit: 3,
            default_language: String::new(),
            escalation: vec![
                LadderStep {
                    after: "3d".into(),
                    action: StepAction::Reminder,
                    to: Vec::new(),
                },
                LadderStep {
                    after: "7d".into(),
                    action: StepAction::Escalate,
                    to: Vec::new(),
                },
                LadderStep {
                    after: "14d".into(),
                    action: StepAction::Export,
                    to: Vec::new(),
                },
            ],
            suppress: Vec::new(),
            smtp: None,
            dkim: None,
        }
    }
}

/// The operator's words in one language.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorText {
    /// The operator's name.
    pub operator: Option<String>,
    /// The contact.
    pub contact: Option<String>,
    /// How to find the verification page.
    pub verify_hint: Option<String>,
}

impl NotifyConfig {
    /// (operator, contact, verify hint) for a language.
    pub fn operator_text(&self, language: &str) -> (String, String, String) {
        let t = self.text.get(language).cloned().unwrap_or_default();
        (
            t.operator.unwrap_or_else(|| self.operator.clone()),
            t.contact.unwrap_or_else(|| self.contact.clone()),
            t.verify_hint.unwrap_or_else(|| self.verify_hint.clone()),
        )
    }
}

/// What a ladder step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepAction {
    /// A reminder notice to the recipient.
    Reminder,
    /// A message to the escalation contact (`to`).
    Escalate,
    /// A row in the follow-up list (phone calls, walled garden).
    Export,
}

/// One step of the ladder.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LadderStep {
    /// Days (or any duration) still observed after the first notice was
    /// sent.
    pub after: String,
    /// What happens.
    pub action: StepAction,
    /// For `escalate`: the addresses (default: the From: address).
    #[serde(default)]
    pub to: Vec<String>,
}

/// One suppression.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// An address or CIDR network.
    #[serde(default)]
    pub address: Option<String>,
    /// A recipient id (`subscriber:ID`, `contact:ID`).
    #[serde(default)]
    pub recipient: Option<String>,
    /// Why (recorded with every suppressed event).
    pub reason: String,
    /// Until when (RFC 3339); none: for good.
    #[serde(default)]
    pub until: Option<String>,
}

/// How the connection is secured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    /// Plain SMTP (only for a relay on the same host).
    #[default]
    None,
    /// STARTTLS, required.
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// `[notify.smtp]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The server.
    pub host: String,
    /// Its port (default 25, or 465 with implicit TLS).
    #[serde(default)]
    pub port: Option<u16>,
    /// TLS mode.
    #[serde(default)]
    pub tls: Tls,
    /// A PEM file of extra root certificates (a private CA).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// AUTH user.
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable holding the AUTH password (never the
    /// password itself in the file).
    #[serde(default)]
    pub password_env: Option<String>,
    /// Messages in flight at once.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Seconds before a silent server counts as failed.
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// First retry delay; it doubles with each attempt.
    #[serde(default = "default_backoff")]
    pub backoff: String,
    /// The longest retry delay.
    #[serde(default = "default_backoff_max")]
    pub backoff_max: String,
    /// Attempts before a temporary failure becomes permanent.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn default_concurrency() -> usize {
    4
}
fn default_timeout() -> u64 {
    60
}
fn default_backoff() -> String {
    "1m".into()
}
fn default_backoff_max() -> String {
    "6h".into()
}
fn default_attempts() -> u32 {
    20
}

/// `[notify.dkim]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimConfig {
    /// The signing domain (`d=`).
    pub domain: String,
    /// The selector (`s=`).
    pub selector: String,
    /// The private key: PKCS#1 RSA PEM, or an Ed25519 key as base64.
    pub key_file: PathBuf,
    /// `rsa` or `ed25519`.
    #[serde(default = "default_dkim_algorithm")]
    pub algorithm: String,
}

fn default_dkim_algorithm() -> String {
    "rsa".into()
}

/// Parses `90s`, `15m`, `24h`, `7d` or a number of seconds into seconds.
pub fn seconds(s: &str) -> Result<i64, NotifyError> {
    let t = s.trim();
    let bad = || NotifyError::Config(format!("{s:?} is not a duration (like 90s, 15m, 24h, 7d)"));
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: i64 = num.parse().map_err(|_| bad())?;
    let mul = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(mul).ok_or_else(bad)
}

/// Like [`seconds`], with an empty string meaning none.
pub fn optional_seconds(s: &str) -> Result<Option<i64>, NotifyError> {
    if s.trim().is_empty() {
        Ok(None)
    } else {
        seconds(s).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(seconds("90s").ok(), Some(90));
        assert_eq!(seconds("7d").ok(), Some(604_800));
        assert_eq!(seconds("24h").ok(), Some(86_400));
        assert_eq!(seconds("15").ok(), Some(15));
        assert!(seconds("7 days").is_err());
        assert!(seconds("").is_err());
        assert_eq!(optional_seconds("").ok(), Some(None));
    }

    #[test]
    fn defaults_notify_exact_without_approval_and_hold_the_rest() {
        let c = NotifyConfig::default();
        assert!(c.hold.contains(&"shared".to_owned()));
        assert!(!c.hold.contains(&"exact".to_owned()));
        assert!(c.max_age.is_empty());
        assert_eq!(seconds(&c.renotify_after).ok(), Some(7 * 86_400));
    }
}
