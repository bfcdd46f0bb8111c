//! The checks a playbook passes before it is used.
//!
//! * the id, keys and phases are lower-case words (`a-z`, `0-9`, `-`, and
//!   `_` in the id), so they are safe in URLs, the store and file names;
//! * every title and description is given in both languages;
//! * keys are unique, `after` names other tasks of the playbook and has no
//!   cycle;
//! * `due` parses;
//! * `done_when = "emocheck-clean"` is only on `infected-host` tasks and
//!   `"emocheck-clean-all"` only on `other-hosts` tasks, the evidence each
//!   rule reads.

use super::due::parse_due;
use super::error::PlaybookError;
use super::load::{RawHead, RawTask};
use super::schema::{DoneWhen, Playbook, Scope, Task, Text};
use std::collections::HashMap;

fn is_word(s: &str, extra: &[u8]) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || extra.contains(&b)
        })
        && !s.starts_with('-')
}

fn missing_language(t: &Text) -> Option<&'static str> {
    if t.ja.trim().is_empty() {
        Some("ja")
    } else if t.en.trim().is_empty() {
        Some("en")
    } else {
        None
    }
}

pub(super) fn validate(
    head: RawHead,
    raw: Vec<RawTask>,
    file: &str,
) -> Result<Playbook, PlaybookError> {
    let invalid = |message: String| PlaybookError::Invalid {
        file: file.to_owned(),
        message,
    };
    if !is_word(&head.id, b"_") {
        return Err(invalid(format!(
            "id {:?} must be lower-case letters, digits, '-' or '_'",
            head.id
        )));
    }
    if let Some(lang) = missing_language(&head.name) {
        return Err(invalid(format!("name.{lang} is empty")));
    }
    let malware: Vec<String> = head
        .malware
        .iter()
        .map(|m| m.trim().to_ascii_lowercase())
        .collect();
    if malware.is_empty() || malware.iter().any(String::is_empty) {
        return Err(invalid(
            "malware must list at least one family, none empty".to_owned(),
        ));
    }
    if raw.is_empty() {
        return Err(invalid("a playbook needs at least one task".to_owned()));
    }

    let task_err = |task: &str, message: String| PlaybookError::Task {
        file: file.to_owned(),
        task: task.to_owned(),
        message,
    };
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, t) in raw.iter().enumerate() {
        if !is_word(&t.key, b"") {
            return Err(task_err(
                &format!("#{} ({:?})", i + 1, t.key),
                "key must be lower-case letters, digits and '-'".to_owned(),
            ));
        }
        if let Some(first) = index.insert(&t.key, i) {
            return Err(PlaybookError::DuplicateKey {
                file: file.to_owned(),
                task: t.key.clone(),
                first: first + 1,
                second: i + 1,
            });
        }
    }

    let mut tasks = Vec::with_capacity(raw.len());
    for t in &raw {
        for (what, text) in [("title", &t.title), ("description", &t.description)] {
            if let Some(lang) = missing_language(text) {
                return Err(task_err(&t.key, format!("{what}.{lang} is empty")));
            }
        }
        if !is_word(&t.phase, b"") {
            return Err(task_err(
                &t.key,
                format!(
                    "phase {:?} must be a lower-case word (removal, secondary, prevention, …)",
                    t.phase
                ),
            ));
        }
        let due = match &t.due {
            None => None,
            Some(v) => Some(parse_due(v).map_err(|reason| PlaybookError::BadDuration {
                file: file.to_owned(),
                task: t.key.clone(),
                value: v.clone(),
                reason,
            })?),
        };
        match (t.done_when, t.scope) {
            (Some(DoneWhen::EmocheckClean), s) if s != Scope::InfectedHost => {
                return Err(task_err(
                    &t.key,
                    "done_when = \"emocheck-clean\" needs scope = \"infected-host\"".to_owned(),
                ));
            }
            (Some(DoneWhen::EmocheckCleanAll), s) if s != Scope::OtherHosts => {
                return Err(task_err(
                    &t.key,
                    "done_when = \"emocheck-clean-all\" needs scope = \"other-hosts\"".to_owned(),
                ));
            }
            _ => {}
        }
        for a in &t.after {
            if *a == t.key {
                return Err(PlaybookError::Cycle {
                    file: file.to_owned(),
                    task: t.key.clone(),
                    cycle: vec![t.key.clone(), t.key.clone()],
                });
            }
            if !index.contains_key(a.as_str()) {
                return Err(PlaybookError::UnknownAfter {
                    file: file.to_owned(),
                    task: t.key.clone(),
                    after: a.clone(),
                });
            }
        }
        tasks.push(Task {
            key: t.key.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            phase: t.phase.clone(),
            optional: t.optional,
            scope: t.scope,
            due,
            needs_host: t.needs_host,
            done_when: t.done_when,
            after: t.after.clone(),
        });
    }
    if let Some(cycle) = find_cycle(&tasks, &index) {
        return Err(PlaybookError::Cycle {
            file: file.to_owned(),
            task: cycle[0].clone(),
            cycle,
        });
    }
    Ok(Playbook {
        id: head.id,
        name: head.name,
        malware,
        tasks,
    })
}

/// A cycle in `after`, as keys starting and ending with the same one.
fn find_cycle(tasks: &[Task], index: &HashMap<&str, usize>) -> Option<Vec<String>> {
    #[derive(Copy, Clone, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut mark = vec![Mark::New; tasks.len()];
    for start in 0..tasks.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Depth-first with an explicit stack of (task, next `after` index).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnPath;
        while let Some(top) = stack.last_mut() {
            let node = top.0;
            let Some(dep) = tasks[node].after.get(top.1) else {
                mark[node] = Mark::Done;
                stack.pop();
                continue;
            };
            top.1 += 1;
            let Some(&d) = index.get(dep.as_str()) else {
                continue;
            };
            match mark[d] {
                Mark::Done => {}
                Mark::New => {
                    mark[d] = Mark::OnPath;
                    stack.push((d, 0));
                }
                Mark::OnPath => {
                    let from = stack.iter().position(|(n, _)| *n == d).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..]
                        .iter()
                        .map(|(n, _)| tasks[*n].key.clone())
                        .collect();
                    cycle.push(tasks[d].key.clone());
                    return Some(cycle);
                }
            }
        }
    }
    None
}
