-- Thumbs up / down from the customer on a bot reply: at most one per message (the last
-- one given wins), so the counts say how many answers helped, not how many clicks.

CREATE TABLE message_feedback (
    room_id     TEXT NOT NULL REFERENCES sessions (room_id),
    seq         INTEGER NOT NULL,
    verdict     TEXT NOT NULL CHECK (verdict IN ('up', 'down')),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX message_feedback_by_time ON message_feedback (created_at);
