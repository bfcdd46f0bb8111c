//! The `-json` report.
//!
//! The tool prints its JSON by hand, one key per line, and escapes nothing
//! but backslashes (and not even those in the process name or host name),
//! so a value holding a quote or a control character makes the document
//! invalid. A valid document is read with `serde_json`; an invalid one by
//! a lenient scanner that knows the layout: a string value ends at a quote
//! followed by the end of the line, `}`, `]`, or a comma and the next key.
//! Every repair is listed as an issue. Forks of the tool write
//! `process_id` as a number; both forms are read.

use super::error::EmoCheckError;
use super::parse::{Extracted, parse_pid};
use super::report::{EmoProcess, IssueKind, ParseIssue, Repair, ReportFormat};
use serde_json::Value;
use std::collections::BTreeSet;

/// A JSON value the reader can use.
enum Scalar {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    /// An array or object where a plain value belongs.
    Other(String),
}

impl Scalar {
    fn text(&self) -> String {
        match self {
            Scalar::Str(s) | Scalar::Num(s) | Scalar::Other(s) => s.clone(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Null => "null".to_owned(),
        }
    }
}

#[derive(Default)]
struct ProcAcc {
    line: Option<usize>,
    name: Option<String>,
    pid: Option<Option<u32>>,
    path: Option<String>,
    registry: Option<String>,
}

/// Collects fields from either reader.
struct Acc {
    ex: Extracted,
    current: Option<ProcAcc>,
    procs: Vec<ProcAcc>,
    known: usize,
}

impl Acc {
    fn new() -> Acc {
        Acc {
            ex: Extracted::new(ReportFormat::Json),
            current: None,
            procs: Vec::new(),
            known: 0,
        }
    }

    fn issue(&mut self, line: Option<usize>, kind: IssueKind) {
        self.ex.issues.push(ParseIssue { line, kind });
    }

    fn open(&mut self, line: Option<usize>) {
        self.close();
        self.current = Some(ProcAcc {
            line,
            ..ProcAcc::default()
        });
    }

    fn close(&mut self) {
        self.procs.extend(self.current.take());
    }

    fn bad(&mut self, line: Option<usize>, key: &str, v: &Scalar) {
        self.issue(
            line,
            IssueKind::BadValue {
                key: key.to_owned(),
                value: v.text().chars().take(200).collect(),
            },
        );
    }

    fn field(&mut self, key: &str, v: Scalar, line: Option<usize>) {
        match key {
            "scan_time" => match v {
                Scalar::Str(s) => {
                    self.known += 1;
                    if self.ex.scan_time.is_none() {
                        self.ex.scan_time = Some((s, line));
                    }
                }
                other => self.bad(line, key, &other),
            },
            "hostname" => match v {
                Scalar::Str(s) => {
                    self.known += 1;
                    self.ex.hostname = Some(s).filter(|h| !h.is_empty());
                }
                Scalar::Null => self.known += 1,
                other => self.bad(line, key, &other),
            },
            "emocheck_version" => match v {
                Scalar::Str(s) | Scalar::Num(s) => {
                    self.known += 1;
                    self.ex.tool_version = Some(s);
                }
                other => self.bad(line, key, &other),
            },
            "is_infected" => {
                let verdict = match &v {
                    Scalar::Bool(b) => Some(*b),
                    Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                        "yes" | "true" => Some(true),
                        "no" | "false" => Some(false),
                        _ => None,
                    },
                    _ => None,
                };
                match verdict {
                    Some(b) => {
                        self.known += 1;
                        self.ex.set_verdict(b, line);
                    }
                    None => self.bad(line, key, &v),
                }
            }
            "emotet_processes" => match v {
                Scalar::Null => self.known += 1,
                other => self.bad(line, key, &other),
            },
            "process_name" | "process_id" | "image_path" | "registry_key" => {
                self.known += 1;
                self.process_field(key, v, line);
            }
            _ => self.issue(
                line,
                IssueKind::UnknownKey {
                    key: key.chars().take(200).collect(),
                },
            ),
        }
    }

    fn process_field(&mut self, key: &str, v: Scalar, line: Option<usize>) {
        let taken = self.current.as_ref().is_some_and(|p| match key {
            "process_name" => p.name.is_some(),
            "process_id" => p.pid.is_some(),
            "image_path" => p.path.is_some(),
            _ => p.registry.is_some(),
        });
        if taken || self.current.is_none() {
            // A process without its own braces, or a key seen twice: the
            // next process has started.
            self.open(line);
        }
        let text = match v {
            Scalar::Str(s) | Scalar::Num(s) => Some(s),
            Scalar::Null => None,
            other => {
                self.bad(line, key, &other);
                return;
            }
        };
        if key == "process_id" {
            let pid = match text {
                None => None,
                Some(raw) => parse_pid(&raw).unwrap_or_else(|| {
                    self.issue(line, IssueKind::BadProcessId { value: raw });
                    None
                }),
            };
            if let Some(p) = self.current.as_mut() {
                p.pid = Some(pid);
            }
            return;
        }
        if let Some(p) = self.current.as_mut() {
            let text = text.unwrap_or_default();
            match key {
                "process_name" => p.name = Some(text),
                "image_path" => p.path = Some(text),
                _ => p.registry = Some(text),
            }
        }
    }

    fn finish(mut self) -> Result<Extracted, EmoCheckError> {
        self.close();
        if self.known == 0 {
            return Err(EmoCheckError::NotEmoCheck {
                reason: "a JSON object without any of the report's keys".to_owned(),
            });
        }
        if self.ex.tool_version.is_none() {
            self.issue(None, IssueKind::MissingVersion);
        }
        for p in std::mem::take(&mut self.procs) {
            for (missing, field) in [
                (p.name.is_none(), "process_name"),
                (p.path.is_none(), "image_path"),
            ] {
                if missing {
                    self.issue(
                        p.line,
                        IssueKind::MissingField {
                            field: field.to_owned(),
                        },
                    );
                }
            }
            self.ex.processes.push(EmoProcess {
                name: p.name.unwrap_or_default(),
                pid: p.pid.flatten(),
                image_path: p.path.unwrap_or_default(),
                registry_key: p.registry.filter(|r| !r.is_empty()),
            });
        }
        Ok(self.ex)
    }
}

/// Reads a JSON report into its parts.
pub(crate) fn extract(text: &str) -> Result<Extracted, EmoCheckError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => strict(text, map),
        Ok(_) => Err(EmoCheckError::NotEmoCheck {
            reason: "JSON that is not an object".to_owned(),
        }),
        Err(e) => lenient(text, &e),
    }
}

fn scalar(v: &Value) -> Scalar {
    match v {
        Value::String(s) => Scalar::Str(s.clone()),
        Value::Number(n) => Scalar::Num(n.to_string()),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Null => Scalar::Null,
        other => Scalar::Other(other.to_string()),
    }
}

/// The line of the `nth` occurrence of `"key"` in the text.
fn key_line(text: &str, key: &str, nth: usize) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let (at, _) = text.match_indices(&needle).nth(nth)?;
    Some(text[..at].matches('\n').count() + 1)
}

fn strict(text: &str, map: serde_json::Map<String, Value>) -> Result<Extracted, EmoCheckError> {
    let mut acc = Acc::new();
    for (key, value) in &map {
        let line = key_line(text, key, 0);
        if key == "emotet_processes"
            && let Value::Array(items) = value
        {
            acc.known += 1;
            for (i, item) in items.iter().enumerate() {
                let Value::Object(fields) = item else {
                    acc.bad(line, key, &scalar(item));
                    continue;
                };
                acc.open(key_line(text, "process_name", i).or(line));
                for (k, v) in fields {
                    acc.field(k, scalar(v), key_line(text, k, i));
                }
                acc.close();
            }
            continue;
        }
        acc.field(key, scalar(value), line);
    }
    acc.finish()
}

/// How a string read by the scanner ended.
enum StrRead {
    Done {
        value: String,
        end: usize,
        repairs: BTreeSet<Repair>,
    },
    /// The input ended inside the string.
    Unterminated,
    /// A key that reached the end of its line: not a key after all.
    NotKey(usize),
}

struct Scanner {
    c: Vec<char>,
    newlines: Vec<usize>,
}

impl Scanner {
    fn new(text: &str) -> Scanner {
        let c: Vec<char> = text.chars().collect();
        let newlines = c
            .iter()
            .enumerate()
            .filter(|(_, ch)| **ch == '\n')
            .map(|(i, _)| i)
            .collect();
        Scanner { c, newlines }
    }

    fn line_of(&self, pos: usize) -> usize {
        self.newlines.partition_point(|&p| p < pos) + 1
    }

    fn skip_blanks(&self, mut k: usize, newlines: bool) -> usize {
        while let Some(&ch) = self.c.get(k) {
            if ch == ' ' || ch == '\t' || (newlines && (ch == '\r' || ch == '\n')) {
                k += 1;
            } else {
                break;
            }
        }
        k
    }

    /// Whether the quote at `j` closes the string.
    fn closes(&self, j: usize, key: bool) -> bool {
        let k = self.skip_blanks(j + 1, false);
        let Some(&next) = self.c.get(k) else {
            return true;
        };
        if key {
            return next == ':';
        }
        match next {
            '}' | ']' | '\r' | '\n' => true,
            ',' => {
                let m = self.skip_blanks(k + 1, true);
                self.c
                    .get(m)
                    .is_none_or(|ch| matches!(ch, '"' | '{' | '}' | '[' | ']'))
            }
            _ => false,
        }
    }

    /// A `\uXXXX` escape (or surrogate pair) at `j`: the character and the
    /// number of input characters it used.
    fn unicode_escape(&self, j: usize) -> Option<(char, usize)> {
        let hex = |at: usize| -> Option<u32> {
            let s: String = self.c.get(at..at + 4)?.iter().collect();
            u32::from_str_radix(&s, 16).ok()
        };
        let hi = hex(j + 2)?;
        if (0xD800..0xDC00).contains(&hi) {
            if self.c.get(j + 6) == Some(&'\\')
                && self.c.get(j + 7) == Some(&'u')
                && let Some(lo) = hex(j + 8).filter(|lo| (0xDC00..0xE000).contains(lo))
            {
                let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Some((char::from_u32(code).unwrap_or('\u{FFFD}'), 12));
            }
            return Some(('\u{FFFD}', 6));
        }
        Some((char::from_u32(hi).unwrap_or('\u{FFFD}'), 6))
    }

    /// Reads a string whose opening quote is just before `j`.
    fn read_string(&self, mut j: usize, key: bool) -> StrRead {
        let mut value = String::new();
        let mut repairs = BTreeSet::new();
        while let Some(&ch) = self.c.get(j) {
            match ch {
                '\\' => {
                    let Some(&e) = self.c.get(j + 1) else {
                        return StrRead::Unterminated;
                    };
                    let simple = match e {
                        '"' => Some('"'),
                        '\\' => Some('\\'),
                        '/' => Some('/'),
                        'b' => Some('\u{8}'),
                        'f' => Some('\u{c}'),
                        'n' => Some('\n'),
                        'r' => Some('\r'),
                        't' => Some('\t'),
                        _ => None,
                    };
                    if let Some(s) = simple {
                        value.push(s);
                        j += 2;
                    } else if let Some((u, used)) =
                        (e == 'u').then(|| self.unicode_escape(j)).flatten()
                    {
                        value.push(u);
                        j += used;
                    } else {
                        value.push('\\');
                        repairs.insert(Repair::InvalidEscape);
                        j += 1;
                    }
                }
                '"' if self.closes(j, key) => {
                    return StrRead::Done {
                        value,
                        end: j + 1,
                        repairs,
                    };
                }
                '"' => {
                    value.push('"');
                    repairs.insert(Repair::UnescapedQuote);
                    j += 1;
                }
                '\r' | '\n' if key => return StrRead::NotKey(j),
                c if (c as u32) < 0x20 => {
                    value.push(c);
                    repairs.insert(Repair::ControlCharacter);
                    j += 1;
                }
                c => {
                    value.push(c);
                    j += 1;
                }
            }
        }
        StrRead::Unterminated
    }
}

fn lenient(text: &str, err: &serde_json::Error) -> Result<Extracted, EmoCheckError> {
    let s = Scanner::new(text);
    let mut acc = Acc::new();
    acc.issue(
        Some(err.line()).filter(|l| *l > 0),
        IssueKind::InvalidJson {
            message: err.to_string(),
        },
    );
    let n = s.c.len();
    let mut depth = 0usize;
    let mut i = 0;
    // Set when the input ends inside a value: which key it was.
    let mut cut: Option<(Option<String>, usize)> = None;
    while let Some(&ch) = s.c.get(i) {
        match ch {
            '{' => {
                depth += 1;
                if depth == 2 {
                    acc.open(Some(s.line_of(i)));
                }
                i += 1;
            }
            '}' => {
                if depth <= 2 {
                    acc.close();
                }
                depth = depth.saturating_sub(1);
                i += 1;
            }
            '"' => {
                let line = s.line_of(i);
                let (key, end) = match s.read_string(i + 1, true) {
                    StrRead::NotKey(p) => {
                        i = p;
                        continue;
                    }
                    StrRead::Unterminated => {
                        cut = Some((None, line));
                        break;
                    }
                    StrRead::Done { value, end, .. } => (value, end),
                };
                let colon = s.skip_blanks(end, false);
                if colon >= n {
                    cut = Some((Some(key), line));
                    break;
                }
                if s.c.get(colon) != Some(&':') {
                    i = end;
                    continue;
                }
                let k = s.skip_blanks(colon + 1, true);
                let Some(&first) = s.c.get(k) else {
                    cut = Some((Some(key), line));
                    break;
                };
                match first {
                    '"' => match s.read_string(k + 1, false) {
                        StrRead::Done {
                            value,
                            end,
                            repairs,
                        } => {
                            for repair in repairs {
                                acc.issue(
                                    Some(line),
                                    IssueKind::RepairedValue {
                                        key: key.clone(),
                                        repair,
                                    },
                                );
                            }
                            acc.field(&key, Scalar::Str(value), Some(line));
                            i = end;
                        }
                        StrRead::Unterminated | StrRead::NotKey(_) => {
                            cut = Some((Some(key), line));
                            break;
                        }
                    },
                    '{' | '[' => i = k,
                    c if c == '-' || c.is_ascii_digit() => {
                        let mut e = k + 1;
                        while s.c.get(e).is_some_and(|c| {
                            c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')
                        }) {
                            e += 1;
                        }
                        if e >= n {
                            cut = Some((Some(key), line));
                            break;
                        }
                        let token: String = s.c[k..e].iter().collect();
                        acc.field(&key, Scalar::Num(token), Some(line));
                        i = e;
                    }
                    _ => {
                        let word: String = s.c[k..]
                            .iter()
                            .take_while(|c| c.is_ascii_alphabetic())
                            .collect();
                        let v = match word.as_str() {
                            "true" => Scalar::Bool(true),
                            "false" => Scalar::Bool(false),
                            "null" => Scalar::Null,
                            _ => {
                                Scalar::Other(s.c[k..].iter().take_while(|c| **c != '\n').collect())
                            }
                        };
                        acc.field(&key, v, Some(line));
                        i = k + word.len().max(1);
                    }
                }
            }
            _ => i += 1,
        }
    }
    match cut {
        Some((key, line)) => acc.issue(Some(line), IssueKind::Truncated { key }),
        None if depth > 0 => acc.issue(None, IssueKind::Truncated { key: None }),
        None => {}
    }
    acc.finish()
}
