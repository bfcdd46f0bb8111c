//! One module per subcommand; each parses nothing and prints only what the
//! user asked for.

pub mod bench;
pub mod demo;
pub mod ingest;
pub mod report;
pub mod route;
pub mod stats;
pub mod synth;
