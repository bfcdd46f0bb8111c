//! Shadowserver's IntelMQ schema (`intelmq.json` of
//! The-Shadowserver-Foundation/report_schema): one entry per report type,
//! each mapping CSV columns to IntelMQ fields with a conversion name.

use super::convert::Conv;
use crate::FeedError;
use kizuki_event::Field;
use std::collections::HashMap;

/// Where a column's value goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A harmonization field.
    Field(Field),
    /// `extra.<column name>` (the schema's `"extra."`).
    ExtraSameName,
    /// `extra.<name>` (the schema's `"extra.<name>"`).
    Extra(String),
    /// The column is deliberately ignored (the schema's `false`).
    Ignore,
    /// A key that is not in the harmonization: IntelMQ puts the value under
    /// `extra.<key>`.
    Unknown(String),
}

/// One column mapping of a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// Where the value goes.
    pub target: Target,
    /// The CSV column.
    pub column: String,
    /// The conversion applied first, if any.
    pub conv: Option<Conv>,
}

/// One report type.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportSpec {
    /// The schema's key for this entry (e.g. `event_sinkhole_http`).
    pub key: String,
    /// The report type as it appears in file names (`event4_sinkhole_http`).
    pub file_name: String,
    /// The IntelMQ feed name (`Sinkhole-Events-HTTP IPv4`).
    pub feed_name: String,
    /// The documentation URL.
    pub url: Option<String>,
    /// Columns that must convert, or the row is refused.
    pub required: Vec<Item>,
    /// Columns that are used when they convert.
    pub optional: Vec<Item>,
    /// Fields every event of this report gets.
    pub constants: Vec<(String, serde_json::Value)>,
}

/// A set of report types, looked up by the type in the file name.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    reports: Vec<ReportSpec>,
    by_file_name: HashMap<String, usize>,
    /// The schema's `_meta.date_created`, if any.
    pub created: Option<String>,
}

impl Schema {
    /// Builds a schema from report specs.
    pub fn from_reports(reports: Vec<ReportSpec>) -> Schema {
        let by_file_name = reports
            .iter()
            .enumerate()
            .map(|(i, r)| (r.file_name.clone(), i))
            .collect();
        Schema {
            reports,
            by_file_name,
            created: None,
        }
    }

    /// Parses Shadowserver's `intelmq.json`.
    pub fn from_json(path: &str, text: &str) -> Result<Schema, FeedError> {
        let err = |reason: String| FeedError::config(path, reason);
        let root: serde_json::Value =
            serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
        let serde_json::Value::Object(root) = root else {
            return Err(err("the schema must be a JSON object of reports".into()));
        };
        let mut reports = Vec::new();
        let mut created = None;
        for (key, entry) in root {
            if key == "_meta" {
                created = entry
                    .get("date_created")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                continue;
            }
            reports
                .push(parse_entry(&key, &entry).map_err(|e| err(format!("report {key:?}: {e}")))?);
        }
        let mut schema = Schema::from_reports(reports);
        schema.created = created;
        Ok(schema)
    }

    /// Reads a schema file.
    pub fn load(path: &std::path::Path) -> Result<Schema, FeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| FeedError::Io {
            path: path.to_owned(),
            source,
        })?;
        Schema::from_json(&path.display().to_string(), &text)
    }

    /// The report for a type as it appears in file names.
    pub fn by_file_name(&self, report_type: &str) -> Option<&ReportSpec> {
        self.by_file_name
            .get(report_type)
            .map(|i| &self.reports[*i])
    }

    /// The report for a schema key or a feed name.
    pub fn by_key_or_feed(&self, name: &str) -> Option<&ReportSpec> {
        self.reports
            .iter()
            .find(|r| r.key == name || r.feed_name == name)
    }

    /// Every report.
    pub fn reports(&self) -> &[ReportSpec] {
        &self.reports
    }
}

fn parse_entry(key: &str, v: &serde_json::Value) -> Result<ReportSpec, String> {
    let s = |name: &str| -> Result<String, String> {
        v.get(name)
            .and_then(|x| x.as_str())
            .map(str::to_owned)
            .ok_or_else(|| format!("missing string {name:?}"))
    };
    let items = |name: &str| -> Result<Vec<Item>, String> {
        let list = v
            .get(name)
            .and_then(|x| x.as_array())
            .ok_or_else(|| format!("missing list {name:?}"))?;
        list.iter()
            .enumerate()
            .map(|(i, it)| parse_item(it).map_err(|e| format!("{name}[{i}]: {e}")))
            .collect()
    };
    let constants = match v.get("constant_fields") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::Object(m)) => {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        }
        Some(_) => return Err("constant_fields must be an object".into()),
    };
    Ok(ReportSpec {
        key: key.to_owned(),
        file_name: s("file_name")?,
        feed_name: s("feed_name")?,
        url: v.get("url").and_then(|x| x.as_str()).map(str::to_owned),
        required: items("required_fields")?,
        optional: items("optional_fields")?,
        constants,
    })
}

fn parse_item(v: &serde_json::Value) -> Result<Item, String> {
    let arr = v.as_array().ok_or("each mapping must be a list")?;
    if arr.len() < 2 || arr.len() > 4 {
        return Err(format!(
            "a mapping has 2 to 4 entries, this one has {}",
            arr.len()
        ));
    }
    let column = arr[1]
        .as_str()
        .ok_or("the column name must be a string")?
        .to_owned();
    let target = match &arr[0] {
        serde_json::Value::Bool(false) => Target::Ignore,
        serde_json::Value::String(k) => target_for(k),
        other => return Err(format!("unexpected target {other}")),
    };
    let conv = match arr.get(2) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(name)) => Some(Conv::from_name(name)),
        Some(other) => return Err(format!("unexpected conversion {other}")),
    };
    // The fourth entry says the conversion also gets the whole row; each
    // conversion that needs the row knows it, so it is only checked here.
    if let Some(x) = arr.get(3)
        && !x.is_boolean()
    {
        return Err(format!("unexpected fourth entry {x}"));
    }
    Ok(Item {
        target,
        column,
        conv,
    })
}

/// The target of an IntelMQ key.
pub fn target_for(key: &str) -> Target {
    if key == "extra." {
        Target::ExtraSameName
    } else if let Some(rest) = key.strip_prefix("extra.") {
        Target::Extra(rest.to_owned())
    } else if let Some(f) = Field::from_name(key) {
        Target::Field(f)
    } else {
        Target::Unknown(key.to_owned())
    }
}
