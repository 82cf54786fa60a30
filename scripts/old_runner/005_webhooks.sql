-- Webhooks: URLs admins registered for room events, and every delivery owed to them.
-- A delivery is a row before it is an HTTP request, so a restart resumes what was owed;
-- `next_attempt_at` doubles as a lease: a sender pushes it past the attempt's timeout
-- before posting, so no two senders (or a sender after a restart) post the same try.

CREATE TABLE webhooks (
    webhook_id  TEXT PRIMARY KEY,
    url         TEXT NOT NULL,
    events      TEXT NOT NULL,   -- JSON array of event names
    secret      TEXT NOT NULL,   -- HMAC-SHA256 key of the signatures (kept: it signs)
    created_at  TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    delivery_id       TEXT PRIMARY KEY,
    webhook_id        TEXT NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    event             TEXT NOT NULL,
    body              TEXT NOT NULL,   -- the exact JSON posted (and signed)
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TEXT NOT NULL,
    last_status_code  INTEGER,
    last_error        TEXT,
    last_attempt_at   TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries (webhook_id, created_at);
