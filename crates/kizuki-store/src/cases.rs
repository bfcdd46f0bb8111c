//! Incidents, the hosts behind them, their tasks, evidence, and the
//! timeline of every change. The rules (which notice joins which incident,
//! when a task is done) live in `kizuki-cases`; this module only keeps the
//! rows, and writes each change together with its timeline entry in one
//! transaction.

use crate::error::StoreError;
use crate::notices::max_id;
use crate::store::Store;
use serde::Serialize;

/// An incident: the notices about one public address and time window.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Incident {
    /// Id.
    pub id: i64,
    /// The malware family the notices name (lower case, may be empty).
    pub malware: String,
    /// The playbook its tasks came from.
    pub playbook: String,
    /// `open`, `contained` or `closed`.
    pub state: String,
    /// The drill it belongs to; drills stay out of production metrics.
    pub drill_id: Option<i64>,
    /// The earliest reported contact time.
    pub window_start: i64,
    /// The latest reported contact time.
    pub window_end: i64,
    /// When the first notice arrived.
    pub opened_at: i64,
    /// When someone first acknowledged it.
    pub acknowledged_at: Option<i64>,
    /// When the first infected host was identified.
    pub identified_at: Option<i64>,
    /// When every infected host had a clean check after removal.
    pub contained_at: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<i64>,
    /// The last change.
    pub updated_at: i64,
}

/// One reported (address, time) of a notice.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Report {
    /// Id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// The message it was read from.
    pub intake_id: i64,
    /// The public address.
    pub address: String,
    /// The source port, when reported.
    pub port: Option<i64>,
    /// The contact time (UTC µs), when it could be read.
    pub observed_at: Option<i64>,
    /// The time as the notice wrote it.
    pub time_text: String,
    /// The zone the time was read in, as the notice gave it (`Asia/Tokyo`
    /// for 日本時間 or JST, `+09:00`, `UTC`); empty when unknown.
    pub zone: String,
    /// The malware named (lower case, may be empty).
    pub malware: String,
}

/// An internal host tied to an incident.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Host {
    /// Id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// Internal address (may be empty when known only by name).
    pub address: String,
    /// Host name.
    pub hostname: String,
    /// Asset id from the inventory.
    pub asset_id: String,
    /// Owner.
    pub owner: String,
    /// Department.
    pub department: String,
    /// `infected` (the host the notice is about) or `other` (checked
    /// because it shares the network).
    pub role: String,
    /// `suspected`, `infected`, `cleaning` or `clean`.
    pub state: String,
    /// When it was tied to the incident.
    pub identified_at: i64,
    /// The last change.
    pub updated_at: i64,
    /// Why it is thought to be the host (JSON: matching flows, ...).
    pub evidence: String,
}

/// A task of an incident.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Task {
    /// Id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// The playbook's key for it.
    pub task_key: String,
    /// Title.
    pub title: String,
    /// Phase (`removal`, `secondary`, `prevention`, ...).
    pub phase: String,
    /// `infected-host`, `other-hosts` or `organisation`.
    pub scope: String,
    /// 1 when the task is on the optional checklist.
    pub optional: i64,
    /// 1 when it cannot start before a host is known.
    pub needs_host: i64,
    /// The rule that closes it by itself (empty: closed by hand).
    pub done_when: String,
    /// The host it is about.
    pub host_id: Option<i64>,
    /// Who owns it.
    pub owner: String,
    /// When it is due.
    pub due_at: Option<i64>,
    /// `open`, `in_progress`, `blocked`, `done` or `skipped`.
    pub state: String,
    /// Created.
    pub created_at: i64,
    /// The last change.
    pub updated_at: i64,
    /// When it was done or skipped.
    pub done_at: Option<i64>,
}

/// One entry of an incident's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Change {
    /// Id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// The task changed, if any.
    pub task_id: Option<i64>,
    /// The host changed, if any.
    pub host_id: Option<i64>,
    /// When.
    pub at: i64,
    /// Who (a person, or `kizuki` for automatic changes).
    pub actor: String,
    /// What changed (`opened`, `notice`, `acknowledged`, `state`, `owner`,
    /// `due`, `host`, `evidence`, ...).
    pub what: String,
    /// The value before.
    pub old_value: String,
    /// The value after.
    pub new_value: String,
    /// A note.
    pub note: String,
}

/// A piece of evidence (an EmoCheck report, ...).
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Evidence {
    /// Id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// The host it is about.
    pub host_id: Option<i64>,
    /// `emocheck`, ...
    pub kind: String,
    /// The file's name as given.
    pub file_name: String,
    /// SHA-256 of the file, hex.
    pub digest: String,
    /// When it was added.
    pub added_at: i64,
    /// Who added it.
    pub actor: String,
    /// When the check ran (UTC µs).
    pub observed_at: Option<i64>,
    /// The host name the report names.
    pub hostname: String,
    /// `infected` or `clean`.
    pub verdict: String,
    /// The parsed report, JSON.
    pub details: String,
    /// The file as received, relative to the data directory.
    pub raw_path: String,
}

const INCIDENT_COLS: &str = "id, malware, playbook, state, drill_id, window_start, window_end, \
     opened_at, acknowledged_at, identified_at, contained_at, closed_at, updated_at";
const REPORT_COLS: &str =
    "id, incident_id, intake_id, address, port, observed_at, time_text, zone, malware";
pub(crate) const HOST_COLS: &str = "id, incident_id, address, hostname, asset_id, owner, department, role, \
     state, identified_at, updated_at, evidence";
const TASK_COLS: &str = "id, incident_id, task_key, title, phase, scope, optional, needs_host, \
     done_when, host_id, owner, due_at, state, created_at, updated_at, done_at";
const CHANGE_COLS: &str =
    "id, incident_id, task_id, host_id, at, actor, what, old_value, new_value, note";
pub(crate) const EVIDENCE_COLS: &str = "id, incident_id, host_id, kind, file_name, digest, added_at, actor, \
     observed_at, hostname, verdict, details, raw_path";

/// The fields of a task to change; `None` leaves one as it is.
#[derive(Copy, Clone, Debug, Default)]
pub struct TaskSet<'a> {
    /// New state.
    pub state: Option<&'a str>,
    /// New owner.
    pub owner: Option<&'a str>,
    /// New due time.
    pub due_at: Option<i64>,
}

impl<'a> TaskSet<'a> {
    /// Only the state.
    pub fn state(s: &'a str) -> TaskSet<'a> {
        TaskSet {
            state: Some(s),
            ..TaskSet::default()
        }
    }
}

/// Which milestone of an incident.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Milestone {
    /// Someone acknowledged it.
    Acknowledged,
    /// The first infected host was identified.
    Identified,
    /// Every infected host was clean after removal.
    Contained,
    /// Closed.
    Closed,
}

impl Milestone {
    fn column(self) -> &'static str {
        match self {
            Milestone::Acknowledged => "acknowledged_at",
            Milestone::Identified => "identified_at",
            Milestone::Contained => "contained_at",
            Milestone::Closed => "closed_at",
        }
    }

    /// The timeline name of the milestone.
    pub fn name(self) -> &'static str {
        match self {
            Milestone::Acknowledged => "acknowledged",
            Milestone::Identified => "identified",
            Milestone::Contained => "contained",
            Milestone::Closed => "closed",
        }
    }
}

/// A change to record on the timeline (the id, incident and time are
/// filled in by the store).
#[derive(Clone, Debug, Default)]
pub struct ChangeNote {
    /// Who.
    pub actor: String,
    /// What.
    pub what: String,
    /// Before.
    pub old_value: String,
    /// After.
    pub new_value: String,
    /// A note.
    pub note: String,
    /// The task.
    pub task_id: Option<i64>,
    /// The host.
    pub host_id: Option<i64>,
}

pub(crate) async fn add_change(
    conn: &mut sqlx::AnyConnection,
    incident: i64,
    at: i64,
    c: &ChangeNote,
) -> Result<(), StoreError> {
    let id = max_id(conn, "case_changes").await? + 1;
    sqlx::query(&format!(
        "INSERT INTO case_changes ({CHANGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(id)
    .bind(incident)
    .bind(c.task_id)
    .bind(c.host_id)
    .bind(at)
    .bind(&c.actor)
    .bind(&c.what)
    .bind(&c.old_value)
    .bind(&c.new_value)
    .bind(&c.note)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_reports(
    conn: &mut sqlx::AnyConnection,
    incident: i64,
    reports: &[Report],
) -> Result<(), StoreError> {
    let mut id = max_id(conn, "incident_reports").await?;
    for r in reports {
        id += 1;
        sqlx::query(&format!(
            "INSERT INTO incident_reports ({REPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(id)
        .bind(incident)
        .bind(r.intake_id)
        .bind(&r.address)
        .bind(r.port)
        .bind(r.observed_at)
        .bind(&r.time_text)
        .bind(&r.zone)
        .bind(&r.malware)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub(crate) async fn insert_tasks(
    conn: &mut sqlx::AnyConnection,
    incident: i64,
    tasks: &[Task],
    at: i64,
) -> Result<Vec<i64>, StoreError> {
    let mut id = max_id(conn, "tasks").await?;
    let mut ids = Vec::with_capacity(tasks.len());
    for t in tasks {
        id += 1;
        sqlx::query(&format!(
            "INSERT INTO tasks ({TASK_COLS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(id)
        .bind(incident)
        .bind(&t.task_key)
        .bind(&t.title)
        .bind(&t.phase)
        .bind(&t.scope)
        .bind(t.optional)
        .bind(t.needs_host)
        .bind(&t.done_when)
        .bind(t.host_id)
        .bind(&t.owner)
        .bind(t.due_at)
        .bind(&t.state)
        .bind(at)
        .bind(at)
        .bind(t.done_at)
        .execute(&mut *conn)
        .await?;
        ids.push(id);
    }
    Ok(ids)
}

/// The rows of `table` that belong to an incident, in id order.
async fn incident_rows<T>(
    store: &Store,
    cols: &str,
    table: &str,
    incident: i64,
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    Ok(sqlx::query_as::<_, T>(&format!(
        "SELECT {cols} FROM {table} WHERE incident_id = $1 ORDER BY id"
    ))
    .bind(incident)
    .fetch_all(&store.pool)
    .await?)
}

impl Store {
    /// Opens an incident from one message: its reports, the playbook's
    /// tasks, and the `opened` entry on the timeline, in one transaction.
    /// `incident.id` is ignored and assigned; the message is tied to it.
    pub async fn open_incident(
        &self,
        incident: &Incident,
        intake_id: i64,
        reports: &[Report],
        tasks: &[Task],
        actor: &str,
    ) -> Result<i64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = max_id(&mut tx, "incidents").await? + 1;
        sqlx::query(&format!(
            "INSERT INTO incidents ({INCIDENT_COLS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        ))
        .bind(id)
        .bind(&incident.malware)
        .bind(&incident.playbook)
        .bind(&incident.state)
        .bind(incident.drill_id)
        .bind(incident.window_start)
        .bind(incident.window_end)
        .bind(incident.opened_at)
        .bind(incident.acknowledged_at)
        .bind(incident.identified_at)
        .bind(incident.contained_at)
        .bind(incident.closed_at)
        .bind(incident.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_reports(&mut tx, id, reports).await?;
        insert_tasks(&mut tx, id, tasks, incident.opened_at).await?;
        sqlx::query("UPDATE intake SET incident_id = $1 WHERE id = $2")
            .bind(id)
            .bind(intake_id)
            .execute(&mut *tx)
            .await?;
        let note = ChangeNote {
            actor: actor.into(),
            what: "opened".into(),
            new_value: format!("message {intake_id}"),
            note: format!("{} tasks from playbook {}", tasks.len(), incident.playbook),
            ..ChangeNote::default()
        };
        add_change(&mut tx, id, incident.opened_at, &note).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Adds a message's reports to an open incident and widens its window.
    pub async fn extend_incident(
        &self,
        id: i64,
        intake_id: i64,
        reports: &[Report],
        window: (i64, i64),
        at: i64,
        actor: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        insert_reports(&mut tx, id, reports).await?;
        sqlx::query(
            "UPDATE incidents SET window_start = $1, window_end = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(window.0)
        .bind(window.1)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE intake SET incident_id = $1 WHERE id = $2")
            .bind(id)
            .bind(intake_id)
            .execute(&mut *tx)
            .await?;
        let note = ChangeNote {
            actor: actor.into(),
            what: "notice".into(),
            new_value: format!("message {intake_id}"),
            note: format!("{} more reports", reports.len()),
            ..ChangeNote::default()
        };
        add_change(&mut tx, id, at, &note).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Incidents that are not closed and have a report on `address`, the
    /// newest first.
    pub async fn open_incidents_with(&self, address: &str) -> Result<Vec<Incident>, StoreError> {
        Ok(sqlx::query_as::<_, Incident>(&format!(
            "SELECT {INCIDENT_COLS} FROM incidents WHERE state <> 'closed' AND id IN \
             (SELECT incident_id FROM incident_reports WHERE address = $1) ORDER BY id DESC"
        ))
        .bind(address)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One incident.
    pub async fn incident(&self, id: i64) -> Result<Option<Incident>, StoreError> {
        Ok(sqlx::query_as::<_, Incident>(&format!(
            "SELECT {INCIDENT_COLS} FROM incidents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every incident, oldest first.
    pub async fn incidents(&self) -> Result<Vec<Incident>, StoreError> {
        Ok(sqlx::query_as::<_, Incident>(&format!(
            "SELECT {INCIDENT_COLS} FROM incidents ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// An incident's reports.
    pub async fn incident_reports(&self, id: i64) -> Result<Vec<Report>, StoreError> {
        incident_rows(self, REPORT_COLS, "incident_reports", id).await
    }

    /// An incident's hosts.
    pub async fn incident_hosts(&self, id: i64) -> Result<Vec<Host>, StoreError> {
        incident_rows(self, HOST_COLS, "hosts", id).await
    }

    /// An incident's tasks.
    pub async fn incident_tasks(&self, id: i64) -> Result<Vec<Task>, StoreError> {
        incident_rows(self, TASK_COLS, "tasks", id).await
    }

    /// An incident's timeline, oldest first.
    pub async fn incident_changes(&self, id: i64) -> Result<Vec<Change>, StoreError> {
        Ok(sqlx::query_as::<_, Change>(&format!(
            "SELECT {CHANGE_COLS} FROM case_changes WHERE incident_id = $1 ORDER BY at, id"
        ))
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An incident's evidence.
    pub async fn incident_evidence(&self, id: i64) -> Result<Vec<Evidence>, StoreError> {
        incident_rows(self, EVIDENCE_COLS, "evidence", id).await
    }

    /// Sets a milestone the first time only; later calls change nothing and
    /// return false.
    pub async fn set_milestone(
        &self,
        id: i64,
        m: Milestone,
        at: i64,
        actor: &str,
        note: &str,
    ) -> Result<bool, StoreError> {
        let col = m.column();
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(&format!(
            "UPDATE incidents SET {col} = $1, updated_at = $1 WHERE id = $2 AND {col} IS NULL"
        ))
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        let c = ChangeNote {
            actor: actor.into(),
            what: m.name().into(),
            note: note.into(),
            ..ChangeNote::default()
        };
        add_change(&mut tx, id, at, &c).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets an incident's state.
    pub async fn set_incident_state(
        &self,
        id: i64,
        state: &str,
        at: i64,
        actor: &str,
        note: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let old: Option<(String,)> = sqlx::query_as("SELECT state FROM incidents WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((old,)) = old else {
            return Err(StoreError::Conflict(format!("no incident {id}")));
        };
        if old == state {
            return Ok(());
        }
        sqlx::query("UPDATE incidents SET state = $1, updated_at = $2 WHERE id = $3")
            .bind(state)
            .bind(at)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let c = ChangeNote {
            actor: actor.into(),
            what: "state".into(),
            old_value: old,
            new_value: state.into(),
            note: note.into(),
            ..ChangeNote::default()
        };
        add_change(&mut tx, id, at, &c).await?;
        tx.commit().await?;
        Ok(())
    }
}
