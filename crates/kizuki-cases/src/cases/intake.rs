//! Taking a notice in: record the message once, then open an incident or
//! add to the open one about the same public address and time window.

use super::{Cases, digest};
use crate::error::CaseError;
use kizuki_store::{Incident, Intake, Report};
use serde::Serialize;

/// One (address, time) a notice reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IncomingReport {
    /// The public address, canonical form.
    pub address: String,
    /// The source port, when given.
    pub port: Option<u16>,
    /// The contact time (UTC µs), when it could be read.
    pub observed_at: Option<i64>,
    /// The time as the notice wrote it.
    pub time_text: String,
    /// The zone it was written in (`Asia/Tokyo`, `+09:00`, `UTC`; empty
    /// when unknown).
    pub zone: String,
    /// The malware named, lower case (empty when not named).
    pub malware: String,
}

/// A message as read by the mail reader, ready to be taken in.
#[derive(Clone, Debug, Default, Serialize)]
pub struct IncomingNotice {
    /// Where it came from: a mailbox name, a file name or `api`.
    pub source: String,
    /// Message-ID (the inner one, for a forwarded notice).
    pub message_id: String,
    /// The notice's sender.
    pub sender: String,
    /// Who forwarded it, when it came wrapped.
    pub forwarded_by: String,
    /// Subject.
    pub subject: String,
    /// The notice code, when the notice carried one.
    pub code: String,
    /// When kizuki took it in (UTC µs).
    pub received_at: i64,
    /// `parsed`, `partial` or `unparsed`.
    pub status: String,
    /// What could not be read.
    pub problems: Vec<String>,
    /// What was read, as JSON, kept with the message.
    pub parsed: String,
    /// The raw message's file, relative to the data directory.
    pub raw_path: String,
    /// The reported contacts.
    pub reports: Vec<IncomingReport>,
}

/// What taking a message in did.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IntakeOutcome {
    /// The same bytes were taken in before; nothing changed.
    Duplicate {
        /// The earlier message.
        intake: i64,
        /// Its incident.
        incident: Option<i64>,
    },
    /// A new incident was opened.
    Opened {
        /// The message.
        intake: i64,
        /// The incident.
        incident: i64,
    },
    /// The notice joined an open incident.
    Joined {
        /// The message.
        intake: i64,
        /// The incident.
        incident: i64,
    },
    /// The message was kept and flagged: no reported address could be read
    /// from it. It waits in `intake list --unparsed` for a person.
    Flagged {
        /// The message.
        intake: i64,
    },
}

impl Cases {
    /// Takes a message in. `raw` is the message as received; it is stored
    /// once by digest, so taking the same bytes in again changes nothing.
    pub async fn take_in(
        &self,
        raw: &[u8],
        n: &IncomingNotice,
        actor: &str,
    ) -> Result<IntakeOutcome, CaseError> {
        let drill = if n.message_id.is_empty() {
            None
        } else {
            self.store.drill_by_message_id(&n.message_id).await?
        };
        let row = Intake {
            id: 0,
            digest: digest(raw),
            source: n.source.clone(),
            message_id: n.message_id.clone(),
            sender: n.sender.clone(),
            forwarded_by: n.forwarded_by.clone(),
            subject: n.subject.clone(),
            code: n.code.clone(),
            received_at: n.received_at,
            status: n.status.clone(),
            problems: serde_json::to_string(&n.problems).unwrap_or_else(|_| "[]".into()),
            raw_path: n.raw_path.clone(),
            parsed: n.parsed.clone(),
            incident_id: None,
            drill_id: drill.as_ref().map(|d| d.id),
        };
        let (stored, new) = self.store.add_intake(&row).await?;
        if !new {
            return Ok(IntakeOutcome::Duplicate {
                intake: stored.id,
                incident: stored.incident_id,
            });
        }
        if n.reports.is_empty() {
            return Ok(IntakeOutcome::Flagged { intake: stored.id });
        }
        let reports: Vec<Report> = n
            .reports
            .iter()
            .map(|r| Report {
                id: 0,
                incident_id: 0,
                intake_id: stored.id,
                address: r.address.clone(),
                port: r.port.map(i64::from),
                observed_at: r.observed_at,
                time_text: r.time_text.clone(),
                zone: r.zone.clone(),
                malware: r.malware.clone(),
            })
            .collect();
        let drill_id = stored.drill_id;
        if let Some(inc) = self
            .matching_incident(&reports, drill_id, n.received_at)
            .await?
        {
            let times = reports.iter().filter_map(|r| r.observed_at);
            let start = times.clone().min().unwrap_or(inc.window_start);
            let end = times.max().unwrap_or(inc.window_end);
            let window = (inc.window_start.min(start), inc.window_end.max(end));
            self.store
                .extend_incident(inc.id, stored.id, &reports, window, n.received_at, actor)
                .await?;
            return Ok(IntakeOutcome::Joined {
                intake: stored.id,
                incident: inc.id,
            });
        }
        let malware = reports
            .iter()
            .map(|r| r.malware.as_str())
            .find(|m| !m.is_empty())
            .unwrap_or("")
            .to_owned();
        let playbook = self.playbook_for(&malware)?;
        let times = reports.iter().filter_map(|r| r.observed_at);
        let start = times.clone().min().unwrap_or(n.received_at);
        let end = times.max().unwrap_or(n.received_at);
        let incident = Incident {
            id: 0,
            malware,
            playbook: playbook.id.clone(),
            state: "open".into(),
            drill_id,
            window_start: start,
            window_end: end,
            opened_at: n.received_at,
            acknowledged_at: None,
            identified_at: None,
            contained_at: None,
            closed_at: None,
            updated_at: n.received_at,
        };
        let tasks = self.task_rows(&playbook, n.received_at, None);
        let id = self
            .store
            .open_incident(&incident, stored.id, &reports, &tasks, actor)
            .await?;
        Ok(IntakeOutcome::Opened {
            intake: stored.id,
            incident: id,
        })
    }

    /// The open incident a notice belongs to: one with a report on the
    /// same address, the same malware (or one side unnamed), in the same
    /// world (a drill's notices only join that drill's incident), and a
    /// contact time within the group window of the incident's reports.
    async fn matching_incident(
        &self,
        reports: &[Report],
        drill: Option<i64>,
        received_at: i64,
    ) -> Result<Option<Incident>, CaseError> {
        let w = self.config.group_window;
        for r in reports {
            let t = r.observed_at.unwrap_or(received_at);
            for inc in self.store.open_incidents_with(&r.address).await? {
                let same_malware =
                    r.malware.is_empty() || inc.malware.is_empty() || r.malware == inc.malware;
                let near = t >= inc.window_start.saturating_sub(w)
                    && t <= inc.window_end.saturating_add(w);
                if inc.drill_id == drill && same_malware && near {
                    return Ok(Some(inc));
                }
            }
        }
        Ok(None)
    }
}
