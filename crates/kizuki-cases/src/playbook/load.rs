//! Reading playbook files: TOML or YAML into the raw schema, then
//! [`validate`](super::validate).
//!
//! The document is first read into a generic value, and each task is then
//! read on its own, so that an unknown or mistyped field is reported with
//! the task it is in.

use super::error::PlaybookError;
use super::schema::{DoneWhen, Playbook, Scope, Text};
use super::validate::validate;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

/// The playbook as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHead {
    pub id: String,
    pub name: Text,
    pub malware: Vec<String>,
}

/// A task as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTask {
    pub key: String,
    pub title: Text,
    pub description: Text,
    pub phase: String,
    #[serde(default)]
    pub optional: bool,
    pub scope: Scope,
    #[serde(default)]
    pub due: Option<String>,
    #[serde(default)]
    pub needs_host: bool,
    #[serde(default)]
    pub done_when: Option<DoneWhen>,
    #[serde(default)]
    pub after: Vec<String>,
}

impl Playbook {
    /// Loads and validates a playbook file: TOML for `.toml`, YAML for
    /// `.yaml` / `.yml`.
    pub fn load(path: impl AsRef<Path>) -> Result<Playbook, PlaybookError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let yaml = match ext.as_deref() {
            Some("toml") => false,
            Some("yaml" | "yml") => true,
            _ => return Err(PlaybookError::UnknownFormat { file }),
        };
        let text = std::fs::read_to_string(path).map_err(|source| PlaybookError::Io {
            file: file.clone(),
            source,
        })?;
        if yaml {
            Playbook::from_yaml_str(&text, &file)
        } else {
            Playbook::from_toml_str(&text, &file)
        }
    }

    /// Reads and validates a playbook from TOML text; `file` names it in
    /// errors.
    pub fn from_toml_str(text: &str, file: &str) -> Result<Playbook, PlaybookError> {
        let doc: Value = toml::from_str(text).map_err(|e| PlaybookError::Syntax {
            file: file.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        from_value(doc, file)
    }

    /// Reads and validates a playbook from YAML text; `file` names it in
    /// errors.
    pub fn from_yaml_str(text: &str, file: &str) -> Result<Playbook, PlaybookError> {
        let doc: Value = serde_yaml::from_str(text).map_err(|e| PlaybookError::Syntax {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        from_value(doc, file)
    }
}

fn from_value(doc: Value, file: &str) -> Result<Playbook, PlaybookError> {
    let invalid = |message: String| PlaybookError::Invalid {
        file: file.to_owned(),
        message,
    };
    let Value::Object(mut top) = doc else {
        return Err(invalid("a playbook is a table of fields".to_owned()));
    };
    let tasks = match top.remove("tasks") {
        Some(Value::Array(tasks)) => tasks,
        Some(_) => return Err(invalid("`tasks` must be a list of tables".to_owned())),
        None => return Err(invalid("missing field `tasks`".to_owned())),
    };
    let head: RawHead =
        serde_json::from_value(Value::Object(top)).map_err(|e| invalid(e.to_string()))?;
    let mut raw = Vec::with_capacity(tasks.len());
    for (i, t) in tasks.into_iter().enumerate() {
        let label = t
            .get("key")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map_or_else(|| format!("#{}", i + 1), str::to_owned);
        let task: RawTask = serde_json::from_value(t).map_err(|e| PlaybookError::Task {
            file: file.to_owned(),
            task: label,
            message: e.to_string(),
        })?;
        raw.push(task);
    }
    validate(head, raw, file)
}
