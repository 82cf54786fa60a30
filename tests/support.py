"""Test support: a real Hypercorn server on a free loopback port, in a thread of its own."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import functools
import inspect
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import pytest
from filelock import FileLock
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from supportflow.app import create_app
from supportflow.app_parts import AppParts
from supportflow.services import Services
from supportflow.settings import Settings

ADMIN_TOKEN = "test-admin-token-0123456789"
# How long a live server may take to answer /api/health: start-up loads the model and may
# embed the demo KB, several servers at once on parallel workers of a loaded 2-core machine.
STARTUP_SECONDS = 300.0
# Test traffic is plain HTTP on loopback, yet httpx builds a TLS context for each client it
# makes, reading the whole CA bundle: tens of ms of CPU a client, and the health polls made
# one every 0.2 s (a seventh of the suite's Python CPU, py-spy). Often-made clients share it.
LOOPBACK_TLS = ssl.create_default_context()
T = TypeVar("T")
# Set to 1 to serve every test app on the real model, fake bot or not (the suite as it was
# before tests/fakes.py's FAKE_BOT; slower): to tell whether the fake hides a difference.
REAL_MODEL_EVERYWHERE = "SUPPORTFLOW_TESTS_REAL_MODEL"


def served_parts(parts: AppParts | None) -> AppParts | None:
    """`parts`, unless SUPPORTFLOW_TESTS_REAL_MODEL=1 asks for the real ones."""
    return None if os.environ.get(REAL_MODEL_EVERYWHERE) == "1" else parts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# Below Linux's ephemeral range (32768-60999): the kernel hands those out to every outgoing
# connection, so the port after a free one (what `--workers N` binds next) may be taken by a
# client socket of another test at any moment. Ports here are only ever bound on purpose.
_RUN_PORTS = range(20_000, 32_000)


def free_ports(count: int) -> int:
    """The first of `count` consecutive free loopback ports (`supportflow serve --workers
    N --port P` binds P to P+N-1)."""
    for _ in range(200):
        base = random.randrange(_RUN_PORTS.start, _RUN_PORTS.stop - count)
        if all(_bindable(base + offset) for offset in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports in {_RUN_PORTS}")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# The run's export cache, passed down to the processes the run starts: pytest-xdist's
# workers (the controller loads conftest.py, which makes it, before it starts them).
SHARED_ENCODER_CACHE = "SUPPORTFLOW_TESTS_ENCODER_CACHE"
# The run's store of the demo articles, passed down the same way.
SHARED_DEMO_STORE = "SUPPORTFLOW_TESTS_DEMO_STORE"


def shared_encoder_folder() -> Path:
    """Where the run's ONNX export is kept (conftest.py hands it to every process the run
    starts, before it is made). The process that made the folder removes it at exit."""
    return _run_folder(SHARED_ENCODER_CACHE, "supportflow-test-encoder-")


# A serving process's start on an empty cache, as `supportflow serve` makes it: the export
# runs in its child; it prints the torch modules the process itself then holds.
LOADS_WITHOUT_TORCH = """
import sys
from pathlib import Path
from supportflow.knowledge.encoder_choice import load_encoder
from supportflow.knowledge.onnx_encoder import OnnxEncoder
chosen = load_encoder(None, "onnx", Path(sys.argv[1]))
assert isinstance(chosen.encoder, OnnxEncoder), chosen
print(sorted(name for name in sys.modules if name == "torch" or name.startswith("torch.")))
"""
# What the start that made the run's export printed, beside the export.
FIRST_EXPORT_RECORD = "first-start.txt"


def encoder_start(cache_root: Path) -> subprocess.CompletedProcess[str]:
    """Run LOADS_WITHOUT_TORCH on `cache_root` (its output captured)."""
    start = [sys.executable, "-c", LOADS_WITHOUT_TORCH, str(cache_root)]
    return subprocess.run(
        start, capture_output=True, text=True, timeout=STARTUP_SECONDS, check=False
    )


@functools.cache
def shared_encoder_cache() -> Path:
    """One ONNX export of the model for the whole test run, which every server (threads and
    processes) and every xdist worker reuses: one export, not one a server or a worker.

    The first process to ask makes it by starting LOADS_WITHOUT_TORCH on the empty folder,
    and keeps what that start printed (FIRST_EXPORT_RECORD):
    test_the_serving_process_never_imports_torch reads it instead of exporting once more
    (tens of seconds of CPU)."""
    root = shared_encoder_folder()
    with FileLock(str(root / ".first-start.lock")):
        if not any(root.glob("*/manifest.json")):
            made = encoder_start(root)
            if made.returncode == 0:
                (root / FIRST_EXPORT_RECORD).write_text(made.stdout)
            # else: the next load exports (or says why it cannot), as a server would
    return root


@functools.cache
def _run_folder(variable: str, prefix: str) -> Path:
    """A folder for the whole run: inherited in `variable`, else made (and removed at exit)
    by this process, which passes it down in `variable`."""
    inherited = os.environ.get(variable)
    if inherited:
        return Path(inherited)
    root = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    os.environ[variable] = str(root)
    return root


def server_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test server: its own data dir, a known admin token, no demo KB, the
    run's shared ONNX export. With the demo KB, the data dir gets the run's copy of it."""
    base = Settings(
        data_dir=data_dir,
        admin_token=ADMIN_TOKEN,
        demo_kb=False,
        port=free_port(),
        encoder_cache_dir=shared_encoder_cache(),
    )
    settings = base.with_overrides(**overrides)
    if settings.demo_kb and _stores_as(settings) == _stores_as(base):
        shutil.copytree(shared_demo_store(), settings.chroma_dir, dirs_exist_ok=True)
    return settings


_BUILD_DEMO_STORE = """
import asyncio, sys
from pathlib import Path
from quart.testing.app import TestApp
from supportflow.app import create_app
from supportflow.settings import Settings

async def start_and_stop() -> None:
    settings = Settings(
        data_dir=Path(sys.argv[1]), demo_kb=True, encoder_cache_dir=Path(sys.argv[2])
    )
    async with TestApp(create_app(settings), startup_timeout=300, shutdown_timeout=60):
        pass

asyncio.run(start_and_stop())
"""


def _stores_as(settings: Settings) -> tuple[Any, ...]:
    """What decides the demo store's contents: the same, the run's copy is what it would
    have ingested itself."""
    knowledge = settings.knowledge
    return (
        knowledge.chroma_url,
        knowledge.embedding_model,
        knowledge.encoder,
        knowledge.chunk_chars,
        knowledge.chunk_overlap_chars,
    )


def shared_demo_folder() -> Path:
    """Where the run's demo store is made (tests/conftest.py makes it before the workers)."""
    return _run_folder(SHARED_DEMO_STORE, "supportflow-test-demo-store-")


def shared_demo_store() -> Path:
    """The vector store of the demo articles (a Chroma folder), made once for the whole run
    (the first process to ask makes it, the others wait for it) by a server process that
    starts with the demo KB and stops. A test server with the demo KB starts with a copy and
    finds the articles there, instead of embedding them all again (seconds of CPU a start);
    the demo KB's load at start is what made the copy."""
    root = shared_demo_folder()
    with FileLock(str(root / ".lock")):
        if not (root / "chroma").is_dir():
            building = root / "building"
            shutil.rmtree(building, ignore_errors=True)
            encoders = str(shared_encoder_cache())
            build = [sys.executable, "-c", _BUILD_DEMO_STORE, str(building), encoders]
            subprocess.run(build, check=True, timeout=STARTUP_SECONDS)
            (building / "chroma").rename(root / "chroma")
    return root / "chroma"


@dataclass
class LiveServer:
    """Hypercorn serving `create_app(settings)` on its own event loop and thread.

    A thread (not the test's loop) keeps the server independent of each test's event loop,
    so one server can serve many tests, and a test can stop and restart it.
    """

    settings: Settings
    # What the app opens (tests/fakes.py's FAKE_BOT: no model); None: the real parts.
    parts: AppParts | None = None
    app: Quart = field(init=False)
    _loop: asyncio.AbstractEventLoop = field(init=False)
    _thread: threading.Thread = field(init=False)
    _stop: asyncio.Event = field(init=False)
    _ready: threading.Event = field(default_factory=threading.Event)
    _failure: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.settings.port}"

    @property
    def services(self) -> Services:
        found: Services = self.app.extensions["supportflow"]
        return found

    def start(self, timeout: float = STARTUP_SECONDS) -> LiveServer:
        self.app = create_app(self.settings, served_parts(self.parts))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="live-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the live server did not start in time")
        if self._failure is not None:
            raise RuntimeError("the live server failed to start") from self._failure
        return self

    def stop(self, timeout: float = 60.0) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("the live server did not stop in time")

    def call(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 30.0) -> T:
        """Run a coroutine on the server's loop (to look at its store, say) and return."""
        return asyncio.run_coroutine_threadsafe(make(), self._loop).result(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._stop = asyncio.Event()
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:
            self._failure = error
            self._ready.set()
        finally:
            self._cancel_leftovers()
            self._loop.close()

    def _cancel_leftovers(self) -> None:
        # Client sockets a test left open keep engine.io ping tasks alive; end them here so
        # closing the loop does not destroy pending tasks.
        leftovers = asyncio.all_tasks(self._loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            self._loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))

    async def _serve(self) -> None:
        config = Config()
        config.bind = [f"127.0.0.1:{self.settings.port}"]
        config.graceful_timeout = 1
        config.startup_timeout = STARTUP_SECONDS
        task = asyncio.create_task(serve(self.app, config, shutdown_trigger=self._stop.wait))  # type: ignore[arg-type]
        await self._wait_until_serving(task)
        self._ready.set()
        await task

    async def _wait_until_serving(self, task: asyncio.Task[None]) -> None:
        # A deadline, not a count of tries: a try takes up to its timeout on a loaded machine.
        deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
        async with httpx.AsyncClient(verify=LOOPBACK_TLS) as client:
            while asyncio.get_running_loop().time() < deadline:
                if task.done():
                    task.result()
                    raise RuntimeError("the server stopped before it was ready")
                try:
                    await client.get(f"{self.url}/api/health", timeout=1)
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        raise TimeoutError("the server never answered /api/health")


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def serving(
    data_dir: Path, parts: AppParts | None = None, **overrides: Any
) -> Iterator[LiveServer]:
    """A live server over `data_dir` for the duration of the block (module fixtures)."""
    server = LiveServer(server_settings(data_dir, **overrides), parts).start()
    try:
        yield server
    finally:
        server.stop()


@asynccontextmanager
async def admin_http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on `server` that sends the admin token."""
    async with httpx.AsyncClient(
        base_url=server.url, headers=admin_headers(), timeout=60, verify=LOOPBACK_TLS
    ) as client:
        yield client


def shared_server(
    server_name: str,
    admin_name: str,
    scope: Literal["module", "session"] = "module",
    *,
    both_engines: bool = False,
    parts: AppParts | None = None,
    **overrides: Any,
) -> tuple[Any, Any]:
    """Two fixtures: one live server shared by a module (or session), and an admin client on it.

    Bind both at module level where they are used (`room_server, room_admin = shared_server(
    "room_server", "room_admin", demo_kb=True)`); pytest finds fixtures by the module's names.
    `both_engines`: the module runs twice, on a SQLite file and on a fresh PostgreSQL database.
    `parts`: what the app opens; the real model unless FAKE_BOT (tests/fakes.py) is given.
    """

    @pytest.fixture(
        name=server_name, scope=scope, params=["sqlite", "postgresql"] if both_engines else None
    )
    def server_fixture(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[LiveServer]:
        data_dir = tmp_path_factory.mktemp(server_name) / "data"
        with contextlib.ExitStack() as stack:
            database = {}
            if getattr(request, "param", "sqlite") == "postgresql":
                # Imported here: tests.services is a pytest plugin, loaded after this module.
                from tests.services import postgres_database

                database["database_url"] = stack.enter_context(postgres_database())
            yield stack.enter_context(serving(data_dir, parts, **overrides, **database))

    async def admin_fixture(**requested: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
        async with admin_http(requested[server_name]) as client:
            yield client

    # pytest reads what a fixture needs from its signature: name the server fixture there, so
    # it is in every test's fixture closure (and tests/conftest.py's tier marking sees it).
    admin_fixture.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(server_name, inspect.Parameter.KEYWORD_ONLY, annotation=LiveServer)]
    )
    return server_fixture, pytest.fixture(name=admin_name)(admin_fixture)


@contextmanager
def two_nodes(base: Path, name: str, **overrides: Any) -> Iterator[list[LiveServer]]:
    """Two live servers, nodes "node-a" and "node-b", sharing one SQLite file under `base`
    and the machine's Redis under a key prefix of their own (deleted after)."""
    # Imported here: tests.services is a pytest plugin, loaded after this module.
    from tests.services import RedisNamespace, delete_prefixed, redis_url

    url = redis_url()
    namespace = RedisNamespace(url, f"sf-test-{name}-{uuid.uuid4().hex[:8]}:")
    started: list[LiveServer] = []
    try:
        for node in ("a", "b"):
            settings = server_settings(
                base / node,
                database_url=f"sqlite:///{base / 'shared.db'}",
                redis_url=url,
                redis_prefix=namespace.prefix.rstrip(":"),
                node_id=f"node-{node}",
                **overrides,
            )
            started.append(LiveServer(settings).start())
        yield started
    finally:
        for server in started:
            server.stop()
        delete_prefixed(url, namespace.prefix)


def wait_for_health(
    url: str,
    process: subprocess.Popen[Any],
    *,
    timeout: float = 180.0,
    log: Path | None = None,
    healthy: bool = True,
) -> httpx.Response:
    """Poll a server PROCESS's /api/health until it answers (200 when `healthy`), failing
    with the process's output (or `log`) if it exits first or never does."""
    deadline = time.monotonic() + timeout
    # What the last poll got, for the failure: up but unhealthy (which part) or not up.
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: the server exited early:\n{_output(process, log)}")
        try:
            response = httpx.get(f"{url}/api/health", timeout=2, verify=LOOPBACK_TLS)
            if not healthy or response.status_code == 200:
                return response
            last = f"{response.status_code} {response.text[:500]}"
        except httpx.TransportError as error:
            last = repr(error)
        time.sleep(0.3)
    raise AssertionError(
        f"{url} never became healthy (last poll: {last}):\n{_output(process, log)}"
    )


def _output(process: subprocess.Popen[Any], log: Path | None) -> str:
    if log is not None:
        return log.read_text(errors="replace")[-3000:]
    if process.stdout is not None and process.poll() is not None:
        text = process.stdout.read()
        return (text.decode(errors="replace") if isinstance(text, bytes) else str(text))[-3000:]
    return "(no output captured)"
