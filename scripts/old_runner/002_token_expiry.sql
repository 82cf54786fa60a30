-- Customer tokens expire: each session records when its token stops working.
-- NULL would mean "never", so sessions created before this migration get the default
-- lifetime (24 hours) from their creation rather than living forever.

ALTER TABLE sessions ADD COLUMN expires_at TEXT;
UPDATE sessions
   SET expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+1 day')
 WHERE expires_at IS NULL;
