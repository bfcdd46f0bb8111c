//! The text reports, in English, Japanese and French.
//!
//! Every version writes the same skeleton: a `[EmoCheck v…]` header (`[Emocheck
//! v0.0.1]` in the first release), a scan-time line, a rule of underscores,
//! the result section and, when infected, one block per process followed by
//! another rule and a line of advice. Only the labels differ by language,
//! and 2.0 added a registry-key line to each block. Lines are matched by
//! label, so spacing and line endings do not matter.

use super::error::EmoCheckError;
use super::parse::{Extracted, parse_pid};
use super::report::{EmoProcess, IssueKind, ParseIssue, ReportFormat};

/// One language's labels, as the tool writes them (without padding).
pub(crate) struct Labels {
    format: ReportFormat,
    time: &'static [&'static str],
    result: &'static str,
    infected: &'static [&'static str],
    clean: &'static [&'static str],
    section: &'static str,
    name: &'static str,
    pid: &'static str,
    path: &'static str,
    registry: &'static str,
    advice: &'static str,
}

const EN: Labels = Labels {
    format: ReportFormat::TextEn,
    time: &["Scan time"],
    result: "[Result]",
    infected: &["Detected Emotet process."],
    // "No detection." until early 0.0.2, then "Emotet was not detected.".
    clean: &["Emotet was not detected.", "No detection."],
    section: "[Emotet Process]",
    name: "Process Name",
    pid: "Process ID",
    path: "Image Path",
    registry: "Registry Key",
    advice: "Please remove or isolate the suspicious execution file.",
};

const JA: Labels = Labels {
    format: ReportFormat::TextJa,
    time: &["プログラム実行時刻"],
    result: "[結果]",
    infected: &["Emotetを検知しました。"],
    clean: &["検知しませんでした。"],
    section: "[詳細]",
    name: "プロセス名",
    pid: "プロセスID",
    path: "イメージパス",
    registry: "レジストリキー",
    advice: "イメージパスの実行ファイルを隔離/削除してください。",
};

const FR: Labels = Labels {
    format: ReportFormat::TextFr,
    // The tool spells it with the stray accent; accept the correct one too.
    time: &["Temps d'éxécution", "Temps d'exécution"],
    result: "[Résultat]",
    infected: &["Emotet détecté."],
    clean: &["Emotet n'a pas été détecté."],
    section: "[Processus Emotet]",
    name: "Nom du processus",
    pid: "PID",
    path: "Emplacement",
    registry: "Clé de registre",
    advice: "Veuillez supprimer le(s) fichier(s) détecté(s).",
};

#[derive(Copy, Clone, PartialEq, Eq)]
enum Field {
    Name,
    Pid,
    Path,
    Registry,
}

/// A process block being read.
struct Block {
    line: usize,
    name: Option<String>,
    pid: Option<(String, usize)>,
    path: Option<String>,
    registry: Option<String>,
}

impl Block {
    fn new(line: usize) -> Block {
        Block {
            line,
            name: None,
            pid: None,
            path: None,
            registry: None,
        }
    }

    fn has(&self, f: Field) -> bool {
        match f {
            Field::Name => self.name.is_some(),
            Field::Pid => self.pid.is_some(),
            Field::Path => self.path.is_some(),
            Field::Registry => self.registry.is_some(),
        }
    }

    fn set(&mut self, f: Field, value: &str, line: usize) {
        let v = value.to_owned();
        match f {
            Field::Name => self.name = Some(v),
            Field::Pid => self.pid = Some((v, line)),
            Field::Path => self.path = Some(v),
            Field::Registry => self.registry = Some(v),
        }
    }

    fn finish(self, issues: &mut Vec<ParseIssue>) -> EmoProcess {
        let at = Some(self.line);
        let missing = |field: &str| ParseIssue {
            line: at,
            kind: IssueKind::MissingField {
                field: field.to_owned(),
            },
        };
        if self.name.is_none() {
            issues.push(missing("process_name"));
        }
        if self.path.is_none() {
            issues.push(missing("image_path"));
        }
        let pid = match self.pid {
            None => None,
            Some((raw, line)) => parse_pid(&raw).unwrap_or_else(|| {
                issues.push(ParseIssue {
                    line: Some(line),
                    kind: IssueKind::BadProcessId { value: raw },
                });
                None
            }),
        };
        EmoProcess {
            name: self.name.unwrap_or_default(),
            pid,
            image_path: self.path.unwrap_or_default(),
            registry_key: self.registry.filter(|r| !r.is_empty()),
        }
    }
}

/// The version in a `[EmoCheck v2.0]` header line.
fn header_version(line: &str) -> Option<String> {
    const PREFIX: &str = "[emocheck v";
    let t = line.trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with(PREFIX) && t.ends_with(']') && t.len() > PREFIX.len() {
        // ASCII lower-casing keeps byte offsets, and both ends are ASCII.
        t.get(PREFIX.len()..t.len() - 1)
            .map(|v| v.trim().to_owned())
    } else {
        None
    }
}

/// The value of a `label : value` line.
fn field_value<'a>(line: &'a str, label: &str) -> Option<&'a str> {
    let rest = line.trim_start().strip_prefix(label)?;
    let rest = rest.trim_start_matches([' ', '\t']).strip_prefix(':')?;
    Some(rest.trim())
}

fn field_line<'a>(labels: &Labels, line: &'a str) -> Option<(Field, &'a str)> {
    [
        (Field::Name, labels.name),
        (Field::Pid, labels.pid),
        (Field::Path, labels.path),
        (Field::Registry, labels.registry),
    ]
    .into_iter()
    .find_map(|(f, label)| field_value(line, label).map(|v| (f, v)))
}

fn time_value<'a>(labels: &Labels, line: &'a str) -> Option<&'a str> {
    labels.time.iter().find_map(|l| field_value(line, l))
}

fn is_marker(labels: &Labels, line: &str) -> bool {
    let t = line.trim();
    time_value(labels, line).is_some()
        || t == labels.result
        || t == labels.section
        || labels.infected.contains(&t)
        || labels.clean.contains(&t)
}

fn detect(lines: &[&str]) -> Option<&'static Labels> {
    let mut best: Option<(&'static Labels, usize)> = None;
    for labels in [&EN, &JA, &FR] {
        let score = lines.iter().filter(|l| is_marker(labels, l)).count();
        if score > 0 && best.is_none_or(|(_, b)| score > b) {
            best = Some((labels, score));
        }
    }
    best.map(|(l, _)| l)
}

/// Reads a text report into its parts.
pub(crate) fn extract(text: &str) -> Result<Extracted, EmoCheckError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let header = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| header_version(l).map(|v| (i, v)));
    let detected = detect(&lines);
    if header.is_none() && detected.is_none() {
        return Err(EmoCheckError::NotEmoCheck {
            reason: "neither JSON nor text with an \"[EmoCheck v…]\" header or the report's labels"
                .to_owned(),
        });
    }
    let labels = detected.unwrap_or(&EN);
    let mut ex = Extracted::new(labels.format);
    let header_line = header.as_ref().map(|(i, _)| *i);
    match header {
        Some((_, v)) => ex.tool_version = Some(v),
        None => ex.issues.push(ParseIssue {
            line: None,
            kind: IssueKind::MissingVersion,
        }),
    }

    let mut current: Option<Block> = None;
    let mut blocks = Vec::new();
    let mut advice_seen = false;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let t = line.trim();
        if t.is_empty() || Some(i) == header_line || t == labels.result {
            continue;
        }
        if t.len() >= 10 && t.chars().all(|c| c == '_') {
            continue;
        }
        if let Some(v) = time_value(labels, line) {
            if ex.scan_time.is_none() {
                ex.scan_time = Some((v.to_owned(), Some(n)));
            }
            continue;
        }
        if labels.infected.contains(&t) {
            ex.set_verdict(true, Some(n));
            continue;
        }
        if labels.clean.contains(&t) {
            ex.set_verdict(false, Some(n));
            continue;
        }
        if t == labels.advice {
            advice_seen = true;
            continue;
        }
        if t == labels.section {
            blocks.extend(current.replace(Block::new(n)));
            continue;
        }
        if let Some((field, value)) = field_line(labels, line) {
            let block = current.get_or_insert_with(|| Block::new(n));
            if block.has(field) {
                // A block without its section line: a new process starts.
                blocks.extend(current.replace(Block::new(n)));
            }
            if let Some(b) = current.as_mut() {
                b.set(field, value, n);
            }
            continue;
        }
        ex.issues.push(ParseIssue {
            line: Some(n),
            kind: IssueKind::UnrecognisedLine {
                text: t.chars().take(200).collect(),
            },
        });
    }
    blocks.extend(current);
    for b in blocks {
        let p = b.finish(&mut ex.issues);
        ex.processes.push(p);
    }
    if ex.verdict == Some(true) && !advice_seen {
        ex.issues.push(ParseIssue {
            line: None,
            kind: IssueKind::Truncated { key: None },
        });
    }
    Ok(ex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_versions() {
        assert_eq!(header_version("[EmoCheck v2.0]").as_deref(), Some("2.0"));
        assert_eq!(
            header_version("[Emocheck v0.0.1] ").as_deref(),
            Some("0.0.1")
        );
        assert_eq!(header_version("[EmoCheck v]").as_deref(), Some(""));
        assert_eq!(header_version("[EmoCheck v"), None);
        assert_eq!(header_version("[Result]"), None);
    }

    #[test]
    fn field_values() {
        assert_eq!(
            field_value("     Image Path    : C:\\a b\\c.exe", "Image Path"),
            Some("C:\\a b\\c.exe")
        );
        assert_eq!(
            field_value("     Registry Key  : ", "Registry Key"),
            Some("")
        );
        assert_eq!(
            field_value("     レジストリキー: HKCU", "レジストリキー"),
            Some("HKCU")
        );
        assert_eq!(field_value("     Process Name  : x", "Process ID"), None);
    }
}
