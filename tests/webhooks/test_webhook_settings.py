"""The webhook settings are read from the environment, and refused when out of range."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportflow.errors import ConfigurationError
from supportflow.settings import Settings


def test_webhook_variables_are_read(tmp_path: Path) -> None:
    defaults = Settings.from_env({}, dotenv_path=tmp_path / "absent.env")
    assert defaults.webhook_refuse_private is False
    assert (defaults.webhook_timeout_seconds, defaults.webhook_max_attempts) == (5.0, 6)
    env = {
        "SUPPORTFLOW_WEBHOOK_REFUSE_PRIVATE": "1",
        "SUPPORTFLOW_WEBHOOK_TIMEOUT": "2.5",
        "SUPPORTFLOW_WEBHOOK_MAX_ATTEMPTS": "3",
        "SUPPORTFLOW_WEBHOOK_RETRY_BASE_SECONDS": "0.5",
    }
    settings = Settings.from_env(env, dotenv_path=tmp_path / "absent.env")
    assert settings.webhook_refuse_private is True
    assert settings.webhook_timeout_seconds == 2.5
    assert settings.webhook_max_attempts == 3
    assert settings.webhook_retry_base_seconds == 0.5


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SUPPORTFLOW_WEBHOOK_REFUSE_PRIVATE", "perhaps"),
        ("SUPPORTFLOW_WEBHOOK_MAX_ATTEMPTS", "0"),
        ("SUPPORTFLOW_WEBHOOK_TIMEOUT", "0"),
    ],
)
def test_bad_webhook_values_name_the_variable(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value}, dotenv_path=tmp_path / "absent.env")
