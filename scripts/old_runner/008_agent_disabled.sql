-- An agent the admin disabled: its token is refused and it is never alerted, until enabled.
ALTER TABLE agents ADD COLUMN disabled_at TEXT;
