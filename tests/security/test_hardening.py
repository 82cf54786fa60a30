"""Input the schemas cannot express, logs and files, headers and sign-ins (issue 13,
items 8, 9 and 10), on real servers."""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from supportflow.logs import configure_logging
from supportflow.store import Store
from tests.realtime.clients import ChatClient, new_customer
from tests.support import ADMIN_TOKEN, LiveServer, admin_headers, bearer, server_settings

DEEP = 100_000


def _deep_json() -> str:
    return "[" * DEEP + "]" * DEEP


async def test_deeply_nested_and_unencodable_bodies_are_400(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    json_body = {"Content-Type": "application/json"}
    admin = {**admin_headers(), **json_body}
    for path, headers in (("/api/sessions", json_body), ("/api/ingest", admin)):
        response = await http.post(path, content=_deep_json(), headers=headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    upload = {"files": ("deep.json", _deep_json().encode(), "application/json")}
    response = await http.post("/api/ingest", files=upload, headers=admin_headers())
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")

    # A JSON "\\ud800" escape decodes to a lone surrogate, which nothing can store.
    session = (await http.post("/api/sessions", json={})).json()
    lone = "caf\ud800"
    for path, body, headers in (
        ("/api/ask", {"message": lone}, bearer(session["token"])),
        ("/api/ingest", {"documents": [{"title": "t", "content": lone}]}, admin_headers()),
    ):
        # json.dumps escapes it as "\ud800", as a client would send it.
        raw = json.dumps(body)
        response = await http.post(path, content=raw, headers={**headers, **json_body})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    document = json.dumps({"title": "t", "content": lone}).encode()
    upload = {"files": ("lone.json", document, "application/json")}
    response = await http.post("/api/ingest", files=upload, headers=admin_headers())
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_input")
    assert (await http.get("/api/health")).status_code == 200


class _DeepJson:
    """A client-side JSON that sends one event's payload nested DEEP times, as raw text."""

    @staticmethod
    def dumps(data: Any, **kwargs: Any) -> str:
        if isinstance(data, list) and data and data[-1] == "DEEP":
            return json.dumps(data[:-1], **kwargs)[:-1] + "," + _deep_json() + "]"
        return json.dumps(data, **kwargs)

    loads = staticmethod(json.loads)


class _DeepPacket(socketio.packet.Packet):  # type: ignore[misc]
    json = _DeepJson


async def test_a_deeply_nested_or_unencodable_event_gets_an_error_ack(server: LiveServer) -> None:
    customer, session = await new_customer(server.url, "deep")
    deep = socketio.AsyncClient(reconnection=False, serializer=_DeepPacket)
    try:
        await deep.connect(server.url, auth={"token": session["token"]}, transports=["websocket"])
        ack = await deep.call("send_message", "DEEP", timeout=30)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
        room = session["room_id"]
        lone = await customer.call("send_message", {"room_id": room, "message": "hi \ud800"})
        assert lone["ok"] is False and lone["error"]["code"] == "invalid_input", lone
        for invisible in ("\u200b", "\u200b\u200d \ufe0f", "\u3164"):
            ack = await customer.call("send_message", {"room_id": room, "message": invisible})
            assert ack["error"]["code"] == "empty_message", invisible
        assert (await customer.ok("sync", {"room_id": room, "after_seq": 0}))["messages"] == []
    finally:
        await deep.disconnect()
        await customer.close()


async def test_invisible_questions_are_refused_over_rest(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    asked = await http.post("/api/ask", json={"message": "\u200b\u2060"}, headers=admin_headers())
    assert asked.status_code == 400 and asked.json()["error"]["code"] == "empty_message"


async def test_debug_logs_never_carry_sql_parameters(
    tmp_path: Path, restored_logging: None
) -> None:
    configure_logging("DEBUG", tmp_path / "logs")
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logging.getLogger().addHandler(Keep(logging.DEBUG))
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        session = await store.create_session("someone", "digest-abc123", None)
        await store.append_message(session.room_id, "user", "someone", "my PIN is pin-zq-wombat")
    finally:
        await store.close()
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.__dict__}" for r in seen)
    # Letters, not digits: a record's timestamps (in its __dict__) can contain any digits.
    assert "pin-zq-wombat" not in logged and "digest-abc123" not in logged
    log_file = tmp_path / "logs" / "supportflow.log"
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o700


async def test_the_data_dir_and_database_are_private(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    data_dir = tmp_path / "private"
    data_dir.mkdir(mode=0o755)
    server = start_server(server_settings(data_dir))
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post("/api/sessions", json={})).status_code == 201
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for name in ("chatbot.db", "chatbot.db-wal", "admin_token"):
        path = data_dir / name
        if path.exists() or name == "chatbot.db":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, name


async def test_security_headers_and_what_health_tells_whom(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    for path in (
        "/api/health",
        "/docs",
        "/openapi.json",
        "/nope",
        "/socket.io/?EIO=4&transport=polling",
    ):
        response = await http.get(path)
        assert response.headers.get("x-content-type-options") == "nosniff", path
    docs = await http.get("/docs")
    policy = docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'sha256-" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]

    public = (await http.get("/api/health")).json()["components"]
    assert all(set(part) == {"status"} for part in public.values()), public
    detailed = (await http.get("/api/health", headers=admin_headers())).json()["components"]
    assert "model" in detailed["embedder"] and "passages" in detailed["vector_store"]
    assert "provider" in detailed["llm"]


async def test_failed_sign_ins_are_throttled_per_address(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(login_failures_per_minute=3)
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = (await http.post("/api/sessions", json={})).json()
        for guess in range(3):
            wrong = await http.get("/api/agents/me", headers=bearer(f"sfa_guess{guess}"))
            assert wrong.status_code == 401
        throttled = await http.get(
            f"/api/sessions/{session['session_id']}", headers=bearer(session["token"])
        )
        assert throttled.status_code == 429
        assert throttled.json()["error"]["code"] == "too_many_failures"
        client = ChatClient(server.url, session["token"])
        refusals: list[Any] = []
        client.sio.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect()
        assert refusals and refusals[0]["data"]["code"] == "too_many_failures"
        # The admin's own token is throttled like any other: guessing it is what this stops.
        assert (await http.get("/api/agents", headers=bearer(ADMIN_TOKEN))).status_code == 429
