//! EmoCheck reports as evidence: an infected result marks the host
//! infected and leaves its removal task open; a clean result on the
//! infected host, later than any infected one, closes the task, and when
//! every infected host is clean the incident is contained.

use super::hosts::KIZUKI;
use super::{Cases, HostInput, digest};
use crate::emocheck::{self, EmoCheckReport};
use crate::error::CaseError;
use jiff::tz::TimeZone;
use kizuki_store::{Evidence, Host, Milestone, TaskSet};
use serde::Serialize;

/// What adding a report did.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceOutcome {
    /// The evidence row.
    pub evidence: i64,
    /// False when the same file was added to this incident before.
    pub new: bool,
    /// The host it is about.
    pub host: i64,
    /// `infected` or `clean`.
    pub verdict: String,
    /// Tasks it closed.
    pub closed_tasks: Vec<i64>,
    /// True when this report contained the incident.
    pub contained: bool,
}

impl Cases {
    /// Adds an EmoCheck report (JSON or text) to an incident. The host is
    /// the one named by `host` (an address or a host name) or, without it,
    /// the one with the report's host name; a host not yet tied to the
    /// incident is added. The scan time, written in the host's local time,
    /// is read in `tz`.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_emocheck(
        &self,
        incident: i64,
        file_name: &str,
        bytes: &[u8],
        host: Option<&str>,
        tz: &TimeZone,
        raw_path: &str,
        actor: &str,
        at: i64,
    ) -> Result<EvidenceOutcome, CaseError> {
        let inc = self.incident_or_err(incident).await?;
        let report =
            emocheck::parse(bytes, Some(file_name)).map_err(|source| CaseError::EmoCheck {
                file: file_name.to_owned(),
                source,
            })?;
        let hostname = report.hostname.clone().unwrap_or_default();
        let observed_at = report
            .scan_time_local
            .to_zoned(tz.clone())
            .ok()
            .map(|z| z.timestamp().as_microsecond());
        let host = self
            .host_for_report(inc.id, host, &hostname, report.infected, actor, at)
            .await?;
        let verdict = if report.infected { "infected" } else { "clean" };
        let row = Evidence {
            id: 0,
            incident_id: inc.id,
            host_id: Some(host.id),
            kind: "emocheck".into(),
            file_name: file_name.to_owned(),
            digest: digest(bytes),
            added_at: at,
            actor: actor.to_owned(),
            observed_at,
            hostname: hostname.clone(),
            verdict: verdict.into(),
            details: serde_json::to_string(&report).unwrap_or_else(|_| "{}".into()),
            raw_path: raw_path.to_owned(),
        };
        let (ev, new) = self.store.add_evidence(&row).await?;
        let mut out = EvidenceOutcome {
            evidence: ev.id,
            new,
            host: host.id,
            verdict: verdict.into(),
            closed_tasks: Vec::new(),
            contained: false,
        };
        if !new {
            return Ok(out);
        }
        self.implicit_ack(inc.id, actor, at).await?;
        if report.infected {
            if host.state != "infected" {
                let note = format!("EmoCheck found {}", process_names(&report));
                self.store
                    .set_host_state(&host, "infected", at, KIZUKI, &note)
                    .await?;
            }
            if host.role == "infected" {
                // An EmoCheck hit is as good an identification as a flow.
                self.store
                    .set_milestone(inc.id, Milestone::Identified, at, actor, &hostname)
                    .await?;
            }
            return Ok(out);
        }
        if self
            .later_infected_report(inc.id, host.id, observed_at)
            .await?
        {
            // An older clean report arriving late does not undo a newer
            // infected one.
            return Ok(out);
        }
        if host.state != "clean" {
            self.store
                .set_host_state(&host, "clean", at, KIZUKI, "EmoCheck: not detected")
                .await?;
        }
        if host.role != "infected" {
            return Ok(out);
        }
        for t in self.store.incident_tasks(inc.id).await? {
            if t.host_id == Some(host.id)
                && t.done_when == "emocheck-clean"
                && !matches!(t.state.as_str(), "done" | "skipped")
            {
                let note = format!("clean EmoCheck report {file_name}");
                self.store
                    .update_task(&t, TaskSet::state("done"), at, KIZUKI, &note)
                    .await?;
                out.closed_tasks.push(t.id);
            }
        }
        let hosts = self.store.incident_hosts(inc.id).await?;
        let all_clean = hosts
            .iter()
            .filter(|h| h.role == "infected")
            .all(|h| h.id == host.id || h.state == "clean");
        if all_clean
            && self
                .store
                .set_milestone(
                    inc.id,
                    Milestone::Contained,
                    at,
                    actor,
                    "every infected host is clean",
                )
                .await?
        {
            self.store
                .set_incident_state(
                    inc.id,
                    "contained",
                    at,
                    KIZUKI,
                    "every infected host is clean",
                )
                .await?;
            out.contained = true;
        }
        Ok(out)
    }

    async fn host_for_report(
        &self,
        incident: i64,
        hint: Option<&str>,
        hostname: &str,
        infected: bool,
        actor: &str,
        at: i64,
    ) -> Result<Host, CaseError> {
        let hosts = self.store.incident_hosts(incident).await?;
        let found = match hint {
            Some(h) => hosts
                .iter()
                .find(|x| x.address == h || x.hostname.eq_ignore_ascii_case(h)),
            None if !hostname.is_empty() => hosts
                .iter()
                .find(|x| x.hostname.eq_ignore_ascii_case(hostname)),
            None => None,
        };
        if let Some(h) = found {
            return Ok(h.clone());
        }
        let address = hint
            .filter(|h| h.parse::<std::net::IpAddr>().is_ok())
            .unwrap_or("")
            .to_owned();
        if address.is_empty() && hostname.is_empty() {
            return Err(CaseError::Invalid(
                "the report names no host; say which host it is about".into(),
            ));
        }
        let input = HostInput {
            address,
            hostname: hostname.to_owned(),
            infected,
            evidence: r#"{"found_by":"emocheck"}"#.into(),
            ..HostInput::default()
        };
        Ok(self.add_host(incident, &input, actor, at).await?.0)
    }

    async fn later_infected_report(
        &self,
        incident: i64,
        host: i64,
        clean_at: Option<i64>,
    ) -> Result<bool, CaseError> {
        let Some(clean_at) = clean_at else {
            return Ok(false);
        };
        Ok(self
            .store
            .incident_evidence(incident)
            .await?
            .iter()
            .any(|e| {
                e.host_id == Some(host)
                    && e.verdict == "infected"
                    && e.observed_at.is_some_and(|t| t >= clean_at)
            }))
    }
}

fn process_names(r: &EmoCheckReport) -> String {
    let names: Vec<&str> = r.processes.iter().map(|p| p.name.as_str()).collect();
    if names.is_empty() {
        "Emotet".into()
    } else {
        names.join(", ")
    }
}
