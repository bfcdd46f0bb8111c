//! The review of held notices: approve (release the events into notices
//! for the chosen candidates), reject, assign. Each is decided once, and
//! recorded with who decided and why.

use crate::error::StoreError;
use crate::notices::{Decision, PlannedNotice, insert_decisions, insert_notices, max_id};
use crate::store::{Store, now_micros};

impl Store {
    /// Ends a held notice by releasing its events into approved notices
    /// (one per chosen candidate), in one transaction.
    pub async fn release_held(
        &self,
        held_id: i64,
        actor: &str,
        reason: &str,
        released: &[PlannedNotice],
    ) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE notices SET status = 'released' WHERE id = $1 AND status = 'held'")
                .bind(held_id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "notice {held_id} is not held (decided already?)"
            )));
        }
        insert_notices(&mut tx, released, now).await?;
        let mut decisions = vec![Decision {
            at: now,
            actor: actor.to_owned(),
            notice_id: Some(held_id),
            event_id: None,
            decision: "approve".into(),
            reason: reason.to_owned(),
        }];
        for p in released {
            for i in &p.items {
                sqlx::query("UPDATE events SET state = 'notified', notice_id = $1 WHERE id = $2")
                    .bind(p.notice.id)
                    .bind(i.event_id)
                    .execute(&mut *tx)
                    .await?;
            }
            decisions.push(Decision {
                at: now,
                actor: actor.to_owned(),
                notice_id: Some(p.notice.id),
                event_id: None,
                decision: "notify".into(),
                reason: format!(
                    "approved from held notice {held_id} for {}",
                    p.notice.recipient_id.as_deref().unwrap_or("?")
                ),
            });
        }
        let first = max_id(&mut tx, "decisions").await? + 1;
        insert_decisions(&mut tx, &decisions, first).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rejects a held notice: nothing is sent, and its events are closed.
    pub async fn reject_held(&self, id: i64, actor: &str, reason: &str) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE notices SET status = 'rejected' WHERE id = $1 AND status = 'held'")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!(
                "notice {id} is not held (decided already?)"
            )));
        }
        sqlx::query(
            "UPDATE events SET state = 'rejected' WHERE id IN (SELECT event_id FROM notice_items WHERE notice_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let first = max_id(&mut tx, "decisions").await? + 1;
        insert_decisions(
            &mut tx,
            &[Decision {
                at: now,
                actor: actor.to_owned(),
                notice_id: Some(id),
                event_id: None,
                decision: "reject".into(),
                reason: reason.to_owned(),
            }],
            first,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Assigns a held notice to a reviewer.
    pub async fn assign_notice(&self, id: i64, actor: &str, to: &str) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE notices SET assigned_to = $1 WHERE id = $2 AND status = 'held'")
                .bind(to)
                .bind(id)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict(format!("notice {id} is not held")));
        }
        self.add_decisions(&[Decision {
            at: now_micros(),
            actor: actor.to_owned(),
            notice_id: Some(id),
            event_id: None,
            decision: "assign".into(),
            reason: format!("assigned to {to}"),
        }])
        .await
    }
}
