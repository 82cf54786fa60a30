-- The first schema: people, rooms, their transcripts and escalations.
-- One session is one chat room; the room's state-machine state lives on its row (status),
-- so there is exactly one place that says what state a room is in.

CREATE TABLE users (
    user_id     TEXT PRIMARY KEY,
    name        TEXT,
    email       TEXT,
    created_at  TEXT NOT NULL
);

CREATE TABLE agents (
    agent_id        TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    token_digest    TEXT NOT NULL UNIQUE,
    is_available    INTEGER NOT NULL DEFAULT 0 CHECK (is_available IN (0, 1)),
    max_concurrent  INTEGER NOT NULL DEFAULT 3 CHECK (max_concurrent >= 1),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE sessions (
    session_id      TEXT PRIMARY KEY,
    room_id         TEXT NOT NULL UNIQUE,
    user_id         TEXT NOT NULL REFERENCES users (user_id),
    agent_id        TEXT REFERENCES agents (agent_id),
    status          TEXT NOT NULL DEFAULT 'bot_active'
                    CHECK (status IN ('bot_active', 'escalating', 'agent_assigned', 'closed')),
    exchange_count  INTEGER NOT NULL DEFAULT 0,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    token_digest    TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_agent ON sessions (agent_id, status);
CREATE INDEX sessions_by_status ON sessions (status);

CREATE TABLE messages (
    message_id     INTEGER PRIMARY KEY,
    room_id        TEXT NOT NULL REFERENCES sessions (room_id),
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    sender_type    TEXT NOT NULL CHECK (sender_type IN ('user', 'bot', 'agent', 'system')),
    sender_id      TEXT,
    body           TEXT NOT NULL,
    client_msg_id  TEXT,
    metadata       TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL,
    UNIQUE (room_id, seq),
    UNIQUE (room_id, client_msg_id)
);

CREATE TABLE escalations (
    escalation_id  TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions (session_id),
    reasons        TEXT NOT NULL,
    triggered_at   TEXT NOT NULL,
    handled_at     TEXT,
    handled_by     TEXT REFERENCES agents (agent_id),
    status         TEXT NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'claimed', 'cancelled'))
);
CREATE INDEX escalations_by_status ON escalations (status, triggered_at);
CREATE INDEX escalations_by_session ON escalations (session_id);
