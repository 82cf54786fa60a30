"""The one settings object: the only place supportflow reads its environment.

Each setting is declared once, below, with pydantic-settings: its type, default, bounds
and the sentence the README's configuration table shows (`configuration_table()` renders
that table from these declarations, and a test keeps the README equal to it). A field
`name` is read from `SUPPORTFLOW_<NAME>`, except the seed's `PORT`, `DATABASE_URL` and
`GROQ_API_KEY`; a few earlier names still work as aliases (`LEGACY_NAMES`).

`Settings(...)` alone reads nothing: it is the defaults plus what it is given (tests,
scripts). `Settings.from_env()` reads the environment once, over the values of a `.env`
file in the working directory when there is one (real environment variables win), and
turns a bad value into a `ConfigurationError` naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import (
    AliasChoices,
    Field,
    InstanceOf,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

from supportflow.errors import ConfigurationError
from supportflow.office_hours import OfficeHours, OfficeHoursError, parse_office_hours
from supportflow.store.urls import DatabaseUrl, DatabaseUrlError

PREFIX = "SUPPORTFLOW_"
# Shortest admin or metrics token accepted: 24 URL-safe characters carry about 144 bits.
MIN_SECRET_CHARS = 24

# Field -> earlier variable names still read (after the current one), documented in the README.
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    "log_level": ("LOG_LEVEL",),
    "groq_timeout_seconds": ("SUPPORTFLOW_GROQ_TIMEOUT",),
    "groq_max_retries": ("SUPPORTFLOW_GROQ_RETRIES",),
    "rules_path": ("SUPPORTFLOW_RULES_FILE",),
    "conversation_path": ("SUPPORTFLOW_CONVERSATION_FILE",),
    "chunk_overlap_chars": ("SUPPORTFLOW_CHUNK_OVERLAP",),
    "webhook_timeout_seconds": ("SUPPORTFLOW_WEBHOOK_TIMEOUT",),
}
# The seed's names, read without the prefix.
_SEED_NAMES = {"port": "PORT", "database_url": "DATABASE_URL", "groq_api_key": "GROQ_API_KEY"}


def env_names(field: str) -> tuple[str, ...]:
    """The variables `field` is read from, the current name first."""
    current = _SEED_NAMES.get(field, PREFIX + field.upper())
    return (current, *LEGACY_NAMES.get(field, ()))


def _setting(default: Any, meaning: str, *, shown: str | None = None, **bounds: Any) -> Any:
    """A field read from its variables; `shown` is the default as the README writes it."""
    return Field(default, description=meaning, json_schema_extra={"shown": shown}, **bounds)


def _named(
    field: str, default: Any, meaning: str, *, shown: str | None = None, **bounds: Any
) -> Any:
    """A `_setting` whose variable names are not just the prefixed field name."""
    return Field(
        default,
        description=meaning,
        json_schema_extra={"shown": shown},
        validation_alias=AliasChoices(*env_names(field)),
        **bounds,
    )


_Csv = Annotated[tuple[str, ...], NoDecode]
_Hours = Annotated[InstanceOf[OfficeHours] | None, NoDecode]


class Settings(BaseSettings):
    """Every tunable of the service, with the defaults a new install runs with."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        frozen=True,
        extra="ignore",
        env_ignore_empty=True,
        validate_by_name=True,
        validate_default=False,
    )

    data_dir: Path = _setting(
        Path("instance"), "database, Chroma, logs, generated admin token", shown="`./instance`"
    )
    database_url: str | None = _named(
        "database_url",
        None,
        "SQLite file, `sqlite:///path`, or PostgreSQL, `postgresql://user@host:5432/db`",
        shown="`sqlite:///<data dir>/chatbot.db`",
    )
    host: str = _setting("127.0.0.1", "address to bind (`--host` overrides)")
    port: int = _named(
        "port", 5000, "port to bind (`supportflow serve --port` overrides)", ge=0, le=65535
    )
    admin_token: str | None = _setting(
        None,
        "bearer token for admin endpoints (at least 24 characters, or the server refuses to start)",
        shown="generated",
    )
    demo_kb: bool = _setting(
        True,
        "load the demo telecom knowledge base when the store is empty; `0` starts empty",
        shown="`1`",
    )
    cors_origins: _Csv = _setting(
        (),
        "comma-separated origins allowed by CORS and Socket.IO; none = same origin only",
        shown="none",
    )
    log_level: str = _named("log_level", "INFO", "`DEBUG`, `INFO`, `WARNING`, ...")
    max_body_bytes: int = _setting(1024 * 1024, "largest request body (413 above)", ge=1)
    sqlite_synchronous: Literal["FULL", "NORMAL"] = _setting(
        "FULL", "`FULL` (survives power loss) or `NORMAL` (survives a process crash)"
    )

    # Answering.
    groq_api_key: str | None = _named(
        "groq_api_key",
        None,
        "answer with Groq; without it the offline grounded answerer answers",
        shown="none",
    )
    groq_model: str = _setting("llama-3.1-8b-instant", "Groq model")
    groq_base_url: str | None = _setting(
        None, "another OpenAI-compatible endpoint (the tests use a local one)", shown="Groq's"
    )
    groq_timeout_seconds: float = _named(
        "groq_timeout_seconds", 15.0, "seconds per Groq call", ge=0.1
    )
    groq_max_retries: int = _named(
        "groq_max_retries", 2, "retries on 429/5xx/timeouts before the offline fallback", ge=0
    )
    embedding_model: str | None = _setting(
        None,
        "a sentence-transformers model path or name (must be available offline)",
        shown="all-MiniLM-L6-v2",
    )
    encoder: Literal["auto", "onnx", "torch"] = _setting(
        "auto",
        "what runs the embedding model: `onnx` (ONNX Runtime, ~3x faster per question; the"
        " model is exported once and checked against torch), `torch`, or `auto` (ONNX when"
        " its check passes, else torch with a warning); docs/encoder.md",
        shown="`auto`",
    )
    encoder_cache_dir: Path | None = _setting(
        None,
        "where the ONNX export of the model is kept (made on the first start, reused after)",
        shown="`<data dir>/encoder`",
    )
    chroma_url: str | None = _setting(
        None,
        "`http://host:port` of a Chroma server instead of the embedded store",
        shown="embedded",
    )
    knowledge_check_seconds: float = _setting(
        1.0,
        "with a Chroma server: how often, at most, a node asks whether another node changed"
        " the knowledge base before answering (0: before every search)",
        ge=0,
    )
    rules_path: Path | None = _named("rules_path", None, "escalation rules TOML", shown="shipped")
    conversation_path: Path | None = _named(
        "conversation_path",
        None,
        "dialogue acts (small talk): replies, exemplars, shorthand, threshold",
        shown="shipped",
    )
    chunk_chars: int = _setting(800, "passage size when ingesting", ge=100)
    chunk_overlap_chars: int = _named(
        "chunk_overlap_chars", 120, "passage overlap when ingesting", ge=0
    )
    context_chars: int = _setting(2000, "most context characters handed to the answerer", ge=200)
    max_documents_per_ingest: int = _setting(
        100, "documents per `POST /api/ingest` (413 above)", ge=1
    )
    max_document_chars: int = _setting(200_000, "characters per document (413 above)", ge=1)
    batch_max_size: int = _setting(
        32,
        "cross-room micro-batches of question embeddings and Chroma queries: largest batch",
        ge=1,
    )
    batch_max_wait_ms: float = _setting(
        2.0,
        "how long a batch already queued behind a running one may wait to fill"
        " (a lone question never waits)",
        ge=0,
    )
    metrics_token: str | None = _setting(
        None,
        "bearer token that may read `GET /metrics` and nothing else (at least 24 characters);"
        " the admin token may too",
        shown="none",
    )

    # Rooms.
    message_max_chars: int = _setting(4000, "longest chat message (`message_too_long`)", ge=1)
    history_limit: int = _setting(50, "messages in a `join_room` ack", ge=1)
    agent_grace_seconds: float = _setting(
        60.0,
        "how long an agent may be disconnected before its rooms are re-queued",
        ge=0,
    )
    room_idle_seconds: float = _setting(
        300.0,
        "an idle room's actor stops after this (it is rebuilt from the database on demand)",
        ge=0.1,
    )
    max_live_rooms: int = _setting(
        2000,
        "most room actors alive at once; the least recently used idle ones stop first",
        ge=1,
    )
    unclaimed_realert_seconds: float = _setting(
        300.0,
        "a queued room unclaimed this long is alerted again, and its customer told (and"
        " offered to leave a message)",
        ge=0.5,
    )
    team_claim_timeout_seconds: float = _setting(
        120.0,
        "an escalation routed to a team alerts that team's available agents only; unclaimed"
        " this long, it is alerted to every available agent",
        ge=0.1,
    )
    office_timezone: str = _setting(
        "UTC", "IANA time zone of `SUPPORTFLOW_OFFICE_HOURS`, e.g. `Europe/London`"
    )
    office_hours: _Hours = _setting(
        None,
        "weekly hours agents are on, e.g. `mon-fri 09:00-18:00; sat 10:00-14:00` (day ranges"
        " may wrap, `24:00` ends a day, a range may not cross midnight)",
        shown="none (always open)",
    )
    shutdown_drain_seconds: float = _setting(
        10.0,
        "on shutdown, how long busy rooms may finish (bot replies included) before they are"
        " abandoned",
        ge=0,
    )
    # Abuse limits (docs/reliability.md).
    socket_rate_per_second: float = _setting(
        10.0,
        "token bucket per Socket.IO connection: tokens per second; events beyond it get"
        " `rate_limited`",
        ge=0.1,
    )
    socket_rate_burst: int = _setting(20, "the token bucket's size", ge=1)
    max_connections_per_token: int = _setting(
        10,
        "open Socket.IO connections per token; the next is refused (`too_many_connections`)",
        ge=1,
    )
    # Larger than any valid event on purpose: an oversized field (a 2 MB message) should get
    # an error ack on a live connection; only a packet above this drops the connection.
    max_socket_packet_bytes: int = _setting(
        4 * 1024 * 1024,
        "largest Socket.IO packet; above it the connection is dropped (oversized *fields*"
        " below it get an error ack)",
        ge=1024,
    )
    user_token_ttl_seconds: float = _setting(
        24 * 3600.0,
        "lifetime of a customer token (it also dies when its room closes)",
        ge=1,
    )

    socket_auth_timeout_seconds: float = _setting(
        10.0,
        "a Socket.IO transport that has not authenticated (connected to `/` with a valid"
        " token) by then is closed",
        ge=0.1,
    )
    # Per client address, on the open and costly REST routes; the admin token is never limited.
    sessions_per_minute: int = _setting(
        10,
        "`POST /api/sessions` per client address (bursts of as many); above it 429"
        " `rate_limited`. The admin token is never limited",
        ge=1,
    )
    asks_per_minute: int = _setting(20, "`POST /api/ask` per client address, as above", ge=1)
    escalations_per_minute: int = _setting(
        5, "`POST /api/escalate` per client address, as above", ge=1
    )
    help_searches_per_minute: int = _setting(
        30, "help-center searches (`GET /api/help/search`) per client address, as above", ge=1
    )
    help_votes_per_minute: int = _setting(
        10,
        'help-center "Was this helpful?" votes (`POST /api/help/feedback/<id>`) per'
        " client address, as above",
        ge=1,
    )
    login_failures_per_minute: int = _setting(
        20,
        "wrong tokens (REST or Socket.IO) per client address; past them the address gets 429"
        " `too_many_failures` until its allowance refills",
        ge=1,
    )
    retention_days: float = _setting(
        30.0,
        "closed sessions, with their messages and escalations, are deleted this many days"
        " after they closed; `0` keeps them forever",
        ge=0,
    )
    retention_interval_seconds: float = _setting(
        3600.0, "how often the retention sweep runs (also once at start-up)", ge=1
    )

    # Webhooks (supportflow/webhooks/).
    webhook_timeout_seconds: float = _named(
        "webhook_timeout_seconds", 5.0, "seconds per webhook delivery attempt", ge=0.1
    )
    webhook_max_attempts: int = _setting(
        6, "attempts per delivery (the first and its retries) before it is `failed`", ge=1, le=20
    )
    webhook_retry_base_seconds: float = _setting(
        2.0, "retry *n* waits base x 2^(n-1) seconds, plus up to 20% jitter", ge=0.01
    )
    webhook_refuse_private: bool = _setting(
        False,
        "`1` refuses webhook URLs that reach loopback, private, link-local, shared or reserved"
        " addresses (checked at registration and before each attempt); set it in production",
        shown="`0`",
    )

    # Many nodes (supportflow/cluster/, docs/scaling.md).
    redis_url: str | None = _setting(
        None,
        "`redis://host:port/db` shared by every node: Socket.IO fan-out, room leases,"
        " forwarded commands, presence. Keep it private: nodes trust what it carries",
        shown="none (one process)",
    )
    redis_prefix: str = _setting(
        "supportflow",
        "prefix of every Redis key and channel (two deployments may share one Redis)",
        min_length=1,
    )
    node_id: str | None = _setting(
        None,
        "this node's name in the cluster (leases, forwarding, logs); unique per process",
        shown="generated",
        pattern=r"^[A-Za-z0-9_.:@-]+$",
    )
    room_lease_seconds: float = _setting(
        5.0,
        "a room's lease lifetime: a node that dies holds its rooms this long at most",
        ge=0.5,
    )
    forward_timeout_seconds: float = _setting(
        10.0,
        "how long a command forwarded to the room's owner may take before it is"
        " `cluster_unavailable` (a bot reply counts only until the room answers)",
        ge=0.1,
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

    @field_validator("admin_token", "metrics_token")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        # A bearer token is a password: a short one is guessable.
        if value is not None and len(value) < MIN_SECRET_CHARS:
            raise ValueError(
                f"must be at least {MIN_SECRET_CHARS} characters long: it is a password"
                " (secrets.token_urlsafe(32) makes a good one)"
            )
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", "sqlite_synchronous", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

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

    @property
    def database(self) -> DatabaseUrl:
        """Where the store is: DATABASE_URL, else the SQLite file in the data dir."""
        if self.database_url is None:
            return DatabaseUrl.parse(self.data_dir / "chatbot.db")
        return DatabaseUrl.parse(self.database_url)

    @property
    def database_file(self) -> Path | None:
        """The SQLite file, or None when the store is PostgreSQL."""
        return self.database.sqlite_path

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def encoder_dir(self) -> Path:
        """Where the ONNX export is kept."""
        return self.encoder_cache_dir or self.data_dir / "encoder"

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / "admin_token"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced (tests and CLI flags use this)."""
        return self.model_copy(update=changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
    ) -> Settings:
        """Build settings from the environment, over `.env` values when that file exists."""
        source = _Environment(os.environ if environ is None else environ, dotenv_path)
        try:
            with _reading(source):
                return cls()
        except ValidationError as error:
            raise ConfigurationError(_explain(error, source.names())) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environment = _READING.get()
        if environment is None:
            return (init_settings,)  # a plain Settings(...) reads nothing
        dotenv = environment.dotenv_path or Path(".env")
        return (
            init_settings,
            _MappingSource(settings_cls, environment.environ),
            DotEnvSettingsSource(settings_cls, env_file=dotenv if dotenv.is_file() else None),
        )


class _Environment:
    def __init__(self, environ: Mapping[str, str], dotenv_path: Path | None) -> None:
        self.environ = environ
        self.dotenv_path = dotenv_path

    def names(self) -> set[str]:
        """Every variable set, in the environment or the `.env` file (upper case)."""
        dotenv = self.dotenv_path or Path(".env")
        found = set(dotenv_values(dotenv)) if dotenv.is_file() else set()
        return {name.upper() for name in (*found, *self.environ)}


_READING: ContextVar[_Environment | None] = ContextVar("settings_environment", default=None)


@contextmanager
def _reading(environment: _Environment) -> Iterator[None]:
    token = _READING.set(environment)
    try:
        yield
    finally:
        _READING.reset(token)


class _MappingSource(EnvSettingsSource):
    """Environment variables from a given mapping (os.environ, or a test's dict)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # before super(): it loads the variables
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def _explain(error: ValidationError, names_set: set[str]) -> str:
    """One line per bad value, each naming the variable it came from."""
    lines = []
    for problem in error.errors():
        key = str(problem["loc"][0]) if problem["loc"] else "settings"
        field = next((f for f in Settings.model_fields if key in (f, *env_names(f))), None)
        candidates = env_names(field) if field is not None else (key.upper(),)
        variable = next((n for n in candidates if n in names_set), candidates[0])
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{variable}: {message} (got {problem.get('input')!r})")
    return "; ".join(lines)


def configuration_table() -> str:
    """The README's configuration table, rendered from the declarations above."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        current, *legacy = env_names(name)
        variable = f"`{current}`" + "".join(f" (or `{old}`)" for old in legacy)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        shown = extra.get("shown") or f"`{_shown(field.default)}`"
        rows.append(f"| {variable} | {shown} | {field.description} |")
    return "\n".join(rows) + "\n"


def _shown(default: Any) -> str:
    if isinstance(default, bool):
        return "1" if default else "0"
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)
