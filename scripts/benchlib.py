"""Shared pieces of the benchmarks: a server process to measure, and honest statistics.

Benchmarks print figures; they never assert. Every address they touch is on loopback.
"""

from __future__ import annotations

import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789abcdef"
# The Hypercorn settings `make run` serves with (event loop included).
REPO_HYPERCORN_CONFIG = Path(__file__).resolve().parents[1] / "hypercorn.toml"


@dataclass(frozen=True)
class ServerProcess:
    url: str
    pid: int
    admin_token: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server_process(
    extra_env: dict[str, str] | None = None, hypercorn_config: Path = REPO_HYPERCORN_CONFIG
) -> Iterator[ServerProcess]:
    """`supportflow serve` in a subprocess over a temporary data dir, stopped with SIGTERM."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="supportflow-bench-") as data_dir:
        env = {
            **os.environ,
            "SUPPORTFLOW_DATA_DIR": data_dir,
            "SUPPORTFLOW_ADMIN_TOKEN": BENCH_ADMIN_TOKEN,
            "SUPPORTFLOW_DEMO_KB": "0",
            # Benchmarks open hundreds of anonymous sessions from one address in seconds.
            "SUPPORTFLOW_SESSIONS_PER_MINUTE": "1000000",
            # ... and up to 200 sockets at once from it, each pending until it signs in.
            "SUPPORTFLOW_MAX_PENDING_SOCKETS_PER_ADDRESS": "1000",
            "SUPPORTFLOW_LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
            **(extra_env or {}),
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "supportflow",
                "serve",
                "--port",
                str(port),
                "--config",
                str(hypercorn_config.resolve()),
            ],
            env=env,
            cwd=data_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process)
            yield ServerProcess(url, process.pid, BENCH_ADMIN_TOKEN)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_up(
    url: str, process: subprocess.Popen[bytes], path: str = "/api/health", timeout: float = 600
) -> None:
    """Wait until `url + path` answers below 500, or raise if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited during start-up")
        try:
            if httpx.get(f"{url}{path}", timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url}{path} did not answer in time")


def server_encoder(url: str, admin_token: str | None) -> str:
    """What runs the model in the server at `url` (its /api/health, read with the admin
    token): "onnx", "torch", "torch (fallback: <why>)", or "?" without the token."""
    headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    embedder = httpx.get(f"{url}/api/health", headers=headers, timeout=30).json()
    described = embedder.get("components", {}).get("embedder", {})
    encoder = str(described.get("encoder", "?"))
    fallback = described.get("encoder_fallback")
    return f"{encoder} (fallback: {fallback})" if fallback else encoder


def resident_mib(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `samples`."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index]


def summary_ms(samples: Sequence[float]) -> str:
    """p50/p95/p99 of latencies given in seconds, as milliseconds."""
    if not samples:
        return "no samples"
    return (
        f"p50 {percentile(samples, 0.50) * 1000:7.1f} ms  "
        f"p95 {percentile(samples, 0.95) * 1000:7.1f} ms  "
        f"p99 {percentile(samples, 0.99) * 1000:7.1f} ms  "
        f"mean {statistics.fmean(samples) * 1000:7.1f} ms"
    )


def machine_description() -> str:
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
