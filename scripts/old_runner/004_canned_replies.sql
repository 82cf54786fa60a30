-- Canned replies: short saved answers agents insert with "/shortcut". Admins manage them;
-- the text may hold placeholders ({customer_name}, ...) filled in for the room at hand.

CREATE TABLE canned_replies (
    canned_reply_id  TEXT PRIMARY KEY,
    shortcut         TEXT NOT NULL UNIQUE,
    title            TEXT,
    body             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
