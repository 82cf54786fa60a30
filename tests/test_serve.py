"""`supportflow serve` as a user runs it: a subprocess, a generated admin token, health."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support import free_port, wait_for_health


def test_serve_generates_a_private_admin_token_and_serves(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    env = {
        **os.environ,
        "SUPPORTFLOW_DATA_DIR": str(data_dir),
        "SUPPORTFLOW_DEMO_KB": "0",
        "HF_HUB_OFFLINE": "1",
    }
    env.pop("SUPPORTFLOW_ADMIN_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "supportflow", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = wait_for_health(f"http://127.0.0.1:{port}", process, healthy=False).json()
        assert health["status"] == "ok"

        token_file = data_dir / "admin_token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        assert len(token) >= 32
        created = httpx.post(
            f"http://127.0.0.1:{port}/api/users",
            json={"user_id": "zoe"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.status_code == 201
        assert (data_dir / "chatbot.db").is_file()
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert f"serving on http://127.0.0.1:{port}" in output
    assert str(token_file.resolve()) in output
    assert token not in output  # the token itself is never printed or logged
    assert "path=/api/users" in output and "status=201" in output
