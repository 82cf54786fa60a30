-- Private notes and customer ratings.
-- A note is a transcript message only agents and admins see: `visibility` says who may
-- read each message ('all', or 'agents' for a note). Every existing message is 'all'.
-- A rating is the customer's score (1-5) of a closed room, at most one per room.

ALTER TABLE messages ADD COLUMN visibility TEXT NOT NULL DEFAULT 'all'
    CHECK (visibility IN ('all', 'agents'));

CREATE TABLE ratings (
    room_id     TEXT PRIMARY KEY REFERENCES sessions (room_id),
    session_id  TEXT NOT NULL REFERENCES sessions (session_id),
    user_id     TEXT NOT NULL,
    agent_id    TEXT,
    score       INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment     TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX ratings_by_time ON ratings (created_at);
