"""The one settings object: the only place supportflow reads its environment.

`Settings` holds the server's own fields (where its data is, where it listens, its tokens)
and one section per concern (sections.py): `store`, `knowledge`, `bot`, `rooms`, `limits`,
`webhooks`, `cluster`. A component is handed its section (`WebhookDispatcher(store,
settings.webhooks)`), so what it may read is what it is given.

Each setting is declared once, with pydantic-settings: its type, default, bounds and the
sentence docs/configuration.md's table shows (`configuration_table()` renders that table
from the declarations, and a test keeps that file equal to it). Every variable keeps its
flat name, `SUPPORTFLOW_<NAME>` (declaring.py), whatever section holds it.

`Settings(...)` alone reads nothing: it is the defaults plus what it is given (tests,
scripts), and it takes the sections' fields by their flat names too (`Settings(
history_limit=5)`). `Settings.from_env()` reads the environment once, over the values of a
`.env` file in the working directory when there is one (real environment variables win),
and turns bad values into one `ConfigurationError` naming each variable.

Deprecated: a section's field read flat from `Settings` (`settings.history_limit` for
`settings.rooms.history_limit`) still works, so code written before the sections keeps
working; new code reads the section.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import NoDecode

from supportflow.database_url import DatabaseUrl
from supportflow.errors import ConfigurationError
from supportflow.office_hours import OfficeHours
from supportflow.settings.declaring import (
    LEGACY_NAMES,
    PREFIX,
    Environment,
    Section,
    env_names,
    named,
    reading,
    setting,
)
from supportflow.settings.sections import (
    SECTIONS,
    BotSettings,
    ClusterSettings,
    KnowledgeSettings,
    LimitSettings,
    RoomSettings,
    StoreSettings,
    WebhookSettings,
)

__all__ = [
    "LEGACY_NAMES",
    "MIN_SECRET_BITS",
    "MIN_SECRET_CHARS",
    "PREFIX",
    "BotSettings",
    "ClusterSettings",
    "KnowledgeSettings",
    "LimitSettings",
    "RoomSettings",
    "Settings",
    "StoreSettings",
    "WebhookSettings",
    "configuration_table",
    "declared_fields",
    "env_names",
    "estimated_bits",
]

# Shortest admin or metrics token accepted: 24 URL-safe characters carry about 144 bits.
MIN_SECRET_CHARS = 24
# Least estimated entropy of those tokens (`estimated_bits`): 25 x "a" has none, "abcd" x 7
# 56 bits; of 200,000 random 24-character tokens none scored below 62 (hex) or 82 (URL-safe).
MIN_SECRET_BITS = 60


def estimated_bits(secret: str) -> float:
    """The secret's length times the Shannon entropy of its characters: a rough upper bound
    on how hard it is to guess, low for repeated or few distinct characters."""
    counts = Counter(secret)
    total = len(secret)
    return -total * sum(n / total * math.log2(n / total) for n in counts.values())


_Csv = Annotated[tuple[str, ...], NoDecode]
# A section's field name -> the section holding it (the flat names' way in).
_SECTION_OF = {field: name for name, kind in SECTIONS.items() for field in kind.model_fields}


def _plain(kind: type[Section]) -> Any:
    # A section's defaults, read from nothing (validate_default is off: they are valid).
    return Field(default_factory=kind.model_construct)


class Settings(Section):
    """Every tunable of the service, with the defaults a new install runs with."""

    not_variables: ClassVar[frozenset[str]] = frozenset(SECTIONS)

    data_dir: Path = setting(
        Path("instance"), "database, Chroma, logs, generated admin token", shown="`./instance`"
    )
    host: str = setting("127.0.0.1", "address to bind (`--host` overrides)")
    port: int = named(
        "port", 5000, "port to bind (`supportflow serve --port` overrides)", ge=0, le=65535
    )
    admin_token: str | None = setting(
        None,
        "bearer token for admin endpoints (at least 24 characters, or the server refuses to start)",
        shown="generated",
    )
    cors_origins: _Csv = setting(
        (),
        "comma-separated origins allowed by CORS and Socket.IO; none = same origin only",
        shown="none",
    )
    log_level: str = named("log_level", "INFO", "`DEBUG`, `INFO`, `WARNING`, ...")
    max_body_bytes: int = setting(1024 * 1024, "largest request body (413 above)", ge=1)
    metrics_token: str | None = setting(
        None,
        "bearer token that may read `GET /metrics` and nothing else (at least 24 characters);"
        " the admin token may too",
        shown="none",
    )

    store: StoreSettings = _plain(StoreSettings)
    knowledge: KnowledgeSettings = _plain(KnowledgeSettings)
    bot: BotSettings = _plain(BotSettings)
    rooms: RoomSettings = _plain(RoomSettings)
    limits: LimitSettings = _plain(LimitSettings)
    webhooks: WebhookSettings = _plain(WebhookSettings)
    cluster: ClusterSettings = _plain(ClusterSettings)

    if TYPE_CHECKING:
        # The deprecated flat names, for the type checker (`__getattr__` serves them).
        database_url: ClassVar[str | None]
        sqlite_synchronous: ClassVar[Literal["FULL", "NORMAL"]]
        retention_days: ClassVar[float]
        retention_interval_seconds: ClassVar[float]
        demo_kb: ClassVar[bool]
        embedding_model: ClassVar[str | None]
        encoder: ClassVar[Literal["auto", "onnx", "torch"]]
        encoder_cache_dir: ClassVar[Path | None]
        chroma_url: ClassVar[str | None]
        knowledge_check_seconds: ClassVar[float]
        learned_check_seconds: ClassVar[float]
        chunk_chars: ClassVar[int]
        chunk_overlap_chars: ClassVar[int]
        max_documents_per_ingest: ClassVar[int]
        max_document_chars: ClassVar[int]
        batch_max_size: ClassVar[int]
        batch_max_wait_ms: ClassVar[float]
        groq_api_key: ClassVar[str | None]
        groq_model: ClassVar[str]
        groq_base_url: ClassVar[str | None]
        groq_timeout_seconds: ClassVar[float]
        groq_max_retries: ClassVar[int]
        context_chars: ClassVar[int]
        rules_path: ClassVar[Path | None]
        conversation_path: ClassVar[Path | None]
        message_max_chars: ClassVar[int]
        history_limit: ClassVar[int]
        agent_grace_seconds: ClassVar[float]
        room_idle_seconds: ClassVar[float]
        max_live_rooms: ClassVar[int]
        unclaimed_realert_seconds: ClassVar[float]
        team_claim_timeout_seconds: ClassVar[float]
        office_timezone: ClassVar[str]
        office_hours: ClassVar[OfficeHours | None]
        shutdown_drain_seconds: ClassVar[float]
        socket_rate_per_second: ClassVar[float]
        socket_rate_burst: ClassVar[int]
        max_connections_per_token: ClassVar[int]
        max_socket_packet_bytes: ClassVar[int]
        user_token_ttl_seconds: ClassVar[float]
        socket_auth_timeout_seconds: ClassVar[float]
        max_pending_sockets_per_address: ClassVar[int]
        sessions_per_minute: ClassVar[int]
        asks_per_minute: ClassVar[int]
        escalations_per_minute: ClassVar[int]
        help_searches_per_minute: ClassVar[int]
        help_votes_per_minute: ClassVar[int]
        login_failures_per_minute: ClassVar[int]
        webhook_timeout_seconds: ClassVar[float]
        webhook_max_attempts: ClassVar[int]
        webhook_retry_base_seconds: ClassVar[float]
        webhook_refuse_private: ClassVar[bool]
        redis_url: ClassVar[str | None]
        redis_prefix: ClassVar[str]
        node_id: ClassVar[str | None]
        room_lease_seconds: ClassVar[float]
        forward_timeout_seconds: ClassVar[float]

    else:

        def __getattr__(self, name: str) -> Any:
            section = _SECTION_OF.get(name)
            if section is None:
                return super().__getattr__(name)
            return getattr(getattr(self, section), name)

    @model_validator(mode="before")
    @classmethod
    def _flat_names(cls, data: Any) -> Any:
        """Sections' fields given flat (`history_limit=5`) go into their section."""
        if not isinstance(data, dict) or not any(key in _SECTION_OF for key in data):
            return data
        nested = dict(data)
        for key in list(nested):
            section = _SECTION_OF.get(key)
            if section is None:
                continue
            given = nested.get(section, {})
            fields = given.model_dump() if isinstance(given, Section) else dict(given)
            fields[key] = nested.pop(key)
            nested[section] = fields
        return nested

    @field_validator("admin_token", "metrics_token")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        # A bearer token is a password: a short one is guessable.
        if value is not None and len(value) < MIN_SECRET_CHARS:
            raise ValueError(
                f"must be at least {MIN_SECRET_CHARS} characters long: it is a password"
                " (secrets.token_urlsafe(32) makes a good one)"
            )
        if value is not None and estimated_bits(value) < MIN_SECRET_BITS:
            raise ValueError(
                f"is too predictable (about {estimated_bits(value):.0f} bits, at least"
                f" {MIN_SECRET_BITS} needed): use random characters, as"
                " secrets.token_urlsafe(32) makes"
            )
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def database(self) -> DatabaseUrl:
        """Where the store is: DATABASE_URL, else the SQLite file in the data dir."""
        if self.store.database_url is None:
            return DatabaseUrl.parse(self.data_dir / "chatbot.db")
        return DatabaseUrl.parse(self.store.database_url)

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
        return self.knowledge.encoder_cache_dir or self.data_dir / "encoder"

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / "admin_token"

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some fields replaced, sections' fields by their flat names too
        (tests and CLI flags use this)."""
        top: dict[str, Any] = {}
        by_section: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            section = _SECTION_OF.get(key)
            if section is None:
                top[key] = value
            else:
                by_section.setdefault(section, {})[key] = value
        for section, fields in by_section.items():
            top[section] = getattr(self, section).model_copy(update=fields)
        return self.model_copy(update=top)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = None
    ) -> Settings:
        """Build settings from the environment, over `.env` values when that file exists."""
        source = Environment(os.environ if environ is None else environ, dotenv_path)
        sections: dict[str, Any] = {}
        problems: list[str] = []
        with reading(source):
            for name, kind in SECTIONS.items():
                try:
                    sections[name] = kind()
                except ValidationError as error:
                    problems.append(_explain(error, source.names()))
            try:
                settings = cls(**sections)
            except ValidationError as error:
                problems.insert(0, _explain(error, source.names()))
        if problems:
            raise ConfigurationError("; ".join(problems))
        return settings


def declared_fields() -> dict[str, FieldInfo]:
    """Every setting by its flat name: the server's own, then each section's, in order."""
    fields = {name: f for name, f in Settings.model_fields.items() if name not in SECTIONS}
    for kind in SECTIONS.values():
        fields.update(kind.model_fields)
    return fields


def _explain(error: ValidationError, names_set: set[str]) -> str:
    """One line per bad value, each naming the variable it came from."""
    lines = []
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        if len(location) > 1 and location[0] in SECTIONS:
            location = location[1:]  # a section given to a plain constructor
        key = location[0] if location else "settings"
        field = next((f for f in declared_fields() if key in (f, *env_names(f))), None)
        candidates = env_names(field) if field is not None else (key.upper(),)
        variable = next((n for n in candidates if n in names_set), candidates[0])
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{variable}: {message} (got {problem.get('input')!r})")
    return "; ".join(lines)


def configuration_table() -> str:
    """The configuration table (docs/configuration.md), rendered from the declarations."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in declared_fields().items():
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
