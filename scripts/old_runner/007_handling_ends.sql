-- When an agent stopped handling a room: the end of an agent's handle time in the reports.
-- A claimed escalation's `released_at` is set the moment its room leaves agent_assigned
-- (handed back, closed, or re-queued). A trigger rather than a statement in each room
-- write, so every way out of agent_assigned, present or future, is counted the same.

ALTER TABLE escalations ADD COLUMN released_at TEXT;

CREATE TRIGGER escalations_released_with_their_room
AFTER UPDATE OF status ON sessions
WHEN OLD.status = 'agent_assigned' AND NEW.status <> 'agent_assigned'
BEGIN
    UPDATE escalations
       SET released_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE session_id = NEW.session_id AND status = 'claimed' AND released_at IS NULL;
END;

CREATE INDEX escalations_by_time ON escalations (triggered_at);
CREATE INDEX sessions_by_creation ON sessions (created_at);
