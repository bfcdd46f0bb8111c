//! Playbooks: the built-in Emotet playbook, TOML and YAML loading, and the
//! errors for broken playbooks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_cases::playbook::{
    self, BUILTIN_EMOTET_TOML, DoneWhen, Playbook, PlaybookError, Scope, format_due,
};
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/playbook")
        .join(name)
}

const HOUR: i64 = 3_600_000_000;

#[test]
fn builtin_emotet_loads_and_is_found_by_family() {
    let p = Playbook::from_toml_str(BUILTIN_EMOTET_TOML, "playbooks/emotet.toml").unwrap();
    assert_eq!(p.id, "emotet");
    assert_eq!(p.malware, ["emotet", "heodo"]);
    assert_eq!(playbook::builtin("emotet"), Some(p.clone()));
    assert_eq!(playbook::builtin(" Heodo "), Some(p.clone()));
    assert_eq!(playbook::builtin("EMOTET"), Some(p));
    assert_eq!(playbook::builtin("trickbot"), None);
    assert_eq!(playbook::builtin(""), None);
    assert_eq!(playbook::builtins().len(), 1);
}

/// The built-in's task list, checked by hand against the advice it follows
/// (see tests/data/playbook/README.md).
#[test]
fn builtin_emotet_task_list_is_golden() {
    let p = playbook::builtin("emotet").unwrap();
    let mut got = String::from("# key phase scope optional due needs_host done_when after\n");
    for t in p.tasks() {
        let after = if t.after.is_empty() {
            "-".to_owned()
        } else {
            t.after.join(",")
        };
        got.push_str(&format!(
            "{:<28} {:<10} {:<13} {:<8} {:<4} {:<10} {:<18} {}\n",
            t.key,
            t.phase,
            t.scope.as_str(),
            if t.optional { "optional" } else { "required" },
            t.due.map(format_due).unwrap_or_else(|| "-".into()),
            if t.needs_host { "needs-host" } else { "-" },
            t.done_when.map_or("-", DoneWhen::as_str),
            after,
        ));
    }
    let want = std::fs::read_to_string(data("emotet.expected.txt")).unwrap();
    assert_eq!(got, want);
}

#[test]
fn builtin_emotet_reads_as_a_response() {
    let p = playbook::builtin("emotet").unwrap();
    // Every task has both languages, and the Japanese text did not pick up
    // the spaces of TOML line continuations.
    for t in p.tasks() {
        assert!(
            !t.title.ja.is_empty() && !t.title.en.is_empty(),
            "{}",
            t.key
        );
        assert!(!t.description.ja.contains("  "), "{}", t.key);
        assert!(!t.description.en.contains("  "), "{}", t.key);
        assert!(!t.description.en.contains('\n'), "{}", t.key);
    }
    // Exactly one task is closed by a clean EmoCheck on the infected host,
    // and one by clean reports from the other hosts.
    let rules: Vec<(&str, DoneWhen)> = p
        .tasks()
        .iter()
        .filter_map(|t| t.done_when.map(|d| (t.key.as_str(), d)))
        .collect();
    assert_eq!(
        rules,
        [
            ("confirm-clean-infected-host", DoneWhen::EmocheckClean),
            ("check-other-hosts", DoneWhen::EmocheckCleanAll)
        ]
    );
    // Prevention is a checklist: all optional, none tied to a host.
    for t in p
        .tasks()
        .iter()
        .filter(|t| t.phase == playbook::PHASE_PREVENTION)
    {
        assert!(
            t.optional && t.scope == Scope::Organisation && !t.needs_host,
            "{}",
            t.key
        );
    }
    // Nothing mandatory is due later than three days.
    for t in p.tasks().iter().filter(|t| !t.optional) {
        assert!(t.due.unwrap() <= 72 * HOUR, "{}", t.key);
    }
    assert_eq!(
        p.task("isolate-host").unwrap().title.get("ja"),
        "感染端末をネットワークから隔離する"
    );
    assert_eq!(
        p.task("isolate-host").unwrap().title.get("en"),
        "Isolate the infected PC from the network"
    );
}

#[test]
fn due_at_counts_from_the_opening() {
    let p = playbook::builtin("emotet").unwrap();
    let opened = 1_613_955_600_000_000; // 2021-02-22T01:00:00Z
    assert_eq!(
        p.task("isolate-host").unwrap().due_at(opened),
        Some(opened + 4 * HOUR)
    );
    assert_eq!(
        p.task("check-other-hosts").unwrap().due_at(opened),
        Some(opened + 72 * HOUR)
    );
    assert_eq!(
        p.task("isolate-host").unwrap().due_at(i64::MAX),
        Some(i64::MAX)
    );
}

#[test]
fn toml_and_yaml_give_the_same_playbook() {
    let t = Playbook::load(data("minimal.toml")).unwrap();
    let y = Playbook::load(data("minimal.yaml")).unwrap();
    assert_eq!(t, y);
    assert_eq!(t.id, "qakbot");
    assert_eq!(t.malware, ["qakbot", "qbot"]);
    assert!(t.applies_to("QBot"));
    let r = t.task("reinstall").unwrap();
    assert_eq!(r.due, Some(36 * HOUR));
    assert_eq!(r.after, ["isolate-host"]);
    assert!(!r.optional);
    assert_eq!(r.done_when, None);
}

/// Loads a broken fixture and checks its error: the variant, and that the
/// message names the file and the task.
fn broken(name: &str, task: &str, says: &str) -> PlaybookError {
    let err = Playbook::load(data(name)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(name), "{msg}");
    assert!(msg.contains(&format!("task {task}")), "{msg}");
    assert!(msg.contains(says), "{msg}");
    err
}

#[test]
fn duplicate_key() {
    let err = broken(
        "duplicate_key.toml",
        "check-host",
        "used twice (tasks #1 and #3)",
    );
    assert!(matches!(
        err,
        PlaybookError::DuplicateKey {
            first: 1,
            second: 3,
            ..
        }
    ));
}

#[test]
fn cycle() {
    let err = broken("cycle.toml", "a", "a -> c -> b -> a");
    assert!(matches!(err, PlaybookError::Cycle { ref cycle, .. } if cycle.len() == 4));
}

#[test]
fn unknown_after() {
    let err = broken("unknown_after.toml", "remove-emotet", "\"chek-host\"");
    assert!(matches!(err, PlaybookError::UnknownAfter { ref after, .. } if after == "chek-host"));
}

#[test]
fn bad_duration() {
    let err = broken("bad_duration.toml", "reset-passwords", "due \"3 days\"");
    assert!(matches!(err, PlaybookError::BadDuration { .. }));
}

#[test]
fn unknown_field() {
    let err = broken(
        "unknown_field.toml",
        "reset-passwords",
        "unknown field `owner`",
    );
    assert!(matches!(err, PlaybookError::Task { .. }));
}

#[test]
fn done_when_needs_the_matching_scope() {
    let err = broken(
        "wrong_scope.toml",
        "check-host",
        "needs scope = \"infected-host\"",
    );
    assert!(matches!(err, PlaybookError::Task { .. }));
}

#[test]
fn other_load_errors() {
    let err = Playbook::load(data("missing.toml")).unwrap_err();
    assert!(matches!(err, PlaybookError::Io { .. }), "{err}");
    let err = Playbook::load(data("README.md")).unwrap_err();
    assert!(matches!(err, PlaybookError::UnknownFormat { .. }), "{err}");

    let err = Playbook::from_toml_str("id = \"x\"\nmalware = [", "inline.toml").unwrap_err();
    assert!(matches!(err, PlaybookError::Syntax { .. }), "{err}");
    assert!(err.to_string().starts_with("inline.toml: "), "{err}");

    let head = "id = \"x\"\nmalware = [\"emotet\"]\nname = { ja = \"例\", en = \"Example\" }\n";
    let task = "key = \"a\"\nphase = \"removal\"\nscope = \"infected-host\"\n\
                title = { ja = \"題\", en = \"T\" }\ndescription = { ja = \"説明\", en = \"D\" }\n";
    let cases = [
        (
            format!("{head}colour = \"red\"\n[[tasks]]\n{task}"),
            "unknown field `colour`",
        ),
        (format!("{head}tasks = []\n"), "at least one task"),
        (head.to_owned(), "missing field `tasks`"),
        (
            format!("{head}[[tasks]]\n{task}scope2 = 1\n"),
            "task a: unknown field `scope2`",
        ),
        (
            format!(
                "{head}[[tasks]]\n{}",
                task.replace("infected-host", "everyone")
            ),
            "task a: unknown variant `everyone`",
        ),
        (
            format!("{head}[[tasks]]\n{}", task.replace("key = \"a\"\n", "")),
            "task #1: missing field `key`",
        ),
        (
            format!("{head}[[tasks]]\n{}", task.replace("\"a\"", "\"A b\"")),
            "key must be lower-case",
        ),
        (
            format!(
                "{head}[[tasks]]\n{}",
                task.replace("en = \"T\"", "en = \" \"")
            ),
            "task a: title.en is empty",
        ),
        (
            format!("{head}[[tasks]]\n{task}after = [\"a\"]\n"),
            "task a: `after` makes a cycle: a -> a",
        ),
        (
            format!("{head}[[tasks]]\n{task}done_when = \"emocheck-clean-all\"\n"),
            "needs scope = \"other-hosts\"",
        ),
        (
            head.replace("\"x\"", "\"X!\"") + "[[tasks]]\n" + task,
            "id \"X!\" must be",
        ),
    ];
    for (text, says) in cases {
        let err = Playbook::from_toml_str(&text, "inline.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(says) && err.starts_with("inline.toml: "),
            "{says:?}: {err}"
        );
    }
    // A due that parses as a duration is enough; tasks without one have none.
    let p = Playbook::from_toml_str(&format!("{head}[[tasks]]\n{task}"), "inline.toml").unwrap();
    assert_eq!(p.tasks()[0].due, None);
    assert_eq!(p.tasks()[0].due_at(5), None);
}
