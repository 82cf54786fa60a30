"""The shared service fixtures: real services work, missing ones skip loudly (fail under CI)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
import redis

from tests import services
from tests.support import free_port


@pytest.fixture(name="missing")
def fixture_missing(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private record of missing services, so these tests leave no banner behind."""
    record: dict[str, str] = {}
    monkeypatch.setattr(services, "MISSING", record)
    monkeypatch.delenv("CI", raising=False)
    return record


def closed_port() -> int:
    return free_port()  # nothing listens on a port just handed back


def test_unreachable_redis_skips_loudly(
    monkeypatch: pytest.MonkeyPatch, missing: dict[str, str]
) -> None:
    monkeypatch.setattr(services, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    with pytest.raises(pytest.skip.Exception, match="SERVICE UNAVAILABLE: redis"):
        services.redis_url()
    assert "redis" in missing


def test_unreachable_redis_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, missing: dict[str, str]
) -> None:
    monkeypatch.setattr(services, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true requires every service"):
        services.redis_url()


@pytest.mark.parametrize("ci", ["", "true"])
def test_unreachable_postgres_skips_or_fails(
    monkeypatch: pytest.MonkeyPatch, missing: dict[str, str], ci: str
) -> None:
    monkeypatch.setattr(
        services, "POSTGRES_ADMIN_URL", f"postgresql://postgres@127.0.0.1:{closed_port()}/x"
    )
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with (
        pytest.raises(expected, match="SERVICE UNAVAILABLE: postgresql"),
        services.postgres_database(),
    ):
        pass
    assert "postgresql" in missing


@pytest.mark.parametrize("ci", ["", "true"])
def test_missing_chroma_cli_skips_or_fails(
    monkeypatch: pytest.MonkeyPatch, missing: dict[str, str], tmp_path: Path, ci: str
) -> None:
    monkeypatch.setattr(services, "chroma_command", lambda: tmp_path / "no-chroma-here")
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with (
        pytest.raises(expected, match="SERVICE UNAVAILABLE: chroma"),
        services.running_chroma(tmp_path),
    ):
        pass
    assert "chroma" in missing


class Reporter:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def section(self, title: str, **_: object) -> None:
        self.lines.append(title)

    def line(self, text: str, **_: object) -> None:
        self.lines.append(text)


def test_summary_names_each_missing_service(missing: dict[str, str]) -> None:
    reporter = Reporter()
    services.pytest_terminal_summary(reporter)  # type: ignore[arg-type]
    assert reporter.lines == []
    missing["redis"] = "connection refused"
    services.pytest_terminal_summary(reporter)  # type: ignore[arg-type]
    assert reporter.lines[0].startswith("SERVICES UNAVAILABLE")
    assert "  redis: connection refused" in reporter.lines


def test_a_workers_missing_services_reach_the_controllers_summary(
    missing: dict[str, str],
) -> None:
    # Under pytest-xdist a worker records the skip and the controller prints the summary.
    missing["redis"] = "connection refused"
    worker = SimpleNamespace(config=SimpleNamespace(workeroutput={}))
    services.pytest_sessionfinish(worker)  # type: ignore[arg-type]
    missing.clear()  # the controller's record: nothing of its own
    services.pytest_testnodedown(SimpleNamespace(workeroutput=worker.config.workeroutput), None)
    services.pytest_testnodedown(SimpleNamespace(), "a worker that crashed sends nothing")
    reporter = Reporter()
    services.pytest_terminal_summary(reporter)  # type: ignore[arg-type]
    assert "  redis: connection refused" in reporter.lines


def test_redis_namespace_cleans_only_its_own_keys(
    redis_namespace: services.RedisNamespace,
) -> None:
    client = redis.Redis.from_url(redis_namespace.url)
    neighbour_key = f"sf-test-neighbour-{redis_namespace.prefix}"
    try:
        client.set(redis_namespace.key("a"), "1")
        client.set(redis_namespace.key("b"), "2")
        client.set(neighbour_key, "kept")
        assert services.delete_prefixed(redis_namespace.url, redis_namespace.prefix) == 2
        assert client.exists(redis_namespace.key("a"), redis_namespace.key("b")) == 0
        assert client.get(neighbour_key) == b"kept"
    finally:
        client.delete(neighbour_key)
        client.close()


def test_postgres_database_is_fresh_and_dropped_after() -> None:
    async def current(url: str) -> tuple[str, int]:
        connection = await asyncpg.connect(url)
        try:
            name = await connection.fetchval("SELECT current_database()")
            tables = await connection.fetchval(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
            )
            return str(name), int(tables)
        finally:
            await connection.close()

    async def exists(name: str) -> bool:
        connection = await asyncpg.connect(services.POSTGRES_ADMIN_URL)
        try:
            return bool(
                await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            )
        finally:
            await connection.close()

    with services.postgres_database() as url:
        name, tables = asyncio.run(current(url))
        assert url.endswith(f"/{name}") and name.startswith("sf_")
        assert tables == 0
    assert not asyncio.run(exists(name))


def test_chroma_server_answers_heartbeat(chroma_server: str) -> None:
    answer = httpx.get(f"{chroma_server}/api/v2/heartbeat", timeout=5)
    assert answer.status_code == 200
    assert "nanosecond heartbeat" in answer.json()
