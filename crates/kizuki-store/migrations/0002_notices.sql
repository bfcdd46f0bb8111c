-- Notices: the events they are made of, who gets them, every decision
-- taken about them, and the outbox they leave through. Same rules as
-- 0001: SQL that SQLite and PostgreSQL both accept, times in microseconds
-- since 1970 (UTC), JSON as TEXT.

-- Who a notice goes to, as known when the notice was made: a subscriber
-- (`subscriber:ID`) or a contact from the contacts directory
-- (`contact:ID`).
CREATE TABLE recipients (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    emails TEXT NOT NULL,
    cc TEXT NOT NULL,
    language TEXT NOT NULL,
    timezone TEXT NOT NULL,
    attachment TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Every event handed to `notify`, once: the dedupe key is the event's
-- identity (address, time, malware, port, feed), so a second run on the
-- same input finds nothing new.
CREATE TABLE events (
    id BIGINT PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    observed_at BIGINT NOT NULL,
    address TEXT NOT NULL,
    port BIGINT,
    malware TEXT NOT NULL,
    attribution TEXT NOT NULL,
    candidates TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    state TEXT NOT NULL,
    notice_id BIGINT
);
CREATE INDEX events_by_state ON events (state);
CREATE INDEX events_by_notice ON events (notice_id);

CREATE TABLE notices (
    id BIGINT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    recipient_id TEXT,
    candidates TEXT NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    hold_reason TEXT NOT NULL,
    assigned_to TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX notices_by_recipient ON notices (recipient_id);
CREATE INDEX notices_by_status ON notices (status);

-- What a notice covers: (address, malware) pairs with their observation
-- times, kept per notice so policy questions need no event bodies.
CREATE TABLE notice_items (
    notice_id BIGINT NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    address TEXT NOT NULL,
    malware TEXT NOT NULL,
    observed_at BIGINT NOT NULL,
    PRIMARY KEY (notice_id, event_id)
);
CREATE INDEX notice_items_by_event ON notice_items (event_id);

-- Every decision with its reason: `notices explain` reads this.
CREATE TABLE decisions (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    notice_id BIGINT,
    event_id BIGINT,
    decision TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX decisions_by_notice ON decisions (notice_id);
CREATE INDEX decisions_by_event ON decisions (event_id);

-- The outbox: a notice's message as it will be sent, byte for byte.
-- `sending` means an attempt started; a sender that finds such a row after
-- a crash knows the message may have reached the server.
CREATE TABLE outbox (
    notice_id BIGINT PRIMARY KEY REFERENCES notices (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    envelope_from TEXT NOT NULL,
    rcpt TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    notice_id BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX deliveries_by_notice ON deliveries (notice_id);

-- Delivery status notifications (RFC 3464) matched to their notice.
CREATE TABLE bounces (
    id BIGINT PRIMARY KEY,
    notice_id BIGINT,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    diagnostic TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (message_id, recipient, action, status)
);

-- The escalation ladder per recipient, address and malware: the step
-- reached and when the first notice about it went out.
CREATE TABLE escalations (
    recipient_id TEXT NOT NULL,
    address TEXT NOT NULL,
    malware TEXT NOT NULL,
    first_notice_id BIGINT NOT NULL,
    step BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (recipient_id, address, malware)
);
