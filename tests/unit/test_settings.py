"""The settings object: defaults, every variable, and clear refusals."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from supportflow.errors import ConfigurationError
from supportflow.settings import (
    MIN_SECRET_BITS,
    MIN_SECRET_CHARS,
    Settings,
    configuration_table,
    declared_fields,
    env_names,
    estimated_bits,
)


def test_defaults_without_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({}, dotenv_path=tmp_path / "absent.env")
    assert settings.port == 5000
    assert settings.host == "127.0.0.1"
    assert settings.data_dir == Path("instance")
    assert settings.database_file == Path("instance/chatbot.db")
    assert settings.admin_token is None
    assert settings.demo_kb is True
    assert settings.cors_origins == ()
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.groq_model == "llama-3.1-8b-instant"


def test_a_postgresql_url_is_the_store_and_its_password_stays_out_of_logs(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgres://sf:s3cret@db.internal:6432/support"}
    settings = Settings.from_env(env, dotenv_path=tmp_path / "absent.env")
    assert settings.database_file is None
    assert settings.database.postgres is not None
    assert settings.database.postgres.drivername == "postgresql+asyncpg"
    assert settings.database.postgres.password == "s3cret"
    assert settings.database.redacted() == "postgresql://sf:***@db.internal:6432/support"


def test_every_documented_variable_is_read(tmp_path: Path) -> None:
    env = {
        "PORT": "6001",
        "DATABASE_URL": "sqlite:////var/lib/sf/db.sqlite",
        "SUPPORTFLOW_DATA_DIR": str(tmp_path),
        "SUPPORTFLOW_ADMIN_TOKEN": "secret-admin-token-of-28-chars",
        "SUPPORTFLOW_DEMO_KB": "0",
        "SUPPORTFLOW_CORS_ORIGINS": "https://a.example, https://b.example",
        "LOG_LEVEL": "debug",
        "GROQ_API_KEY": "gsk_x",
        "SUPPORTFLOW_MAX_BODY_BYTES": "2048",
    }
    settings = Settings.from_env(env, dotenv_path=tmp_path / "absent.env")
    assert settings.port == 6001
    assert settings.database_file == Path("/var/lib/sf/db.sqlite")
    assert settings.data_dir == tmp_path
    assert settings.admin_token == "secret-admin-token-of-28-chars"
    assert settings.demo_kb is False
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.log_level == "DEBUG"
    assert settings.groq_api_key == "gsk_x"
    assert settings.max_body_bytes == 2048


def test_dotenv_is_read_and_real_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=7000\nSUPPORTFLOW_ADMIN_TOKEN=from-file-token-0123456789\n")
    settings = Settings.from_env({"PORT": "7001"}, dotenv_path=dotenv)
    assert settings.port == 7001
    assert settings.admin_token == "from-file-token-0123456789"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("PORT", "http", "PORT: Input should be a valid integer"),
        ("PORT", "70000", "PORT: Input should be less than or equal to 65535"),
        ("SUPPORTFLOW_DEMO_KB", "maybe", "SUPPORTFLOW_DEMO_KB: Input should be a valid boolean"),
        ("DATABASE_URL", "mysql://db/chat", "DATABASE_URL: must look like sqlite:///"),
        ("DATABASE_URL", "postgresql://db.internal", "DATABASE_URL: the PostgreSQL URL names no"),
        ("DATABASE_URL", "sqlite:///:memory:", "DATABASE_URL: sqlite:/// needs a file path"),
        ("SUPPORTFLOW_SQLITE_SYNCHRONOUS", "OFF", "'FULL' or 'NORMAL'"),
        ("SUPPORTFLOW_GROQ_TIMEOUT_SECONDS", "0", "SUPPORTFLOW_GROQ_TIMEOUT_SECONDS: .* 0.1"),
        ("SUPPORTFLOW_GROQ_TIMEOUT", "soon", "SUPPORTFLOW_GROQ_TIMEOUT: "),  # the name used
        ("SUPPORTFLOW_ADMIN_TOKEN", "admin123", "SUPPORTFLOW_ADMIN_TOKEN: must be at least 24"),
        ("SUPPORTFLOW_METRICS_TOKEN", "x" * 23, "SUPPORTFLOW_METRICS_TOKEN: must be at least 24"),
        # Long enough, but guessable (issue 20, item 9).
        ("SUPPORTFLOW_ADMIN_TOKEN", "a" * 25, "SUPPORTFLOW_ADMIN_TOKEN: is too predictable"),
        ("SUPPORTFLOW_ADMIN_TOKEN", "abcd" * 7, "SUPPORTFLOW_ADMIN_TOKEN: is too predictable"),
        ("SUPPORTFLOW_METRICS_TOKEN", "ab" * 20, "SUPPORTFLOW_METRICS_TOKEN: is too predictable"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as refused:
        Settings.from_env({name: value}, dotenv_path=tmp_path / "absent.env")
    assert repr(value) in str(refused.value)


def test_every_field_is_read_from_its_prefixed_name_or_a_seed_name(tmp_path: Path) -> None:
    # One rule for names: SUPPORTFLOW_<FIELD>, except the seed's three.
    seed = {"port": "PORT", "database_url": "DATABASE_URL", "groq_api_key": "GROQ_API_KEY"}
    for field in declared_fields():
        assert env_names(field)[0] == seed.get(field, f"SUPPORTFLOW_{field.upper()}")
    env = {"SUPPORTFLOW_HISTORY_LIMIT": "7", "SUPPORTFLOW_WEBHOOK_MAX_ATTEMPTS": "3"}
    settings = Settings.from_env(env, dotenv_path=tmp_path / "absent.env")
    assert (settings.history_limit, settings.webhook_max_attempts) == (7, 3)


@pytest.mark.parametrize(
    ("field", "old", "value", "expected"),
    [
        ("groq_timeout_seconds", "SUPPORTFLOW_GROQ_TIMEOUT", "3", 3.0),
        ("groq_max_retries", "SUPPORTFLOW_GROQ_RETRIES", "5", 5),
        ("rules_path", "SUPPORTFLOW_RULES_FILE", "/etc/rules.toml", Path("/etc/rules.toml")),
        ("chunk_overlap_chars", "SUPPORTFLOW_CHUNK_OVERLAP", "50", 50),
        ("log_level", "LOG_LEVEL", "warning", "WARNING"),
    ],
)
def test_earlier_names_still_work_and_lose_to_the_new_one(
    tmp_path: Path, field: str, old: str, value: str, expected: object
) -> None:
    absent = tmp_path / "absent.env"
    assert getattr(Settings.from_env({old: value}, dotenv_path=absent), field) == expected
    new = env_names(field)[0]
    both = Settings.from_env(
        {old: value, new: str(declared_fields()[field].default)}, dotenv_path=absent
    )
    assert getattr(both, field) != expected


def test_a_plain_constructor_reads_no_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "6123")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("SUPPORTFLOW_HOST=0.0.0.0\n")
    assert (Settings().port, Settings().host) == (5000, "127.0.0.1")
    assert Settings.from_env().port == 6123
    assert Settings.from_env().host == "0.0.0.0"


def test_the_documented_table_is_the_declaration() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert configuration_table() in docs.read_text(encoding="utf-8"), (
        "docs/configuration.md is out of date: run python scripts/render_settings_table.py"
    )
    for field in declared_fields():
        assert f"| `{env_names(field)[0]}`" in configuration_table()


def test_the_security_limits_are_read(tmp_path: Path) -> None:
    env = {
        "SUPPORTFLOW_SOCKET_AUTH_TIMEOUT_SECONDS": "3",
        "SUPPORTFLOW_SESSIONS_PER_MINUTE": "4",
        "SUPPORTFLOW_ASKS_PER_MINUTE": "5",
        "SUPPORTFLOW_ESCALATIONS_PER_MINUTE": "6",
        "SUPPORTFLOW_LOGIN_FAILURES_PER_MINUTE": "7",
        "SUPPORTFLOW_RETENTION_DAYS": "0",
        "SUPPORTFLOW_RETENTION_INTERVAL_SECONDS": "60",
    }
    settings = Settings.from_env(env, dotenv_path=tmp_path / "absent.env")
    assert settings.socket_auth_timeout_seconds == 3
    assert (settings.sessions_per_minute, settings.asks_per_minute) == (4, 5)
    assert (settings.escalations_per_minute, settings.login_failures_per_minute) == (6, 7)
    assert (settings.retention_days, settings.retention_interval_seconds) == (0, 60)
    defaults = Settings.from_env({}, dotenv_path=tmp_path / "absent.env")
    assert (defaults.retention_days, defaults.sessions_per_minute) == (30, 10)


def test_random_tokens_of_the_shortest_length_pass_the_entropy_check() -> None:
    for _ in range(2000):
        for token in (secrets.token_urlsafe(18), secrets.token_hex(12)):
            assert len(token) == MIN_SECRET_CHARS
            assert estimated_bits(token) >= MIN_SECRET_BITS, token
