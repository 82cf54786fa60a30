-- Contact details as the seed's schema had them: customers gain a phone number, agents an
-- email address and a phone number. Nullable: every existing row simply has none yet.

ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE agents ADD COLUMN email TEXT;
ALTER TABLE agents ADD COLUMN phone TEXT;
