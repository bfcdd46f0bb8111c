//! The `kizuki` command: one binary, one subcommand per stage.

mod cli;
mod cli_cases;
mod cmd;
mod config;
mod output;

use clap::Parser;

// Readers allocate small strings per row; mimalloc makes that cheap.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::PathBuf;
use std::process::ExitCode;

/// Settings every subcommand sees.
pub struct Global {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The configuration file's contents.
    pub config: config::Config,
    /// `--quiet`.
    pub quiet: bool,
}

/// Output cut short by the reader (`kizuki … | head`) ends the program
/// quietly, as it does for other Unix tools, instead of a panic in
/// `println!`.
#[cfg(unix)]
fn quiet_broken_pipes() {
    // SAFETY: called once at start, before any thread exists; restoring
    // the default action of a signal touches no Rust state.
    #[allow(unsafe_code)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn quiet_broken_pipes() {}

/// mimalloc returns freed memory to the system a while after it is freed
/// (1 s in the bundled version). kizuki frees and allocates large buffers
/// in bursts (a file's records, a day's records, an index), and getting
/// the memory back costs the kernel a fresh zeroed page each time, which
/// doubled the time of an import. The commands are short-lived, so freed
/// memory is kept for reuse until the process ends.
fn tune_allocator() {
    // The option's number is not exported; it comes just before
    // use_numa_nodes (checked in the tests below).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = libmimalloc_sys::mi_option_use_numa_nodes - 1;
    // SAFETY: setting an option is allowed at any time and takes no
    // pointers.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
    }
}

fn main() -> ExitCode {
    quiet_broken_pipes();
    tune_allocator();
    let cli = cli::Cli::parse();
    let level = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KIZUKI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: cli::Cli) -> anyhow::Result<ExitCode> {
    let config = config::Config::load(cli.config.as_deref())?;
    let data_dir = cli
        .data_dir
        .clone()
        .or_else(|| config.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("kizuki-data"));
    let g = Global {
        data_dir,
        config,
        quiet: cli.quiet,
    };
    match cli.command {
        cli::Command::Ingest(a) => cmd::ingest::run(a, &g),
        cli::Command::Gen(cli::GenCommand::Feed(a)) => {
            cmd::synth::feed(a, &g).map(|()| ExitCode::SUCCESS)
        }
        cli::Command::Gen(cli::GenCommand::Isp(a)) => {
            cmd::synth::isp(a, &g).map(|()| ExitCode::SUCCESS)
        }
        cli::Command::Bench(cli::BenchCommand::Ingest(a)) => {
            cmd::bench::ingest(a).map(|()| ExitCode::SUCCESS)
        }
        cli::Command::Bench(cli::BenchCommand::Attribution(a)) => {
            cmd::bench_attribution::run(a).map(|()| ExitCode::SUCCESS)
        }
        cli::Command::Bench(cli::BenchCommand::Isp(a)) => cmd::bench_isp::run(a, g.quiet),
        cli::Command::Bench(cli::BenchCommand::Notify(a)) => {
            cmd::bench_notify::run(a).map(|()| ExitCode::SUCCESS)
        }
        cli::Command::Route(a) => cmd::route::run(a, &g),
        cli::Command::Report(a) => cmd::report::run(a, &g),
        cli::Command::Stats(a) => cmd::stats::run(a).map(|()| ExitCode::SUCCESS),
        cli::Command::Contacts(cli::ContactsCommand::Check { file }) => {
            cmd::route::check_contacts(&file)
        }
        cli::Command::Subscribers(cli::SubscribersCommand::Import { file }) => {
            cmd::subscribers::import(&file, &g)
        }
        cli::Command::Assignments(cli::AssignmentsCommand::Import(a)) => {
            cmd::assignments::import(a, &g)
        }
        cli::Command::Assignments(cli::AssignmentsCommand::Status) => cmd::assignments::status(&g),
        cli::Command::Attribute(a) => cmd::attribute::run(a, &g),
        cli::Command::WhoisAt(a) => cmd::attribute::whois_at(a, &g),
        cli::Command::Notify(a) => cmd::notify::notify(a, &g),
        cli::Command::Send(a) => cmd::notify::send(a, &g),
        cli::Command::Notices(c) => cmd::notices::run(c, &g),
        cli::Command::Bounces(cli::BouncesCommand::Import { paths }) => {
            cmd::notify::bounces_import(&paths, &g)
        }
        cli::Command::Run(a) => cmd::run::run(a, &g),
        cli::Command::Init { out, force } => cmd::run::init(&out, force),
        cli::Command::Intake(a) => cmd::intake::run(a, &g),
        cli::Command::Correlate(a) => cmd::correlate::run(a, &g),
        cli::Command::Cases(c) => cmd::cases::run(c, &g),
        cli::Command::Drill(c) => cmd::drill::run(c, &g),
        cli::Command::Bench(cli::BenchCommand::Flows(a)) => {
            cmd::bench_flows::run(a).map(|()| ExitCode::SUCCESS)
        }
        cli::Command::Demo(a) => cmd::demo::run(a, &g).map(|()| ExitCode::SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_where_we_set_it() {
        // The bundled mimalloc's purge delay defaults to 1000 ms (its
        // options.c): reading the option before use_numa_nodes gives that,
        // so the number is right.
        #[allow(unsafe_code)]
        let v = unsafe {
            libmimalloc_sys::mi_option_get(libmimalloc_sys::mi_option_use_numa_nodes - 1)
        };
        assert_eq!(v, 1000);
    }
}
