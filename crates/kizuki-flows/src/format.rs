//! The registry of flow-log formats: one name per reader, and the one
//! entry point that opens a file and reads it.
//!
//! | spec | log |
//! | --- | --- |
//! | `zeek` | Zeek `conn.log`, TSV or JSON lines |
//! | `nfdump` | nfdump `-o csv` (1.6, 1.7, custom) and `-o csv-fast` |
//! | `srx` | Juniper SRX `RT_FLOW_SESSION_*` syslog |
//! | `fortigate` | FortiGate traffic logs (`key=value`) |
//! | `csv:PATH` | any delimited log, through the mapping file at PATH |

use crate::error::FlowError;
use crate::fortigate::FortiGateReader;
use crate::mapped::{MappedReader, Mapping};
use crate::nfdump::NfdumpReader;
use crate::options::ReadOptions;
use crate::sink::{FlowSink, ReadSummary};
use crate::srx::SrxReader;
use crate::zeek::ZeekReader;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// A flow-log format.
#[derive(Clone, Debug, PartialEq)]
pub enum FlowFormat {
    /// Zeek `conn.log` (TSV or JSON).
    Zeek,
    /// nfdump CSV.
    Nfdump,
    /// Juniper SRX session syslog.
    Srx,
    /// FortiGate traffic logs.
    FortiGate,
    /// A delimited log read through a mapping.
    Mapped(Box<Mapping>),
}

impl FlowFormat {
    /// The names [`FlowFormat::from_spec`] takes (besides `csv:PATH`).
    pub const NAMES: [&'static str; 4] = ["zeek", "nfdump", "srx", "fortigate"];

    /// Parses a format name: `zeek`, `nfdump`, `srx`, `fortigate`, or
    /// `csv:PATH` for a mapping file.
    pub fn from_spec(spec: &str) -> Result<FlowFormat, FlowError> {
        if let Some(path) = spec.strip_prefix("csv:") {
            return Ok(FlowFormat::Mapped(Box::new(Mapping::from_path(
                Path::new(path),
            )?)));
        }
        match spec.to_ascii_lowercase().as_str() {
            "zeek" | "zeek-tsv" | "zeek-json" | "conn" => Ok(FlowFormat::Zeek),
            "nfdump" | "nfdump-csv" => Ok(FlowFormat::Nfdump),
            "srx" | "juniper-srx" | "junos" => Ok(FlowFormat::Srx),
            "fortigate" | "fortinet" => Ok(FlowFormat::FortiGate),
            other => Err(FlowError::Config(format!(
                "unknown flow format {other:?}: use one of {} or csv:MAPPING.toml",
                FlowFormat::NAMES.join(", ")
            ))),
        }
    }

    /// The format's name.
    pub fn name(&self) -> String {
        match self {
            FlowFormat::Zeek => "zeek".into(),
            FlowFormat::Nfdump => "nfdump".into(),
            FlowFormat::Srx => "srx".into(),
            FlowFormat::FortiGate => "fortigate".into(),
            FlowFormat::Mapped(m) => format!("csv:{}", m.name),
        }
    }

    /// Reads a log into `sink`, in order.
    pub fn read(
        &self,
        input: impl Read,
        file: &Arc<str>,
        opts: &ReadOptions,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        match self {
            FlowFormat::Zeek => ZeekReader::new(opts.clone()).read(input, file, sink),
            FlowFormat::Nfdump => NfdumpReader::new(opts.clone()).read(input, file, sink),
            FlowFormat::Srx => SrxReader::new(opts.clone()).read(input, file, sink),
            FlowFormat::FortiGate => FortiGateReader::new(opts.clone()).read(input, file, sink),
            FlowFormat::Mapped(m) => {
                MappedReader::new((**m).clone(), opts.clone())?.read(input, file, sink)
            }
        }
    }

    /// Opens a file (`.gz` is decompressed) and reads it; flows and rejects
    /// name the file by its path as given.
    pub fn read_path(
        &self,
        path: &Path,
        opts: &ReadOptions,
        sink: &mut dyn FlowSink,
    ) -> Result<ReadSummary, FlowError> {
        let name: Arc<str> = path.display().to_string().into();
        self.read(open(path)?, &name, opts, sink)
    }
}

/// Opens a log file, decompressing `.gz`.
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, FlowError> {
    let f = std::fs::File::open(path).map_err(|e| FlowError::io(path, e))?;
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(
            std::io::BufReader::new(f),
        )))
    } else {
        Ok(Box::new(f))
    }
}
