"""Settings by section: every variable keeps its name, and lands in its section.

The names below are the flat `SUPPORTFLOW_*` (and seed) variables as they were before the
sections: an operator's environment must mean the same after the change.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import supportflow.settings as settings_module
from supportflow.errors import ConfigurationError
from supportflow.office_hours import OfficeHours
from supportflow.settings import Settings, declared_fields, env_names
from supportflow.settings.sections import SECTIONS

VARIABLES_BEFORE_THE_SECTIONS = frozenset(
    [
        "DATABASE_URL",
        "GROQ_API_KEY",
        "PORT",
        "SUPPORTFLOW_ADMIN_TOKEN",
        "SUPPORTFLOW_AGENT_GRACE_SECONDS",
        "SUPPORTFLOW_ASKS_PER_MINUTE",
        "SUPPORTFLOW_BATCH_MAX_SIZE",
        "SUPPORTFLOW_BATCH_MAX_WAIT_MS",
        "SUPPORTFLOW_CHROMA_URL",
        "SUPPORTFLOW_CHUNK_CHARS",
        "SUPPORTFLOW_CHUNK_OVERLAP_CHARS",
        "SUPPORTFLOW_CONTEXT_CHARS",
        "SUPPORTFLOW_CONVERSATION_PATH",
        "SUPPORTFLOW_CORS_ORIGINS",
        "SUPPORTFLOW_DATA_DIR",
        "SUPPORTFLOW_DEMO_KB",
        "SUPPORTFLOW_EMBEDDING_MODEL",
        "SUPPORTFLOW_ENCODER",
        "SUPPORTFLOW_ENCODER_CACHE_DIR",
        "SUPPORTFLOW_ESCALATIONS_PER_MINUTE",
        "SUPPORTFLOW_FORWARD_TIMEOUT_SECONDS",
        "SUPPORTFLOW_GROQ_BASE_URL",
        "SUPPORTFLOW_GROQ_MAX_RETRIES",
        "SUPPORTFLOW_GROQ_MODEL",
        "SUPPORTFLOW_GROQ_TIMEOUT_SECONDS",
        "SUPPORTFLOW_HELP_SEARCHES_PER_MINUTE",
        "SUPPORTFLOW_HELP_VOTES_PER_MINUTE",
        "SUPPORTFLOW_HISTORY_LIMIT",
        "SUPPORTFLOW_HOST",
        "SUPPORTFLOW_KNOWLEDGE_CHECK_SECONDS",
        "SUPPORTFLOW_LEARNED_CHECK_SECONDS",
        "SUPPORTFLOW_LOGIN_FAILURES_PER_MINUTE",
        "SUPPORTFLOW_LOG_LEVEL",
        "SUPPORTFLOW_MAX_BODY_BYTES",
        "SUPPORTFLOW_MAX_CONNECTIONS_PER_TOKEN",
        "SUPPORTFLOW_MAX_DOCUMENTS_PER_INGEST",
        "SUPPORTFLOW_MAX_DOCUMENT_CHARS",
        "SUPPORTFLOW_MAX_LIVE_ROOMS",
        "SUPPORTFLOW_MAX_SOCKET_PACKET_BYTES",
        "SUPPORTFLOW_MESSAGE_MAX_CHARS",
        "SUPPORTFLOW_METRICS_TOKEN",
        "SUPPORTFLOW_NODE_ID",
        "SUPPORTFLOW_OFFICE_HOURS",
        "SUPPORTFLOW_OFFICE_TIMEZONE",
        "SUPPORTFLOW_REDIS_PREFIX",
        "SUPPORTFLOW_REDIS_URL",
        "SUPPORTFLOW_RETENTION_DAYS",
        "SUPPORTFLOW_RETENTION_INTERVAL_SECONDS",
        "SUPPORTFLOW_ROOM_IDLE_SECONDS",
        "SUPPORTFLOW_ROOM_LEASE_SECONDS",
        "SUPPORTFLOW_RULES_PATH",
        "SUPPORTFLOW_SESSIONS_PER_MINUTE",
        "SUPPORTFLOW_SHUTDOWN_DRAIN_SECONDS",
        "SUPPORTFLOW_SOCKET_AUTH_TIMEOUT_SECONDS",
        "SUPPORTFLOW_MAX_PENDING_SOCKETS_PER_ADDRESS",
        "SUPPORTFLOW_SOCKET_RATE_BURST",
        "SUPPORTFLOW_SOCKET_RATE_PER_SECOND",
        "SUPPORTFLOW_SQLITE_SYNCHRONOUS",
        "SUPPORTFLOW_TEAM_CLAIM_TIMEOUT_SECONDS",
        "SUPPORTFLOW_UNCLAIMED_REALERT_SECONDS",
        "SUPPORTFLOW_USER_TOKEN_TTL_SECONDS",
        "SUPPORTFLOW_WEBHOOK_MAX_ATTEMPTS",
        "SUPPORTFLOW_WEBHOOK_REFUSE_PRIVATE",
        "SUPPORTFLOW_WEBHOOK_RETRY_BASE_SECONDS",
        "SUPPORTFLOW_WEBHOOK_TIMEOUT_SECONDS",
    ]
)
# A valid value other than the default, for the settings whose type does not say one.
SPECIAL: dict[str, str] = {
    "admin_token": "an-admin-token-of-thirty-chars",
    "metrics_token": "a-metrics-token-of-thirty-char",
    "cors_origins": "https://a.example",
    "log_level": "DEBUG",
    "database_url": "postgresql://sf@db.internal:5432/support",
    "sqlite_synchronous": "NORMAL",
    "encoder": "torch",
    "groq_base_url": "http://127.0.0.1:9/v1",
    "chroma_url": "http://127.0.0.1:8000",
    "redis_url": "redis://127.0.0.1:6379/0",
    "node_id": "node-a",
    "office_timezone": "Europe/London",
    "office_hours": "mon-fri 09:00-18:00",
    "webhook_max_attempts": "7",
    "port": "6001",
}


def other_value(field: str) -> str:
    """A string that reads as a valid, non-default value of `field`."""
    if field in SPECIAL:
        return SPECIAL[field]
    default = declared_fields()[field].default
    if isinstance(default, bool):
        return "0" if default else "1"
    if isinstance(default, int | float):
        return str(default + 3)
    if isinstance(default, Path) or field.endswith(("_path", "_dir")):
        return "/srv/supportflow/elsewhere"
    return "something-else"


def section_of(field: str) -> str | None:
    return next((name for name, kind in SECTIONS.items() if field in kind.model_fields), None)


def test_every_variable_name_is_still_read() -> None:
    assert {env_names(field)[0] for field in declared_fields()} == VARIABLES_BEFORE_THE_SECTIONS


@pytest.mark.parametrize("field", list(declared_fields()))
def test_each_variable_lands_in_its_section(tmp_path: Path, field: str) -> None:
    variable = env_names(field)[0]
    settings = Settings.from_env({variable: other_value(field)}, dotenv_path=tmp_path / "no.env")
    default = Settings()
    section = section_of(field)
    holder, plain = (
        (getattr(settings, section), getattr(default, section)) if section else (settings, default)
    )
    value = getattr(holder, field)
    assert value != getattr(plain, field), f"{variable} was not read"
    assert getattr(settings, field) == value  # the deprecated flat name reads the same
    if field == "office_hours":
        assert isinstance(value, OfficeHours)


def test_the_flat_names_build_and_override_sections() -> None:
    settings = Settings(history_limit=7, webhook_max_attempts=3, port=1)
    assert (settings.rooms.history_limit, settings.webhooks.webhook_max_attempts) == (7, 3)
    changed = settings.with_overrides(history_limit=9, redis_url="redis://127.0.0.1:1/0")
    assert (changed.rooms.history_limit, changed.cluster.redis_url) == (9, "redis://127.0.0.1:1/0")
    assert changed.webhooks.webhook_max_attempts == 3  # the rest of the section is kept
    assert settings.rooms.history_limit == 7  # and the original is untouched
    with pytest.raises(AttributeError):
        _ = settings.no_such_setting


def test_bad_values_in_several_sections_are_all_named(tmp_path: Path) -> None:
    env: dict[str, Any] = {
        "PORT": "x",
        "SUPPORTFLOW_HISTORY_LIMIT": "0",
        "SUPPORTFLOW_NODE_ID": "a b",
    }
    with pytest.raises(ConfigurationError, match="PORT") as refused:
        Settings.from_env(env, dotenv_path=tmp_path / "no.env")
    assert "SUPPORTFLOW_HISTORY_LIMIT" in str(refused.value)
    assert "SUPPORTFLOW_NODE_ID" in str(refused.value)


def test_settings_do_not_import_the_store() -> None:
    probe = (
        "import sys, supportflow.settings;"
        "sys.exit(any(m.startswith('supportflow.store') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def test_the_type_checker_knows_every_flat_name() -> None:
    # The TYPE_CHECKING block of Settings declares the deprecated flat names for mypy.
    source = Path(settings_module.__file__ or "").read_text(encoding="utf-8")
    for kind in SECTIONS.values():
        for field in kind.model_fields:
            assert f"        {field}: ClassVar[" in source, field


def test_a_variable_named_like_a_section_is_ignored(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("SUPPORTFLOW_CLUSTER=oops\nSUPPORTFLOW_NODE_ID=node-b\n")
    env = {name: "{not json" for name in (f"SUPPORTFLOW_{s.upper()}" for s in SECTIONS)}
    settings = Settings.from_env({**env, "SUPPORTFLOW_HISTORY_LIMIT": "4"}, dotenv_path=dotenv)
    assert (settings.rooms.history_limit, settings.cluster.node_id) == (4, "node-b")
