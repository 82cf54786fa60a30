"""`supportflow serve --workers N`: N node processes on one machine, one port each.

Node i serves `port + i`. One port per process rather than one shared port (SO_REUSEPORT):
the kernel spreads *connections* over processes, and Engine.IO long-polling sends each
request of one session on a connection of its own, so they would land on different
processes that do not know the session. With N ports, a proxy in front gives each client
one node (sticky by address or cookie) and WebSocket and polling both work
(docs/scaling.md shows the proxy).

The nodes share Redis (required: rooms, fan-out, presence) and the database, and a Chroma
server (required: the embedded Chroma store is one process's files). The runner does not
restart nodes: when one exits on its own it says which, stops the others and exits 1, so
the supervisor above it (systemd, a container runtime) sees the failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from supportflow.auth import ensure_admin_token
from supportflow.data_dir import secure_data_dir
from supportflow.errors import ConfigurationError
from supportflow.settings import Settings

_STOP_SECONDS = 30.0


@dataclass(frozen=True)
class Node:
    node_id: str
    port: int
    process: subprocess.Popen[bytes]


def check_cluster_settings(settings: Settings, workers: int) -> None:
    """Refuse settings several processes cannot share (a `ConfigurationError` each)."""
    if workers < 1:
        raise ConfigurationError("--workers must be at least 1")
    if workers == 1:
        return
    if settings.redis_url is None:
        raise ConfigurationError(
            f"--workers {workers} needs SUPPORTFLOW_REDIS_URL: the nodes place rooms and"
            " share Socket.IO events through Redis"
        )
    if settings.chroma_url is None:
        raise ConfigurationError(
            f"--workers {workers} needs SUPPORTFLOW_CHROMA_URL (a `chroma run` server): the"
            " embedded Chroma store cannot be shared by several processes"
        )


def run_workers(settings: Settings, workers: int, config: Path) -> int:
    """Start `workers` nodes, watch them, stop them all; the exit status to return."""
    check_cluster_settings(settings, workers)
    # Once, before the nodes: N processes must not race to create one admin token.
    secure_data_dir(settings)
    ensure_admin_token(settings)
    run = settings.node_id or f"w{uuid.uuid4().hex[:6]}"
    nodes = [_start(settings, f"{run}-{i}", settings.port + i, config) for i in range(workers)]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    status = 0
    while not stopping:
        ended = next((node for node in nodes if node.process.poll() is not None), None)
        if ended is not None:
            print(
                f"supportflow: node {ended.node_id} (pid {ended.process.pid}) exited with"
                f" status {ended.process.returncode}; stopping the others",
                file=sys.stderr,
                flush=True,
            )
            status = 1
            break
        time.sleep(0.2)
    _stop_all(nodes)
    return status


def _start(settings: Settings, node_id: str, port: int, config: Path) -> Node:
    # The children read the same environment, plus their name; the port is a flag.
    env = {**os.environ, "SUPPORTFLOW_NODE_ID": node_id}
    command = [sys.executable, "-m", "supportflow", "serve", "--host", settings.host]
    command += ["--port", str(port), "--config", str(config)]
    process = subprocess.Popen(command, env=env)
    print(f"node {node_id} http://{settings.host}:{port} pid {process.pid}", flush=True)
    return Node(node_id, port, process)


def _stop_all(nodes: list[Node]) -> None:
    for node in nodes:
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _STOP_SECONDS
    for node in nodes:
        try:
            node.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"supportflow: node {node.node_id} did not stop; killing it", file=sys.stderr)
            node.process.kill()
            node.process.wait()
