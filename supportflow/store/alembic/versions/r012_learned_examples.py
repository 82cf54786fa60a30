"""Learned examples: customer wording an agent confirmed an article answers (issue 22).

Revision ID: 012
Revises: 011

`learned_examples`: the customer's message(s) of a handed-off chat and the article the agent
marked as the answer, with who confirmed it and when. Retrieval reads them as evidence for
that article. An example outlives its chat: deleting the session only unlinks it.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import CheckConstraint, Column, ForeignKey, Text, UniqueConstraint

revision = "012"
down_revision = "011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learned_examples",
        Column("example_id", Text, primary_key=True),
        Column("article_id", Text, nullable=False),
        Column("text", Text, nullable=False),
        Column("session_id", Text, ForeignKey("sessions.session_id", ondelete="SET NULL")),
        Column("confirmed_by", Text, nullable=False),
        Column("origin", Text, nullable=False),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
        CheckConstraint(
            "origin IN ('pick', 'link', 'admin')", name="learned_examples_origin_known"
        ),
        UniqueConstraint("session_id", "article_id", name="learned_examples_session_article"),
    )
    op.create_index("learned_examples_by_article", "learned_examples", ["article_id"])


def downgrade() -> None:
    op.drop_table("learned_examples")
