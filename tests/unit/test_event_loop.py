"""`supportflow serve` runs on the loop hypercorn.toml's `worker_class` names."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest
import uvloop

from supportflow.cli import _run_on_configured_loop
from supportflow.errors import ConfigurationError


def loop_type(worker_class: str) -> type[asyncio.AbstractEventLoop]:
    seen: list[type[asyncio.AbstractEventLoop]] = []

    async def record() -> None:
        seen.append(type(asyncio.get_running_loop()))

    _run_on_configured_loop(worker_class, record())
    return seen[0]


def test_uvloop_and_asyncio_worker_classes() -> None:
    assert loop_type("uvloop") is uvloop.Loop
    assert not issubclass(loop_type("asyncio"), uvloop.Loop)


def test_an_unknown_worker_class_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="worker_class"):
        loop_type("trio")


def test_the_shipped_hypercorn_settings_choose_uvloop() -> None:
    settings = tomllib.loads((Path(__file__).parents[2] / "hypercorn.toml").read_text())
    assert settings["worker_class"] == "uvloop"
