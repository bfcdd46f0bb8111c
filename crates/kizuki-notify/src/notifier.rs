//! One `notify` run: events in, notices (with their messages) out, all
//! written in one transaction.
//!
//! 1. [`Notifier::prepare`] turns event lines into records, drops those the
//!    store already has (their dedupe key), and loads what the policy
//!    needs: pending events, earlier notices, ladder positions.
//! 2. The caller resolves the recipients it names (subscribers from the
//!    store, contacts from the contacts directory).
//! 3. [`Notifier::decide`] runs the policy and renders every notice that
//!    goes out. It touches nothing, so `--dry-run` stops here.
//! 4. [`kizuki_store::Store::apply_plan`] writes it all, or nothing.

use crate::code;
use crate::config::{self, NotifyConfig};
use crate::error::NotifyError;
use crate::message::{self, Attached, Parts};
use crate::policy::{Decided, Draft, NoticeRef, Policy};
use crate::sanitize::neutralise;
use crate::template::Templates;
use kizuki_store::{
    Decision, Escalation, NewEvent, Notice, NoticeFact, NoticeItem, OutboxDraft, Plan,
    PlannedNotice, Recipient, Store, StoredEvent,
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Makes an attachment of the given format (`csv`, `xarf`, `intelmq`)
/// from event lines.
pub type AttachFn = dyn Fn(&str, &[&str]) -> Result<Attached, String> + Send + Sync;

/// Fields of an event that go into the machine-readable part. Attribution
/// details (other subscribers' ids) never leave the ISP.
const SHARED_FIELDS: &[&str] = &[
    "time.source",
    "time.observation",
    "source.ip",
    "source.port",
    "source.asn",
    "source.fqdn",
    "source.account",
    "destination.ip",
    "destination.port",
    "destination.fqdn",
    "destination.url",
    "classification.taxonomy",
    "classification.type",
    "classification.identifier",
    "malware.name",
    "protocol.transport",
    "protocol.application",
    "feed.name",
    "feed.provider",
];

/// What `prepare` found.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    /// Events not seen before, with the ids they will get.
    pub new_events: Vec<(i64, NewEvent)>,
    /// Input events the store already had.
    pub repeated: u64,
    /// New and earlier pending events together.
    pub pending: Vec<StoredEvent>,
    /// Earlier notices to the recipients named.
    pub history: Vec<NoticeFact>,
    /// Their ladder positions.
    pub ladder: Vec<Escalation>,
    /// The first notice id this run may use.
    pub next_notice: i64,
    /// Every recipient id named.
    pub recipient_ids: Vec<String>,
}

/// What a run did, for the summary line.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// New events recorded.
    pub new_events: u64,
    /// Events seen in an earlier run.
    pub repeated: u64,
    /// Notices that go out, by language.
    pub queued: BTreeMap<String, u64>,
    /// Notices held for review.
    pub held: u64,
    /// Escalation messages.
    pub escalations: u64,
    /// Follow-up rows.
    pub follow_up: u64,
    /// Events by the state they were left in.
    pub events: BTreeMap<String, u64>,
}

/// Turns one event (a JSON object with IntelMQ's flat keys) into what the
/// store records.
pub fn event_record(v: &Map<String, Value>, line: &str) -> Result<NewEvent, String> {
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
    };
    let address = s("source.ip");
    if address.is_empty() {
        return Err("no source.ip".into());
    }
    let time = s("time.source");
    let observed_at = time
        .parse::<jiff::Timestamp>()
        .map_err(|e| format!("time.source {time:?}: {e}"))?
        .as_microsecond();
    let port = v.get("source.port").and_then(Value::as_i64);
    let malware = [
        s("malware.name"),
        s("classification.identifier"),
        s("classification.type"),
    ]
    .into_iter()
    .find(|m| !m.is_empty())
    .unwrap_or("unknown")
    .to_ascii_lowercase();
    let status = s("extra.attribution.status");
    let recipient = s("extra.recipient");
    let (attribution, candidates) = if !status.is_empty() {
        let subs: Vec<String> = v
            .get("extra.attribution.subscribers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(|id| format!("subscriber:{id}"))
                    .collect()
            })
            .unwrap_or_default();
        (status.to_owned(), subs)
    } else if !recipient.is_empty() {
        ("routed".to_owned(), vec![format!("contact:{recipient}")])
    } else {
        ("none".to_owned(), Vec::new())
    };
    let mut h = Sha256::new();
    for part in [
        s("feed.name"),
        address,
        &port.map(|p| p.to_string()).unwrap_or_default(),
        &observed_at.to_string(),
        &malware,
        s("destination.ip"),
        &v.get("destination.port")
            .map(Value::to_string)
            .unwrap_or_default(),
        &candidates.join(","),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let dedupe_key: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(NewEvent {
        dedupe_key,
        observed_at,
        address: address.to_owned(),
        port,
        malware,
        attribution,
        candidates,
        body: line.trim_end().to_owned(),
    })
}

/// Makes notices.
pub struct Notifier {
    config: NotifyConfig,
    policy: Policy,
    templates: Templates,
    dedupe_window: i64,
    dkim: Option<lettre::message::dkim::DkimConfig>,
    attach: Option<Box<AttachFn>>,
    domain: String,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("config", &self.config)
            .finish()
    }
}

/// One line of a notice: observations of an address and malware close
/// together.
#[derive(Clone, Debug, serde::Serialize)]
struct Line {
    address: String,
    port: Option<i64>,
    malware: String,
    first: String,
    last: String,
    count: u64,
}

impl Notifier {
    /// Reads the configuration and the templates.
    pub fn new(config: NotifyConfig) -> Result<Notifier, NotifyError> {
        let policy = Policy::new(&config)?;
        let templates = Templates::load(config.templates.as_deref())?;
        let dedupe_window = config::seconds(&config.dedupe_window)? * 1_000_000;
        let domain = if config.message_id_domain.is_empty() {
            config
                .from
                .rsplit_once('@')
                .map(|(_, d)| d.trim_end_matches('>').to_owned())
                .unwrap_or_else(|| "kizuki.invalid".into())
        } else {
            config.message_id_domain.clone()
        };
        let dkim = match &config.dkim {
            Some(d) => Some(crate::dkim::load(d)?),
            None => None,
        };
        Ok(Notifier {
            config,
            policy,
            templates,
            dedupe_window,
            dkim,
            attach: None,
            domain,
        })
    }

    /// Sets how report attachments for organisations are made.
    pub fn with_attachments(mut self, f: Box<AttachFn>) -> Notifier {
        self.attach = Some(f);
        self
    }

    /// The policy in use.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Step 1: records for the new events and what the policy needs.
    pub async fn prepare(
        &self,
        store: &Store,
        events: Vec<NewEvent>,
    ) -> Result<Prepared, NotifyError> {
        let keys: Vec<String> = events.iter().map(|e| e.dedupe_key.clone()).collect();
        let known = store.known_event_keys(&keys).await?;
        let (next_event, next_notice) = store.next_ids().await?;
        let mut seen = HashSet::new();
        let mut p = Prepared {
            next_notice,
            ..Prepared::default()
        };
        let mut id = next_event;
        for e in events {
            if known.contains(&e.dedupe_key) || !seen.insert(e.dedupe_key.clone()) {
                p.repeated += 1;
                continue;
            }
            p.new_events.push((id, e));
            id += 1;
        }
        p.pending = store.pending_events().await?;
        let now = kizuki_store::now_micros();
        for (id, e) in &p.new_events {
            p.pending.push(StoredEvent {
                id: *id,
                event: e.clone(),
                received_at: now,
                state: "pending".into(),
                notice_id: None,
            });
        }
        let ids: HashSet<&String> = p.pending.iter().flat_map(|e| &e.event.candidates).collect();
        let mut ids: Vec<String> = ids.into_iter().cloned().collect();
        ids.sort();
        p.history = store.notice_history(&ids).await?;
        p.ladder = store.escalations(&ids).await?;
        p.recipient_ids = ids;
        Ok(p)
    }

    /// Step 3: decides and renders. `now` is microseconds since 1970.
    pub fn decide(
        &self,
        p: &Prepared,
        recipients: &HashMap<String, Recipient>,
        now: i64,
    ) -> Result<(Plan, Summary, Decided), NotifyError> {
        let decided = self
            .policy
            .decide(&p.pending, recipients, &p.history, &p.ladder, now);
        let events: HashMap<i64, &StoredEvent> = p.pending.iter().map(|e| (e.id, e)).collect();
        let id_of = |r: NoticeRef| match r {
            NoticeRef::Existing(id) => id,
            NoticeRef::Draft(i) => p.next_notice + i as i64,
        };
        let mut plan = Plan {
            new_events: p.new_events.clone(),
            ..Plan::default()
        };
        let mut summary = Summary {
            new_events: p.new_events.len() as u64,
            repeated: p.repeated,
            follow_up: decided.follow_up.len() as u64,
            ..Summary::default()
        };
        let mut used: HashSet<String> = HashSet::new();
        for (i, d) in decided.drafts.iter().enumerate() {
            let id = p.next_notice + i as i64;
            let evs: Vec<&StoredEvent> = d
                .events
                .iter()
                .filter_map(|e| events.get(e).copied())
                .collect();
            let planned = self.make(id, d, &evs, recipients, now)?;
            if planned.notice.status == "held" {
                summary.held += 1;
            } else if d.kind == "escalation" {
                summary.escalations += 1;
            } else {
                *summary
                    .queued
                    .entry(planned.notice.language.clone())
                    .or_default() += 1;
            }
            if let Some(r) = &d.recipient
                && let Some(rec) = recipients.get(r)
                && used.insert(r.clone())
            {
                plan.recipients.push(rec.clone());
            }
            plan.notices.push(planned);
        }
        for (id, (state, n)) in &decided.states {
            *summary.events.entry(state.clone()).or_default() += 1;
            if state != "pending" {
                plan.event_states.push((*id, state.clone(), n.map(id_of)));
            }
        }
        plan.decisions = decided
            .decisions
            .iter()
            .map(|r| Decision {
                at: now,
                actor: "policy".into(),
                notice_id: r.notice.map(id_of),
                event_id: r.event,
                decision: r.decision.clone(),
                reason: r.reason.clone(),
            })
            .collect();
        plan.escalations = decided
            .ladder
            .iter()
            .map(|((r, a, m), (first, step))| Escalation {
                recipient_id: r.clone(),
                address: a.clone(),
                malware: m.clone(),
                first_notice_id: *first,
                step: *step as i64,
            })
            .collect();
        Ok((plan, summary, decided))
    }

    /// A held notice, approved for `recipient`: rendered now, as notice
    /// `id`.
    pub fn approve(
        &self,
        id: i64,
        held: &Notice,
        events: &[StoredEvent],
        recipient: &Recipient,
        now: i64,
    ) -> Result<PlannedNotice, NotifyError> {
        let d = Draft {
            recipient: Some(recipient.id.clone()),
            candidates: vec![recipient.id.clone()],
            kind: held.kind.clone(),
            hold: None,
            events: events.iter().map(|e| e.id).collect(),
            escalation: None,
        };
        let evs: Vec<&StoredEvent> = events.iter().collect();
        let recipients = HashMap::from([(recipient.id.clone(), recipient.clone())]);
        let p = self.make(id, &d, &evs, &recipients, now)?;
        if p.notice.status == "held" {
            return Err(NotifyError::Config(format!(
                "cannot notify {}: {}",
                recipient.id, p.notice.hold_reason
            )));
        }
        Ok(p)
    }

    fn make(
        &self,
        id: i64,
        d: &Draft,
        events: &[&StoredEvent],
        recipients: &HashMap<String, Recipient>,
        now: i64,
    ) -> Result<PlannedNotice, NotifyError> {
        let code = code::generate();
        let message_id = format!("kizuki.{id}.{}@{}", code.to_ascii_lowercase(), self.domain);
        let items: Vec<NoticeItem> = events
            .iter()
            .map(|e| NoticeItem {
                event_id: e.id,
                address: e.event.address.clone(),
                malware: e.event.malware.clone(),
                observed_at: e.event.observed_at,
            })
            .collect();
        let about = d
            .escalation
            .as_ref()
            .map_or(d.recipient.as_deref(), |x| Some(x.about.as_str()));
        let about_rec = about.and_then(|r| recipients.get(r));
        let language = match (&d.escalation, about_rec) {
            (Some(_), r) => r
                .and_then(|r| self.policy.language_of(r))
                .unwrap_or_else(|| "en".into()),
            (None, Some(r)) => self.policy.language_of(r).unwrap_or_default(),
            (None, None) => String::new(),
        };
        let mut notice = Notice {
            id,
            code: code.clone(),
            recipient_id: d.recipient.clone(),
            candidates: d.candidates.clone(),
            kind: d.kind.clone(),
            language: language.clone(),
            status: "held".into(),
            hold_reason: d.hold.clone().unwrap_or_default(),
            assigned_to: String::new(),
            created_at: now,
            sent_at: None,
            message_id: message_id.clone(),
            subject: String::new(),
            body: String::new(),
        };
        if d.hold.is_some() {
            return Ok(PlannedNotice {
                notice,
                items,
                outbox: None,
            });
        }
        let Some(r) = about_rec else {
            notice.hold_reason = "recipient unknown".into();
            return Ok(PlannedNotice {
                notice,
                items,
                outbox: None,
            });
        };
        let (to, cc): (Vec<String>, Vec<String>) = match &d.escalation {
            Some(x) => (x.to.clone(), Vec::new()),
            None => (
                r.emails
                    .iter()
                    .filter(|m| !m.trim().is_empty())
                    .cloned()
                    .collect(),
                r.cc.clone(),
            ),
        };
        let tz = zone(&r.timezone, &language);
        let lines = self.lines(events, &tz);
        let emotet = events.iter().any(|e| e.event.malware.contains("emotet"));
        let shown_code = code::display(&code);
        let (operator, contact, verify_hint) = self.config.operator_text(&language);
        let mut ctx = json!({
            "operator": {
                "name": operator,
                "contact": contact,
                "verify_hint": verify_hint,
            },
            "recipient": {
                "id": r.id,
                "name": neutralise(&r.name),
                "kind": r.kind,
                "emails": r.emails.join(", "),
            },
            "code": shown_code,
            "kind": d.kind,
            "emotet": emotet,
            "timezone": tz.iana_name().unwrap_or("UTC"),
            "items": lines,
        });
        let template = if let Some(x) = &d.escalation {
            ctx["step"] = json!(x.step);
            ctx["days"] = json!(x.days);
            ctx["first_notice"] = json!(x.first_notice);
            "escalation"
        } else {
            "notice"
        };
        let rendered =
            self.templates
                .render(template, &language, &minijinja::Value::from_serialize(&ctx))?;
        let machine = serde_json::to_vec_pretty(&json!({
            "kizuki_notice": 1,
            "code": shown_code,
            "notice_id": id,
            "kind": d.kind,
            "operator": self.config.operator,
            "language": language,
            "events": events.iter().map(|e| shared_fields(&e.event.body)).collect::<Vec<_>>(),
        }))
        .unwrap_or_default();
        let attachment = match (&self.attach, r.attachment.as_str(), &d.escalation) {
            (Some(f), fmt, None) if !fmt.is_empty() => {
                let bodies: Vec<&str> = events.iter().map(|e| e.event.body.as_str()).collect();
                Some(f(fmt, &bodies).map_err(|why| NotifyError::Message { notice: id, why })?)
            }
            _ => None,
        };
        let message = message::build(
            &Parts {
                notice: id,
                from: (&self.config.operator, &self.config.from),
                to: &to,
                cc: &cc,
                subject: &rendered.subject,
                message_id: &message_id,
                code: &shown_code,
                date: now / 1_000_000,
                text: &rendered.text,
                html: rendered.html.as_deref(),
                machine: &machine,
                attachment: attachment.as_ref(),
            },
            self.dkim.as_ref(),
        )?;
        let mut rcpt = to.clone();
        rcpt.extend(cc.iter().cloned());
        notice.status = "queued".into();
        notice.subject = rendered.subject;
        notice.body = rendered.text;
        Ok(PlannedNotice {
            notice,
            items,
            outbox: Some(OutboxDraft {
                message_id,
                envelope_from: self.config.from.clone(),
                rcpt,
                message,
            }),
        })
    }

    /// Observations grouped by address and malware, those closer than the
    /// dedupe window in one line, times in the recipient's zone.
    fn lines(&self, events: &[&StoredEvent], tz: &jiff::tz::TimeZone) -> Vec<Line> {
        let mut by: BTreeMap<(&str, &str), Vec<&StoredEvent>> = BTreeMap::new();
        for e in events {
            by.entry((e.event.address.as_str(), e.event.malware.as_str()))
                .or_default()
                .push(e);
        }
        let fmt = |us: i64| {
            jiff::Timestamp::from_microsecond(us)
                .map(|t| {
                    t.to_zoned(tz.clone())
                        .strftime("%Y-%m-%d %H:%M:%S %Z")
                        .to_string()
                })
                .unwrap_or_default()
        };
        let mut out: Vec<(i64, Line)> = Vec::new();
        for ((address, malware), mut evs) in by {
            evs.sort_by_key(|e| e.event.observed_at);
            let mut start = 0;
            for i in 1..=evs.len() {
                let split = i == evs.len()
                    || evs[i].event.observed_at - evs[i - 1].event.observed_at > self.dedupe_window;
                if split {
                    let group = &evs[start..i];
                    let first = group[0].event.observed_at;
                    let last = group[group.len() - 1].event.observed_at;
                    let port = group[0].event.port;
                    out.push((
                        first,
                        Line {
                            address: address.to_owned(),
                            port: port.filter(|p| group.iter().all(|e| e.event.port == Some(*p))),
                            malware: neutralise(malware),
                            first: fmt(first),
                            last: fmt(last),
                            count: group.len() as u64,
                        },
                    ));
                    start = i;
                }
            }
        }
        out.sort_by(|a, b| (a.0, &a.1.address).cmp(&(b.0, &b.1.address)));
        out.into_iter().map(|(_, l)| l).collect()
    }
}

/// The recipient's zone; Japanese notices default to Japan time, others to
/// UTC.
fn zone(name: &str, language: &str) -> jiff::tz::TimeZone {
    match jiff::tz::TimeZone::get(name.trim()) {
        Ok(z) if !name.trim().is_empty() => z,
        _ if language == "ja" => {
            jiff::tz::TimeZone::get("Asia/Tokyo").unwrap_or(jiff::tz::TimeZone::UTC)
        }
        _ => jiff::tz::TimeZone::UTC,
    }
}

/// The fields of an event line safe to share with its recipient.
fn shared_fields(line: &str) -> Value {
    let Ok(Value::Object(m)) = serde_json::from_str::<Value>(line) else {
        return Value::Null;
    };
    let kept: Map<String, Value> = m
        .into_iter()
        .filter(|(k, _)| SHARED_FIELDS.contains(&k.as_str()))
        .collect();
    Value::Object(kept)
}
