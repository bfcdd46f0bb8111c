//! The playbook types.

use serde::{Deserialize, Serialize};

/// The phase of the tasks that get rid of the malware on the infected host.
pub const PHASE_REMOVAL: &str = "removal";
/// The phase of the tasks that deal with secondary damage: stolen
/// passwords, other hosts, mail sent in the organisation's name.
pub const PHASE_SECONDARY: &str = "secondary";
/// The phase of the checklist that makes the next infection less likely.
pub const PHASE_PREVENTION: &str = "prevention";

/// Text in Japanese and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Text {
    /// The text in `lang` (`ja` or `en`); English for any other language.
    pub fn get(&self, lang: &str) -> &str {
        if lang.eq_ignore_ascii_case("ja") {
            &self.ja
        } else {
            &self.en
        }
    }
}

/// Which machines a task is about.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// `infected-host`: the host the notice is about (once per infected
    /// host).
    InfectedHost,
    /// `other-hosts`: the other hosts on the same network.
    OtherHosts,
    /// `organisation`: not one machine (people, policy, the network).
    Organisation,
}

impl Scope {
    /// The name used in playbooks and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::InfectedHost => "infected-host",
            Scope::OtherHosts => "other-hosts",
            Scope::Organisation => "organisation",
        }
    }
}

/// A rule that closes a task from evidence, without a person.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DoneWhen {
    /// `emocheck-clean`: a clean EmoCheck report from the infected host,
    /// after the removal. Only for `infected-host` tasks.
    EmocheckClean,
    /// `emocheck-clean-all`: clean EmoCheck reports from every other host
    /// checked. Only for `other-hosts` tasks.
    EmocheckCleanAll,
}

impl DoneWhen {
    /// The name used in playbooks and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            DoneWhen::EmocheckClean => "emocheck-clean",
            DoneWhen::EmocheckCleanAll => "emocheck-clean-all",
        }
    }
}

/// One task of a playbook, as validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Task {
    /// The stable id (`isolate-host`): lower-case letters, digits and `-`,
    /// unique in the playbook. Stored with the incident's tasks, so it must
    /// not change between versions of a playbook.
    pub key: String,
    /// A short imperative title.
    pub title: Text,
    /// What to do and why, for the person doing it.
    pub description: Text,
    /// The phase: [`PHASE_REMOVAL`], [`PHASE_SECONDARY`],
    /// [`PHASE_PREVENTION`] or another lower-case word.
    pub phase: String,
    /// A recommendation rather than a step the incident waits for. By
    /// default, false.
    pub optional: bool,
    /// Which machines it is about.
    pub scope: Scope,
    /// When it is due, in microseconds after the incident opens; `None`
    /// for no deadline. Written as `"4h"`, `"2d"`, `"1d12h"` (see
    /// [`parse_due`](super::parse_due)).
    pub due: Option<i64>,
    /// It cannot start before the infected host is identified. By default,
    /// false.
    pub needs_host: bool,
    /// The rule that closes it from evidence; `None` when a person closes
    /// it.
    pub done_when: Option<DoneWhen>,
    /// The keys of the tasks it comes after.
    pub after: Vec<String>,
}

impl Task {
    /// When the task is due for an incident opened at `opened_at_micros`
    /// (microseconds since the epoch), or `None` without a deadline. Days
    /// are 24 hours: deadlines run on the clock, not the calendar.
    pub fn due_at(&self, opened_at_micros: i64) -> Option<i64> {
        self.due.map(|d| opened_at_micros.saturating_add(d))
    }
}

/// A validated playbook.
///
/// The header fields are plain data; the tasks are reached through
/// [`Playbook::tasks`] because loading guarantees things about them
/// (unique keys, known and acyclic `after`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Playbook {
    /// The stable id (`emotet`).
    pub id: String,
    /// The name to show.
    pub name: Text,
    /// The malware families it is for, lower-case (`emotet`, `heodo`).
    pub malware: Vec<String>,
    pub(super) tasks: Vec<Task>,
}

impl Playbook {
    /// The tasks, in the playbook's order.
    pub fn tasks(&self) -> &[Task] {
        &self.tasks
    }

    /// The task with this key.
    pub fn task(&self, key: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.key == key)
    }

    /// Whether it is for this malware family (case does not matter).
    pub fn applies_to(&self, malware: &str) -> bool {
        let m = malware.trim();
        self.malware.iter().any(|x| x.eq_ignore_ascii_case(m))
    }
}
