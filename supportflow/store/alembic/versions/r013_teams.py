"""Teams of agents and topic routing (issue 25, item 1).

Revision ID: 013
Revises: 012

`teams`: a team's name and the topics it takes (knowledge-base categories, escalation
reasons). `team_members`: which agents are in which teams (an agent may be in several).
`escalations.team_id`: the team an escalation was routed to; `escalations.widened_at`: when
its alert went to everyone (the team's claim time ran out, or nobody of it was available).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Column, ForeignKey, Text, text

revision = "013"
down_revision = "012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams",
        Column("team_id", Text, primary_key=True),
        Column("name", Text, nullable=False, unique=True),
        Column("categories", Text, nullable=False, server_default=text("'[]'")),
        Column("reasons", Text, nullable=False, server_default=text("'[]'")),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
    )
    op.create_table(
        "team_members",
        Column("team_id", Text, ForeignKey("teams.team_id", ondelete="CASCADE"), primary_key=True),
        Column("agent_id", Text, ForeignKey("agents.agent_id"), primary_key=True),
        Column("added_at", Text, nullable=False),
    )
    op.create_index("team_members_by_agent", "team_members", ["agent_id"])
    # Plain ADD COLUMNs (nullable), never batch mode: on SQLite a batch copies the table.
    op.add_column("escalations", Column("team_id", Text))
    op.add_column("escalations", Column("widened_at", Text))
    op.create_index("escalations_by_team", "escalations", ["team_id", "status", "triggered_at"])


def downgrade() -> None:
    op.drop_index("escalations_by_team", "escalations")
    op.drop_column("escalations", "widened_at")
    op.drop_column("escalations", "team_id")
    op.drop_index("team_members_by_agent", "team_members")
    op.drop_table("team_members")
    op.drop_table("teams")
