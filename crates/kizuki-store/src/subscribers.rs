//! The subscriber directory: who holds each contract, how to reach them,
//! and the keys under which they appear in assignment logs.
//!
//! Every call names an actor and a purpose, recorded in the audit log.

use crate::error::StoreError;
use crate::rows::{V, insert, marks};
use crate::store::{Backend, Store, now_micros};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{HashMap, HashSet};

/// A person or a company.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriberKind {
    /// A private customer.
    Person,
    /// A company: the contract holder is often not its IT department.
    Company,
}

impl SubscriberKind {
    /// `person` or `company`.
    pub fn name(self) -> &'static str {
        match self {
            SubscriberKind::Person => "person",
            SubscriberKind::Company => "company",
        }
    }

    /// Parses [`SubscriberKind::name`].
    pub fn parse(s: &str) -> Option<SubscriberKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "person" | "individual" => Some(SubscriberKind::Person),
            "company" | "organisation" | "organization" | "business" => {
                Some(SubscriberKind::Company)
            }
            _ => None,
        }
    }
}

/// One subscriber.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    /// The subscriber (contract) id.
    pub id: String,
    /// The contract holder's name.
    pub name: String,
    /// Person or company.
    pub kind: SubscriberKind,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// Language of notices (`ja`, `en`, or empty when unknown).
    pub language: String,
    /// Time zone for times in notices.
    pub timezone: String,
    /// Postal address.
    pub postal_address: String,
    /// Keys in logs: `user:…`, `mac:…`, `client-id:…`, `prefix:…`.
    pub keys: Vec<String>,
}

/// What a directory import changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutCounts {
    /// Subscribers new to the store.
    pub added: u64,
    /// Subscribers already there, now replaced.
    pub updated: u64,
    /// Keys written.
    pub keys: u64,
    /// Keys that belonged to another subscriber before.
    pub keys_moved: u64,
}

const CHUNK: usize = 100;

impl Store {
    /// Adds or replaces subscribers (and all their keys), in one
    /// transaction.
    pub async fn put_subscribers(
        &self,
        subs: &[Subscriber],
        actor: &str,
        source: &str,
    ) -> Result<PutCounts, StoreError> {
        let mut counts = PutCounts::default();
        let mut tx = self.pool.begin().await?;
        let existing: HashSet<String> = subscriber_ids(&mut tx).await?.into_iter().collect();
        let owners: HashMap<String, String> = key_pairs(&mut tx).await?.into_iter().collect();
        let now = now_micros();
        let emails: Vec<String> = subs
            .iter()
            .map(|s| serde_json::to_string(&s.emails).unwrap_or_default())
            .collect();
        let rows: Vec<Vec<V<'_>>> = subs
            .iter()
            .zip(&emails)
            .map(|(s, emails)| {
                vec![
                    V::T(&s.id),
                    V::T(&s.name),
                    V::T(s.kind.name()),
                    V::T(emails),
                    V::T(&s.language),
                    V::T(&s.timezone),
                    V::T(&s.postal_address),
                    V::I(now),
                ]
            })
            .collect();
        insert(
            &mut tx,
            "INSERT INTO subscribers (id, name, kind, emails, language, timezone, postal_address, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
             emails = excluded.emails, language = excluded.language, timezone = excluded.timezone, \
             postal_address = excluded.postal_address, updated_at = excluded.updated_at",
            &rows,
        )
        .await?;
        counts.updated = subs.iter().filter(|s| existing.contains(&s.id)).count() as u64;
        counts.added = subs.len() as u64 - counts.updated;
        // Keys: a subscriber's keys are replaced by the new list.
        let ids: Vec<&String> = subs
            .iter()
            .map(|s| &s.id)
            .filter(|id| existing.contains(*id))
            .collect();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "DELETE FROM subscriber_keys WHERE subscriber_id IN ({})",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let pairs: Vec<(&String, &String)> = subs
            .iter()
            .flat_map(|s| s.keys.iter().map(move |k| (k, &s.id)))
            .collect();
        counts.keys = pairs.len() as u64;
        counts.keys_moved = pairs
            .iter()
            .filter(|(k, id)| owners.get(*k).is_some_and(|o| o != *id))
            .count() as u64;
        let rows: Vec<Vec<V<'_>>> = pairs
            .iter()
            .map(|(k, id)| vec![V::T(k), V::T(id)])
            .collect();
        insert(
            &mut tx,
            "INSERT INTO subscriber_keys (key, subscriber_id)",
            "ON CONFLICT (key) DO UPDATE SET subscriber_id = excluded.subscriber_id",
            &rows,
        )
        .await?;
        tx.commit().await?;
        self.audit(
            actor,
            "subscribers.import",
            source,
            &serde_json::json!({
                "added": counts.added,
                "updated": counts.updated,
                "keys": counts.keys,
                "keys_moved": counts.keys_moved,
            }),
        )
        .await?;
        Ok(counts)
    }

    /// Every key with its subscriber id (for attribution).
    pub async fn subscriber_keys(
        &self,
        actor: &str,
        purpose: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut out = key_pairs(&mut conn).await?;
        drop(conn);
        // Keys are unique: in key order, as before.
        out.sort_unstable();
        self.audit(
            actor,
            "subscriber_keys.read",
            "*",
            &serde_json::json!({ "purpose": purpose, "keys": out.len() }),
        )
        .await?;
        Ok(out)
    }

    /// The static prefixes (`prefix:` keys) and those of `keys` that are
    /// known, with their subscriber ids: what one attribution needs, where
    /// [`Store::subscriber_keys`] reads the whole directory.
    pub async fn subscriber_keys_for(
        &self,
        keys: &[String],
        actor: &str,
        purpose: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let row = |r: &sqlx::any::AnyRow| -> Result<(String, String), sqlx::Error> {
            Ok((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?))
        };
        // Compared byte for byte: a range or LIKE would follow the
        // database's collation or case rules.
        let mut out: Vec<(String, String)> = sqlx::query(
            "SELECT key, subscriber_id FROM subscriber_keys \
             WHERE substr(key, 1, 7) = 'prefix:' ORDER BY key",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row)
        .collect::<Result<_, _>>()?;
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT key, subscriber_id FROM subscriber_keys WHERE key IN ({}) ORDER BY key",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(row(&r)?);
            }
        }
        self.audit(
            actor,
            "subscriber_keys.read",
            &format!("{} key(s) asked", keys.len()),
            &serde_json::json!({ "purpose": purpose, "keys": out.len() }),
        )
        .await?;
        Ok(out)
    }

    /// Subscribers by id (those that exist), with their keys.
    pub async fn subscribers(
        &self,
        ids: &[String],
        actor: &str,
        purpose: &str,
    ) -> Result<Vec<Subscriber>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, name, kind, emails, language, timezone, postal_address FROM subscribers \
                 WHERE id IN ({}) ORDER BY id",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let id: String = r.try_get(0)?;
                let kind: String = r.try_get(2)?;
                let emails: String = r.try_get(3)?;
                let damaged = |why: String| StoreError::Damaged {
                    what: format!("subscriber {id}"),
                    why,
                };
                out.push(Subscriber {
                    kind: SubscriberKind::parse(&kind)
                        .ok_or_else(|| damaged(format!("kind {kind:?}")))?,
                    emails: serde_json::from_str(&emails).map_err(|e| damaged(e.to_string()))?,
                    name: r.try_get(1)?,
                    language: r.try_get(4)?,
                    timezone: r.try_get(5)?,
                    postal_address: r.try_get(6)?,
                    keys: Vec::new(),
                    id,
                });
            }
        }
        for chunk in out.chunks_mut(CHUNK) {
            let sql = format!(
                "SELECT key, subscriber_id FROM subscriber_keys WHERE subscriber_id IN ({}) ORDER BY key",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for s in chunk.iter() {
                q = q.bind(&s.id);
            }
            let rows = q.fetch_all(&self.pool).await?;
            for r in rows {
                let key: String = r.try_get(0)?;
                let id: String = r.try_get(1)?;
                if let Some(s) = chunk.iter_mut().find(|s| s.id == id) {
                    s.keys.push(key);
                }
            }
        }
        self.audit(
            actor,
            "subscribers.read",
            &ids.join(","),
            &serde_json::json!({ "purpose": purpose, "found": out.len() }),
        )
        .await?;
        Ok(out)
    }

    /// How many subscribers there are.
    pub async fn subscriber_count(&self) -> Result<i64, StoreError> {
        let r = sqlx::query("SELECT COUNT(*) FROM subscribers")
            .fetch_one(&self.pool)
            .await?;
        Ok(r.try_get(0)?)
    }
}

/// Every key with its subscriber id, in no order, read as one JSON array
/// in one row: a row per key made the SQLite driver hand a million rows
/// over one by one (seconds).
async fn key_pairs(conn: &mut sqlx::AnyConnection) -> Result<Vec<(String, String)>, StoreError> {
    let sql = match Backend::of(conn) {
        Backend::Sqlite => {
            "SELECT json_group_array(json_array(key, subscriber_id)) FROM subscriber_keys"
        }
        Backend::Postgres => {
            "SELECT COALESCE(json_agg(json_build_array(key, subscriber_id)), '[]'::json)::text \
             FROM subscriber_keys"
        }
    };
    json_document(conn, sql, "subscriber keys").await
}

/// Every subscriber id, in no order, read as one JSON array in one row
/// (see [`key_pairs`]).
async fn subscriber_ids(conn: &mut sqlx::AnyConnection) -> Result<Vec<String>, StoreError> {
    let sql = match Backend::of(conn) {
        Backend::Sqlite => "SELECT json_group_array(id) FROM subscribers",
        Backend::Postgres => "SELECT COALESCE(json_agg(id), '[]'::json)::text FROM subscribers",
    };
    json_document(conn, sql, "subscriber ids").await
}

/// The one JSON text `sql` selects, decoded; `what` names it in the error
/// for a document that does not decode.
async fn json_document<T: serde::de::DeserializeOwned>(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    what: &str,
) -> Result<T, StoreError> {
    let text: String = sqlx::query(sql).fetch_one(&mut *conn).await?.try_get(0)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Damaged {
        what: what.into(),
        why: e.to_string(),
    })
}
