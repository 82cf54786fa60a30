"""Real `supportflow serve` processes for fault tests: start, wait until healthy, stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

from tests.support import ADMIN_TOKEN, LOOPBACK_TLS

ROOT = Path(__file__).resolve().parents[2]


def start_server_process(
    data_dir: Path,
    port: int,
    module: str = "supportflow",
    log: IO[bytes] | None = None,
    **env: str,
) -> subprocess.Popen[bytes]:
    """`python -m <module> serve --port <port>` over `data_dir`, answering /api/health."""
    environment = {
        **os.environ,
        "SUPPORTFLOW_DATA_DIR": str(data_dir),
        "SUPPORTFLOW_ADMIN_TOKEN": ADMIN_TOKEN,
        "SUPPORTFLOW_DEMO_KB": "0",
        "HF_HUB_OFFLINE": "1",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", module, "serve", "--port", str(port)],
        cwd=ROOT,  # hypercorn.toml is read from here, as `make run` does
        env=environment,
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited during start-up"
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1, verify=LOOPBACK_TLS)
            return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    process.wait()
    raise AssertionError("the server never answered")
