"""Real services for tests: Redis, PostgreSQL and a Chroma server on loopback.

Loaded as a pytest plugin by tests/conftest.py, so its fixtures are everywhere:

    redis_namespace   RedisNamespace(url, prefix): keys under a prefix of its own, deleted after
    postgres_url      a fresh database sf_<uuid hex>, dropped after
    chroma_server     the URL of a `chroma run` server on a free port, stopped after

and, for code that is not a fixture (a node process, a helper of its own), `redis_url()`,
`postgres_database()` and `running_chroma()`.

These services are shared by everyone on the machine, so nothing here flushes or drops what
it did not create. When one is unreachable its tests are skipped with a loud reason and the
terminal summary lists the missing services; under CI (`CI=true`) they fail instead, because
there a skipped service would hide a broken deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import asyncpg
import httpx
import pytest
import redis

from tests.support import LOOPBACK_TLS, free_port

# Module attributes rather than constants in the functions, so a test can point them at a
# closed port to prove the skip/fail logic.
REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
CHROMA_START_TIMEOUT = 90.0
CONNECT_TIMEOUT = 2.0

T = TypeVar("T")

# Every service found missing during this run, with why: the terminal summary prints it.
MISSING: dict[str, str] = {}


class ServiceUnavailableError(RuntimeError):
    """A service this test needs did not answer."""


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def service_missing(service: str, reason: str) -> NoReturn:
    """Skip the test loudly, or fail it under CI=true."""
    MISSING.setdefault(service, reason)
    message = f"SERVICE UNAVAILABLE: {service} ({reason})"
    if under_ci():
        pytest.fail(f"{message}; CI=true requires every service", pytrace=False)
    pytest.skip(f"{message}; start it to run this test (CI=true turns this skip into a failure)")


def _run(make: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end on a private loop in another thread.

    Fixtures here are synchronous (usable by sync and async tests alike); a thread keeps
    asyncio.run away from the loop pytest-asyncio owns in this one.
    """

    async def main() -> T:
        return await make()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


# --- Redis -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedisNamespace:
    """A Redis URL and a key prefix no other test uses."""

    url: str
    prefix: str

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"


def redis_url() -> str:
    """The URL of the machine's Redis, checked with a PING (skips or fails when down)."""
    client = redis.Redis.from_url(
        REDIS_URL, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=CONNECT_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError as error:
        service_missing("redis", f"{REDIS_URL}: {error}")
    finally:
        client.close()
    return REDIS_URL


def delete_prefixed(url: str, prefix: str) -> int:
    """Delete the keys under `prefix` (SCAN, never FLUSH: the server is shared)."""
    client = redis.Redis.from_url(url)
    try:
        names = list(client.scan_iter(match=f"{prefix}*", count=500))
        return int(client.delete(*names)) if names else 0
    finally:
        client.close()


@pytest.fixture(name="redis_namespace")
def fixture_redis_namespace() -> Iterator[RedisNamespace]:
    """Redis plus a fresh key prefix; the keys under it are deleted after the test."""
    namespace = RedisNamespace(redis_url(), f"sf-test-{uuid.uuid4().hex}:")
    yield namespace
    delete_prefixed(namespace.url, namespace.prefix)


# --- PostgreSQL ----------------------------------------------------------------------------


def _postgres_admin(sql: str) -> None:
    async def execute() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=CONNECT_TIMEOUT)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    _run(execute)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """Create a database sf_<uuid hex>, yield its URL, drop it (and only it) after."""
    name = f"sf_{uuid.uuid4().hex}"
    try:
        _postgres_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        service_missing("postgresql", f"{POSTGRES_ADMIN_URL}: {error!r}")
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        # WITH (FORCE) ends connections a test left open (a pool not disposed, a killed node).
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(name="postgres_url")
def fixture_postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database's URL; dropped after the test."""
    with postgres_database() as url:
        yield url


# --- Chroma --------------------------------------------------------------------------------


def chroma_command() -> Path:
    """The `chroma` CLI installed next to this interpreter."""
    return Path(sys.executable).parent / "chroma"


def _wait_for_heartbeat(url: str, server: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return f"chroma exited with status {server.returncode}"
        try:
            heartbeat = httpx.get(
                f"{url}/api/v2/heartbeat", timeout=CONNECT_TIMEOUT, verify=LOOPBACK_TLS
            )
            if heartbeat.status_code == 200:
                return ""
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    return f"no heartbeat within {timeout:.0f} s ({last})"


@contextlib.contextmanager
def running_chroma(path: Path, port: int | None = None) -> Iterator[str]:
    """Run `chroma run` on `path` and a loopback port (a free one by default); yield its URL;
    terminate it. The same path and port again restart "the same" server."""
    command = chroma_command()
    if not command.exists():
        service_missing("chroma", f"{command} not found")
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(command), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        problem = _wait_for_heartbeat(url, server, CHROMA_START_TIMEOUT)
        if problem:
            service_missing("chroma", f"{url}: {problem}")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(name="chroma_server")
def fixture_chroma_server(tmp_path: Path) -> Iterator[str]:
    """A Chroma server of the test's own (data in tmp_path), by URL."""
    with running_chroma(tmp_path / "chroma-server") as url:
        yield url


# --- Reporting -----------------------------------------------------------------------------


# Under pytest-xdist the tests run in worker processes, each with a MISSING of its own, and
# the summary is printed by the controller: each worker hands its record over when it ends.
WORKER_OUTPUT_KEY = "supportflow_missing_services"


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker_output = getattr(session.config, "workeroutput", None)  # set in xdist workers only
    if worker_output is not None:
        worker_output[WORKER_OUTPUT_KEY] = dict(MISSING)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: unknown (and never called) without it
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker ended: add the services it found missing to this (the controller's) record."""
    for service, reason in getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY, {}).items():
        MISSING.setdefault(service, reason)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A banner no one can miss when tests were skipped for want of a service."""
    if not MISSING:
        return
    terminalreporter.section("SERVICES UNAVAILABLE: their tests did not run", sep="!", red=True)
    for service, reason in sorted(MISSING.items()):
        terminalreporter.line(f"  {service}: {reason}", red=True)
    terminalreporter.line("  Set CI=true to make these skips failures.", red=True)
