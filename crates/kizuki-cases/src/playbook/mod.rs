//! Playbooks as data: what to do about an infection, task by task.
//!
//! A playbook is a TOML (or YAML) file: an id, a name in Japanese and
//! English, the malware families it is for, and its tasks. Each task has a
//! stable `key`, a title and description in both languages, a `phase`
//! (`removal`, `secondary`, `prevention` or any other word), a `scope`
//! (`infected-host`, `other-hosts` or `organisation`), an optional `due`
//! (`"4h"`, `"2d"`, `"1d12h"` after the incident opens), whether it is
//! `optional`, whether it `needs_host` (cannot start before the infected
//! host is identified), an optional `done_when` rule that closes it from
//! evidence (`emocheck-clean`, `emocheck-clean-all`), and the keys it comes
//! `after`. See [`Task`] for every field.
//!
//! Loading checks the whole file: unknown fields are refused, keys are
//! unique, `after` names existing tasks without cycles, durations parse;
//! every error names the file and the task.
//!
//! ```
//! use kizuki_cases::playbook::{self, Scope};
//!
//! let p = playbook::builtin("Emotet").unwrap();
//! assert_eq!(p.id, "emotet");
//! let check = p.task("confirm-clean-infected-host").unwrap();
//! assert_eq!(check.scope, Scope::InfectedHost);
//! // Due two days after the incident opened.
//! assert_eq!(check.due_at(0), Some(2 * 86_400 * 1_000_000));
//! ```

mod builtin;
mod due;
mod error;
mod load;
mod schema;
mod validate;

pub use builtin::{BUILTIN_EMOTET_TOML, builtin, builtins};
pub use due::{format_due, parse_due};
pub use error::PlaybookError;
pub use schema::{
    DoneWhen, PHASE_PREVENTION, PHASE_REMOVAL, PHASE_SECONDARY, Playbook, Scope, Task, Text,
};
