//! Tying internal hosts to an incident, and the acknowledgement.

use super::Cases;
use crate::error::CaseError;
use kizuki_store::{Host, Incident, Milestone, Task, TaskSet};
use serde::Serialize;

/// A host to tie to an incident.
#[derive(Clone, Debug, Default, Serialize)]
pub struct HostInput {
    /// Internal address (may be empty when only the name is known).
    pub address: String,
    /// Host name.
    pub hostname: String,
    /// Asset id.
    pub asset_id: String,
    /// Owner.
    pub owner: String,
    /// Department.
    pub department: String,
    /// True for the host the notice is about; false for another host
    /// checked because it shares the network.
    pub infected: bool,
    /// Why it is thought to be the host (JSON).
    pub evidence: String,
}

/// The actor name kizuki uses for its own, automatic changes.
pub(crate) const KIZUKI: &str = "kizuki";

impl Cases {
    pub(crate) async fn incident_or_err(&self, id: i64) -> Result<Incident, CaseError> {
        self.store
            .incident(id)
            .await?
            .ok_or_else(|| CaseError::NotFound(format!("no incident {id}")))
    }

    /// Records that someone has taken the incident up. Only the first
    /// acknowledgement counts; returns whether this was it.
    pub async fn acknowledge(
        &self,
        incident: i64,
        actor: &str,
        at: i64,
        note: &str,
    ) -> Result<bool, CaseError> {
        self.incident_or_err(incident).await?;
        Ok(self
            .store
            .set_milestone(incident, Milestone::Acknowledged, at, actor, note)
            .await?)
    }

    /// A person acting on a case has acknowledged it, whether or not they
    /// said so.
    pub(crate) async fn implicit_ack(
        &self,
        incident: i64,
        actor: &str,
        at: i64,
    ) -> Result<(), CaseError> {
        if actor != KIZUKI {
            self.store
                .set_milestone(
                    incident,
                    Milestone::Acknowledged,
                    at,
                    actor,
                    "first action on the case",
                )
                .await?;
        }
        Ok(())
    }

    /// Ties a host to an incident, or returns the one already tied with
    /// the same address (or, without an address, the same name).
    ///
    /// The first infected host takes over the tasks made when the incident
    /// opened, and those waiting for a host open; a further infected host
    /// gets its own copy of the infected-host tasks. The first infected
    /// host sets the incident's `identified` time.
    pub async fn add_host(
        &self,
        incident: i64,
        h: &HostInput,
        actor: &str,
        at: i64,
    ) -> Result<(Host, bool), CaseError> {
        let inc = self.incident_or_err(incident).await?;
        let hosts = self.store.incident_hosts(incident).await?;
        if let Some(old) = hosts.iter().find(|x| same_host(x, h)) {
            return Ok((old.clone(), false));
        }
        let first_infected = h.infected && !hosts.iter().any(|x| x.role == "infected");
        let row = Host {
            id: 0,
            incident_id: incident,
            address: h.address.clone(),
            hostname: h.hostname.clone(),
            asset_id: h.asset_id.clone(),
            owner: h.owner.clone(),
            department: h.department.clone(),
            role: if h.infected { "infected" } else { "other" }.into(),
            state: if h.infected { "suspected" } else { "unchecked" }.into(),
            identified_at: at,
            updated_at: at,
            evidence: if h.evidence.is_empty() {
                "{}".into()
            } else {
                h.evidence.clone()
            },
        };
        let extra: Vec<Task> = if h.infected && !first_infected {
            let p = self.playbook_for(&inc.malware)?;
            self.task_rows(&p, at, Some(0))
                .into_iter()
                .map(|t| Task { host_id: None, ..t })
                .collect()
        } else {
            Vec::new()
        };
        let id = self.store.add_host(&row, &extra, actor, "").await?;
        if first_infected {
            let tasks = self.store.incident_tasks(incident).await?;
            let unbound: Vec<&Task> = tasks
                .iter()
                .filter(|t| t.host_id.is_none() && t.scope == "infected-host")
                .collect();
            let ids: Vec<i64> = unbound.iter().map(|t| t.id).collect();
            self.store.bind_tasks_to_host(incident, &ids, id).await?;
            for t in tasks.iter().filter(|t| t.state == "waiting") {
                let t = Task {
                    host_id: if t.scope == "infected-host" {
                        Some(id)
                    } else {
                        t.host_id
                    },
                    ..t.clone()
                };
                self.store
                    .update_task(&t, TaskSet::state("open"), at, KIZUKI, "host identified")
                    .await?;
            }
            self.store
                .set_milestone(incident, Milestone::Identified, at, actor, &h.address)
                .await?;
        }
        self.implicit_ack(incident, actor, at).await?;
        let host = Host { id, ..row };
        Ok((host, true))
    }
}

fn same_host(x: &Host, h: &HostInput) -> bool {
    if !h.address.is_empty() && !x.address.is_empty() {
        return x.address == h.address;
    }
    !h.hostname.is_empty() && x.hostname.eq_ignore_ascii_case(&h.hostname)
}
