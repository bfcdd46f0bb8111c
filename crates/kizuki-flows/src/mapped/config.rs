//! The mapping file.
//!
//! ```toml
//! name = "natlog"            # shown as the layout
//! delimiter = ","            # one character; by default ","
//! header = true              # the first row names the columns; by default true
//! comment = "#"              # lines starting with it are skipped; by default none
//! time_format = "%Y/%m/%d %H:%M:%S"   # or "epoch", "epoch_ms", "iso8601"
//! time_zone = "Asia/Tokyo"   # for times without an offset; by default UTC
//! duration_unit = "s"        # "s" or "ms"; by default "s"
//!
//! [columns]                  # header names, or 1-based numbers without a header
//! start = "Start Time"
//! duration = "Elapsed"
//! src = "Source"
//! sport = "Source Port"
//! dst = "Destination"
//! dport = "Destination Port"
//! proto = "Protocol"
//! nat_src = "NAT Source"
//! nat_sport = "NAT Source Port"
//! bytes = ["Bytes Sent", "Bytes Received"]   # one column or several, summed
//! packets = "Packets"
//! ```

use crate::error::FlowError;
use serde::Deserialize;

/// A mapping: how to read one log layout.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The mapping's name, shown as the layout read.
    pub name: String,
    /// The field delimiter, one ASCII character. By default, `,`.
    #[serde(default = "comma")]
    pub delimiter: String,
    /// Whether the first row is a header naming the columns. By default,
    /// true; without one, columns are given by 1-based number.
    #[serde(default = "yes")]
    pub header: bool,
    /// Lines starting with this character are skipped. By default, none.
    #[serde(default)]
    pub comment: Option<String>,
    /// How times are written: `epoch` (seconds, with an optional
    /// fraction), `epoch_ms`, `iso8601` (RFC 3339, a zone optional), or a
    /// strftime format as jiff reads it (`%Y-%m-%d %H:%M:%S`). By default,
    /// `iso8601`.
    #[serde(default = "iso")]
    pub time_format: String,
    /// The IANA zone (`Asia/Tokyo`) of times written without an offset.
    /// By default, UTC.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The unit of the duration column: `s` (with an optional fraction)
    /// or `ms`. By default, `s`.
    #[serde(default = "seconds")]
    pub duration_unit: String,
    /// Which column holds what.
    pub columns: Columns,
}

fn comma() -> String {
    ",".into()
}
fn yes() -> bool {
    true
}
fn iso() -> String {
    "iso8601".into()
}
fn seconds() -> String {
    "s".into()
}

/// A column: its header name, or its 1-based number.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ColumnRef {
    /// The 1-based column number.
    Number(usize),
    /// The header name (exact, surrounding space ignored).
    Name(String),
}

/// One column, or several whose numbers are summed.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Counts {
    /// One column.
    One(ColumnRef),
    /// Several columns, summed (bytes sent and received, say).
    Sum(Vec<ColumnRef>),
}

impl Counts {
    pub(crate) fn refs(&self) -> Vec<&ColumnRef> {
        match self {
            Counts::One(c) => vec![c],
            Counts::Sum(v) => v.iter().collect(),
        }
    }
}

/// Which column holds each part of a flow. `start`, `src` and `dst` are
/// required; the rest are optional.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    /// The flow's (or log line's) time.
    pub start: ColumnRef,
    /// The end time. Without it, `start + duration`, or `start`.
    #[serde(default)]
    pub end: Option<ColumnRef>,
    /// The duration (see `duration_unit`).
    #[serde(default)]
    pub duration: Option<ColumnRef>,
    /// The source address.
    pub src: ColumnRef,
    /// The source port.
    #[serde(default)]
    pub sport: Option<ColumnRef>,
    /// The destination address.
    pub dst: ColumnRef,
    /// The destination port.
    #[serde(default)]
    pub dport: Option<ColumnRef>,
    /// The protocol, by name or number.
    #[serde(default)]
    pub proto: Option<ColumnRef>,
    /// The translated (NAT) source address.
    #[serde(default)]
    pub nat_src: Option<ColumnRef>,
    /// The translated source port.
    #[serde(default)]
    pub nat_sport: Option<ColumnRef>,
    /// Bytes: one column or several summed.
    #[serde(default)]
    pub bytes: Option<Counts>,
    /// Packets: one column or several summed.
    #[serde(default)]
    pub packets: Option<Counts>,
}

/// How times are written, from [`Mapping::time_format`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TimeFormat {
    /// Seconds since the epoch, with an optional fraction.
    Epoch,
    /// Milliseconds since the epoch.
    EpochMs,
    /// RFC 3339 / ISO 8601; a missing zone is the mapping's zone.
    Iso8601,
    /// A strftime format.
    Strftime(String),
}

impl Mapping {
    /// Reads a mapping from TOML text.
    pub fn from_toml(text: &str) -> Result<Mapping, FlowError> {
        let m: Mapping =
            toml::from_str(text).map_err(|e| FlowError::Config(format!("mapping: {e}")))?;
        m.check()?;
        Ok(m)
    }

    /// Reads a mapping file.
    pub fn from_path(path: &std::path::Path) -> Result<Mapping, FlowError> {
        let text = std::fs::read_to_string(path).map_err(|e| FlowError::io(path, e))?;
        Mapping::from_toml(&text).map_err(|e| FlowError::Config(format!("{}: {e}", path.display())))
    }

    fn check(&self) -> Result<(), FlowError> {
        self.delimiter_byte()?;
        self.comment_byte()?;
        if !matches!(self.duration_unit.as_str(), "s" | "ms") {
            return Err(FlowError::Config(format!(
                "mapping {}: duration_unit must be \"s\" or \"ms\", not {:?}",
                self.name, self.duration_unit
            )));
        }
        if !self.header {
            let c = &self.columns;
            let all = [
                Some(&c.start),
                c.end.as_ref(),
                c.duration.as_ref(),
                Some(&c.src),
                c.sport.as_ref(),
                Some(&c.dst),
                c.dport.as_ref(),
                c.proto.as_ref(),
                c.nat_src.as_ref(),
                c.nat_sport.as_ref(),
            ];
            let counts = c
                .bytes
                .iter()
                .chain(c.packets.iter())
                .flat_map(|x| x.refs());
            if all
                .into_iter()
                .flatten()
                .chain(counts)
                .any(|r| matches!(r, ColumnRef::Name(_) | ColumnRef::Number(0)))
            {
                return Err(FlowError::Config(format!(
                    "mapping {}: without a header, columns are 1-based numbers",
                    self.name
                )));
            }
        }
        Ok(())
    }

    pub(crate) fn delimiter_byte(&self) -> Result<u8, FlowError> {
        let d = if self.delimiter == "\\t" || self.delimiter == "tab" {
            "\t"
        } else {
            self.delimiter.as_str()
        };
        match d.as_bytes() {
            [b] if b.is_ascii() => Ok(*b),
            _ => Err(FlowError::Config(format!(
                "mapping {}: delimiter must be one ASCII character, not {:?}",
                self.name, self.delimiter
            ))),
        }
    }

    pub(crate) fn comment_byte(&self) -> Result<Option<u8>, FlowError> {
        match self.comment.as_deref().map(str::as_bytes) {
            None => Ok(None),
            Some([b]) if b.is_ascii() => Ok(Some(*b)),
            Some(_) => Err(FlowError::Config(format!(
                "mapping {}: comment must be one ASCII character",
                self.name
            ))),
        }
    }

    /// The time format.
    pub fn time(&self) -> TimeFormat {
        match self.time_format.as_str() {
            "epoch" => TimeFormat::Epoch,
            "epoch_ms" => TimeFormat::EpochMs,
            "iso8601" => TimeFormat::Iso8601,
            other => TimeFormat::Strftime(other.to_owned()),
        }
    }
}
