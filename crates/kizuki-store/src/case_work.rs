//! Working a case: hosts tied to an incident, task changes, evidence and
//! notes, each written with its timeline entry in one transaction.

use crate::cases::{
    ChangeNote, EVIDENCE_COLS, Evidence, HOST_COLS, Host, Task, TaskSet, add_change, insert_tasks,
};
use crate::error::StoreError;
use crate::notices::max_id;
use crate::store::Store;

impl Store {
    /// Ties a host to an incident, with tasks made for it; `host.id` is
    /// ignored and assigned.
    pub async fn add_host(
        &self,
        host: &Host,
        tasks: &[Task],
        actor: &str,
        note: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = max_id(&mut tx, "hosts").await? + 1;
        sqlx::query(&format!(
            "INSERT INTO hosts ({HOST_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        ))
        .bind(id)
        .bind(host.incident_id)
        .bind(&host.address)
        .bind(&host.hostname)
        .bind(&host.asset_id)
        .bind(&host.owner)
        .bind(&host.department)
        .bind(&host.role)
        .bind(&host.state)
        .bind(host.identified_at)
        .bind(host.updated_at)
        .bind(&host.evidence)
        .execute(&mut *tx)
        .await?;
        let tasks: Vec<Task> = tasks
            .iter()
            .map(|t| Task {
                host_id: t.host_id.or(Some(id)),
                ..t.clone()
            })
            .collect();
        insert_tasks(&mut tx, host.incident_id, &tasks, host.identified_at).await?;
        let label = if host.hostname.is_empty() {
            host.address.clone()
        } else {
            format!("{} {}", host.address, host.hostname)
        };
        let c = ChangeNote {
            actor: actor.into(),
            what: "host".into(),
            new_value: format!("{} ({}, {})", label.trim(), host.role, host.state),
            note: note.into(),
            host_id: Some(id),
            ..ChangeNote::default()
        };
        add_change(&mut tx, host.incident_id, host.identified_at, &c).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sets a host's state.
    pub async fn set_host_state(
        &self,
        host: &Host,
        state: &str,
        at: i64,
        actor: &str,
        note: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE hosts SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(state)
            .bind(at)
            .bind(host.id)
            .execute(&mut *tx)
            .await?;
        let c = ChangeNote {
            actor: actor.into(),
            what: "host-state".into(),
            old_value: host.state.clone(),
            new_value: state.into(),
            note: note.into(),
            host_id: Some(host.id),
            ..ChangeNote::default()
        };
        add_change(&mut tx, host.incident_id, at, &c).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Assigns unassigned tasks of an incident to a host (tasks made before
    /// any host was known).
    pub async fn bind_tasks_to_host(
        &self,
        incident: i64,
        task_ids: &[i64],
        host: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        for t in task_ids {
            sqlx::query(
                "UPDATE tasks SET host_id = $1 WHERE id = $2 AND incident_id = $3 AND host_id IS NULL",
            )
            .bind(host)
            .bind(*t)
            .bind(incident)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Changes a task: each field given is changed and recorded on the
    /// timeline (old and new value), all in one transaction. A task that is
    /// done or skipped gets `done_at`.
    pub async fn update_task(
        &self,
        task: &Task,
        set: TaskSet<'_>,
        at: i64,
        actor: &str,
        note: &str,
    ) -> Result<Task, StoreError> {
        let TaskSet {
            state,
            owner,
            due_at,
        } = set;
        let mut t = task.clone();
        let mut changes = Vec::new();
        if let Some(s) = state.filter(|s| *s != t.state) {
            changes.push(("state", t.state.clone(), s.to_owned()));
            t.state = s.to_owned();
            t.done_at = matches!(s, "done" | "skipped").then_some(at);
        }
        if let Some(o) = owner.filter(|o| *o != t.owner) {
            changes.push(("owner", t.owner.clone(), o.to_owned()));
            t.owner = o.to_owned();
        }
        if let Some(d) = due_at.filter(|d| Some(*d) != t.due_at) {
            let old = t.due_at.map(|x| x.to_string()).unwrap_or_default();
            changes.push(("due", old, d.to_string()));
            t.due_at = Some(d);
        }
        if changes.is_empty() {
            return Ok(t);
        }
        t.updated_at = at;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE tasks SET state = $1, owner = $2, due_at = $3, updated_at = $4, done_at = $5 \
             WHERE id = $6",
        )
        .bind(&t.state)
        .bind(&t.owner)
        .bind(t.due_at)
        .bind(at)
        .bind(t.done_at)
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
        for (what, old, new) in changes {
            let c = ChangeNote {
                actor: actor.into(),
                what: format!("task-{what}"),
                old_value: old,
                new_value: new,
                note: note.into(),
                task_id: Some(t.id),
                host_id: t.host_id,
            };
            add_change(&mut tx, t.incident_id, at, &c).await?;
        }
        tx.commit().await?;
        Ok(t)
    }

    /// Adds evidence; `e.id` is ignored and assigned. The same file (by
    /// digest) on the same incident is added once: returns the earlier row
    /// and false then.
    pub async fn add_evidence(&self, e: &Evidence) -> Result<(Evidence, bool), StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(old) = sqlx::query_as::<_, Evidence>(&format!(
            "SELECT {EVIDENCE_COLS} FROM evidence WHERE incident_id = $1 AND digest = $2"
        ))
        .bind(e.incident_id)
        .bind(&e.digest)
        .fetch_optional(&mut *tx)
        .await?
        {
            return Ok((old, false));
        }
        let id = max_id(&mut tx, "evidence").await? + 1;
        sqlx::query(&format!(
            "INSERT INTO evidence ({EVIDENCE_COLS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(id)
        .bind(e.incident_id)
        .bind(e.host_id)
        .bind(&e.kind)
        .bind(&e.file_name)
        .bind(&e.digest)
        .bind(e.added_at)
        .bind(&e.actor)
        .bind(e.observed_at)
        .bind(&e.hostname)
        .bind(&e.verdict)
        .bind(&e.details)
        .bind(&e.raw_path)
        .execute(&mut *tx)
        .await?;
        let c = ChangeNote {
            actor: e.actor.clone(),
            what: "evidence".into(),
            new_value: format!("{} {}: {}", e.kind, e.hostname, e.verdict),
            note: e.file_name.clone(),
            host_id: e.host_id,
            ..ChangeNote::default()
        };
        add_change(&mut tx, e.incident_id, e.added_at, &c).await?;
        tx.commit().await?;
        Ok((Evidence { id, ..e.clone() }, true))
    }

    /// Records a free note on an incident's timeline.
    pub async fn add_case_note(
        &self,
        incident: i64,
        at: i64,
        note: &ChangeNote,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        add_change(&mut tx, incident, at, note).await?;
        tx.commit().await?;
        Ok(())
    }
}
