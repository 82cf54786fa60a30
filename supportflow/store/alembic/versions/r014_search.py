"""Full-text search over messages: SQLite FTS5 and PostgreSQL tsvector (issue 25).

Revision ID: 014
Revises: 013

The same shape on both engines: an index beside `messages`, kept in step by triggers and
built here for the messages already stored; `messages` itself is unchanged.

SQLite: `messages_fts`, an FTS5 table with external content (the text stays in `messages`
alone; the index holds only tokens). PostgreSQL: `message_search`, each message's tsvector
under a GIN index. A stored tsvector, not an expression index over the body: a phrase
("data plan") must re-check word positions on every candidate row, and an expression index
would compute `to_tsvector` again for each (165 ms p95 at 10,000 messages, measured).
Both stem English (FTS5's porter tokenizer, PostgreSQL's english configuration), so
"billing" finds "billed". Neither is declared in schema.py: SQLAlchemy cannot describe an
FTS5 table, and each exists on one engine only (tests/store/test_alembic.py leaves them out
of its comparison).
"""

from __future__ import annotations

from alembic import op

revision = "014"
down_revision = "013"
branch_labels = None
depends_on = None

_SQLITE = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages',"
    " content_rowid='message_id', tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages BEGIN"
    " INSERT INTO messages_fts (rowid, body) VALUES (new.message_id, new.body); END",
    # An external-content table forgets a row by being told its old text ('delete').
    "CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages BEGIN"
    " INSERT INTO messages_fts (messages_fts, rowid, body)"
    " VALUES ('delete', old.message_id, old.body); END",
    "CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF body ON messages BEGIN"
    " INSERT INTO messages_fts (messages_fts, rowid, body)"
    " VALUES ('delete', old.message_id, old.body);"
    " INSERT INTO messages_fts (rowid, body) VALUES (new.message_id, new.body); END",
    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
)
_POSTGRES = (
    "CREATE TABLE message_search (message_id BIGINT PRIMARY KEY"
    " REFERENCES messages (message_id) ON DELETE CASCADE, document TSVECTOR NOT NULL)",
    "CREATE INDEX message_search_document ON message_search USING GIN (document)",
    """CREATE FUNCTION message_search_indexed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_search (message_id, document)
    VALUES (NEW.message_id, to_tsvector('english', NEW.body))
    ON CONFLICT (message_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$""",
    "CREATE TRIGGER message_search_after_write AFTER INSERT OR UPDATE OF body ON messages"
    " FOR EACH ROW EXECUTE FUNCTION message_search_indexed()",
    "INSERT INTO message_search (message_id, document)"
    " SELECT message_id, to_tsvector('english', body) FROM messages",
)


def upgrade() -> None:
    statements = _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER messages_fts_after_{trigger}")
        op.execute("DROP TABLE messages_fts")
    else:
        op.execute("DROP TRIGGER message_search_after_write ON messages")
        op.execute("DROP FUNCTION message_search_indexed()")
        op.execute("DROP TABLE message_search")
