"""Secrets stay secret: tokens never reach the logs, cross-site pages get nothing, SQL is
never built from input."""

from __future__ import annotations

import ast
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import socketio

import supportflow.store
from supportflow.logs import KeyValueFormatter
from tests.realtime.clients import ChatClient, customer_session, new_agent, new_customer
from tests.support import ADMIN_TOKEN, LiveServer, bearer


async def test_tokens_never_reach_the_logs(
    server: LiveServer, admin: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    customer, session = await new_customer(server.url, "secretive")
    agent, info = await new_agent(admin, "ann")
    rotated = (await admin.post("/api/agents/ann/token")).json()
    try:
        await customer.ok("send_message", {"room_id": session["room_id"], "message": "hi"})
        await customer.call("no_such_event", {"token": session["token"]})
        await admin.get(f"/api/sessions/{session['session_id']}", headers=bearer(session["token"]))
        await admin.get("/api/agents/available", headers=bearer(rotated["token"]))
        await admin.get("/api/agents/available", headers=bearer("sfa_a-wrong-guess"))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await ChatClient(server.url, "sfu_another-wrong-guess").connect()
    finally:
        await customer.close()
        await agent.close()
    formatter = KeyValueFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "socket connected" in logged and "request" in logged, "nothing was captured"
    secrets = [
        session["token"],
        info["token"],
        rotated["token"],
        ADMIN_TOKEN,
        "sfa_a-wrong-guess",
        "sfu_another-wrong-guess",
    ]
    for secret in secrets:
        assert secret not in logged, f"a token ({secret[:6]}...) was logged"


async def _handshake(url: str, origin: str | None) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    headers = {"Origin": origin} if origin else {}
    try:
        await client.connect(
            url, auth={"token": ADMIN_TOKEN}, headers=headers, transports=["websocket"]
        )
    except socketio.exceptions.ConnectionError:
        # Refused before engine.io connected, so the client keeps its HTTP session open.
        if client.eio.http is not None:
            await client.eio.http.close()
        return False
    await client.disconnect()
    return True


async def test_without_configured_origins_only_the_same_origin_may_connect(
    server: LiveServer,
) -> None:
    assert await _handshake(server.url, None)  # scripts and apps send no Origin
    assert await _handshake(server.url, server.url)
    assert not await _handshake(server.url, "http://evil.test")
    async with httpx.AsyncClient(base_url=server.url) as http:
        answer = await http.get("/api/health", headers={"Origin": "http://evil.test"})
        assert "access-control-allow-origin" not in answer.headers


async def test_configured_origins_and_no_others_get_cors(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(cors_origins=("http://shop.test",))
    assert await _handshake(server.url, "http://shop.test")
    assert await _handshake(server.url, server.url)
    assert not await _handshake(server.url, "http://evil.test")
    async with httpx.AsyncClient(base_url=server.url) as http:
        preflight = {
            "Origin": "http://shop.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        }
        allowed = await http.options("/api/sessions", headers=preflight)
        assert allowed.headers.get("access-control-allow-origin") == "http://shop.test"
        refused = await http.options(
            "/api/sessions", headers={**preflight, "Origin": "http://evil.test"}
        )
        assert "access-control-allow-origin" not in refused.headers
        simple = await http.get("/api/health", headers={"Origin": "http://evil.test"})
        assert "access-control-allow-origin" not in simple.headers


async def test_sql_shaped_input_is_just_data(server: LiveServer) -> None:
    async with customer_session(server.url, "o-brien") as (customer, session):
        for room_id in ("' OR '1'='1", "x'; DROP TABLE sessions; --", '" OR 1=1 --'):
            ack = await customer.call("sync", {"room_id": room_id})
            assert ack["error"]["code"] == "not_your_room"
        text = "Robert'); DROP TABLE messages; --"
        await customer.ok("send_message", {"room_id": session["room_id"], "message": text})
        synced = await customer.ok("sync", {"room_id": session["room_id"]})
        assert synced["messages"][0]["message"] == text


# Names that may be interpolated into SQL text: fixed fragments and placeholder lists built
# in the store itself, the migration scripts shipped in the package and their number, and
# the PRAGMA value checked against a fixed set (PRAGMAs take no parameters). Never a value
# that came from a request.
_SQL_FRAGMENTS = {
    "_AGENT_COLUMNS",
    "_ESCALATION_COLUMNS",
    "_EXAMPLE_SELECT",  # a constant: the learned examples' columns and their join
    "condition",
    "placeholders",
    "marks",  # a placeholder list too: ",".join("?" * n)
    "fence_set",  # ", fence = ?" or "": the lease's number is a parameter
    "fence_where",  # " AND fence <= ?" or ""
    "same_team",  # " AND team_id = ?" or "": the team's queue, the id a parameter
    "_MIGRATION_LOCK",  # a constant of the code: the advisory lock's key
    "_VISIBLE",  # " AND visibility = 'all'" or "": private notes left out
    "maybe",  # "b.metadata LIKE ? OR ...": the patterns are parameters
    "sql",
    "version",
    "synchronous",
}

# Statements held in a variable, reviewed by hand: a module constant of literal SQL, and
# the search's text, fixed fragments whose every value is a `?` parameter (`_filters`;
# tests/store/test_search.py sends SQL- and FTS-shaped input through it).
_REVIEWED_NAMES = {("customer_history.py", "_EARLIER"), ("search.py", "sql")}

# Fixed per engine: " FOR UPDATE" and " FOR UPDATE SKIP LOCKED" on PostgreSQL, "" on SQLite.
_UNIT_FRAGMENTS = {"for_update", "skip_locked"}


def test_every_sql_statement_is_parameterised() -> None:
    """Static review of store/: the SQL text of each execute() is a literal, or an f-string
    over the fixed fragments above; every value travels as a parameter."""
    store_dir = Path(supportflow.store.__file__).parent
    checked = 0
    for source in sorted(store_dir.glob("*.py")):
        if source.name == "database.py":  # the layer that runs the statements it is given
            continue
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr
                in {
                    "execute",
                    "execute_many",
                    "executescript",
                    "exec_driver_sql",
                    "fetch_all",
                    "_sql",
                }
                and call.args
            ):
                continue
            checked += 1
            sql = call.args[0]
            where = f"{source.name}:{call.lineno}"
            if isinstance(sql, ast.Constant) and isinstance(sql.value, str):
                continue
            if isinstance(sql, ast.Name) and sql.id == "statement":  # the Literal-typed one
                continue
            if isinstance(sql, ast.Name) and (source.name, sql.id) in _REVIEWED_NAMES:
                continue
            if source.name == "sqlite_database.py" and isinstance(sql, ast.Name):
                # The SQLite unit hands the repositories' statements to aiosqlite as written.
                assert sql.id == "sql", f"{where}: {sql.id}"
                continue
            assert isinstance(sql, ast.JoinedStr), f"{where}: SQL built at run time"
            for part in sql.values:
                if isinstance(part, ast.FormattedValue):
                    if isinstance(part.value, ast.Attribute):  # the unit's dialect fragments
                        assert part.value.attr in _UNIT_FRAGMENTS, f"{where}: {part.value.attr}"
                        continue
                    if isinstance(part.value, ast.Subscript):  # a fixed fragment's variant
                        assert isinstance(part.value.value, ast.Name), f"{where}: complex"
                        assert part.value.value.id in _SQL_FRAGMENTS, f"{where}: subscript"
                        continue
                    assert isinstance(part.value, ast.Name), f"{where}: complex interpolation"
                    assert part.value.id in _SQL_FRAGMENTS, f"{where}: {part.value.id} in SQL"
    assert checked > 20, "the review found too few statements to be looking at the store"
