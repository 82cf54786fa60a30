"""sessions.fence: the lease number under which a room was last written (issue 11).

Revision ID: 010
Revises: 009

A node that owns a room through a lease passes the lease's number with every write of that
room; a write carrying a lower number than the one stored comes from a node that lost the
room and is refused. 0: never written under a lease (single-process mode passes none).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import BigInteger, Column, text

revision = "010"
down_revision = "009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never batch mode: on SQLite a batch copies the table, and the copy
    # would lose the handle-time trigger on sessions.
    op.add_column("sessions", Column("fence", BigInteger, nullable=False, server_default=text("0")))


def downgrade() -> None:
    op.drop_column("sessions", "fence")
