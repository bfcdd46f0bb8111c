//! Events handed to `notify`, the notices made of them, and every decision
//! taken on the way. The policy itself lives in `kizuki-notify`; the store
//! keeps its inputs and writes its plan in one transaction, so a crash
//! during `notify` leaves either the whole plan or nothing.

use crate::error::StoreError;
use crate::rows::{V, insert, marks};
use crate::store::{Store, now_micros};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{HashMap, HashSet};

/// Ids bound per `IN (…)` query.
const CHUNK: usize = 500;

/// Who a notice goes to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// `subscriber:ID` or `contact:ID`.
    pub id: String,
    /// `person`, `company`, `operator` or `organisation`.
    pub kind: String,
    /// The contract holder's or organisation's name.
    pub name: String,
    /// To addresses.
    pub emails: Vec<String>,
    /// Cc addresses.
    pub cc: Vec<String>,
    /// `ja`, `en`, or what the directory said (held when unknown).
    pub language: String,
    /// IANA zone for times in the notice.
    pub timezone: String,
    /// Machine-readable attachment: ``, `csv`, `intelmq` or `xarf`.
    pub attachment: String,
}

/// An event as `notify` records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The event's identity; a second event with the same key is the same
    /// event.
    pub dedupe_key: String,
    /// `time.source`, microseconds since 1970.
    pub observed_at: i64,
    /// `source.ip`.
    pub address: String,
    /// `source.port`.
    pub port: Option<i64>,
    /// `malware.name` (or the classification when there is none).
    pub malware: String,
    /// `exact`, `shared`, `none`, `conflict`, or `routed` for a
    /// coordinator's event.
    pub attribution: String,
    /// Recipient ids the event may belong to.
    pub candidates: Vec<String>,
    /// The event as a JSON line.
    pub body: String,
}

/// A recorded event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StoredEvent {
    /// Id.
    pub id: i64,
    /// What was recorded.
    #[serde(flatten)]
    pub event: NewEvent,
    /// When `notify` first saw it.
    pub received_at: i64,
    /// `pending` until decided; then `notified`, `duplicate`,
    /// `suppressed`, `unattributed`, `held`, `too_old` or `rejected`.
    pub state: String,
    /// The notice it went into, or that already covered it.
    pub notice_id: Option<i64>,
}

/// One (address, malware, time) a notice covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeItem {
    /// The event.
    pub event_id: i64,
    /// Its address.
    pub address: String,
    /// Its malware.
    pub malware: String,
    /// When it was observed (microseconds).
    pub observed_at: i64,
}

/// A notice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// Id, increasing.
    pub id: i64,
    /// The notice code, canonical form.
    pub code: String,
    /// The recipient; `None` while held with several candidates.
    pub recipient_id: Option<String>,
    /// Candidates, for a notice held for review.
    pub candidates: Vec<String>,
    /// `notice`, `renotice`, `reminder` or `escalation`.
    pub kind: String,
    /// `ja` or `en`.
    pub language: String,
    /// `held`, `queued`, `sent`, `failed`, `rejected`, `released` (a held
    /// notice whose events went into approved notices) or `bounced`.
    pub status: String,
    /// Why it is held.
    pub hold_reason: String,
    /// Who reviews it.
    pub assigned_to: String,
    /// When it was made.
    pub created_at: i64,
    /// When the server accepted it.
    pub sent_at: Option<i64>,
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// The subject line.
    pub subject: String,
    /// The text as rendered.
    pub body: String,
}

/// A decision and its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// When (microseconds).
    pub at: i64,
    /// Who: a user, or `policy`.
    pub actor: String,
    /// About a notice.
    pub notice_id: Option<i64>,
    /// About an event.
    pub event_id: Option<i64>,
    /// What: `notify`, `duplicate`, `suppress`, `hold`, `approve`, …
    pub decision: String,
    /// Why, in words.
    pub reason: String,
}

/// A message waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxDraft {
    /// Message-ID, without angle brackets.
    pub message_id: String,
    /// The envelope sender.
    pub envelope_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// The whole RFC 5322 message.
    pub message: String,
}

/// A notice to create, with what it covers and, unless held, its message.
#[derive(Clone, Debug)]
pub struct PlannedNotice {
    /// The notice; its id comes from [`Store::next_ids`].
    pub notice: Notice,
    /// What it covers.
    pub items: Vec<NoticeItem>,
    /// The message, for a notice that goes out now.
    pub outbox: Option<OutboxDraft>,
}

/// A step of the escalation ladder reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escalation {
    /// The recipient.
    pub recipient_id: String,
    /// The address.
    pub address: String,
    /// The malware.
    pub malware: String,
    /// The first notice about it.
    pub first_notice_id: i64,
    /// Steps fired so far.
    pub step: i64,
}

/// Everything one `notify` run writes.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Recipients as they are now.
    pub recipients: Vec<Recipient>,
    /// Events not seen before, with the ids given them.
    pub new_events: Vec<(i64, NewEvent)>,
    /// New notices.
    pub notices: Vec<PlannedNotice>,
    /// Event ids with their new state and notice.
    pub event_states: Vec<(i64, String, Option<i64>)>,
    /// Decisions, with reasons.
    pub decisions: Vec<Decision>,
    /// Ladder positions to write.
    pub escalations: Vec<Escalation>,
}

/// What a notice looked like to the policy: when it was made and sent,
/// and what it covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeFact {
    /// Id.
    pub id: i64,
    /// The recipient.
    pub recipient_id: String,
    /// Kind.
    pub kind: String,
    /// Status.
    pub status: String,
    /// Made at.
    pub created_at: i64,
    /// Sent at.
    pub sent_at: Option<i64>,
    /// Covered.
    pub items: Vec<NoticeItem>,
}

pub(crate) fn json_list(s: &str, what: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Damaged {
        what: what.to_owned(),
        why: e.to_string(),
    })
}

fn to_json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

pub(crate) const NOTICE_COLS: &str = "id, code, recipient_id, candidates, kind, language, status, hold_reason, \
     assigned_to, created_at, sent_at, message_id, subject, body";

pub(crate) fn notice_from(r: &AnyRow) -> Result<Notice, StoreError> {
    let id: i64 = r.try_get(0)?;
    let candidates: String = r.try_get(3)?;
    Ok(Notice {
        id,
        code: r.try_get(1)?,
        recipient_id: r.try_get(2)?,
        candidates: json_list(&candidates, &format!("notice {id} candidates"))?,
        kind: r.try_get(4)?,
        language: r.try_get(5)?,
        status: r.try_get(6)?,
        hold_reason: r.try_get(7)?,
        assigned_to: r.try_get(8)?,
        created_at: r.try_get(9)?,
        sent_at: r.try_get(10)?,
        message_id: r.try_get(11)?,
        subject: r.try_get(12)?,
        body: r.try_get(13)?,
    })
}

const EVENT_COLS: &str = "id, dedupe_key, observed_at, address, port, malware, attribution, \
     candidates, body, received_at, state, notice_id";

fn event_from(r: &AnyRow) -> Result<StoredEvent, StoreError> {
    let id: i64 = r.try_get(0)?;
    let candidates: String = r.try_get(7)?;
    Ok(StoredEvent {
        id,
        event: NewEvent {
            dedupe_key: r.try_get(1)?,
            observed_at: r.try_get(2)?,
            address: r.try_get(3)?,
            port: r.try_get(4)?,
            malware: r.try_get(5)?,
            attribution: r.try_get(6)?,
            candidates: json_list(&candidates, &format!("event {id} candidates"))?,
            body: r.try_get(8)?,
        },
        received_at: r.try_get(9)?,
        state: r.try_get(10)?,
        notice_id: r.try_get(11)?,
    })
}

pub(crate) fn decision_from(r: &AnyRow) -> Result<Decision, StoreError> {
    Ok(Decision {
        at: r.try_get(0)?,
        actor: r.try_get(1)?,
        notice_id: r.try_get(2)?,
        event_id: r.try_get(3)?,
        decision: r.try_get(4)?,
        reason: r.try_get(5)?,
    })
}

/// Writes notices, their items and their outbox rows.
pub(crate) async fn insert_notices(
    conn: &mut sqlx::AnyConnection,
    notices: &[PlannedNotice],
    now: i64,
) -> Result<(), StoreError> {
    let candidates: Vec<String> = notices
        .iter()
        .map(|p| to_json(&p.notice.candidates))
        .collect();
    let rows: Vec<Vec<V<'_>>> = notices
        .iter()
        .zip(&candidates)
        .map(|(p, c)| {
            let n = &p.notice;
            vec![
                V::I(n.id),
                V::T(&n.code),
                V::OT(n.recipient_id.as_deref()),
                V::T(c),
                V::T(&n.kind),
                V::T(&n.language),
                V::T(&n.status),
                V::T(&n.hold_reason),
                V::T(&n.assigned_to),
                V::I(n.created_at),
                V::OI(n.sent_at),
                V::T(&n.message_id),
                V::T(&n.subject),
                V::T(&n.body),
            ]
        })
        .collect();
    insert(
        conn,
        &format!("INSERT INTO notices ({NOTICE_COLS})"),
        "",
        &rows,
    )
    .await?;
    let items: Vec<Vec<V<'_>>> = notices
        .iter()
        .flat_map(|p| {
            p.items.iter().map(|i| {
                vec![
                    V::I(p.notice.id),
                    V::I(i.event_id),
                    V::T(&i.address),
                    V::T(&i.malware),
                    V::I(i.observed_at),
                ]
            })
        })
        .collect();
    insert(
        conn,
        "INSERT INTO notice_items (notice_id, event_id, address, malware, observed_at)",
        "",
        &items,
    )
    .await?;
    let rcpts: Vec<(i64, String, &OutboxDraft)> = notices
        .iter()
        .filter_map(|p| {
            p.outbox
                .as_ref()
                .map(|o| (p.notice.id, to_json(&o.rcpt), o))
        })
        .collect();
    let rows: Vec<Vec<V<'_>>> = rcpts
        .iter()
        .map(|(id, rcpt, o)| {
            vec![
                V::I(*id),
                V::T(&o.message_id),
                V::T(&o.envelope_from),
                V::T(rcpt),
                V::T(&o.message),
                V::T("queued"),
                V::I(0),
                V::I(now),
                V::T(""),
                V::I(now),
            ]
        })
        .collect();
    insert(
        conn,
        "INSERT INTO outbox (notice_id, message_id, envelope_from, rcpt, message, state, attempts, \
         next_attempt_at, last_error, updated_at)",
        "",
        &rows,
    )
    .await?;
    Ok(())
}

pub(crate) async fn insert_decisions(
    conn: &mut sqlx::AnyConnection,
    decisions: &[Decision],
    first_id: i64,
) -> Result<(), StoreError> {
    let rows: Vec<Vec<V<'_>>> = decisions
        .iter()
        .enumerate()
        .map(|(i, d)| {
            vec![
                V::I(first_id + i as i64),
                V::I(d.at),
                V::T(&d.actor),
                V::OI(d.notice_id),
                V::OI(d.event_id),
                V::T(&d.decision),
                V::T(&d.reason),
            ]
        })
        .collect();
    insert(
        conn,
        "INSERT INTO decisions (id, at, actor, notice_id, event_id, decision, reason)",
        "",
        &rows,
    )
    .await?;
    Ok(())
}

pub(crate) async fn max_id(conn: &mut sqlx::AnyConnection, table: &str) -> Result<i64, StoreError> {
    let r = sqlx::query(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
        .fetch_one(&mut *conn)
        .await?;
    Ok(r.try_get::<i64, _>(0)?)
}

impl Store {
    /// The next free event and notice ids. A plan built on them is written
    /// by [`Store::apply_plan`]; if another run wrote in between, that
    /// fails as a whole and nothing is written.
    pub async fn next_ids(&self) -> Result<(i64, i64), StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok((
            max_id(&mut conn, "events").await? + 1,
            max_id(&mut conn, "notices").await? + 1,
        ))
    }

    /// Which of these dedupe keys are already recorded.
    pub async fn known_event_keys(&self, keys: &[String]) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT dedupe_key FROM events WHERE dedupe_key IN ({})",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.try_get::<String, _>(0)?);
            }
        }
        Ok(out)
    }

    /// Events still waiting for a decision (rate-limited ones, say).
    pub async fn pending_events(&self) -> Result<Vec<StoredEvent>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLS} FROM events WHERE state = 'pending' ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from).collect()
    }

    /// Events by id.
    pub async fn events_by_id(&self, ids: &[i64]) -> Result<Vec<StoredEvent>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {EVENT_COLS} FROM events WHERE id IN ({}) ORDER BY id",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(event_from(&r)?);
            }
        }
        Ok(out)
    }

    /// The events a notice covers.
    pub async fn notice_events(&self, notice_id: i64) -> Result<Vec<StoredEvent>, StoreError> {
        let ids: Vec<i64> = self
            .notice_items(notice_id)
            .await?
            .iter()
            .map(|i| i.event_id)
            .collect();
        self.events_by_id(&ids).await
    }

    /// What a notice covers.
    pub async fn notice_items(&self, notice_id: i64) -> Result<Vec<NoticeItem>, StoreError> {
        let rows = sqlx::query(
            "SELECT event_id, address, malware, observed_at FROM notice_items \
             WHERE notice_id = $1 ORDER BY observed_at, event_id",
        )
        .bind(notice_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NoticeItem {
                    event_id: r.try_get(0)?,
                    address: r.try_get(1)?,
                    malware: r.try_get(2)?,
                    observed_at: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// Every notice to these recipients that was not rejected or released,
    /// with what it covered.
    pub async fn notice_history(
        &self,
        recipient_ids: &[String],
    ) -> Result<Vec<NoticeFact>, StoreError> {
        let mut facts: HashMap<i64, NoticeFact> = HashMap::new();
        for chunk in recipient_ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT n.id, n.recipient_id, n.kind, n.status, n.created_at, n.sent_at, \
                 i.event_id, i.address, i.malware, i.observed_at \
                 FROM notices n JOIN notice_items i ON i.notice_id = n.id \
                 WHERE n.status NOT IN ('rejected', 'released') AND n.recipient_id IN ({})",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                let id: i64 = r.try_get(0)?;
                let item = NoticeItem {
                    event_id: r.try_get(6)?,
                    address: r.try_get(7)?,
                    malware: r.try_get(8)?,
                    observed_at: r.try_get(9)?,
                };
                match facts.get_mut(&id) {
                    Some(f) => f.items.push(item),
                    None => {
                        facts.insert(
                            id,
                            NoticeFact {
                                id,
                                recipient_id: r.try_get(1)?,
                                kind: r.try_get(2)?,
                                status: r.try_get(3)?,
                                created_at: r.try_get(4)?,
                                sent_at: r.try_get(5)?,
                                items: vec![item],
                            },
                        );
                    }
                }
            }
        }
        let mut out: Vec<NoticeFact> = facts.into_values().collect();
        out.sort_by_key(|f| f.id);
        Ok(out)
    }

    /// Ladder positions for these recipients.
    pub async fn escalations(
        &self,
        recipient_ids: &[String],
    ) -> Result<Vec<Escalation>, StoreError> {
        let mut out = Vec::new();
        for chunk in recipient_ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT recipient_id, address, malware, first_notice_id, step FROM escalations \
                 WHERE recipient_id IN ({})",
                marks(self.backend(), chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push(Escalation {
                    recipient_id: r.try_get(0)?,
                    address: r.try_get(1)?,
                    malware: r.try_get(2)?,
                    first_notice_id: r.try_get(3)?,
                    step: r.try_get(4)?,
                });
            }
        }
        Ok(out)
    }

    /// Writes a plan in one transaction.
    pub async fn apply_plan(&self, plan: &Plan) -> Result<(), StoreError> {
        let now = now_micros();
        let mut tx = self.pool.begin().await?;
        let strings: Vec<(String, String)> = plan
            .recipients
            .iter()
            .map(|r| (to_json(&r.emails), to_json(&r.cc)))
            .collect();
        let rows: Vec<Vec<V<'_>>> = plan
            .recipients
            .iter()
            .zip(&strings)
            .map(|(r, (emails, cc))| {
                vec![
                    V::T(&r.id),
                    V::T(&r.kind),
                    V::T(&r.name),
                    V::T(emails),
                    V::T(cc),
                    V::T(&r.language),
                    V::T(&r.timezone),
                    V::T(&r.attachment),
                    V::I(now),
                ]
            })
            .collect();
        insert(
            &mut tx,
            "INSERT INTO recipients (id, kind, name, emails, cc, language, timezone, attachment, updated_at)",
            "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
             emails = excluded.emails, cc = excluded.cc, language = excluded.language, \
             timezone = excluded.timezone, attachment = excluded.attachment, \
             updated_at = excluded.updated_at",
            &rows,
        )
        .await?;

        // New events go in with their final state; only earlier ones are
        // updated.
        let decided: HashMap<i64, (&str, Option<i64>)> = plan
            .event_states
            .iter()
            .map(|(id, st, n)| (*id, (st.as_str(), *n)))
            .collect();
        let new_ids: HashSet<i64> = plan.new_events.iter().map(|(id, _)| *id).collect();
        let cands: Vec<String> = plan
            .new_events
            .iter()
            .map(|(_, e)| to_json(&e.candidates))
            .collect();
        let rows: Vec<Vec<V<'_>>> = plan
            .new_events
            .iter()
            .zip(&cands)
            .map(|((id, e), c)| {
                vec![
                    V::I(*id),
                    V::T(&e.dedupe_key),
                    V::I(e.observed_at),
                    V::T(&e.address),
                    V::OI(e.port),
                    V::T(&e.malware),
                    V::T(&e.attribution),
                    V::T(c),
                    V::T(&e.body),
                    V::I(now),
                    V::T(decided.get(id).map_or("pending", |d| d.0)),
                    V::OI(decided.get(id).and_then(|d| d.1)),
                ]
            })
            .collect();
        let added = insert(
            &mut tx,
            &format!("INSERT INTO events ({EVENT_COLS})"),
            "",
            &rows,
        )
        .await?;
        if added != plan.new_events.len() as u64 {
            return Err(StoreError::Damaged {
                what: "events".into(),
                why: "another notify run recorded events meanwhile; run again".into(),
            });
        }
        insert_notices(&mut tx, &plan.notices, now).await?;
        for (id, state, notice) in plan.event_states.iter().filter(|e| !new_ids.contains(&e.0)) {
            sqlx::query("UPDATE events SET state = $1, notice_id = $2 WHERE id = $3")
                .bind(state)
                .bind(*notice)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        let first = max_id(&mut tx, "decisions").await? + 1;
        insert_decisions(&mut tx, &plan.decisions, first).await?;
        for e in &plan.escalations {
            sqlx::query(
                "INSERT INTO escalations (recipient_id, address, malware, first_notice_id, step, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (recipient_id, address, malware) \
                 DO UPDATE SET step = excluded.step, first_notice_id = excluded.first_notice_id, \
                 updated_at = excluded.updated_at",
            )
            .bind(&e.recipient_id)
            .bind(&e.address)
            .bind(&e.malware)
            .bind(e.first_notice_id)
            .bind(e.step)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records decisions outside a plan (review, delivery).
    pub async fn add_decisions(&self, decisions: &[Decision]) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let first = max_id(&mut tx, "decisions").await? + 1;
        insert_decisions(&mut tx, decisions, first).await?;
        tx.commit().await?;
        Ok(())
    }
}
