//! The outbox: notices' messages waiting to leave, each attempt at
//! delivering them, and the bounces that come back.
//!
//! A row moves `queued` → `sending` → `sent` (or back to `queued` with a
//! later `next_attempt_at`, or to `failed`). The move to `sending` is
//! committed before the SMTP transaction starts, so a sender that dies
//! leaves its rows in `sending`; the next sender finds them with
//! [`Store::outbox_recover`], records that their message may have arrived,
//! and sends them again under the same Message-ID.

use crate::error::StoreError;
use crate::notices::Decision;
use crate::rows::{V, insert};
use crate::store::{Store, now_micros};
use serde::Serialize;
use sqlx::Row;

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// The notice.
    pub notice_id: i64,
    /// Message-ID, without angle brackets.
    pub message_id: String,
    /// Envelope sender.
    pub envelope_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The message.
    pub message: String,
    /// `queued`, `sending`, `sent` or `failed`.
    pub state: String,
    /// Attempts started, this one included once claimed.
    pub attempts: i64,
    /// Not before (microseconds).
    pub next_attempt_at: i64,
    /// The last failure.
    pub last_error: String,
}

/// One delivery attempt's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The notice.
    pub notice_id: i64,
    /// Which attempt.
    pub attempt: i64,
    /// When.
    pub at: i64,
    /// `sent`, `retry`, `failed` or `interrupted` (the sender died during
    /// the attempt; the message may have arrived).
    pub outcome: String,
    /// The server's reply or the error.
    pub detail: String,
}

/// A delivery status notification matched (or not) to a notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bounce {
    /// The notice whose Message-ID it names.
    pub notice_id: Option<i64>,
    /// That Message-ID.
    pub message_id: String,
    /// The recipient it is about.
    pub recipient: String,
    /// `failed`, `delayed`, `delivered`, …
    pub action: String,
    /// Status code, e.g. `5.1.1`.
    pub status: String,
    /// The remote server's words.
    pub diagnostic: String,
    /// Where it was read from.
    pub source: String,
}

fn row_from(r: &sqlx::any::AnyRow) -> Result<OutboxRow, StoreError> {
    let id: i64 = r.try_get(0)?;
    let rcpt: String = r.try_get(3)?;
    Ok(OutboxRow {
        notice_id: id,
        message_id: r.try_get(1)?,
        envelope_from: r.try_get(2)?,
        rcpt: serde_json::from_str(&rcpt).map_err(|e| StoreError::Damaged {
            what: format!("outbox row {id}"),
            why: e.to_string(),
        })?,
        message: r.try_get(4)?,
        state: r.try_get(5)?,
        attempts: r.try_get(6)?,
        next_attempt_at: r.try_get(7)?,
        last_error: r.try_get(8)?,
    })
}

const COLS: &str = "notice_id, message_id, envelope_from, rcpt, message, state, attempts, next_attempt_at, last_error";

impl Store {
    async fn delivery(conn: &mut sqlx::AnyConnection, d: &Delivery) -> Result<(), StoreError> {
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM deliveries")
            .fetch_one(&mut *conn)
            .await?;
        let id: i64 = r.try_get::<i64, _>(0)? + 1;
        insert(
            conn,
            "INSERT INTO deliveries (id, notice_id, attempt, at, outcome, detail)",
            "",
            &[vec![
                V::I(id),
                V::I(d.notice_id),
                V::I(d.attempt),
                V::I(d.at),
                V::T(&d.outcome),
                V::T(&d.detail),
            ]],
        )
        .await?;
        Ok(())
    }

    /// Records how one attempt at `row` ended.
    async fn attempt(
        conn: &mut sqlx::AnyConnection,
        row: &OutboxRow,
        now: i64,
        outcome: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        Store::delivery(
            conn,
            &Delivery {
                notice_id: row.notice_id,
                attempt: row.attempts,
                at: now,
                outcome: outcome.to_owned(),
                detail: detail.to_owned(),
            },
        )
        .await
    }

    /// Puts rows a dead sender left in `sending` back in the queue, due
    /// now, and records that their message may have arrived. Call it once
    /// when a sender starts, holding the sender's lock. Returns the notice
    /// ids.
    pub async fn outbox_recover(&self) -> Result<Vec<i64>, StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query("SELECT notice_id, attempts FROM outbox WHERE state = 'sending'")
            .fetch_all(&mut *tx)
            .await?;
        let mut ids = Vec::new();
        for r in rows {
            let id: i64 = r.try_get(0)?;
            let attempt: i64 = r.try_get(1)?;
            sqlx::query(
                "UPDATE outbox SET state = 'queued', next_attempt_at = $1, updated_at = $2 WHERE notice_id = $3",
            )
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            Store::delivery(
                &mut tx,
                &Delivery {
                    notice_id: id,
                    attempt,
                    at: now,
                    outcome: "interrupted".into(),
                    detail: "the sender stopped during this attempt; the message may have arrived \
                             and is sent again under the same Message-ID"
                        .into(),
                },
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// Claims up to `limit` due rows: each moves to `sending` with one more
    /// attempt, committed before this returns.
    pub async fn outbox_claim(&self, now: i64, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Ids first, along the (state, next_attempt_at) index: the messages
        // themselves are read only for the rows claimed.
        let ids = sqlx::query(
            "SELECT notice_id FROM outbox WHERE state = 'queued' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for r in &ids {
            let id: i64 = r.try_get(0)?;
            let done = sqlx::query(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = $1 \
                 WHERE notice_id = $2 AND state = 'queued'",
            )
            .bind(now_micros())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 1 {
                let row = sqlx::query(&format!("SELECT {COLS} FROM outbox WHERE notice_id = $1"))
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                out.push(row_from(&row)?);
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The server accepted the message.
    pub async fn outbox_sent(&self, row: &OutboxRow, reply: &str) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE outbox SET state = 'sent', last_error = '', updated_at = $1 WHERE notice_id = $2")
            .bind(now)
            .bind(row.notice_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE notices SET status = 'sent', sent_at = $1 WHERE id = $2")
            .bind(now)
            .bind(row.notice_id)
            .execute(&mut *tx)
            .await?;
        Store::attempt(&mut tx, row, now, "sent", reply).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A temporary failure: try again at `next_at`.
    pub async fn outbox_retry(
        &self,
        row: &OutboxRow,
        next_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE outbox SET state = 'queued', next_attempt_at = $1, last_error = $2, updated_at = $3 \
             WHERE notice_id = $4",
        )
        .bind(next_at)
        .bind(error)
        .bind(now)
        .bind(row.notice_id)
        .execute(&mut *tx)
        .await?;
        Store::attempt(&mut tx, row, now, "retry", error).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A permanent failure: the notice is failed, with the reason.
    pub async fn outbox_failed(&self, row: &OutboxRow, error: &str) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE outbox SET state = 'failed', last_error = $1, updated_at = $2 WHERE notice_id = $3",
        )
        .bind(error)
        .bind(now)
        .bind(row.notice_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE notices SET status = 'failed' WHERE id = $1")
            .bind(row.notice_id)
            .execute(&mut *tx)
            .await?;
        Store::attempt(&mut tx, row, now, "failed", error).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rows by state, and the earliest time a queued row is due.
    pub async fn outbox_summary(&self) -> Result<(Vec<(String, i64)>, Option<i64>), StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) FROM outbox GROUP BY state ORDER BY state")
            .fetch_all(&self.pool)
            .await?;
        let counts = rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let r = sqlx::query("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'queued'")
            .fetch_one(&self.pool)
            .await?;
        Ok((counts, r.try_get(0)?))
    }

    /// One notice's outbox row.
    pub async fn outbox_row(&self, notice_id: i64) -> Result<Option<OutboxRow>, StoreError> {
        let r = sqlx::query(&format!("SELECT {COLS} FROM outbox WHERE notice_id = $1"))
            .bind(notice_id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(row_from).transpose()
    }

    /// One notice's delivery attempts, oldest first.
    pub async fn deliveries(&self, notice_id: i64) -> Result<Vec<Delivery>, StoreError> {
        let rows = sqlx::query(
            "SELECT notice_id, attempt, at, outcome, detail FROM deliveries WHERE notice_id = $1 ORDER BY id",
        )
        .bind(notice_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    notice_id: r.try_get(0)?,
                    attempt: r.try_get(1)?,
                    at: r.try_get(2)?,
                    outcome: r.try_get(3)?,
                    detail: r.try_get(4)?,
                })
            })
            .collect()
    }

    /// Every delivery outcome with its count (`interrupted` counts the
    /// messages that may have arrived twice).
    pub async fn delivery_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT outcome, COUNT(*) FROM deliveries GROUP BY outcome ORDER BY outcome",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }

    /// Records a bounce, matched to its notice by Message-ID; a failed
    /// delivery marks the notice `bounced`. The same report read twice is
    /// recorded once. Returns whether it was new.
    pub async fn add_bounce(&self, b: &Bounce, actor: &str) -> Result<bool, StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM bounces")
            .fetch_one(&mut *tx)
            .await?;
        let id: i64 = r.try_get::<i64, _>(0)? + 1;
        let added = insert(
            &mut tx,
            "INSERT INTO bounces (id, notice_id, message_id, recipient, action, status, diagnostic, received_at, source)",
            "ON CONFLICT (message_id, recipient, action, status) DO NOTHING",
            &[vec![
                V::I(id),
                V::OI(b.notice_id),
                V::T(&b.message_id),
                V::T(&b.recipient),
                V::T(&b.action),
                V::T(&b.status),
                V::T(&b.diagnostic),
                V::I(now),
                V::T(&b.source),
            ]],
        )
        .await?;
        if added == 1
            && let Some(n) = b.notice_id
        {
            if b.action == "failed" {
                sqlx::query("UPDATE notices SET status = 'bounced' WHERE id = $1")
                    .bind(n)
                    .execute(&mut *tx)
                    .await?;
            }
            let r = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM decisions")
                .fetch_one(&mut *tx)
                .await?;
            let did: i64 = r.try_get::<i64, _>(0)? + 1;
            let d = Decision {
                at: now,
                actor: actor.to_owned(),
                notice_id: Some(n),
                event_id: None,
                decision: format!("bounce-{}", b.action),
                reason: format!(
                    "{} {} for {}: {}",
                    b.status, b.action, b.recipient, b.diagnostic
                ),
            };
            insert(
                &mut tx,
                "INSERT INTO decisions (id, at, actor, notice_id, event_id, decision, reason)",
                "",
                &[vec![
                    V::I(did),
                    V::I(d.at),
                    V::T(&d.actor),
                    V::OI(d.notice_id),
                    V::OI(None),
                    V::T(&d.decision),
                    V::T(&d.reason),
                ]],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(added == 1)
    }

    /// Bounces of one notice.
    pub async fn bounces(&self, notice_id: i64) -> Result<Vec<Bounce>, StoreError> {
        let rows = sqlx::query(
            "SELECT notice_id, message_id, recipient, action, status, diagnostic, source FROM bounces \
             WHERE notice_id = $1 ORDER BY id",
        )
        .bind(notice_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Bounce {
                    notice_id: r.try_get(0)?,
                    message_id: r.try_get(1)?,
                    recipient: r.try_get(2)?,
                    action: r.try_get(3)?,
                    status: r.try_get(4)?,
                    diagnostic: r.try_get(5)?,
                    source: r.try_get(6)?,
                })
            })
            .collect()
    }
}
