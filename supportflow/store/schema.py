"""The tables, declared once for SQLite and PostgreSQL (SQLAlchemy Core `MetaData`).

Every `Query` of the store modules is built from these objects (docs/database.md), and
`tests/store/test_alembic.py` checks that the Alembic revisions create exactly them, so
the statements, the migrations and the two backends cannot drift apart. (The revisions
copy their tables rather than import these: a migration must not move with the schema.)

Timestamps are ISO-8601 UTC text (`records.utc_now()`), as they always were: fixed width,
so text order is time order on both backends. Flags are 0/1 integers with a CHECK, as the
SQLite files made by the old migration runner hold them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# SQLite's rowid alias must be spelled INTEGER; PostgreSQL wants 64 bits.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")

users = Table(
    "users",
    metadata,
    Column("user_id", Text, primary_key=True),
    Column("name", Text),
    Column("email", Text),
    Column("created_at", Text, nullable=False),
    Column("phone", Text),
)

agents = Table(
    "agents",
    metadata,
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

sessions = Table(
    "sessions",
    metadata,
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
    # The lease number of the last fenced write (see rooms.py): 0, never fenced.
    Column("fence", BigInteger, nullable=False, server_default=text("0")),
    CheckConstraint(
        "status IN ('bot_active', 'escalating', 'agent_assigned', 'closed')",
        name="sessions_status_known",
    ),
    Index("sessions_by_user", "user_id"),
    Index("sessions_by_agent", "agent_id", "status"),
    Index("sessions_by_status", "status"),
    Index("sessions_by_creation", "created_at"),
)

messages = Table(
    "messages",
    metadata,
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

escalations = Table(
    "escalations",
    metadata,
    Column("escalation_id", Text, primary_key=True),
    Column("session_id", Text, ForeignKey("sessions.session_id"), nullable=False),
    Column("reasons", Text, nullable=False),  # JSON array
    Column("triggered_at", Text, nullable=False),
    Column("handled_at", Text),
    Column("handled_by", Text, ForeignKey("agents.agent_id")),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    # Set by a trigger when the claimed room leaves agent_assigned: the handle time's end.
    Column("released_at", Text),
    # The team whose topics matched (teams.md); no foreign key: a deleted team's chats keep
    # saying who they went to. NULL: routed to everyone.
    Column("team_id", Text),
    # When the alert went to every available agent (the team's time ran out or nobody of it
    # was available); NULL while only the team is alerted.
    Column("widened_at", Text),
    CheckConstraint(
        "status IN ('pending', 'claimed', 'cancelled')", name="escalations_status_known"
    ),
    Index("escalations_by_status", "status", "triggered_at"),
    Index("escalations_by_session", "session_id"),
    Index("escalations_by_time", "triggered_at"),
    Index("escalations_by_team", "team_id", "status", "triggered_at"),
)

canned_replies = Table(
    "canned_replies",
    metadata,
    Column("canned_reply_id", Text, primary_key=True),
    Column("shortcut", Text, nullable=False, unique=True),
    Column("title", Text),
    Column("body", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("webhook_id", Text, primary_key=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON array of event names
    Column("secret", Text, nullable=False),  # the HMAC-SHA256 key of the signatures
    Column("created_at", Text, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
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

ratings = Table(
    "ratings",
    metadata,
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

message_feedback = Table(
    "message_feedback",
    metadata,
    Column("room_id", Text, ForeignKey("sessions.room_id"), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("verdict", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    CheckConstraint("verdict IN ('up', 'down')", name="message_feedback_verdict_known"),
    Index("message_feedback_by_time", "created_at"),
)

# Websites that embed the chat widget (/widget.js), configured by admins (issue 24).
sites = Table(
    "sites",
    metadata,
    Column("site_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("allowed_origins", Text, nullable=False),  # JSON array of "scheme://host[:port]"
    Column("brand_color", Text, nullable=False),
    Column("greeting", Text, nullable=False),
    Column("launcher_position", Text, nullable=False),
    Column("prechat_fields", Text, nullable=False),  # JSON array: "name", "email"
    Column("secret", Text, nullable=False),  # the HMAC-SHA256 key of user_hash
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    CheckConstraint(
        "launcher_position IN ('bottom-right', 'bottom-left')", name="sites_position_known"
    ),
)

# The widget's context of a chat: the site it started on, whether its user was proven by a
# user_hash, and the page's `set` attributes. Gone with its session (retention).
site_sessions = Table(
    "site_sessions",
    metadata,
    Column(
        "session_id",
        Text,
        ForeignKey("sessions.session_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # No foreign key: a deleted site's chats keep saying where they came from.
    Column("site_id", Text, nullable=False),
    Column("verified", Integer, nullable=False, server_default=text("0")),
    Column("attributes", Text, nullable=False, server_default=text("'{}'")),
    Column("updated_at", Text, nullable=False),
    CheckConstraint("verified IN (0, 1)", name="site_sessions_verified_flag"),
    Index("site_sessions_by_site", "site_id"),
)

# More customer tokens for one session: each device an identified customer resumes a chat on
# gets its own (sessions.token_digest is the first).
session_tokens = Table(
    "session_tokens",
    metadata,
    Column("token_digest", Text, primary_key=True),
    Column(
        "session_id",
        Text,
        ForeignKey("sessions.session_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", Text, nullable=False),
    Column("expires_at", Text),
    Index("session_tokens_by_session", "session_id"),
)

# A customer's wording an agent confirmed an article answers (issue 22): retrieval reads
# them as extra evidence for that article. One example per chat and article; it outlives
# its chat (retention), losing only the link to it.
learned_examples = Table(
    "learned_examples",
    metadata,
    Column("example_id", Text, primary_key=True),
    Column("article_id", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("session_id", Text, ForeignKey("sessions.session_id", ondelete="SET NULL")),
    Column("confirmed_by", Text, nullable=False),  # an agent_id, or "admin"
    Column("origin", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    CheckConstraint("origin IN ('pick', 'link', 'admin')", name="learned_examples_origin_known"),
    UniqueConstraint("session_id", "article_id", name="learned_examples_session_article"),
    Index("learned_examples_by_article", "article_id"),
)

# One row: how many writes learned_examples has seen, raised in each write's transaction.
# Nodes re-read the examples when it moves (LearnedExamplesRepository.learned_examples_mark):
# the latest `updated_at` missed an edit made in the same millisecond as the write before
# it, or by a node whose clock is behind.
learned_examples_changes = Table(
    "learned_examples_changes",
    metadata,
    Column("changes", BigInteger, nullable=False),
)

# Teams of agents and the topics each takes (issue 25): knowledge-base categories and
# escalation reasons, JSON arrays of lower-case names.
teams = Table(
    "teams",
    metadata,
    Column("team_id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("categories", Text, nullable=False, server_default=text("'[]'")),
    Column("reasons", Text, nullable=False, server_default=text("'[]'")),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)

# An agent may be in several teams; a membership goes with its team.
team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Text, ForeignKey("teams.team_id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", Text, ForeignKey("agents.agent_id"), primary_key=True),
    Column("added_at", Text, nullable=False),
    Index("team_members_by_agent", "agent_id"),
)
