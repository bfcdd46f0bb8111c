-- Enterprise cases: mail taken in, incidents grouping the notices about
-- one public address and time window, the hosts found behind the NAT, the
-- playbook's tasks and every change to them, evidence, and drills. Same
-- rules as 0001: SQL that SQLite and PostgreSQL both accept, times in
-- microseconds since 1970 (UTC), JSON as TEXT, booleans as 0/1.

-- Every message taken in, once (the digest of its bytes), whether it could
-- be read or not. The raw message is kept as a file in the data directory.
CREATE TABLE intake (
    id BIGINT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    forwarded_by TEXT NOT NULL,
    subject TEXT NOT NULL,
    code TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    problems TEXT NOT NULL,
    raw_path TEXT NOT NULL,
    parsed TEXT NOT NULL,
    incident_id BIGINT,
    drill_id BIGINT
);
CREATE INDEX intake_by_incident ON intake (incident_id);
CREATE INDEX intake_by_status ON intake (status);

-- Where reading a mailbox got to (IMAP: UIDVALIDITY and the last UID).
CREATE TABLE intake_cursors (
    mailbox TEXT PRIMARY KEY,
    uidvalidity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE incidents (
    id BIGINT PRIMARY KEY,
    malware TEXT NOT NULL,
    playbook TEXT NOT NULL,
    state TEXT NOT NULL,
    drill_id BIGINT,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    opened_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    identified_at BIGINT,
    contained_at BIGINT,
    closed_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_by_state ON incidents (state);

-- What the notices said: one row per reported (address, time).
CREATE TABLE incident_reports (
    id BIGINT PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    intake_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    port BIGINT,
    observed_at BIGINT,
    time_text TEXT NOT NULL,
    zone TEXT NOT NULL,
    malware TEXT NOT NULL
);
CREATE INDEX incident_reports_by_address ON incident_reports (address);
CREATE INDEX incident_reports_by_incident ON incident_reports (incident_id);

-- Internal hosts tied to an incident.
CREATE TABLE hosts (
    id BIGINT PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    hostname TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    department TEXT NOT NULL,
    role TEXT NOT NULL,
    state TEXT NOT NULL,
    identified_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    evidence TEXT NOT NULL
);
CREATE INDEX hosts_by_incident ON hosts (incident_id);

CREATE TABLE tasks (
    id BIGINT PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    task_key TEXT NOT NULL,
    title TEXT NOT NULL,
    phase TEXT NOT NULL,
    scope TEXT NOT NULL,
    optional BIGINT NOT NULL,
    needs_host BIGINT NOT NULL,
    done_when TEXT NOT NULL,
    host_id BIGINT,
    owner TEXT NOT NULL,
    due_at BIGINT,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX tasks_by_incident ON tasks (incident_id);

-- Every change to an incident, a task or a host, with who and when: the
-- timeline that metrics and drill reports are measured from.
CREATE TABLE case_changes (
    id BIGINT PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    task_id BIGINT,
    host_id BIGINT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    what TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX case_changes_by_incident ON case_changes (incident_id);

CREATE TABLE evidence (
    id BIGINT PRIMARY KEY,
    incident_id BIGINT NOT NULL,
    host_id BIGINT,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    digest TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    observed_at BIGINT,
    hostname TEXT NOT NULL,
    verdict TEXT NOT NULL,
    details TEXT NOT NULL,
    raw_path TEXT NOT NULL
);
CREATE INDEX evidence_by_incident ON evidence (incident_id);

-- Drills: a synthetic notice put into a mailbox on purpose. Intake knows a
-- drill's message by its Message-ID, so the people handling it see an
-- ordinary notice while its incident stays out of production metrics.
CREATE TABLE drills (
    id BIGINT PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    mailbox TEXT NOT NULL,
    address TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    malware TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    started_by TEXT NOT NULL,
    note TEXT NOT NULL
);
