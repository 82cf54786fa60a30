"""scripts/example_client.py, run as a user would, against a real server on loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.fakes import ConfidentBot
from tests.support import ADMIN_TOKEN, LiveServer

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "example_client.py"

# The protocol steps every successful run prints, in this order, whatever the bot answers.
STEPS = [
    "[agent] created example-agent-",
    "[session] session ",
    "[connect] agent and customer sockets connected",
    "[join] room state bot_active, 0 earlier messages",
    "[ask] customer asked 'How do I reset my voicemail PIN?' (seq 1)",
    "[bot] ",
    "[escalate] ",
    "[queued] customer told: ",
    "[alert] agent alerted: reasons [",
    "[claim] agent claimed the room: state agent_assigned",
    "[joined] customer saw Sam Agent join",
    '[agent says] customer received "Hello, I\'m here to help." from example-agent-',
    "[release] agent handed back: state bot_active",
    "[close] customer closed the room: state closed",
    "[done] the whole room lifecycle worked",
]


def run_example(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )


def assert_steps_in_order(stdout: str) -> None:
    lines = stdout.splitlines()
    position = 0
    for step in STEPS:
        found = next((i for i in range(position, len(lines)) if lines[i].startswith(step)), None)
        assert found is not None, f"missing {step!r} after line {position}:\n{stdout}"
        position = found + 1


def test_example_walks_the_whole_room_lifecycle(server: LiveServer) -> None:
    """Whatever the bot says (it may queue the chat itself), every step must happen."""
    result = run_example("--url", server.url, "--admin-token", ADMIN_TOKEN, "--timeout", "20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_steps_in_order(result.stdout)
    assert result.stderr.count("FAILED") == 0


def test_example_asks_for_a_human_when_the_bot_answers(
    start_server: Callable[..., LiveServer],
) -> None:
    """With a bot that answers, the customer's own `escalate` event queues the chat."""
    server = start_server()
    server.services.rooms.effects.responder = ConfidentBot()
    result = run_example("--url", server.url, "--admin-token", ADMIN_TOKEN, "--timeout", "20")
    assert result.returncode == 0, result.stdout + result.stderr
    assert_steps_in_order(result.stdout)
    lines = result.stdout.splitlines()
    assert "[bot] 'Dial 121, then choose 3 to set a new PIN.' (confidence 0.91)" in lines
    assert "[sources] Reset your voicemail PIN [voicemail-pin] score 0.87" in lines
    assert "[escalate] room is now escalating (was bot_active)" in lines
    assert any(
        line.startswith("[alert] agent alerted: reasons ['human_requested']") for line in lines
    )


def test_example_fails_clearly_with_a_wrong_admin_token(server: LiveServer) -> None:
    result = run_example("--url", server.url, "--admin-token", "not-the-admin-token")
    assert result.returncode == 1
    assert "FAILED: POST /api/agents answered 401" in result.stderr
    assert "[done]" not in result.stdout


def test_example_fails_clearly_without_a_server(server: LiveServer) -> None:
    server.stop()  # a port that was just served, now closed
    result = run_example("--url", server.url, "--admin-token", ADMIN_TOKEN, "--timeout", "5")
    assert result.returncode == 1
    assert f"FAILED: cannot talk to {server.url}" in result.stderr
