"""The OpenAPI document is a contract: `schemathesis run --checks all` against a live
server with the admin token finds nothing, over every operation (this issue's routes too).

Bounded for CI: a fixed number of examples per operation and a fixed seed, so the run
takes well under a minute and fails the same way twice.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fakes import FAKE_BOT
from tests.support import ADMIN_TOKEN, LiveServer, serving

MAX_EXAMPLES = 15
SEED = "20261202"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
NEW_ROUTES = {
    ("get", "/api/agents"),
    ("get", "/api/canned-replies"),
    ("put", "/api/canned-replies/{reply_id}"),
    ("post", "/api/webhooks"),
    ("get", "/api/webhooks/{webhook_id}/deliveries"),
    ("get", "/api/reports/summary"),
    ("get", "/api/reports/knowledge-gaps"),
    ("post", "/api/sites"),
    ("patch", "/api/sites/{site_id}"),
    ("post", "/api/sites/{site_id}/sessions"),
    ("patch", "/api/sessions/{session_id}/context"),
    ("get", "/api/teams"),
    ("patch", "/api/teams/{team_id}"),
    ("put", "/api/teams/{team_id}/members/{agent_id}"),
}


@pytest.fixture(name="contract_server", scope="module")
def fixture_contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # schemathesis sends wrong tokens on purpose (the ignored_auth check): the per-address
    # sign-in limit would otherwise answer everything after them with 429.
    with serving(
        tmp_path_factory.mktemp("contract") / "data",
        FAKE_BOT,
        login_failures_per_minute=1_000_000,
    ) as server:
        yield server


def test_the_document_states_errors_and_open_routes(contract_server: LiveServer) -> None:
    document = httpx.get(f"{contract_server.url}/openapi.json").json()
    assert "Error" in document["components"]["schemas"]
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }
    assert set(operations) >= NEW_ROUTES
    for (method, path), operation in operations.items():
        assert "400" in operation["responses"], (method, path)
        is_open = operation.get("security") == []
        assert ("401" in operation["responses"]) is not is_open, (method, path)
    assert operations[("get", "/api/health")]["security"] == []
    assert operations[("post", "/api/sessions")]["security"] == []
    assert "security" not in operations[("post", "/api/webhooks")]
    assert operations[("post", "/api/sites/{site_id}/identify")]["security"] == []
    assert "security" not in operations[("post", "/api/sites")]


def test_schemathesis_finds_nothing_with_every_check(
    contract_server: LiveServer, tmp_path: Path
) -> None:
    if not SCHEMATHESIS.exists():
        pytest.skip("schemathesis is not installed (pip install -e '.[test]')")
    # /api/ask refuses a message that shows nothing (only invisible, unassigned or
    # private-use characters: supportflow/input_checks.py); no pattern both Python's and
    # Rust's regex engines read the same can state that, so for that one route the check
    # that schema-valid requests are accepted is left out. Every other check still runs.
    runs = [
        ["--exclude-path", "/api/ask"],
        ["--include-path", "/api/ask", "--exclude-checks", "positive_data_acceptance"],
    ]
    for selection in runs:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{contract_server.url}/openapi.json",
                "--checks",
                "all",
                *selection,
                "--header",
                f"Authorization: Bearer {ADMIN_TOKEN}",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                SEED,
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,
            check=False,
        )
        assert run.returncode == 0, run.stdout[-20_000:] + run.stderr[-5_000:]
