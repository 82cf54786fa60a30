"""Full-text search over messages: SQLite FTS5 and PostgreSQL tsvector (issue 25).

Revision ID: 014
Revises: 011

SQLite: `messages_fts`, an FTS5 table with external content (the text stays in `messages`
alone; the index holds only tokens), kept in step by three triggers and built once here
for the messages already stored. PostgreSQL: a GIN index on `to_tsvector('english', body)`,
which the search query repeats word for word so the planner uses it. Both stem English
(FTS5's porter tokenizer, PostgreSQL's english configuration), so "billing" finds "billed".
Neither is declared in schema.py: SQLAlchemy cannot describe an FTS5 table, and the index
exists on one engine only (tests/store/test_alembic.py leaves both out of its comparison).
"""

from __future__ import annotations

from alembic import op

revision = "014"
down_revision = "011"
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
    "CREATE INDEX messages_body_search ON messages USING GIN (to_tsvector('english', body))",
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
        op.execute("DROP INDEX messages_body_search")
