//! Reading notices back, for `notices list|show|explain|verify` and bounce
//! matching: by status, id, code or Message-ID, with their recipient and
//! every decision taken about them.

use crate::error::StoreError;
use crate::notices::{
    Decision, NOTICE_COLS, Notice, Recipient, decision_from, json_list, notice_from,
};
use crate::store::Store;
use sqlx::Row;

impl Store {
    /// Notices, newest first, optionally with one status.
    pub async fn notices(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Notice>, StoreError> {
        let rows =
            match status {
                Some(s) => sqlx::query(&format!(
                    "SELECT {NOTICE_COLS} FROM notices WHERE status = $1 ORDER BY id DESC LIMIT $2"
                ))
                .bind(s)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
                None => {
                    sqlx::query(&format!(
                        "SELECT {NOTICE_COLS} FROM notices ORDER BY id DESC LIMIT $1"
                    ))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
                }
            };
        rows.iter().map(notice_from).collect()
    }

    /// One notice.
    pub async fn notice(&self, id: i64) -> Result<Option<Notice>, StoreError> {
        let r = sqlx::query(&format!("SELECT {NOTICE_COLS} FROM notices WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.as_ref().map(notice_from).transpose()
    }

    /// The notice with this code (canonical form).
    pub async fn notice_by_code(&self, code: &str) -> Result<Option<Notice>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {NOTICE_COLS} FROM notices WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(notice_from).transpose()
    }

    /// The notice with this Message-ID.
    pub async fn notice_by_message_id(
        &self,
        message_id: &str,
    ) -> Result<Option<Notice>, StoreError> {
        let r = sqlx::query(&format!(
            "SELECT {NOTICE_COLS} FROM notices WHERE message_id = $1"
        ))
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(notice_from).transpose()
    }

    /// A recipient as last recorded.
    pub async fn recipient(&self, id: &str) -> Result<Option<Recipient>, StoreError> {
        let r = sqlx::query(
            "SELECT id, kind, name, emails, cc, language, timezone, attachment FROM recipients WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = r else { return Ok(None) };
        let emails: String = r.try_get(3)?;
        let cc: String = r.try_get(4)?;
        Ok(Some(Recipient {
            id: r.try_get(0)?,
            kind: r.try_get(1)?,
            name: r.try_get(2)?,
            emails: json_list(&emails, &format!("recipient {id} emails"))?,
            cc: json_list(&cc, &format!("recipient {id} cc"))?,
            language: r.try_get(5)?,
            timezone: r.try_get(6)?,
            attachment: r.try_get(7)?,
        }))
    }

    /// Decisions about a notice and about the events it covers (or that
    /// point at it), oldest first.
    pub async fn decisions_for_notice(&self, notice_id: i64) -> Result<Vec<Decision>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, notice_id, event_id, decision, reason FROM decisions \
             WHERE notice_id = $1 OR event_id IN (SELECT event_id FROM notice_items WHERE notice_id = $2) \
             OR event_id IN (SELECT id FROM events WHERE notice_id = $3) ORDER BY id",
        )
        .bind(notice_id)
        .bind(notice_id)
        .bind(notice_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision_from).collect()
    }

    /// Decisions about one event, oldest first.
    pub async fn decisions_for_event(&self, event_id: i64) -> Result<Vec<Decision>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, actor, notice_id, event_id, decision, reason FROM decisions \
             WHERE event_id = $1 ORDER BY id",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision_from).collect()
    }

    /// Notice counts by status.
    pub async fn notice_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) FROM notices GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}
