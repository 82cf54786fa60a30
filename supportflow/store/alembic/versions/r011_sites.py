"""Sites for the chat widget, the widget's context of a chat, more tokens per session (issue 24).

Revision ID: 011
Revises: 010

`sites`: the websites allowed to embed /widget.js, with their look and the secret that signs
user ids. `site_sessions`: which site a chat started on, whether its customer was proven,
and the page's attributes. `session_tokens`: a customer token per device an identified
customer resumes a chat on. Both child tables go with their session (ON DELETE CASCADE).
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, Text, text

revision = "011"
down_revision = "010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sites",
        Column("site_id", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("allowed_origins", Text, nullable=False),
        Column("brand_color", Text, nullable=False),
        Column("greeting", Text, nullable=False),
        Column("launcher_position", Text, nullable=False),
        Column("prechat_fields", Text, nullable=False),
        Column("secret", Text, nullable=False),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
        CheckConstraint(
            "launcher_position IN ('bottom-right', 'bottom-left')", name="sites_position_known"
        ),
    )
    op.create_table(
        "site_sessions",
        Column(
            "session_id",
            Text,
            ForeignKey("sessions.session_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Column("site_id", Text, nullable=False),
        Column("verified", Integer, nullable=False, server_default=text("0")),
        Column("attributes", Text, nullable=False, server_default=text("'{}'")),
        Column("updated_at", Text, nullable=False),
        CheckConstraint("verified IN (0, 1)", name="site_sessions_verified_flag"),
    )
    op.create_index("site_sessions_by_site", "site_sessions", ["site_id"])
    op.create_table(
        "session_tokens",
        Column("token_digest", Text, primary_key=True),
        Column(
            "session_id",
            Text,
            ForeignKey("sessions.session_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("created_at", Text, nullable=False),
        Column("expires_at", Text),
    )
    op.create_index("session_tokens_by_session", "session_tokens", ["session_id"])


def downgrade() -> None:
    op.drop_table("session_tokens")
    op.drop_table("site_sessions")
    op.drop_table("sites")
