//! `kizuki.toml`: settings shared by the subcommands. Command-line flags win
//! over the file, the file over the defaults. `examples/kizuki.toml` shows
//! every key.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the store and the indexes live. By default, `./kizuki-data`.
    pub data_dir: Option<PathBuf>,
    /// Settings of `kizuki ingest`.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Who the coordinator is, for its reports.
    #[serde(default)]
    pub coordinator: CoordinatorConfig,
    /// Where the store is.
    #[serde(default)]
    pub store: StoreConfig,
    /// Settings of the ISP's attribution.
    #[serde(default)]
    pub attribution: AttributionConfig,
    /// Notices: policy, sender, SMTP.
    #[serde(default)]
    pub notify: kizuki_notify::NotifyConfig,
    /// What `kizuki run` does.
    #[serde(default)]
    pub run: RunConfig,
    /// The enterprise side: intake mailboxes, correlation, cases.
    #[serde(default)]
    pub cases: CasesConfig,
}

/// `[cases]`: the enterprise CSIRT's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesConfig {
    /// The language of task titles, `ja` or `en`. By default, `ja`.
    pub language: Option<String>,
    /// The zone of the company's hosts and logs (EmoCheck and many logs
    /// write local time). By default, UTC.
    pub tz: Option<String>,
    /// A notice joins an open incident about the same address when its
    /// time is this close to the incident's (`7d`). By default, 7 days.
    pub group_window: Option<String>,
    /// Who owns new tasks. By default, nobody.
    pub default_owner: Option<String>,
    /// A directory of playbooks (`<malware>.toml`) replacing the built-in
    /// ones. By default, none.
    pub playbooks: Option<PathBuf>,
    /// The playbook for malware without one of its own. By default,
    /// `emotet`.
    pub fallback_playbook: Option<String>,
    /// The company's public addresses (drills name the first by default).
    #[serde(default)]
    pub public_addresses: Vec<String>,
    /// Intake mailboxes: any mailbox a notice may arrive at.
    #[serde(default)]
    pub mailbox: Vec<MailboxConfig>,
    /// Logs and lists the correlation reads.
    #[serde(default)]
    pub correlate: CorrelateConfig,
}

/// `[[cases.mailbox]]`: a Maildir or an IMAP mailbox.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxConfig {
    /// The name `intake --mailbox` and `drill start --mailbox` use.
    pub name: String,
    /// A Maildir directory.
    pub maildir: Option<PathBuf>,
    /// An IMAP mailbox.
    pub imap: Option<kizuki_mailbox::ImapConfig>,
}

/// `[cases.correlate]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelateConfig {
    /// Flow and NAT logs, as `FORMAT:FILE` (see `kizuki correlate --flows`).
    #[serde(default)]
    pub flows: Vec<String>,
    /// Named CSV mappings for NAT and firewall logs (`fw =
    /// "fw-mapping.toml"`), used as `--flows fw:FILE`.
    #[serde(default)]
    pub mappings: BTreeMap<String, PathBuf>,
    /// The C2 list (Feodo Tracker CSV or JSON).
    pub c2: Option<PathBuf>,
    /// The asset inventory CSV.
    pub assets: Option<PathBuf>,
    /// How far either side of the reported time to look (`30m`). By
    /// default, 30 minutes.
    pub window: Option<String>,
    /// Correlate each new incident at intake and tie the best candidate
    /// to it. By default, true when flows and a C2 list are configured.
    pub on_intake: Option<bool>,
}

/// `[run]`: the chain `kizuki run` performs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Feed files to ingest, each with its format.
    #[serde(default)]
    pub input: Vec<RunInput>,
    /// Route with this contacts directory (a coordinator).
    pub contacts: Option<PathBuf>,
    /// IP → ASN tables for routing.
    #[serde(default)]
    pub asn_tables: Vec<PathBuf>,
    /// Attribute against the assignment index (an ISP).
    #[serde(default)]
    pub attribute: bool,
    /// Deliver the notices at the end (default true).
    pub send: Option<bool>,
}

/// `[[run.input]]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// Files (no glob expansion: list them, or a directory for all its
    /// files).
    pub files: Vec<PathBuf>,
    /// The format, as `ingest --format` takes it (default: detected).
    pub format: Option<String>,
    /// The zone of times without one.
    pub tz: Option<String>,
}

/// `[store]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgres://user:password@host/db`. By default, SQLite in the data
    /// directory (`kizuki.db`).
    pub url: Option<String>,
}

/// `[attribution]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionConfig {
    /// The zone of each log format's local times, by format name
    /// (`radius-detail = "Asia/Tokyo"`); `--tz` wins. By default, UTC.
    #[serde(default)]
    pub tz: BTreeMap<String, String>,
    /// The clock tolerance (`60s`, `2m`); `--tolerance` wins. By default, 0.
    pub tolerance: Option<String>,
    /// How long a session with no Stop lasts after its last record
    /// (`30m`). By default, one interim interval of that session.
    pub grace: Option<String>,
    /// The RADIUS attribute naming the subscriber. By default, User-Name.
    pub radius_key: Option<String>,
    /// Deterministic NATs (RFC 7422).
    #[serde(default)]
    pub deterministic_nat: Vec<kizuki_attribution::DetNatConfig>,
}

/// `[coordinator]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoordinatorConfig {
    /// The sender's name, e.g. "Example CERT".
    pub name: Option<String>,
    /// The sender's address.
    pub email: Option<String>,
    /// The organisation named in reports. By default, the name.
    pub org: Option<String>,
}

/// `[ingest]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Shadowserver's schema file. By default, the built-in mapping.
    pub schema: Option<PathBuf>,
    /// Threads to read with. By default, every core.
    pub threads: Option<usize>,
    /// Fields set on every event that lacks them (`"feed.code" = "jp"`).
    #[serde(default)]
    pub set: BTreeMap<String, String>,
}

impl Config {
    /// Loads the file given, or `kizuki.toml` in the working directory when
    /// it exists, or the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let (path, must_exist) = match path {
            Some(p) => (p.to_owned(), true),
            None => (PathBuf::from("kizuki.toml"), false),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                return Ok(Config::default());
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot read the configuration {}", path.display()));
            }
        };
        toml::from_str(&text)
            .with_context(|| format!("{} is not a valid kizuki configuration", path.display()))
    }
}
