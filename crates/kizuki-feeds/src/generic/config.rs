//! The mapping file of the generic CSV reader (TOML).
//!
//! ```toml
//! # A law-enforcement list: ip,timestamp in Japan time.
//! required = ["source.ip", "time.source"]
//!
//! [csv]
//! delimiter = ","
//! encoding = "shift_jis"
//!
//! [time]
//! format = "%Y/%m/%d %H:%M:%S"
//! timezone = "Asia/Tokyo"
//!
//! [columns]
//! ip = "source.ip"
//! timestamp = "time.source"
//! port = { field = "source.port" }
//! seen = { field = "extra.seen_at", format = "epoch" }
//!
//! [constants]
//! "malware.name" = "emotet"
//! "classification.type" = "infected-system"
//! ```

use serde::Deserialize;
use std::collections::BTreeMap;

/// A generic CSV mapping.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingConfig {
    /// Column name → where its value goes: an IntelMQ field (`source.ip`),
    /// `extra.<name>`, or `ignore`. A table form adds a per-column time
    /// `format` and `timezone`.
    pub columns: BTreeMap<String, ColumnSpec>,
    /// Fields set on every event, e.g. `"malware.name" = "emotet"`. By
    /// default, none; `classification.taxonomy` is filled in from
    /// `classification.type` when only the type is given.
    #[serde(default)]
    pub constants: BTreeMap<String, toml::Value>,
    /// How the file is laid out.
    #[serde(default)]
    pub csv: CsvOptions,
    /// How times are written.
    #[serde(default)]
    pub time: TimeOptions,
    /// Fields every row must produce. By default, `time.source` and
    /// `source.ip` when the mapping has them.
    pub required: Option<Vec<String>>,
    /// What happens to columns the mapping does not name: `extra` (kept as
    /// `extra.<column>`, the default, as IntelMQ does) or `ignore`.
    #[serde(default)]
    pub unmapped: Unmapped,
}

/// Where one column goes.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum ColumnSpec {
    /// Just the target.
    Target(String),
    /// The target with its own time settings.
    Full {
        /// The target.
        field: String,
        /// The time format of this column (see [`TimeOptions::format`]).
        format: Option<String>,
        /// The zone of this column (see [`TimeOptions::timezone`]).
        timezone: Option<String>,
    },
}

impl ColumnSpec {
    /// The target.
    pub fn target(&self) -> &str {
        match self {
            ColumnSpec::Target(t) | ColumnSpec::Full { field: t, .. } => t,
        }
    }
}

/// CSV layout.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CsvOptions {
    /// The field delimiter, one character (`"\t"` for TSV). By default, `,`.
    pub delimiter: String,
    /// Column names when the file has no header row. By default, the first
    /// row is the header.
    pub header: Option<Vec<String>>,
    /// The text encoding: `utf-8`, `shift_jis`, `euc-jp`, `iso-2022-jp`, or
    /// any WHATWG label. By default, UTF-8.
    pub encoding: String,
    /// Lines starting with this are skipped. By default, none.
    pub comment: Option<String>,
    /// Accept rows with more fields than the header (the surplus is
    /// ignored). By default such rows are refused.
    pub lenient_rows: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            delimiter: ",".into(),
            header: None,
            encoding: "utf-8".into(),
            comment: None,
            lenient_rows: false,
        }
    }
}

/// Time settings for every time column.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TimeOptions {
    /// `auto` (ISO 8601, `2021/02/22 10:15:23`, RFC 2822, …), `epoch`,
    /// `epoch_ms`, or a `strftime` format. By default, `auto`.
    pub format: String,
    /// The zone of times that carry none: an IANA name (`Asia/Tokyo`), `UTC`
    /// or an offset (`+09:00`). By default, UTC. `--tz` overrides it.
    pub timezone: Option<String>,
}

impl Default for TimeOptions {
    fn default() -> Self {
        TimeOptions {
            format: "auto".into(),
            timezone: None,
        }
    }
}

/// What happens to unmapped columns.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Unmapped {
    /// Kept as `extra.<column>`.
    #[default]
    Extra,
    /// Dropped.
    Ignore,
}
