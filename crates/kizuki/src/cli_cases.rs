//! Command-line arguments of the enterprise side: intake, correlate, cases,
//! drills.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// `kizuki intake`.
#[derive(Debug, Args)]
pub struct IntakeArgs {
    /// Messages to take in (`.eml` files; `-` reads one message from
    /// standard input).
    #[arg(value_name = "FILE.eml")]
    pub files: Vec<PathBuf>,

    /// Take in the new mail of this Maildir (new/ only; each message is
    /// moved to cur/ once it is safely stored).
    #[arg(long, value_name = "DIR")]
    pub maildir: Vec<PathBuf>,

    /// Take in the new mail of the intake mailboxes named in
    /// `[[cases.mailbox]]` (`all` for every one).
    #[arg(long, value_name = "NAME")]
    pub mailbox: Vec<String>,

    /// Do not run the configured correlation on new incidents.
    #[arg(long)]
    pub no_correlate: bool,

    /// List the messages taken in instead (newest first).
    #[arg(long, conflicts_with_all = ["files", "maildir", "mailbox"])]
    pub list: bool,

    /// With --list: only the messages that could not be read.
    #[arg(long, requires = "list")]
    pub unparsed: bool,

    /// Print one JSON object per message.
    #[arg(long)]
    pub json: bool,
}

/// `kizuki correlate`.
#[derive(Debug, Args)]
pub struct CorrelateArgs {
    /// The public address the notice names (default with --incident: the
    /// incident's).
    #[arg(long, value_name = "ADDRESS")]
    pub ip: Option<String>,

    /// The contact time the notice names (RFC 3339, or local time in
    /// --tz).
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,

    /// How far either side of the time to look.
    #[arg(long, default_value = "30m")]
    pub window: String,

    /// Flow and NAT logs, as FORMAT:FILE: FORMAT is zeek, nfdump, srx,
    /// fortigate, a mapping named in `[cases.correlate.mappings]`, or
    /// `csv:MAPPING.toml:FILE` for a mapping file. Default:
    /// `[cases.correlate] flows`.
    #[arg(long, value_name = "FORMAT:FILE", num_args = 1..)]
    pub flows: Vec<String>,

    /// The C2 list (Feodo Tracker CSV or JSON). Default: `[cases.correlate]
    /// c2`.
    #[arg(long, value_name = "FILE")]
    pub c2: Option<PathBuf>,

    /// The asset inventory CSV. Default: `[cases.correlate] assets`.
    #[arg(long, value_name = "FILE")]
    pub assets: Option<PathBuf>,

    /// Only C2 servers of this malware family.
    #[arg(long)]
    pub malware: Option<String>,

    /// The zone of log times written without one (default: `[cases] tz`,
    /// else UTC).
    #[arg(long)]
    pub tz: Option<String>,

    /// Take the address, time and malware from this incident.
    #[arg(long, value_name = "ID")]
    pub incident: Option<i64>,

    /// With --incident: tie the best candidate to the incident as the
    /// infected host.
    #[arg(long, requires = "incident")]
    pub attach: bool,
}

/// `kizuki cases`.
#[derive(Debug, Subcommand)]
pub enum CasesCommand {
    /// Incidents, oldest first.
    List {
        /// One JSON object per incident.
        #[arg(long)]
        json: bool,
        /// Closed incidents too.
        #[arg(long)]
        all: bool,
    },
    /// One incident with its notices, hosts, tasks, evidence and timeline.
    Show {
        /// The incident.
        id: i64,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record that you have taken the incident up.
    Ack {
        /// The incident.
        id: i64,
        /// A note.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Change a task: state, owner, due time.
    Task {
        /// The incident.
        id: i64,
        /// The task: its id or its playbook key.
        task: String,
        /// open, in_progress, blocked, done or skipped.
        #[arg(long)]
        state: Option<String>,
        /// Who owns it.
        #[arg(long)]
        owner: Option<String>,
        /// When it is due (RFC 3339, or a duration from now like 4h).
        #[arg(long)]
        due: Option<String>,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Tie an internal host to the incident.
    Host(HostArgs),
    /// Add evidence: EmoCheck reports (JSON or text).
    Evidence {
        /// The incident.
        id: i64,
        /// Report files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The host the reports are about (address or name; default: the
        /// host name in the report).
        #[arg(long)]
        host: Option<String>,
        /// The host's time zone (EmoCheck writes local time). Default:
        /// `[cases] tz`, else UTC.
        #[arg(long)]
        tz: Option<String>,
    },
    /// Close an incident.
    Close {
        /// The incident.
        id: i64,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Time to acknowledge, identify and contain: per incident and over
    /// time (drills left out).
    Metrics {
        /// day, week or month.
        #[arg(long, default_value = "week")]
        period: String,
        /// Measure drills instead of real incidents.
        #[arg(long)]
        drills: bool,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `kizuki cases host`.
#[derive(Debug, Args)]
pub struct HostArgs {
    /// The incident.
    pub id: i64,
    /// Internal address.
    #[arg(long)]
    pub ip: Option<String>,
    /// Host name.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Look the host up in this asset inventory (default: `[cases.correlate]
    /// assets`).
    #[arg(long)]
    pub assets: Option<PathBuf>,
    /// Another host checked because it shares the network, not the
    /// infected one.
    #[arg(long)]
    pub other: bool,
}

/// `kizuki drill`.
#[derive(Debug, Subcommand)]
pub enum DrillCommand {
    /// Put a realistic ISP notice into an intake mailbox.
    Start(Box<DrillStartArgs>),
    /// How drills went: measured times and missed steps.
    Report {
        /// The drill (default: every drill).
        id: Option<i64>,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `kizuki drill start`.
#[derive(Debug, Args)]
pub struct DrillStartArgs {
    /// The intake mailbox named in `[[cases.mailbox]]` (Maildir or IMAP).
    #[arg(long, conflicts_with = "maildir")]
    pub mailbox: Option<String>,
    /// Or a Maildir directly.
    #[arg(long)]
    pub maildir: Option<PathBuf>,
    /// The public address the notice names (default: the first of
    /// `[cases] public_addresses`).
    #[arg(long)]
    pub address: Option<String>,
    /// The contact time (RFC 3339; default: an hour ago).
    #[arg(long)]
    pub time: Option<String>,
    /// Malware family.
    #[arg(long, default_value = "emotet")]
    pub malware: String,
    /// ja or en.
    #[arg(long, default_value = "ja")]
    pub lang: String,
    /// iso-2022-jp, shift_jis or utf-8.
    #[arg(long, default_value = "iso-2022-jp")]
    pub charset: String,
    /// The ISP the notice pretends to come from.
    #[arg(long, default_value = "Example ISP")]
    pub isp: String,
    /// The ISP's address.
    #[arg(long, default_value = "abuse@isp.example.jp")]
    pub from: String,
    /// Who it is addressed to.
    #[arg(long, default_value = "soumu@company.example.jp")]
    pub to: String,
    /// A note kept with the drill.
    #[arg(long, default_value = "")]
    pub note: String,
}

/// `kizuki bench flows`.
#[derive(Debug, Args)]
pub struct BenchFlowsArgs {
    /// nfdump rows.
    #[arg(long, default_value_t = 10_000_000)]
    pub rows: u64,
    /// C2 entries.
    #[arg(long, default_value_t = 10_000)]
    pub c2: u32,
    /// Where the generated data is kept between runs (default: under the
    /// temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Thread counts to measure with.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,
    /// A Python with duckdb installed: runs the same join for the baseline.
    #[arg(long, value_name = "PYTHON")]
    pub baseline_python: Option<PathBuf>,
}
