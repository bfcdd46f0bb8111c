//! The case engine: intake, grouping, hosts, tasks, evidence.

mod evidence;
mod hosts;
mod intake;
mod tasks;
mod view;

pub use evidence::EvidenceOutcome;
pub use hosts::HostInput;
pub use intake::{IncomingNotice, IncomingReport, IntakeOutcome};
pub use tasks::{TASK_STATES, TaskChange};
pub use view::CaseView;

use crate::error::CaseError;
use crate::playbook::Playbook;
use kizuki_store::Store;
use std::path::PathBuf;

/// How cases are worked.
#[derive(Clone, Debug)]
pub struct CaseConfig {
    /// A notice joins an open incident about the same public address when
    /// its contact time is within this many microseconds of the
    /// incident's reported times. By default, 7 days: ISPs send reminders
    /// and several ISPs may report the same contact days apart.
    pub group_window: i64,
    /// The language of task titles (`ja` or `en`). By default, `ja`.
    pub language: String,
    /// Who owns new tasks. By default, nobody (empty).
    pub default_owner: String,
    /// A directory of playbooks (`<id>.toml`) that replace or add to the
    /// built-in ones. By default, none.
    pub playbook_dir: Option<PathBuf>,
    /// The playbook for malware that has none of its own. By default,
    /// `emotet`'s, whose steps (check, scan, reset passwords, check the
    /// other hosts) fit any bot infection.
    pub fallback_playbook: String,
}

impl Default for CaseConfig {
    fn default() -> Self {
        CaseConfig {
            group_window: 7 * 86_400 * 1_000_000,
            language: "ja".into(),
            default_owner: String::new(),
            playbook_dir: None,
            fallback_playbook: "emotet".into(),
        }
    }
}

/// The case engine over a store.
#[derive(Clone, Debug)]
pub struct Cases {
    store: Store,
    config: CaseConfig,
}

impl Cases {
    /// An engine over `store`.
    pub fn new(store: Store, config: CaseConfig) -> Cases {
        Cases { store, config }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &CaseConfig {
        &self.config
    }

    /// The playbook for a malware family: the playbook directory's
    /// `<malware>.toml` first, then the built-in one, then the fallback.
    pub fn playbook_for(&self, malware: &str) -> Result<Playbook, CaseError> {
        let name = if malware.is_empty() {
            self.config.fallback_playbook.as_str()
        } else {
            malware
        };
        for candidate in [name, self.config.fallback_playbook.as_str()] {
            if let Some(dir) = &self.config.playbook_dir {
                let path = dir.join(format!("{candidate}.toml"));
                if path.exists() {
                    return Ok(Playbook::load(&path)?);
                }
            }
            if let Some(p) = crate::playbook::builtin(candidate) {
                return Ok(p);
            }
        }
        Err(CaseError::Invalid(format!(
            "no playbook for {malware:?} and no fallback playbook {:?}",
            self.config.fallback_playbook
        )))
    }
}

/// SHA-256 of bytes, hex: how a message or an evidence file is known, so
/// that the same bytes are taken in once.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}
