"""The sections of `Settings`, one per concern; each component is handed its own.

Every field keeps its flat variable name (`SUPPORTFLOW_HISTORY_LIMIT` is
`settings.rooms.history_limit`): declaring.py says how names are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import InstanceOf, ValidationInfo, field_validator
from pydantic_settings import NoDecode

from supportflow.database_url import DatabaseUrl, DatabaseUrlError
from supportflow.office_hours import OfficeHours, OfficeHoursError, parse_office_hours
from supportflow.settings.declaring import Section, named, setting

_Hours = Annotated[InstanceOf[OfficeHours] | None, NoDecode]


class StoreSettings(Section):
    """Where the store is and how long it keeps closed conversations (store/, retention.py)."""

    database_url: str | None = named(
        "database_url",
        None,
        "SQLite file, `sqlite:///path`, or PostgreSQL, `postgresql://user@host:5432/db`",
        shown="`sqlite:///<data dir>/chatbot.db`",
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = setting(
        "FULL", "`FULL` (survives power loss) or `NORMAL` (survives a process crash)"
    )
    retention_days: float = setting(
        30.0,
        "closed sessions, with their messages and escalations, are deleted this many days"
        " after they closed; `0` keeps them forever",
        ge=0,
    )
    retention_interval_seconds: float = setting(
        3600.0, "how often the retention sweep runs (also once at start-up)", ge=1
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                DatabaseUrl.parse(value)
            except DatabaseUrlError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class KnowledgeSettings(Section):
    """The knowledge base: the embedding model, the vector store, ingest limits and
    batching (knowledge/)."""

    demo_kb: bool = setting(
        True,
        "load the demo telecom knowledge base when the store is empty; `0` starts empty",
        shown="`1`",
    )
    embedding_model: str | None = setting(
        None,
        "a sentence-transformers model path or name (must be available offline)",
        shown="all-MiniLM-L6-v2",
    )
    encoder: Literal["auto", "onnx", "torch"] = setting(
        "auto",
        "what runs the embedding model: `onnx` (ONNX Runtime, ~3x faster per question; the"
        " model is exported once and checked against torch), `torch`, or `auto` (ONNX when"
        " its check passes, else torch with a warning); docs/encoder.md",
        shown="`auto`",
    )
    encoder_cache_dir: Path | None = setting(
        None,
        "where the ONNX export of the model is kept (made on the first start, reused after)",
        shown="`<data dir>/encoder`",
    )
    chroma_url: str | None = setting(
        None,
        "`http://host:port` of a Chroma server instead of the embedded store",
        shown="embedded",
    )
    knowledge_check_seconds: float = setting(
        1.0,
        "with a Chroma server: how often, at most, a node asks whether another node changed"
        " the knowledge base before answering (0: before every search)",
        ge=0,
    )
    learned_check_seconds: float = setting(
        2.0,
        "how often, at most, a node asks the database whether learned examples changed (other"
        " nodes' agents confirming, admins editing) before a search (0: before every search)",
        ge=0,
    )
    chunk_chars: int = setting(800, "passage size when ingesting", ge=100)
    chunk_overlap_chars: int = named(
        "chunk_overlap_chars", 120, "passage overlap when ingesting", ge=0
    )
    max_documents_per_ingest: int = setting(
        100, "documents per `POST /api/ingest` (413 above)", ge=1
    )
    max_document_chars: int = setting(200_000, "characters per document (413 above)", ge=1)
    batch_max_size: int = setting(
        32,
        "cross-room micro-batches of question embeddings and Chroma queries: largest batch",
        ge=1,
    )
    batch_max_wait_ms: float = setting(
        2.0,
        "how long a batch already queued behind a running one may wait to fill"
        " (a lone question never waits)",
        ge=0,
    )


class BotSettings(Section):
    """How the bot answers and when it hands over: Groq, the answer's context, the rules
    files (bot/, llm/, escalation/, conversation/)."""

    groq_api_key: str | None = named(
        "groq_api_key",
        None,
        "answer with Groq; without it the offline grounded answerer answers",
        shown="none",
    )
    groq_model: str = setting("llama-3.1-8b-instant", "Groq model")
    groq_base_url: str | None = setting(
        None, "another OpenAI-compatible endpoint (the tests use a local one)", shown="Groq's"
    )
    groq_timeout_seconds: float = named(
        "groq_timeout_seconds", 15.0, "seconds per Groq call", ge=0.1
    )
    groq_max_retries: int = named(
        "groq_max_retries", 2, "retries on 429/5xx/timeouts before the offline fallback", ge=0
    )
    context_chars: int = setting(2000, "most context characters handed to the answerer", ge=200)
    rules_path: Path | None = named("rules_path", None, "escalation rules TOML", shown="shipped")
    conversation_path: Path | None = named(
        "conversation_path",
        None,
        "dialogue acts (small talk): replies, exemplars, shorthand, threshold",
        shown="shipped",
    )


class RoomSettings(Section):
    """Rooms' lifecycle: messages, idle actors, agents away, office hours, draining (rooms/)."""

    message_max_chars: int = setting(4000, "longest chat message (`message_too_long`)", ge=1)
    history_limit: int = setting(50, "messages in a `join_room` ack", ge=1)
    agent_grace_seconds: float = setting(
        60.0,
        "how long an agent may be disconnected before its rooms are re-queued",
        ge=0,
    )
    room_idle_seconds: float = setting(
        300.0,
        "an idle room's actor stops after this (it is rebuilt from the database on demand)",
        ge=0.1,
    )
    max_live_rooms: int = setting(
        2000,
        "most room actors alive at once; the least recently used idle ones stop first",
        ge=1,
    )
    unclaimed_realert_seconds: float = setting(
        300.0,
        "a queued room unclaimed this long is alerted again, and its customer told (and"
        " offered to leave a message)",
        ge=0.5,
    )
    team_claim_timeout_seconds: float = setting(
        120.0,
        "an escalation routed to a team alerts that team's available agents only; unclaimed"
        " this long, it is alerted to every available agent",
        ge=0.1,
    )
    office_timezone: str = setting(
        "UTC", "IANA time zone of `SUPPORTFLOW_OFFICE_HOURS`, e.g. `Europe/London`"
    )
    office_hours: _Hours = setting(
        None,
        "weekly hours agents are on, e.g. `mon-fri 09:00-18:00; sat 10:00-14:00` (day ranges"
        " may wrap, `24:00` ends a day, a range may not cross midnight)",
        shown="none (always open)",
    )
    shutdown_drain_seconds: float = setting(
        10.0,
        "on shutdown, how long busy rooms may finish (bot replies included) before they are"
        " abandoned",
        ge=0,
    )

    @field_validator("office_hours", mode="before")
    @classmethod
    def _parse_office_hours(cls, value: Any, info: ValidationInfo) -> Any:
        # The one setting made of two variables: the hours, read in their time zone
        # (declared just before, so already validated).
        if not isinstance(value, str):
            return value
        try:
            return parse_office_hours(value, info.data.get("office_timezone") or "UTC")
        except OfficeHoursError as error:
            raise ValueError(str(error)) from None


class LimitSettings(Section):
    """Abuse limits on the wire and the open REST routes (docs/reliability.md)."""

    socket_rate_per_second: float = setting(
        10.0,
        "token bucket per Socket.IO connection: tokens per second; events beyond it get"
        " `rate_limited`",
        ge=0.1,
    )
    socket_rate_burst: int = setting(20, "the token bucket's size", ge=1)
    max_connections_per_token: int = setting(
        10,
        "open Socket.IO connections per token; the next is refused (`too_many_connections`)",
        ge=1,
    )
    # Larger than any valid event on purpose: an oversized field (a 2 MB message) should get
    # an error ack on a live connection; only a packet above this drops the connection.
    max_socket_packet_bytes: int = setting(
        4 * 1024 * 1024,
        "largest Socket.IO packet; above it the connection is dropped (oversized *fields*"
        " below it get an error ack)",
        ge=1024,
    )
    user_token_ttl_seconds: float = setting(
        24 * 3600.0,
        "lifetime of a customer token (it also dies when its room closes)",
        ge=1,
    )
    socket_auth_timeout_seconds: float = setting(
        10.0,
        "a Socket.IO transport that has not authenticated (connected to `/` with a valid"
        " token) by then is closed",
        ge=0.1,
    )
    max_pending_sockets_per_address: int = setting(
        20,
        "Socket.IO transports one client address may hold open before signing in; the next"
        " is refused at the handshake",
        ge=1,
    )
    # Per client address, on the open and costly REST routes; the admin token is never limited.
    sessions_per_minute: int = setting(
        10,
        "`POST /api/sessions` per client address (bursts of as many); above it 429"
        " `rate_limited`. The admin token is never limited",
        ge=1,
    )
    asks_per_minute: int = setting(20, "`POST /api/ask` per client address, as above", ge=1)
    escalations_per_minute: int = setting(
        5, "`POST /api/escalate` per client address, as above", ge=1
    )
    help_searches_per_minute: int = setting(
        30, "help-center searches (`GET /api/help/search`) per client address, as above", ge=1
    )
    help_votes_per_minute: int = setting(
        10,
        'help-center "Was this helpful?" votes (`POST /api/help/feedback/<id>`) per'
        " client address, as above",
        ge=1,
    )
    login_failures_per_minute: int = setting(
        20,
        "wrong tokens (REST or Socket.IO) per client address; past them the address gets 429"
        " `too_many_failures` until its allowance refills",
        ge=1,
    )


class WebhookSettings(Section):
    """Webhook deliveries (webhooks/)."""

    webhook_timeout_seconds: float = named(
        "webhook_timeout_seconds", 5.0, "seconds per webhook delivery attempt", ge=0.1
    )
    webhook_max_attempts: int = setting(
        6, "attempts per delivery (the first and its retries) before it is `failed`", ge=1, le=20
    )
    webhook_retry_base_seconds: float = setting(
        2.0, "retry *n* waits base x 2^(n-1) seconds, plus up to 20% jitter", ge=0.01
    )
    webhook_refuse_private: bool = setting(
        False,
        "`1` refuses webhook URLs that reach loopback, private, link-local, shared or reserved"
        " addresses (checked at registration and before each attempt); set it in production",
        shown="`0`",
    )


class ClusterSettings(Section):
    """Many nodes sharing one Redis (cluster/, docs/scaling.md)."""

    redis_url: str | None = setting(
        None,
        "`redis://host:port/db` shared by every node: Socket.IO fan-out, room leases,"
        " forwarded commands, presence. Keep it private: nodes trust what it carries",
        shown="none (one process)",
    )
    redis_prefix: str = setting(
        "supportflow",
        "prefix of every Redis key and channel (two deployments may share one Redis)",
        min_length=1,
    )
    node_id: str | None = setting(
        None,
        "this node's name in the cluster (leases, forwarding, logs); unique per process",
        shown="generated",
        pattern=r"^[A-Za-z0-9_.:@-]+$",
    )
    room_lease_seconds: float = setting(
        5.0,
        "a room's lease lifetime: a node that dies holds its rooms this long at most",
        ge=0.5,
    )
    forward_timeout_seconds: float = setting(
        10.0,
        "how long a command forwarded to the room's owner may take before it is"
        " `cluster_unavailable` (a bot reply counts only until the room answers)",
        ge=0.1,
    )


# Attribute of `Settings` -> its section's class, in the order docs/configuration.md lists them.
SECTIONS: dict[str, type[Section]] = {
    "store": StoreSettings,
    "knowledge": KnowledgeSettings,
    "bot": BotSettings,
    "rooms": RoomSettings,
    "limits": LimitSettings,
    "webhooks": WebhookSettings,
    "cluster": ClusterSettings,
}
