//! Why a playbook could not be loaded.

/// Why a playbook could not be loaded. Every variant names the file
/// (`builtin:emotet.toml` for a built-in one), and those about one task
/// name it by its key (or `#n`, its position from 1, when it has none).
#[derive(Debug, thiserror::Error)]
pub enum PlaybookError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file name ends in neither `.toml`, `.yaml` nor `.yml`.
    #[error("{file}: a playbook is a .toml, .yaml or .yml file")]
    UnknownFormat {
        /// The file.
        file: String,
    },
    /// Not valid TOML or YAML.
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A playbook-level field is missing, unknown or wrong.
    #[error("{file}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A task field is missing, unknown or wrong.
    #[error("{file}: task {task}: {message}")]
    Task {
        /// The file.
        file: String,
        /// The task's key, or `#n`.
        task: String,
        /// What is wrong.
        message: String,
    },
    /// Two tasks have the same key.
    #[error("{file}: task {task}: the key is used twice (tasks #{first} and #{second})")]
    DuplicateKey {
        /// The file.
        file: String,
        /// The key.
        task: String,
        /// The first task with it (from 1).
        first: usize,
        /// The second (from 1).
        second: usize,
    },
    /// `after` names a key no task has.
    #[error("{file}: task {task}: `after` names {after:?}, which is no task of this playbook")]
    UnknownAfter {
        /// The file.
        file: String,
        /// The task.
        task: String,
        /// The unknown key.
        after: String,
    },
    /// The `after` relation has a cycle.
    #[error("{file}: task {task}: `after` makes a cycle: {}", cycle.join(" -> "))]
    Cycle {
        /// The file.
        file: String,
        /// A task on the cycle.
        task: String,
        /// The cycle, starting and ending with `task`.
        cycle: Vec<String>,
    },
    /// A `due` that is not a duration.
    #[error("{file}: task {task}: due {value:?}: {reason}")]
    BadDuration {
        /// The file.
        file: String,
        /// The task.
        task: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}
