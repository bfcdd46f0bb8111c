//! An incident with everything tied to it, as `cases list` and
//! `cases show` print it.

use super::Cases;
use crate::error::CaseError;
use kizuki_store::{Change, Evidence, Host, Incident, Intake, Report, Task};
use serde::Serialize;

/// An incident and everything tied to it.
#[derive(Clone, Debug, Serialize)]
pub struct CaseView {
    /// The incident.
    #[serde(flatten)]
    pub incident: Incident,
    /// True for a drill.
    pub drill: bool,
    /// What the notices reported.
    pub reports: Vec<Report>,
    /// The messages behind it, oldest first.
    pub notices: Vec<Intake>,
    /// Hosts.
    pub hosts: Vec<Host>,
    /// Tasks.
    pub tasks: Vec<Task>,
    /// Evidence.
    pub evidence: Vec<Evidence>,
    /// Every change, oldest first.
    pub timeline: Vec<Change>,
}

impl Cases {
    /// One incident with everything tied to it.
    pub async fn view(&self, id: i64) -> Result<CaseView, CaseError> {
        let incident = self.incident_or_err(id).await?;
        self.view_of(incident).await
    }

    /// Every incident, oldest first.
    pub async fn views(&self) -> Result<Vec<CaseView>, CaseError> {
        let mut out = Vec::new();
        for i in self.store.incidents().await? {
            out.push(self.view_of(i).await?);
        }
        Ok(out)
    }

    async fn view_of(&self, incident: Incident) -> Result<CaseView, CaseError> {
        let id = incident.id;
        Ok(CaseView {
            drill: incident.drill_id.is_some(),
            incident,
            reports: self.store.incident_reports(id).await?,
            notices: self.store.incident_intake(id).await?,
            hosts: self.store.incident_hosts(id).await?,
            tasks: self.store.incident_tasks(id).await?,
            evidence: self.store.incident_evidence(id).await?,
            timeline: self.store.incident_changes(id).await?,
        })
    }
}
