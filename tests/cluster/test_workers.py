"""`supportflow serve --workers N`: refuses what N processes cannot share; runs and stops N."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from tests.services import RedisNamespace
from tests.support import ADMIN_TOKEN, free_ports, wait_for_health


def named_pids(log: Path) -> list[int]:
    """The pids of the nodes the runner said it started ("node <id> <url> pid <pid>")."""
    lines = [line for line in log.read_text().splitlines() if line.startswith("node ")]
    return [int(line.split(" pid ")[1]) for line in lines]


def node_pids(log: Path, runner: subprocess.Popen[str], count: int) -> list[int]:
    """The first `count` node pids, once the runner has named them."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = named_pids(log)
        if len(pids) >= count:
            return pids[:count]
        assert runner.poll() is None, log.read_text()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"the runner named no {count} nodes:\n{log.read_text()[-3000:]}")


def serve_workers(
    tmp_path: Path, workers: int, output: IO[str] | int = subprocess.PIPE, **env: str
) -> subprocess.Popen[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SUPPORTFLOW_REDIS_URL", "SUPPORTFLOW_CHROMA_URL"}
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supportflow",
            "serve",
            "--workers",
            str(workers),
            *env.pop("args", "").split(),
        ],
        cwd=tmp_path,
        env={**base, "SUPPORTFLOW_DATA_DIR": str(tmp_path / "data"), **env},
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow  # processes
def test_several_workers_need_redis_and_a_chroma_server(tmp_path: Path) -> None:
    no_redis = serve_workers(tmp_path, 2)
    output, _ = no_redis.communicate(timeout=60)
    assert no_redis.returncode == 2
    assert "--workers 2 needs SUPPORTFLOW_REDIS_URL" in output
    no_chroma = serve_workers(tmp_path, 2, SUPPORTFLOW_REDIS_URL="redis://127.0.0.1:6379/0")
    output, _ = no_chroma.communicate(timeout=60)
    assert no_chroma.returncode == 2
    assert "needs SUPPORTFLOW_CHROMA_URL" in output


@pytest.mark.slow
def test_a_node_that_dies_stops_the_others(
    tmp_path: Path, redis_namespace: RedisNamespace, chroma_server: str
) -> None:
    port = free_ports(2)
    # The nodes' logs go to a file, not a pipe: nobody reads a pipe while the nodes start,
    # and a failure shows what they said.
    log = tmp_path / "workers.log"
    with log.open("w") as output:
        runner = serve_workers(
            tmp_path,
            2,
            output,
            args=f"--port {port}",
            DATABASE_URL=f"sqlite:///{tmp_path / 'shared.db'}",
            SUPPORTFLOW_ADMIN_TOKEN=ADMIN_TOKEN,
            SUPPORTFLOW_DEMO_KB="0",
            SUPPORTFLOW_REDIS_URL=redis_namespace.url,
            SUPPORTFLOW_REDIS_PREFIX=redis_namespace.prefix.rstrip(":"),
            SUPPORTFLOW_CHROMA_URL=chroma_server,
            HF_HUB_OFFLINE="1",
        )
    try:
        pids = node_pids(log, runner, 2)
        for offset in range(2):
            wait_for_health(f"http://127.0.0.1:{port + offset}", runner, log=log)
        os.kill(pids[0], signal.SIGKILL)
        runner.wait(timeout=90)
    finally:
        if runner.poll() is None:
            runner.kill()
            # A killed runner stops no node: stop those it named, or a failed run leaves
            # servers behind on the machine (seen: two, on their ports, half an hour later).
            for pid in named_pids(log):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        runner.wait()
    said = log.read_text()
    assert runner.returncode == 1
    assert f"(pid {pids[0]}) exited with status -9; stopping the others" in said
    with pytest.raises(ProcessLookupError):
        os.kill(pids[1], 0)  # the other node was stopped (and reaped) too
