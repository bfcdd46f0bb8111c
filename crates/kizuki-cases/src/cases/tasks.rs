//! Turning a playbook's tasks into an incident's task rows.

use super::Cases;
use crate::error::CaseError;
use crate::playbook::{Playbook, Scope};
use kizuki_store::{Task, TaskSet};

impl Cases {
    /// The task rows for a playbook: all of them when an incident opens
    /// (`host` None), or the infected-host tasks again for a second
    /// infected host. Tasks that need a host wait until one is known.
    pub(crate) fn task_rows(&self, p: &Playbook, opened_at: i64, host: Option<i64>) -> Vec<Task> {
        let en = self.config.language == "en";
        p.tasks()
            .iter()
            .filter(|t| host.is_none() || t.scope == Scope::InfectedHost)
            .map(|t| Task {
                id: 0,
                incident_id: 0,
                task_key: t.key.clone(),
                title: if en {
                    t.title.en.clone()
                } else {
                    t.title.ja.clone()
                },
                phase: t.phase.clone(),
                scope: t.scope.as_str().to_owned(),
                optional: i64::from(t.optional),
                needs_host: i64::from(t.needs_host),
                done_when: t
                    .done_when
                    .map(|d| d.as_str().to_owned())
                    .unwrap_or_default(),
                host_id: host,
                owner: self.config.default_owner.clone(),
                due_at: t.due.map(|d| opened_at.saturating_add(d)),
                state: if t.needs_host && host.is_none() {
                    "waiting".into()
                } else {
                    "open".into()
                },
                created_at: opened_at,
                updated_at: opened_at,
                done_at: None,
            })
            .collect()
    }
}

/// A change to a task asked for by a person.
#[derive(Clone, Debug, Default)]
pub struct TaskChange {
    /// New state: `open`, `in_progress`, `blocked`, `done` or `skipped`.
    pub state: Option<String>,
    /// New owner.
    pub owner: Option<String>,
    /// New due time (UTC µs).
    pub due_at: Option<i64>,
    /// Why.
    pub note: String,
}

/// The states a person may set.
pub const TASK_STATES: &[&str] = &["open", "in_progress", "blocked", "done", "skipped"];

impl Cases {
    /// Changes a task, named by its id or by its playbook key (when the
    /// key names one task of the incident). Every change is recorded with
    /// who and when.
    pub async fn change_task(
        &self,
        incident: i64,
        task: &str,
        change: &TaskChange,
        actor: &str,
        at: i64,
    ) -> Result<Task, CaseError> {
        self.incident_or_err(incident).await?;
        if let Some(s) = &change.state
            && !TASK_STATES.contains(&s.as_str())
        {
            return Err(CaseError::Invalid(format!(
                "unknown task state {s:?}; one of: {}",
                TASK_STATES.join(", ")
            )));
        }
        let tasks = self.store.incident_tasks(incident).await?;
        let found: Vec<&Task> = match task.parse::<i64>() {
            Ok(id) => tasks.iter().filter(|t| t.id == id).collect(),
            Err(_) => tasks.iter().filter(|t| t.task_key == task).collect(),
        };
        let t = match found.as_slice() {
            [t] => *t,
            [] => {
                return Err(CaseError::NotFound(format!(
                    "incident {incident} has no task {task:?}"
                )));
            }
            many => {
                let ids: Vec<String> = many.iter().map(|t| t.id.to_string()).collect();
                return Err(CaseError::Invalid(format!(
                    "{task:?} names {} tasks ({}); give the task id",
                    many.len(),
                    ids.join(", ")
                )));
            }
        };
        if t.state == "waiting" && change.state.as_deref() == Some("done") {
            return Err(CaseError::Invalid(format!(
                "task {} waits for the infected host to be identified",
                t.task_key
            )));
        }
        let updated = self
            .store
            .update_task(
                t,
                TaskSet {
                    state: change.state.as_deref(),
                    owner: change.owner.as_deref(),
                    due_at: change.due_at,
                },
                at,
                actor,
                &change.note,
            )
            .await?;
        self.implicit_ack(incident, actor, at).await?;
        Ok(updated)
    }

    /// Closes an incident.
    pub async fn close(
        &self,
        incident: i64,
        actor: &str,
        at: i64,
        note: &str,
    ) -> Result<(), CaseError> {
        self.incident_or_err(incident).await?;
        self.store
            .set_milestone(incident, kizuki_store::Milestone::Closed, at, actor, note)
            .await?;
        self.store
            .set_incident_state(incident, "closed", at, actor, note)
            .await?;
        Ok(())
    }
}
