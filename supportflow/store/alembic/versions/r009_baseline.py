"""Baseline: the schema the old SQL migration runner had reached at its file 009.

Revision ID: 009
Revises: (none)

A copy, not an import, of the tables as they stood then: schema.py moves on, a migration
must not. SQLite files made by the old runner are stamped with this revision, not re-run.
The handle-time trigger of the old migration 007 is written for each backend.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)

revision = "009"
down_revision = None
branch_labels = None
depends_on = None

_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

# When a claimed room leaves agent_assigned (released, lost, closed), its claimed escalation
# records when: the end of the agent's handle time (reports).
_SQLITE_TRIGGER = """
CREATE TRIGGER escalations_released_with_their_room
AFTER UPDATE OF status ON sessions
WHEN OLD.status = 'agent_assigned' AND NEW.status <> 'agent_assigned'
BEGIN
    UPDATE escalations
       SET released_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
     WHERE session_id = NEW.session_id AND status = 'claimed' AND released_at IS NULL;
END
"""
_POSTGRES_FUNCTION = """
CREATE FUNCTION escalations_released_with_their_room() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE escalations
       SET released_at = to_char(clock_timestamp() AT TIME ZONE 'UTC',
                                 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
     WHERE session_id = NEW.session_id AND status = 'claimed' AND released_at IS NULL;
    RETURN NULL;
END
$$
"""
_POSTGRES_TRIGGER = """
CREATE TRIGGER escalations_released_with_their_room
AFTER UPDATE OF status ON sessions
FOR EACH ROW WHEN (OLD.status = 'agent_assigned' AND NEW.status <> 'agent_assigned')
EXECUTE FUNCTION escalations_released_with_their_room()
"""


def upgrade() -> None:
    op.create_table(
        "users",
        Column("user_id", Text, primary_key=True),
        Column("name", Text),
        Column("email", Text),
        Column("created_at", Text, nullable=False),
        Column("phone", Text),
    )

    op.create_table(
        "agents",
        Column("agent_id", Text, primary_key=True),
        Column("name", Text, nullable=False),
        Column("token_digest", Text, nullable=False, unique=True),
        Column("is_available", Integer, nullable=False, server_default=text("0")),
        Column("max_concurrent", Integer, nullable=False, server_default=text("3")),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
        Column("email", Text),
        Column("phone", Text),
        Column("disabled_at", Text),  # set by the admin: the agent's token is refused
        CheckConstraint("is_available IN (0, 1)", name="agents_is_available_flag"),
        CheckConstraint("max_concurrent >= 1", name="agents_max_concurrent_positive"),
    )

    op.create_table(
        "sessions",
        Column("session_id", Text, primary_key=True),
        Column("room_id", Text, nullable=False, unique=True),
        Column("user_id", Text, ForeignKey("users.user_id"), nullable=False),
        Column("agent_id", Text, ForeignKey("agents.agent_id")),
        Column("status", Text, nullable=False, server_default=text("'bot_active'")),
        Column("exchange_count", Integer, nullable=False, server_default=text("0")),
        Column("last_seq", BigInteger, nullable=False, server_default=text("0")),
        Column("token_digest", Text, nullable=False, unique=True),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
        Column("expires_at", Text),
        CheckConstraint(
            "status IN ('bot_active', 'escalating', 'agent_assigned', 'closed')",
            name="sessions_status_known",
        ),
        Index("sessions_by_user", "user_id"),
        Index("sessions_by_agent", "agent_id", "status"),
        Index("sessions_by_status", "status"),
        Index("sessions_by_creation", "created_at"),
    )

    op.create_table(
        "messages",
        Column("message_id", _ROW_ID, primary_key=True, autoincrement=True),
        Column("room_id", Text, ForeignKey("sessions.room_id"), nullable=False),
        Column("seq", BigInteger, nullable=False),
        Column("sender_type", Text, nullable=False),
        Column("sender_id", Text),
        Column("body", Text, nullable=False),
        Column("client_msg_id", Text),
        Column("metadata", Text, nullable=False, server_default=text("'{}'")),
        Column("created_at", Text, nullable=False),
        Column("visibility", Text, nullable=False, server_default=text("'all'")),
        CheckConstraint("seq >= 1", name="messages_seq_positive"),
        CheckConstraint(
            "sender_type IN ('user', 'bot', 'agent', 'system')", name="messages_sender_known"
        ),
        CheckConstraint("visibility IN ('all', 'agents')", name="messages_visibility_known"),
        UniqueConstraint("room_id", "seq", name="messages_room_seq"),
        UniqueConstraint("room_id", "client_msg_id", name="messages_room_client_msg_id"),
    )

    op.create_table(
        "escalations",
        Column("escalation_id", Text, primary_key=True),
        Column("session_id", Text, ForeignKey("sessions.session_id"), nullable=False),
        Column("reasons", Text, nullable=False),  # JSON array
        Column("triggered_at", Text, nullable=False),
        Column("handled_at", Text),
        Column("handled_by", Text, ForeignKey("agents.agent_id")),
        Column("status", Text, nullable=False, server_default=text("'pending'")),
        # Set by a trigger when the claimed room leaves agent_assigned: the handle time's end.
        Column("released_at", Text),
        CheckConstraint(
            "status IN ('pending', 'claimed', 'cancelled')", name="escalations_status_known"
        ),
        Index("escalations_by_status", "status", "triggered_at"),
        Index("escalations_by_session", "session_id"),
        Index("escalations_by_time", "triggered_at"),
    )

    op.create_table(
        "canned_replies",
        Column("canned_reply_id", Text, primary_key=True),
        Column("shortcut", Text, nullable=False, unique=True),
        Column("title", Text),
        Column("body", Text, nullable=False),
        Column("created_at", Text, nullable=False),
        Column("updated_at", Text, nullable=False),
    )

    op.create_table(
        "webhooks",
        Column("webhook_id", Text, primary_key=True),
        Column("url", Text, nullable=False),
        Column("events", Text, nullable=False),  # JSON array of event names
        Column("secret", Text, nullable=False),  # the HMAC-SHA256 key of the signatures
        Column("created_at", Text, nullable=False),
    )

    op.create_table(
        "webhook_deliveries",
        Column("delivery_id", Text, primary_key=True),
        Column(
            "webhook_id",
            Text,
            ForeignKey("webhooks.webhook_id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("event", Text, nullable=False),
        Column("body", Text, nullable=False),  # the exact JSON posted (and signed)
        Column("status", Text, nullable=False, server_default=text("'pending'")),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("next_attempt_at", Text, nullable=False),
        Column("last_status_code", Integer),
        Column("last_error", Text),
        Column("last_attempt_at", Text),
        Column("created_at", Text, nullable=False),
        CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name="webhook_deliveries_status_known"
        ),
        Index("webhook_deliveries_due", "status", "next_attempt_at"),
        Index("webhook_deliveries_by_hook", "webhook_id", "created_at"),
    )

    op.create_table(
        "ratings",
        Column("room_id", Text, ForeignKey("sessions.room_id"), primary_key=True),
        Column("session_id", Text, ForeignKey("sessions.session_id"), nullable=False),
        Column("user_id", Text, nullable=False),
        Column("agent_id", Text),
        Column("score", Integer, nullable=False),
        Column("comment", Text),
        Column("created_at", Text, nullable=False),
        CheckConstraint("score BETWEEN 1 AND 5", name="ratings_score_range"),
        Index("ratings_by_time", "created_at"),
    )

    op.create_table(
        "message_feedback",
        Column("room_id", Text, ForeignKey("sessions.room_id"), primary_key=True),
        Column("seq", BigInteger, primary_key=True),
        Column("verdict", Text, nullable=False),
        Column("created_at", Text, nullable=False),
        CheckConstraint("verdict IN ('up', 'down')", name="message_feedback_verdict_known"),
        Index("message_feedback_by_time", "created_at"),
    )
    bind = op.get_bind()
    # exec_driver_sql: the SQL goes as written (no bind-parameter parsing of its colons).
    if bind.dialect.name == "postgresql":
        bind.exec_driver_sql(_POSTGRES_FUNCTION)
        bind.exec_driver_sql(_POSTGRES_TRIGGER)
    else:
        bind.exec_driver_sql(_SQLITE_TRIGGER)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup instead")
