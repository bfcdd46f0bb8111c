//! The audit log: who did what, when. Reads of personal data are recorded
//! here, never in the program's log output.

use crate::error::StoreError;
use crate::store::{Store, now_micros};
use sqlx::Row;
use std::sync::atomic::{AtomicI64, Ordering};

/// One entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Increasing id.
    pub id: i64,
    /// When, microseconds since 1970 (UTC).
    pub at: i64,
    /// Who (a user or a component).
    pub actor: String,
    /// What, e.g. `subscribers.import`, `subscriber.read`.
    pub action: String,
    /// On what: an id, a file, an address.
    pub object: String,
    /// Details (JSON).
    pub detail: String,
}

static LAST_ID: AtomicI64 = AtomicI64::new(0);

/// An id that increases within this process and, being time-based, across
/// processes; a clash with another process is retried.
fn next_id() -> i64 {
    let now = now_micros();
    let mut last = LAST_ID.load(Ordering::Relaxed);
    loop {
        let id = now.max(last + 1);
        match LAST_ID.compare_exchange(last, id, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return id,
            Err(l) => last = l,
        }
    }
}

impl Store {
    /// Records an action.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let detail = detail.to_string();
        for _ in 0..100 {
            let done = sqlx::query(
                "INSERT INTO audit_log (id, at, actor, action, object, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(next_id())
            .bind(now_micros())
            .bind(actor)
            .bind(action)
            .bind(object)
            .bind(&detail)
            .execute(&self.pool)
            .await?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
        }
        Err(StoreError::Damaged {
            what: "audit log".into(),
            why: "no free id after 100 tries".into(),
        })
    }

    /// The latest `limit` entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, object, detail FROM audit_log ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get(0)?,
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    object: r.try_get(4)?,
                    detail: r.try_get(5)?,
                })
            })
            .collect()
    }
}
