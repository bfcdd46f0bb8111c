//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// kizuki: gets "a machine behind this address talked to a botnet at this
/// time" from whoever saw it to whoever can clean the machine.
#[derive(Debug, Parser)]
#[command(name = "kizuki", version, about, max_term_width = 100)]
pub struct Cli {
    /// Where the store and the indexes live.
    #[arg(long, global = true, env = "KIZUKI_DATA", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// The configuration file (default: kizuki.toml in the working
    /// directory, when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// More log output (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr; no summary, no progress bar.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read feed files into normalized events (IntelMQ JSON lines).
    Ingest(IngestArgs),
    /// Write synthetic data for tests and benchmarks.
    #[command(subcommand)]
    Gen(GenCommand),
    /// Measure a stage and print figures.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Send each event to the contact responsible for it (coordinator).
    Route(RouteArgs),
    /// Write each contact's report file and ready e-mail (coordinator).
    Report(ReportArgs),
    /// Count events by day, recipient, malware, ...; CSV, JSON or a chart.
    Stats(StatsArgs),
    /// Work with a contacts file.
    #[command(subcommand)]
    Contacts(ContactsCommand),
    /// The subscriber directory (ISP).
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Address-assignment logs: RADIUS, DHCP, CGNAT port blocks (ISP).
    #[command(subcommand)]
    Assignments(AssignmentsCommand),
    /// Find the subscriber behind each event (ISP).
    Attribute(AttributeArgs),
    /// Who held an address (and port) at a time, and the records that
    /// prove it.
    WhoisAt(WhoisAtArgs),
    /// Decide and write notices for events, into the outbox.
    Notify(NotifyArgs),
    /// Deliver the outbox: SMTP as configured, else a Maildir in the data
    /// directory.
    Send(SendArgs),
    /// Notices: list, show, explain, verify, review, approve, reject,
    /// assign.
    #[command(subcommand)]
    Notices(NoticesCommand),
    /// Delivery status notifications (bounces).
    #[command(subcommand)]
    Bounces(BouncesCommand),
    /// Run the chain kizuki.toml describes: ingest, route or attribute,
    /// notify, send.
    Run(RunArgs),
    /// Write a commented example kizuki.toml.
    Init {
        /// Where to write it.
        #[arg(long, default_value = "kizuki.toml")]
        out: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Take notices in from files or mailboxes, opening or extending
    /// incidents (enterprise).
    Intake(crate::cli_cases::IntakeArgs),
    /// Find the internal hosts behind a public address at a time, from
    /// flow and NAT logs and the C2 list (enterprise).
    Correlate(crate::cli_cases::CorrelateArgs),
    /// Incidents: list, show, ack, task, host, evidence, close, metrics
    /// (enterprise).
    #[command(subcommand)]
    Cases(crate::cli_cases::CasesCommand),
    /// Rehearse: put a synthetic notice into an intake mailbox, and report
    /// how the case went (enterprise).
    #[command(subcommand)]
    Drill(crate::cli_cases::DrillCommand),
    /// Run the whole chain on built-in sample data.
    Demo(DemoArgs),
}

/// `kizuki run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Decide notices but write and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `kizuki notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Events (JSON lines): attributed by `kizuki attribute`, or routed by
    /// `kizuki route` (`extra.recipient`).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE.jsonl")]
    pub events: Vec<PathBuf>,

    /// Decide and print, but write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The contacts directory for routed events (default: `[notify]
    /// contacts`).
    #[arg(long, value_name = "FILE")]
    pub contacts: Option<PathBuf>,

    /// Decide as if it were this time (RFC 3339); for drills and tests.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// `kizuki send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Keep going until nothing is queued, waiting for retries.
    #[arg(long)]
    pub wait: bool,
}

/// `kizuki notices …`.
#[derive(Debug, Subcommand)]
pub enum NoticesCommand {
    /// Notices, newest first.
    List {
        /// Only this status (held, queued, sent, failed, rejected,
        /// released, bounced).
        #[arg(long)]
        status: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// One notice: its text, events and deliveries.
    Show {
        /// The notice id.
        id: i64,
    },
    /// Why a notice was or was not sent.
    Explain {
        /// The notice id.
        id: i64,
    },
    /// Check a notice code; exits 0 only for a genuine, issued notice.
    Verify {
        /// The code, as typed (case, spaces and dashes do not matter).
        code: String,
    },
    /// Notices held for review.
    Review,
    /// Approve a held notice: notify the chosen candidates.
    Approve {
        /// The held notice.
        id: i64,
        /// Recipient ids to notify (default: the held notice's recipient,
        /// or, with one candidate, that one).
        #[arg(long, value_delimiter = ',')]
        to: Vec<String>,
        /// Why (recorded).
        #[arg(long, default_value = "approved")]
        reason: String,
    },
    /// Reject a held notice: nothing is sent.
    Reject {
        /// The held notice.
        id: i64,
        /// Why (recorded).
        #[arg(long)]
        reason: String,
    },
    /// Assign a held notice to a reviewer.
    Assign {
        /// The held notice.
        id: i64,
        /// Who.
        #[arg(long)]
        to: String,
    },
}

/// `kizuki bounces …`.
#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Read DSN messages (files or Maildirs) and attach each to its notice.
    Import {
        /// Message files or Maildir directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// `kizuki subscribers …`.
#[derive(Debug, Subcommand)]
pub enum SubscribersCommand {
    /// Add or replace subscribers from a CSV file
    /// (`subscriber_id,name,kind,emails,language,timezone,postal_address,keys`).
    Import {
        /// The CSV file (UTF-8 or Shift_JIS).
        file: PathBuf,
    },
}

/// `kizuki assignments …`.
#[derive(Debug, Subcommand)]
pub enum AssignmentsCommand {
    /// Add assignment logs to the index in the data directory.
    Import(AssignmentsImportArgs),
    /// List the index's days, per log kind.
    Status,
}

/// `kizuki assignments import`.
#[derive(Debug, Args)]
pub struct AssignmentsImportArgs {
    /// radius-detail, kea-lease4, kea-lease6, dhcpd-leases, pba-juniper,
    /// pba-a10 or pba-nfware.
    #[arg(long, short)]
    pub format: String,

    /// Log files (gzip is read transparently).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The zone of local times in the logs (default: [attribution.tz] for
    /// the format, else UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// The year of syslog lines that carry none (default: the year of each
    /// file's modification time).
    #[arg(long)]
    pub year: Option<i16>,

    /// The RADIUS attribute naming the subscriber (default: User-Name).
    #[arg(long, value_name = "ATTRIBUTE")]
    pub radius_key: Option<String>,

    /// How long a session with no Stop lasts after its last record, e.g.
    /// 30m (default: one interim interval of that session).
    #[arg(long, value_name = "DURATION")]
    pub grace: Option<String>,

    /// Where lines that could not be read go, with file, line and reason
    /// (default: DATA/attribution/rejects-<time>.jsonl, when there are any).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Threads to read with (default: every core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

/// `kizuki attribute`.
#[derive(Debug, Args)]
pub struct AttributeArgs {
    /// Events (IntelMQ JSON lines, or any feed `ingest` reads).
    #[arg(long, required = true, num_args = 1.., value_name = "IN.jsonl")]
    pub events: Vec<PathBuf>,

    /// Where the attributed events go.
    #[arg(long, short, value_name = "OUT.jsonl")]
    pub out: PathBuf,

    /// Clock tolerance either side of each event, e.g. 60s (default:
    /// [attribution] tolerance, else 0).
    #[arg(long, value_name = "DURATION")]
    pub tolerance: Option<String>,
}

/// `kizuki whois-at`.
#[derive(Debug, Args)]
pub struct WhoisAtArgs {
    /// The address.
    pub address: String,

    /// The source port (optional), then the time: RFC 3339
    /// (`2021-02-22T10:15:23+09:00`), or `YYYY-MM-DD HH:MM:SS` in --tz.
    #[arg(required = true, num_args = 1..=3, value_name = "[PORT] TIME")]
    pub rest: Vec<String>,

    /// The zone of a time given without an offset (default: UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Clock tolerance either side, e.g. 60s (default: [attribution]
    /// tolerance, else 0).
    #[arg(long, value_name = "DURATION")]
    pub tolerance: Option<String>,
}

/// `kizuki route`.
#[derive(Debug, Args)]
pub struct RouteArgs {
    /// Events (IntelMQ JSON lines, or any feed `ingest` reads).
    #[arg(long, required = true, num_args = 1.., value_name = "IN.jsonl")]
    pub events: Vec<PathBuf>,

    /// The contacts file (see examples/contacts.toml).
    #[arg(long, value_name = "FILE")]
    pub contacts: PathBuf,

    /// IP to AS tables: ip2asn TSV, CAIDA pfx2as, or MaxMind DB; consulted
    /// in order. Text tables are compiled once into the data directory.
    #[arg(long = "asn-table", value_name = "FILE")]
    pub asn_tables: Vec<PathBuf>,

    /// Where DIR/<contact-id>.jsonl and DIR/_unrouted.jsonl go.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Replace the feed's AS number, AS name and country with the tables'
    /// (by default only missing ones are filled).
    #[arg(long)]
    pub overwrite_enrichment: bool,

    /// Threads to read with (default: every core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

/// `kizuki report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The directory `kizuki route` wrote.
    #[arg(long, value_name = "DIR")]
    pub routed: PathBuf,

    /// The contacts file.
    #[arg(long, value_name = "FILE")]
    pub contacts: PathBuf,

    /// Attachment format for every contact: csv, intelmq or xarf (default:
    /// each contact's own).
    #[arg(long, value_name = "F")]
    pub format: Option<String>,

    /// Where the reports and messages go.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The sender, `Name <address>` (default: [coordinator] in kizuki.toml).
    #[arg(long, value_name = "MAILBOX")]
    pub from: Option<String>,
}

/// `kizuki stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Events (IntelMQ JSON lines, or any feed `ingest` reads).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub events: Vec<PathBuf>,

    /// Group by: day, recipient, malware, asn, country, feed, type, tld.
    #[arg(long, value_delimiter = ',', default_value = "day")]
    pub by: Vec<String>,

    /// What to count: events, addresses (distinct source.ip) or accounts
    /// (distinct source.account).
    #[arg(long, default_value = "events")]
    pub count: String,

    /// Only events where FIELD=VALUE (`*` at either end matches any text),
    /// e.g. --filter malware.name=emotet --filter source.account=*.jp.
    #[arg(long = "filter", value_name = "FIELD=VALUE")]
    pub filters: Vec<String>,

    /// csv or json.
    #[arg(long, default_value = "csv")]
    pub format: String,

    /// Write here instead of standard output.
    #[arg(long, short)]
    pub out: Option<PathBuf>,

    /// Also draw the counts per day as an SVG chart.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,

    /// The zone days are counted in (default: UTC).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
}

/// `kizuki contacts …`.
#[derive(Debug, Subcommand)]
pub enum ContactsCommand {
    /// Check a contacts file and list overlapping claims.
    Check {
        /// The contacts file.
        file: PathBuf,
    },
}

/// `kizuki ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Input files (gzip and zip are read transparently).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Where accepted events go (`-` for standard output).
    #[arg(long, short, value_name = "OUT.jsonl")]
    pub out: PathBuf,

    /// Where refused rows go, with file, line, reason and the raw row
    /// (default: OUT.rejects.jsonl, written only when a row is refused).
    #[arg(long, value_name = "REJECTS.jsonl")]
    pub rejects: Option<PathBuf>,

    /// The input format: shadowserver, feodo, xarf, intelmq or csv (default:
    /// told from each file's name and content).
    #[arg(long, short, value_name = "F")]
    pub format: Option<String>,

    /// The Shadowserver report type (default: from the file name, e.g.
    /// 2021-02-22-event4_sinkhole-jp-geo.csv).
    #[arg(long, value_name = "T")]
    pub report_type: Option<String>,

    /// Shadowserver's IntelMQ schema (intelmq.json), for all 170 report
    /// types (default: the built-in mapping of the infected-system reports).
    #[arg(long, value_name = "PATH")]
    pub schema: Option<PathBuf>,

    /// A mapping file for the csv format (see examples/mappings/).
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// The zone of times without one, for the csv format (e.g. Asia/Tokyo).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,

    /// Set a field on every event that lacks it, e.g. --set feed.code=jp-npa.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,

    /// time.observation for every event (default: now).
    #[arg(long, value_name = "TIME")]
    pub observation_time: Option<String>,

    /// Threads to read with (default: every core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Leave out extra.origin.file / extra.origin.line, for output that
    /// matches IntelMQ's key for key.
    #[arg(long)]
    pub no_origin: bool,

    /// Accept rows with surplus fields, unclosed quotes and a cut-off last
    /// row, as IntelMQ does.
    #[arg(long)]
    pub lenient_rows: bool,

    /// Put the whole record in raw (IntelMQ keeps only its last line).
    #[arg(long)]
    pub full_raw: bool,

    /// Drop empty convert_date_utc values (IntelMQ makes them today's date).
    #[arg(long)]
    pub drop_empty_dates: bool,

    /// Refuse Shadowserver rows whose required column holds an invalid value
    /// (IntelMQ keeps the row and moves the value to extra).
    #[arg(long)]
    pub strict_required: bool,
}

/// `kizuki gen …`.
#[derive(Debug, Subcommand)]
pub enum GenCommand {
    /// A synthetic feed: Shadowserver sinkhole reports, Feodo Tracker lists
    /// or ip,timestamp lists.
    Feed(GenFeedArgs),
    /// A synthetic ISP: subscriber directory, RADIUS detail files, Kea
    /// leases, CGNAT port-block syslog, a deterministic NAT, and
    /// observations with their true attribution.
    Isp(GenIspArgs),
}

/// `kizuki gen isp`.
#[derive(Debug, Args)]
pub struct GenIspArgs {
    /// Subscribers.
    #[arg(long, default_value_t = 1000)]
    pub subscribers: u32,

    /// Days of logs.
    #[arg(long, default_value_t = 2)]
    pub days: u32,

    /// The share of subscribers behind CGNAT (0 to 1).
    #[arg(long, default_value_t = 0.3)]
    pub cgnat_share: f64,

    /// The seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// The first day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2021-02-22")]
    pub start: String,

    /// Observations to draw (with and without a port, as in 2021).
    #[arg(long, default_value_t = 2000)]
    pub observations: u32,

    /// Where the files go (manifest.json lists them).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

/// `kizuki gen feed`.
#[derive(Debug, Args)]
pub struct GenFeedArgs {
    /// event4_sinkhole, event4_sinkhole_http, event6_sinkhole, feodo,
    /// feodo-json or ip-list.
    #[arg(long = "type", value_name = "T")]
    pub kind: String,

    /// Rows to write.
    #[arg(long, default_value_t = 1000)]
    pub rows: u64,

    /// Random seed; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// The first day, YYYY-MM-DD.
    #[arg(long, default_value = "2021-02-22")]
    pub start: String,

    /// Days the observations span.
    #[arg(long, default_value_t = 1)]
    pub days: u32,

    /// Share of rows about Emotet.
    #[arg(long, default_value_t = 0.2)]
    pub emotet_share: f64,

    /// Share of deliberately broken rows.
    #[arg(long, default_value_t = 0.0)]
    pub bad_share: f64,

    /// Output file (default: standard output). Use --out-dir to get the
    /// file name a reader recognises.
    #[arg(long, short)]
    pub out: Option<PathBuf>,

    /// Write into this directory under the conventional file name.
    #[arg(long, conflicts_with = "out")]
    pub out_dir: Option<PathBuf>,
}

/// `kizuki bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Rows per second of the Shadowserver reader, against the csv crate
    /// alone (and IntelMQ when --intelmq-python is given).
    Ingest(BenchIngestArgs),
    /// Attribution: index build, size and lookups at given sizes, the
    /// join against DuckDB and SQLite, and raw port-block log import.
    Attribution(BenchAttributionArgs),
    /// A generated ISP through subscribers import, assignments import and
    /// attribute, timed, with every answer checked against the ground truth.
    Isp(BenchIspArgs),
    /// Notices decided and rendered per second, and messages delivered per
    /// second to a local SMTP server.
    Notify(BenchNotifyArgs),
    /// Flows matched against the C2 list: 10M nfdump rows, 10k C2 entries.
    Flows(crate::cli_cases::BenchFlowsArgs),
}

/// `kizuki bench attribution`.
#[derive(Debug, Args)]
pub struct BenchAttributionArgs {
    /// Port-block intervals for the join (one per block and hour; 24M is a
    /// day of a 1M-subscriber CGNAT ISP).
    #[arg(long, default_value_t = 24_000_000)]
    pub join_intervals: u64,

    /// Observations to attribute in the join.
    #[arg(long, default_value_t = 1_000_000)]
    pub observations: u32,

    /// Index sizes to measure build, bytes per record and lookups at.
    #[arg(long, value_delimiter = ',', default_value = "10000000,100000000")]
    pub index_sizes: Vec<u64>,

    /// Random lookups timed per index size.
    #[arg(long, default_value_t = 5_000_000)]
    pub lookups: u32,

    /// Raw syslog lines for the import measurement (0: skip).
    #[arg(long, default_value_t = 10_000_000)]
    pub import_lines: u64,

    /// Thread counts to measure with.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    pub threads: Vec<usize>,

    /// Where the generated data goes (default: under the temporary
    /// directory); it is kept for the next run.
    #[arg(long)]
    pub dir: Option<PathBuf>,

    /// Runs per kizuki measurement; the fastest counts.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,

    /// A Python with duckdb installed (bench/setup-duckdb.sh): runs the
    /// same join in DuckDB and SQLite on the same data.
    #[arg(long, value_name = "PYTHON")]
    pub baseline_python: Option<PathBuf>,

    /// Observations SQLite answers (it is slow; the rate is extrapolated).
    #[arg(long, default_value_t = 20_000)]
    pub sqlite_sample: u32,
}

/// `kizuki bench ingest`.
#[derive(Debug, Args)]
pub struct BenchIngestArgs {
    /// Rows per report type.
    #[arg(long, default_value_t = 1_000_000)]
    pub rows: u64,

    /// Report types to measure.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "event4_sinkhole,event4_sinkhole_http"
    )]
    pub types: Vec<String>,

    /// Where the generated inputs are kept between runs (default: a
    /// directory under the system's temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,

    /// Runs per measurement; the fastest counts.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,

    /// Threads for the parallel run (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Reads every row the general way, without the writer compiled for
    /// plain rows (what a feed full of invalid values costs).
    #[arg(long)]
    pub general_path: bool,

    /// A Python with IntelMQ 3.5.0 installed (see bench/README.md): runs
    /// IntelMQ's parser on the same rows for the baseline.
    #[arg(long, value_name = "PYTHON")]
    pub intelmq_python: Option<PathBuf>,

    /// Rows IntelMQ parses (it takes minutes per million).
    #[arg(long, default_value_t = 100_000)]
    pub intelmq_rows: u64,

    /// Shadowserver's schema for IntelMQ.
    #[arg(
        long,
        default_value = "../shared/samples/shadowserver/intelmq-schema.json"
    )]
    pub intelmq_schema: PathBuf,
}

/// `kizuki demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Rows of synthetic sinkhole data, spread over a week.
    #[arg(long, default_value_t = 7000)]
    pub rows: u64,

    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 2021)]
    pub seed: u64,
}

/// `kizuki bench isp`.
#[derive(Debug, Args)]
pub struct BenchIspArgs {
    /// Subscribers in the generated ISP.
    #[arg(long, default_value_t = 1_000_000)]
    pub subscribers: u32,

    /// Days of logs.
    #[arg(long, default_value_t = 1)]
    pub days: u32,

    /// The share of subscribers behind CGNAT (0 to 1).
    #[arg(long, default_value_t = 0.3)]
    pub cgnat_share: f64,

    /// The seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Observations to attribute.
    #[arg(long, default_value_t = 1_000_000)]
    pub observations: u32,

    /// Import threads (default: all cores).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Where the generated ISP is kept between runs (default: under the
    /// temporary directory); the data directory inside it is emptied first.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `kizuki bench notify`.
#[derive(Debug, Args)]
pub struct BenchNotifyArgs {
    /// Events to notify.
    #[arg(long, default_value_t = 100_000)]
    pub events: u64,

    /// Recipients they belong to (default: a quarter of the events).
    #[arg(long)]
    pub recipients: Option<u64>,

    /// Messages to deliver (0: skip delivery).
    #[arg(long, default_value_t = 5_000)]
    pub messages: u64,

    /// The SMTP server, HOST:PORT (default: smtp-sink on a free port).
    #[arg(long, value_name = "HOST:PORT")]
    pub smtp: Option<String>,

    /// Connections at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
}
