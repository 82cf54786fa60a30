"""A counter of writes to learned_examples, so every node sees each one (issue 22).

Revision ID: 015
Revises: 014

`learned_examples_changes` holds one row, raised by one in the transaction of every write
to `learned_examples`. A node's mark was the count and the latest `updated_at`: an edit in
the same millisecond as the write before it (or from a node whose clock is behind) left it
unchanged, and the other nodes kept answering from the old example.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import BigInteger, Column

revision = "015"
down_revision = "014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("learned_examples_changes", Column("changes", BigInteger, nullable=False))
    # Any examples already stored count as one change from the empty table.
    op.execute("INSERT INTO learned_examples_changes (changes) VALUES (1)")


def downgrade() -> None:
    op.drop_table("learned_examples_changes")
