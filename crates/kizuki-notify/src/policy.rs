//! The notice policy: which events become which notices, and why.
//!
//! It is a pure function of the pending events, the recipients, what was
//! notified before, and the clock, so tests drive it with any `now`.
//!
//! For each event, oldest first:
//!
//! 1. No candidate (attribution `none`, nothing routed): recorded, no
//!    notice.
//! 2. Older than `max_age` (off by default): recorded, no notice.
//! 3. Suppressed address or recipient: recorded with the reason.
//! 4. An attribution status in `hold` (`shared`, `conflict`), or several
//!    candidates: into a held notice, one per candidate set and run.
//! 5. One recipient. Already told about this address and malware (a
//!    notice not rejected covers it) and not observed `renotify_after` or
//!    more after that notice was sent: a duplicate of it. Otherwise it goes
//!    into the recipient's notice of this run, a `renotice` when it is a
//!    re-observation. Unknown recipient, unknown language or no e-mail
//!    address: held. Over the rate limit: left pending for a later run.
//!
//! Then the escalation ladder: for each recipient, address and malware
//! whose first notice was sent, observations this run `after` or more past
//! that send fire each step not yet fired: a reminder (the recipient's
//! notice of this run becomes a reminder), an escalation message, a row for
//! the follow-up list.

use crate::config::{self, NotifyConfig, StepAction};
use crate::error::NotifyError;
use kizuki_store::{Escalation, NoticeFact, Recipient, StoredEvent};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

const MICROS: i64 = 1_000_000;
const DAY: i64 = 86_400 * MICROS;

/// A notice this run makes, or one that exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeRef {
    /// A notice already in the store.
    Existing(i64),
    /// The n-th draft of this run.
    Draft(usize),
}

/// A notice to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The recipient (`None` for a held notice with several candidates).
    pub recipient: Option<String>,
    /// The candidates of a held notice.
    pub candidates: Vec<String>,
    /// `notice`, `renotice`, `reminder` or `escalation`.
    pub kind: String,
    /// Held, with why; `None`: it goes out.
    pub hold: Option<String>,
    /// The events it covers.
    pub events: Vec<i64>,
    /// For an escalation: the step (1-based), the recipient it is about,
    /// the addresses it goes to and the first notice.
    pub escalation: Option<EscalationInfo>,
}

/// What an escalation message is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EscalationInfo {
    /// The ladder step, 1-based.
    pub step: usize,
    /// The recipient still infected.
    pub about: String,
    /// Where the message goes.
    pub to: Vec<String>,
    /// The first notice about it.
    pub first_notice: i64,
    /// Days between that notice being sent and the latest observation.
    pub days: i64,
}

/// A row of the follow-up list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FollowUp {
    /// The recipient.
    pub recipient: String,
    /// The address still observed.
    pub address: String,
    /// The malware.
    pub malware: String,
    /// The first notice.
    pub first_notice: i64,
    /// The latest observation (microseconds).
    pub last_observed: i64,
    /// The ladder step, 1-based.
    pub step: usize,
}

/// A decision and its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reasoned {
    /// The notice it is about.
    pub notice: Option<NoticeRef>,
    /// The event it is about.
    pub event: Option<i64>,
    /// `notify`, `duplicate`, `suppress`, `hold`, `defer`, `unattributed`,
    /// `too_old`, `reminder`, `escalate`, `export`.
    pub decision: String,
    /// Why.
    pub reason: String,
}

/// Everything the policy decided in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Decided {
    /// Notices to make.
    pub drafts: Vec<Draft>,
    /// Event id → (state, notice).
    pub states: BTreeMap<i64, (String, Option<NoticeRef>)>,
    /// Decisions.
    pub decisions: Vec<Reasoned>,
    /// Ladder positions reached: (recipient, address, malware) → (first
    /// notice, steps fired).
    pub ladder: BTreeMap<(String, String, String), (i64, usize)>,
    /// Follow-up rows.
    pub follow_up: Vec<FollowUp>,
}

#[derive(Clone, Debug)]
struct Suppress {
    net: Option<(IpAddr, u8)>,
    recipient: Option<String>,
    reason: String,
    until: Option<i64>,
}

#[derive(Clone, Debug)]
struct Step {
    after: i64,
    action: StepAction,
    to: Vec<String>,
}

/// The policy, its durations parsed.
#[derive(Clone, Debug)]
pub struct Policy {
    renotify_after: i64,
    max_age: Option<i64>,
    hold: HashSet<String>,
    rate_limit: u32,
    default_language: String,
    ladder: Vec<Step>,
    suppress: Vec<Suppress>,
    from: String,
}

fn parse_net(s: &str) -> Result<(IpAddr, u8), NotifyError> {
    let bad = || NotifyError::Config(format!("suppress address {s:?}: not an address or network"));
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
        None => (s, None),
    };
    let ip: IpAddr = a.trim().parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    if len > max {
        return Err(bad());
    }
    Ok((ip, len))
}

fn in_net(ip: IpAddr, (net, len): (IpAddr, u8)) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn rfc3339_micros(s: &str) -> Result<i64, NotifyError> {
    let t: jiff::Timestamp = s
        .parse()
        .map_err(|e| NotifyError::Config(format!("suppress until {s:?}: {e}")))?;
    Ok(t.as_microsecond())
}

/// A language notices can be written in.
pub fn known_language(l: &str) -> bool {
    matches!(l, "ja" | "en")
}

impl Policy {
    /// Parses the configuration.
    pub fn new(c: &NotifyConfig) -> Result<Policy, NotifyError> {
        let us = |s: &str| config::seconds(s).map(|x| x * MICROS);
        let mut ladder = Vec::new();
        for s in &c.escalation {
            ladder.push(Step {
                after: us(&s.after)?,
                action: s.action,
                to: s.to.clone(),
            });
        }
        if ladder.windows(2).any(|w| w[0].after > w[1].after) {
            return Err(NotifyError::Config(
                "escalation steps must be in increasing order of `after`".into(),
            ));
        }
        let mut suppress = Vec::new();
        for s in &c.suppress {
            if s.address.is_none() && s.recipient.is_none() {
                return Err(NotifyError::Config(
                    "a suppression needs an address or a recipient".into(),
                ));
            }
            suppress.push(Suppress {
                net: s.address.as_deref().map(parse_net).transpose()?,
                recipient: s.recipient.clone(),
                reason: s.reason.clone(),
                until: s.until.as_deref().map(rfc3339_micros).transpose()?,
            });
        }
        if !c.default_language.is_empty() && !known_language(&c.default_language) {
            return Err(NotifyError::Config(format!(
                "default_language {:?}: notices are written in ja or en",
                c.default_language
            )));
        }
        Ok(Policy {
            renotify_after: us(&c.renotify_after)?,
            max_age: config::optional_seconds(&c.max_age)?.map(|s| s * MICROS),
            hold: c.hold.iter().cloned().collect(),
            rate_limit: c.rate_limit,
            default_language: c.default_language.clone(),
            ladder,
            suppress,
            from: c.from.clone(),
        })
    }

    /// The language a recipient's notices are written in, if any.
    pub fn language_of(&self, r: &Recipient) -> Option<String> {
        let l = r.language.trim().to_ascii_lowercase();
        let l = l.split(['-', '_']).next().unwrap_or_default().to_owned();
        if known_language(&l) {
            Some(l)
        } else if !self.default_language.is_empty() {
            Some(self.default_language.clone())
        } else {
            None
        }
    }

    fn suppressed(&self, e: &StoredEvent, candidates: &[String], now: i64) -> Option<&str> {
        let ip: Option<IpAddr> = e.event.address.parse().ok();
        self.suppress.iter().find_map(|s| {
            if s.until.is_some_and(|u| now >= u) {
                return None;
            }
            let by_net = match (s.net, ip) {
                (Some(n), Some(ip)) => in_net(ip, n),
                _ => false,
            };
            let by_recipient = s
                .recipient
                .as_ref()
                .is_some_and(|r| candidates.iter().any(|c| c == r));
            (by_net || by_recipient).then_some(s.reason.as_str())
        })
    }

    /// Decides one run. `events` are the pending events, `recipients` those
    /// they name (missing ones are unknown), `history` the earlier notices
    /// to them, `ladder` their ladder positions.
    pub fn decide(
        &self,
        events: &[StoredEvent],
        recipients: &HashMap<String, Recipient>,
        history: &[NoticeFact],
        ladder: &[Escalation],
        now: i64,
    ) -> Decided {
        let mut d = Decided::default();
        // (recipient, address, malware) → the latest notice covering it.
        let mut covered: HashMap<(&str, &str, &str), &NoticeFact> = HashMap::new();
        let mut recent: HashMap<&str, u32> = HashMap::new();
        for f in history {
            for i in &f.items {
                let k = (
                    f.recipient_id.as_str(),
                    i.address.as_str(),
                    i.malware.as_str(),
                );
                let newer = covered.get(&k).is_none_or(|g| g.created_at <= f.created_at);
                if newer {
                    covered.insert(k, f);
                }
            }
            if f.kind != "escalation" && f.created_at > now - DAY {
                *recent.entry(f.recipient_id.as_str()).or_default() += 1;
            }
        }
        // The first sent notice per case, for the ladder.
        let mut first_sent: HashMap<(&str, &str, &str), (i64, i64)> = HashMap::new();
        for f in history {
            let (Some(sent), true) = (f.sent_at, f.kind != "escalation") else {
                continue;
            };
            for i in &f.items {
                let k = (
                    f.recipient_id.as_str(),
                    i.address.as_str(),
                    i.malware.as_str(),
                );
                let e = first_sent.entry(k).or_insert((f.id, sent));
                if sent < e.1 {
                    *e = (f.id, sent);
                }
            }
        }
        let mut order: Vec<&StoredEvent> = events.iter().collect();
        order.sort_by_key(|e| (e.event.observed_at, e.id));

        let mut digest: HashMap<String, usize> = HashMap::new();
        let mut held: HashMap<(Vec<String>, String), usize> = HashMap::new();
        // Latest observation this run per case with a sent notice.
        let mut still: BTreeMap<(String, String, String), (i64, Vec<i64>)> = BTreeMap::new();
        let mut deferred: HashSet<String> = HashSet::new();

        for e in order {
            let ev = &e.event;
            let say = |d: &mut Decided, state: &str, n: Option<NoticeRef>, why: String| {
                d.states.insert(e.id, (state.to_owned(), n));
                d.decisions.push(Reasoned {
                    notice: n,
                    event: Some(e.id),
                    decision: state_decision(state).to_owned(),
                    reason: why,
                });
            };
            if ev.candidates.is_empty() {
                say(
                    &mut d,
                    "unattributed",
                    None,
                    format!("no recipient (attribution {})", ev.attribution),
                );
                continue;
            }
            if let Some(max) = self.max_age
                && now - ev.observed_at > max
            {
                say(
                    &mut d,
                    "too_old",
                    None,
                    format!(
                        "observed {} day(s) ago, past max_age",
                        (now - ev.observed_at) / DAY
                    ),
                );
                continue;
            }
            if let Some(why) = self.suppressed(e, &ev.candidates, now) {
                say(&mut d, "suppressed", None, format!("suppressed: {why}"));
                continue;
            }
            if self.hold.contains(&ev.attribution) || ev.candidates.len() > 1 {
                let mut cands = ev.candidates.clone();
                cands.sort();
                cands.dedup();
                let why = format!(
                    "attribution {} with {} candidate(s): a person decides who is told",
                    ev.attribution,
                    cands.len()
                );
                let i = held_draft(&mut d, &mut held, None, cands, why.clone());
                say(&mut d, "held", Some(NoticeRef::Draft(i)), why);
                continue;
            }
            let r_id = &ev.candidates[0];
            let key = (r_id.as_str(), ev.address.as_str(), ev.malware.as_str());
            let mut kind = "notice";
            if let Some(f) = covered.get(&key) {
                match f.sent_at {
                    Some(s) if ev.observed_at >= s + self.renotify_after => kind = "renotice",
                    _ => {
                        let n = NoticeRef::Existing(f.id);
                        let when = f.sent_at.map_or_else(
                            || "not sent yet".to_owned(),
                            |s| format!("sent {}", fmt_micros(s)),
                        );
                        say(
                            &mut d,
                            "duplicate",
                            Some(n),
                            format!(
                                "notice {} already covers {} / {} ({when}); a re-observation counts from {} after sending",
                                f.id,
                                ev.address,
                                ev.malware,
                                human(self.renotify_after)
                            ),
                        );
                        if let Some((first, sent)) = first_sent.get(&key) {
                            let _ = sent;
                            let s = still
                                .entry((r_id.clone(), ev.address.clone(), ev.malware.clone()))
                                .or_insert((*first, Vec::new()));
                            s.1.push(e.id);
                        }
                        continue;
                    }
                }
            }
            let problem = match recipients.get(r_id) {
                None => Some(format!("recipient {r_id} is not in the directory")),
                Some(r) if self.language_of(r).is_none() => Some(format!(
                    "language {:?} of {r_id} is not one notices are written in",
                    r.language
                )),
                Some(r) if r.emails.iter().all(|m| m.trim().is_empty()) => {
                    Some(format!("{r_id} has no e-mail address"))
                }
                Some(_) => None,
            };
            if let Some(why) = problem {
                let i = held_draft(
                    &mut d,
                    &mut held,
                    Some(r_id.clone()),
                    vec![r_id.clone()],
                    why.clone(),
                );
                say(&mut d, "held", Some(NoticeRef::Draft(i)), why);
                continue;
            }
            let i = match digest.get(r_id) {
                Some(&i) => i,
                None => {
                    let sent = recent.get(r_id.as_str()).copied().unwrap_or(0);
                    if self.rate_limit > 0 && sent >= self.rate_limit {
                        if deferred.insert(r_id.clone()) {
                            d.decisions.push(Reasoned {
                                notice: None,
                                event: None,
                                decision: "defer".into(),
                                reason: format!(
                                    "{r_id}: {sent} notice(s) in the last 24 h reach the rate limit of {}; its events wait",
                                    self.rate_limit
                                ),
                            });
                        }
                        d.states.insert(e.id, ("pending".into(), None));
                        d.decisions.push(Reasoned {
                            notice: None,
                            event: Some(e.id),
                            decision: "defer".into(),
                            reason: format!(
                                "rate limit of {} notice(s) a day for {r_id}",
                                self.rate_limit
                            ),
                        });
                        continue;
                    }
                    d.drafts.push(Draft {
                        recipient: Some(r_id.clone()),
                        candidates: vec![r_id.clone()],
                        kind: "renotice".into(),
                        hold: None,
                        events: Vec::new(),
                        escalation: None,
                    });
                    let i = d.drafts.len() - 1;
                    digest.insert(r_id.clone(), i);
                    i
                }
            };
            if kind == "notice" {
                d.drafts[i].kind = "notice".into();
            }
            d.drafts[i].events.push(e.id);
            let why = match kind {
                "renotice" => format!(
                    "{} observed again {} or more after the last notice was sent",
                    ev.address,
                    human(self.renotify_after)
                ),
                _ => format!(
                    "{} ({}) not notified to {r_id} before",
                    ev.address, ev.malware
                ),
            };
            say(&mut d, "notified", Some(NoticeRef::Draft(i)), why);
            if kind == "renotice"
                && let Some((first, _)) = first_sent.get(&key)
            {
                let s = still
                    .entry((r_id.clone(), ev.address.clone(), ev.malware.clone()))
                    .or_insert((*first, Vec::new()));
                s.1.push(e.id);
            }
        }

        for (id, (state, n)) in &d.states {
            if let ("held", Some(NoticeRef::Draft(i))) = (state.as_str(), n) {
                d.drafts[*i].events.push(*id);
            }
        }

        // The ladder.
        let fired: HashMap<(&str, &str, &str), i64> = ladder
            .iter()
            .map(|l| {
                (
                    (
                        l.recipient_id.as_str(),
                        l.address.as_str(),
                        l.malware.as_str(),
                    ),
                    l.step,
                )
            })
            .collect();
        let observed: HashMap<i64, i64> =
            events.iter().map(|e| (e.id, e.event.observed_at)).collect();
        for ((r_id, address, malware), (first, ids)) in &still {
            let key = (r_id.as_str(), address.as_str(), malware.as_str());
            let Some((_, sent)) = first_sent.get(&key) else {
                continue;
            };
            let latest = ids
                .iter()
                .filter_map(|i| observed.get(i))
                .max()
                .copied()
                .unwrap_or(0);
            let done = usize::try_from(fired.get(&key).copied().unwrap_or(0)).unwrap_or(0);
            let mut step = done;
            for (k, s) in self.ladder.iter().enumerate().skip(done) {
                if latest - sent < s.after {
                    break;
                }
                step = k + 1;
                let days = (latest - sent) / DAY;
                match s.action {
                    StepAction::Reminder => {
                        let i = match digest.get(r_id) {
                            Some(&i) => i,
                            None => {
                                d.drafts.push(Draft {
                                    recipient: Some(r_id.clone()),
                                    candidates: vec![r_id.clone()],
                                    kind: "reminder".into(),
                                    hold: None,
                                    events: Vec::new(),
                                    escalation: None,
                                });
                                digest.insert(r_id.clone(), d.drafts.len() - 1);
                                d.drafts.len() - 1
                            }
                        };
                        d.drafts[i].kind = "reminder".into();
                        for id in ids {
                            if !d.drafts[i].events.contains(id) {
                                d.drafts[i].events.push(*id);
                            }
                            d.states
                                .insert(*id, ("notified".into(), Some(NoticeRef::Draft(i))));
                        }
                        d.decisions.push(Reasoned {
                            notice: Some(NoticeRef::Draft(i)),
                            event: None,
                            decision: "reminder".into(),
                            reason: format!(
                                "step {step}: {address} ({malware}) still observed {days} day(s) after notice {first} was sent"
                            ),
                        });
                    }
                    StepAction::Escalate => {
                        let to = if s.to.is_empty() {
                            vec![self.from.clone()]
                        } else {
                            s.to.clone()
                        };
                        d.drafts.push(Draft {
                            recipient: Some(format!("escalation:{r_id}")),
                            candidates: vec![r_id.clone()],
                            kind: "escalation".into(),
                            hold: None,
                            events: ids.clone(),
                            escalation: Some(EscalationInfo {
                                step,
                                about: r_id.clone(),
                                to: to.clone(),
                                first_notice: *first,
                                days,
                            }),
                        });
                        d.decisions.push(Reasoned {
                            notice: Some(NoticeRef::Draft(d.drafts.len() - 1)),
                            event: None,
                            decision: "escalate".into(),
                            reason: format!(
                                "step {step}: {address} ({malware}) of {r_id} still observed {days} day(s) after notice {first}; to {}",
                                to.join(", ")
                            ),
                        });
                    }
                    StepAction::Export => {
                        d.follow_up.push(FollowUp {
                            recipient: r_id.clone(),
                            address: address.clone(),
                            malware: malware.clone(),
                            first_notice: *first,
                            last_observed: latest,
                            step,
                        });
                        d.decisions.push(Reasoned {
                            notice: Some(NoticeRef::Existing(*first)),
                            event: None,
                            decision: "export".into(),
                            reason: format!(
                                "step {step}: {address} ({malware}) of {r_id} still observed {days} day(s) after notice {first}: on the follow-up list"
                            ),
                        });
                    }
                }
            }
            if step > done {
                d.ladder.insert(
                    (r_id.clone(), address.clone(), malware.clone()),
                    (*first, step),
                );
            }
        }
        d
    }
}

fn held_draft(
    d: &mut Decided,
    held: &mut HashMap<(Vec<String>, String), usize>,
    recipient: Option<String>,
    candidates: Vec<String>,
    why: String,
) -> usize {
    let key = (candidates.clone(), why.clone());
    if let Some(&i) = held.get(&key) {
        return i;
    }
    d.drafts.push(Draft {
        recipient,
        candidates,
        kind: "notice".into(),
        hold: Some(why),
        events: Vec::new(),
        escalation: None,
    });
    let i = d.drafts.len() - 1;
    held.insert(key, i);
    i
}

/// Adds the event to its draft when the state names one.
fn state_decision(state: &str) -> &str {
    match state {
        "notified" => "notify",
        "duplicate" => "duplicate",
        "suppressed" => "suppress",
        "held" => "hold",
        "unattributed" => "unattributed",
        "too_old" => "too_old",
        other => other,
    }
}

/// `7 day(s)`, `24 h`, `90 s`.
fn human(us: i64) -> String {
    let s = us / MICROS;
    if s % 86_400 == 0 {
        format!("{} day(s)", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{} h", s / 3600)
    } else {
        format!("{s} s")
    }
}

/// UTC, to the second.
pub fn fmt_micros(us: i64) -> String {
    jiff::Timestamp::from_microsecond(us)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|_| us.to_string())
}
