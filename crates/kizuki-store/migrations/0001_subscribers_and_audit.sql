-- Written once for SQLite and PostgreSQL: TEXT, BIGINT, integer times
-- (microseconds since 1970, UTC), JSON kept as TEXT, ids made by kizuki.

-- The subscriber directory (personal data: every read is audited).
CREATE TABLE subscribers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    emails TEXT NOT NULL,
    language TEXT NOT NULL,
    timezone TEXT NOT NULL,
    postal_address TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The keys a subscriber appears under in logs: user:NAME, mac:aa:bb:..,
-- client-id:HEX, prefix:CIDR.
CREATE TABLE subscriber_keys (
    key TEXT PRIMARY KEY,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE
);
CREATE INDEX subscriber_keys_by_subscriber ON subscriber_keys (subscriber_id);

-- Who did what, when.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log (at);
