//! Mail taken in by the enterprise side, where reading each mailbox got to,
//! and drills. A message is stored once, by the digest of its bytes, so the
//! same notice arriving at two mailboxes (or read twice after a crash) is
//! one intake row.

use crate::error::StoreError;
use crate::notices::max_id;
use crate::store::Store;
use serde::Serialize;

/// A message taken in.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Intake {
    /// Id.
    pub id: i64,
    /// SHA-256 of the raw message, hex.
    pub digest: String,
    /// Where it came from: a mailbox name, a file or `api`.
    pub source: String,
    /// The notice's Message-ID (the inner one, for a forwarded notice).
    pub message_id: String,
    /// Who sent the notice.
    pub sender: String,
    /// Who forwarded it, when it came wrapped; empty otherwise.
    pub forwarded_by: String,
    /// The notice's subject.
    pub subject: String,
    /// The notice code, when the notice carried one.
    pub code: String,
    /// When kizuki took it in.
    pub received_at: i64,
    /// `parsed`, `partial` or `unparsed`.
    pub status: String,
    /// What could not be read, as a JSON list.
    pub problems: String,
    /// The raw message's file, relative to the data directory.
    pub raw_path: String,
    /// What was read from it, as JSON.
    pub parsed: String,
    /// The incident it opened or joined.
    pub incident_id: Option<i64>,
    /// The drill it belongs to.
    pub drill_id: Option<i64>,
}

/// A drill: a synthetic notice put into a mailbox on purpose.
#[derive(Clone, Debug, PartialEq, Serialize, sqlx::FromRow)]
pub struct Drill {
    /// Id.
    pub id: i64,
    /// The Message-ID of the notice it sent.
    pub message_id: String,
    /// The mailbox it went to.
    pub mailbox: String,
    /// The public address the notice names.
    pub address: String,
    /// The contact time the notice names.
    pub observed_at: i64,
    /// The malware the notice names.
    pub malware: String,
    /// When the notice was put in the mailbox.
    pub started_at: i64,
    /// Who started it.
    pub started_by: String,
    /// A free note.
    pub note: String,
}

const INTAKE_COLS: &str = "id, digest, source, message_id, sender, forwarded_by, subject, code, \
     received_at, status, problems, raw_path, parsed, incident_id, drill_id";
const DRILL_COLS: &str =
    "id, message_id, mailbox, address, observed_at, malware, started_at, started_by, note";

impl Store {
    /// The message with this digest, if it was taken in before.
    pub async fn intake_by_digest(&self, digest: &str) -> Result<Option<Intake>, StoreError> {
        Ok(sqlx::query_as::<_, Intake>(&format!(
            "SELECT {INTAKE_COLS} FROM intake WHERE digest = $1"
        ))
        .bind(digest)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Records a message; `id` is ignored and assigned. Returns the stored
    /// row and whether it is new (false: the same bytes were taken in
    /// before, and the earlier row is returned unchanged).
    pub async fn add_intake(&self, row: &Intake) -> Result<(Intake, bool), StoreError> {
        let mut tx = self.pool.begin().await?;
        if let Some(old) = sqlx::query_as::<_, Intake>(&format!(
            "SELECT {INTAKE_COLS} FROM intake WHERE digest = $1"
        ))
        .bind(&row.digest)
        .fetch_optional(&mut *tx)
        .await?
        {
            return Ok((old, false));
        }
        let id = max_id(&mut tx, "intake").await? + 1;
        sqlx::query(&format!(
            "INSERT INTO intake ({INTAKE_COLS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        ))
        .bind(id)
        .bind(&row.digest)
        .bind(&row.source)
        .bind(&row.message_id)
        .bind(&row.sender)
        .bind(&row.forwarded_by)
        .bind(&row.subject)
        .bind(&row.code)
        .bind(row.received_at)
        .bind(&row.status)
        .bind(&row.problems)
        .bind(&row.raw_path)
        .bind(&row.parsed)
        .bind(row.incident_id)
        .bind(row.drill_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((Intake { id, ..row.clone() }, true))
    }

    /// Messages taken in, newest first; only those with `status` when
    /// given.
    pub async fn intake_list(&self, status: Option<&str>) -> Result<Vec<Intake>, StoreError> {
        let q = match status {
            Some(_) => {
                format!("SELECT {INTAKE_COLS} FROM intake WHERE status = $1 ORDER BY id DESC")
            }
            None => format!("SELECT {INTAKE_COLS} FROM intake ORDER BY id DESC"),
        };
        let mut q = sqlx::query_as::<_, Intake>(&q);
        if let Some(s) = status {
            q = q.bind(s);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// The messages behind an incident, oldest first.
    pub async fn incident_intake(&self, incident: i64) -> Result<Vec<Intake>, StoreError> {
        Ok(sqlx::query_as::<_, Intake>(&format!(
            "SELECT {INTAKE_COLS} FROM intake WHERE incident_id = $1 ORDER BY received_at, id"
        ))
        .bind(incident)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Where reading an IMAP mailbox got to: (UIDVALIDITY, last UID).
    pub async fn intake_cursor(&self, mailbox: &str) -> Result<Option<(i64, i64)>, StoreError> {
        let r: Option<(i64, i64)> =
            sqlx::query_as("SELECT uidvalidity, last_uid FROM intake_cursors WHERE mailbox = $1")
                .bind(mailbox)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r)
    }

    /// Remembers where reading a mailbox got to.
    pub async fn set_intake_cursor(
        &self,
        mailbox: &str,
        uidvalidity: i64,
        last_uid: i64,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM intake_cursors WHERE mailbox = $1")
            .bind(mailbox)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO intake_cursors (mailbox, uidvalidity, last_uid, updated_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(mailbox)
        .bind(uidvalidity)
        .bind(last_uid)
        .bind(at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a drill; `id` is ignored and assigned.
    pub async fn add_drill(&self, d: &Drill) -> Result<Drill, StoreError> {
        let mut tx = self.pool.begin().await?;
        let id = max_id(&mut tx, "drills").await? + 1;
        sqlx::query(&format!(
            "INSERT INTO drills ({DRILL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(id)
        .bind(&d.message_id)
        .bind(&d.mailbox)
        .bind(&d.address)
        .bind(d.observed_at)
        .bind(&d.malware)
        .bind(d.started_at)
        .bind(&d.started_by)
        .bind(&d.note)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Drill { id, ..d.clone() })
    }

    /// The drill whose notice has this Message-ID.
    pub async fn drill_by_message_id(&self, message_id: &str) -> Result<Option<Drill>, StoreError> {
        Ok(sqlx::query_as::<_, Drill>(&format!(
            "SELECT {DRILL_COLS} FROM drills WHERE message_id = $1"
        ))
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every drill, newest first.
    pub async fn drills(&self) -> Result<Vec<Drill>, StoreError> {
        Ok(
            sqlx::query_as::<_, Drill>(&format!(
                "SELECT {DRILL_COLS} FROM drills ORDER BY id DESC"
            ))
            .fetch_all(&self.pool)
            .await?,
        )
    }
}
