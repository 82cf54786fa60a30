"""Dependencies failing mid-run: Chroma or the embedding model breaks under a live server.

Faults are injected at the knowledge runtime's own seams on the running server: the
PassageStore's Chroma collection, and the Embedder's encoder, are swapped for objects that
raise, then put back. Everything else (rooms, sockets, SQLite, the real responder) is real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from supportflow.rooms.effects import APOLOGY
from tests.realtime.clients import new_agent, new_customer, say
from tests.support import LiveServer, shared_server

QUESTION = "How do I reset my voicemail PIN?"


class Broken:
    """Stands in for a part that is down: every use raises."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            raise ConnectionError(f"{self._what} is down")

        return fail


@contextmanager
def broken(owner: object, attribute: str, what: str) -> Iterator[None]:
    original = getattr(owner, attribute)
    setattr(owner, attribute, Broken(what))
    try:
        yield
    finally:
        setattr(owner, attribute, original)


kb_server, kb_admin = shared_server("kb_server", "kb_admin", demo_kb=True)


async def _fault_then_recovery(
    server: LiveServer, admin: httpx.AsyncClient, owner: object, attribute: str, name: str
) -> httpx.Response:
    """Break `owner.attribute` while a customer asks; return /api/health seen meanwhile.

    Checks the apology, the escalation with `bot_unavailable`, and that the same room gets
    real answers again once the part is back.
    """
    customer, session = await new_customer(server.url, f"during-{name}")
    agent, _ = await new_agent(admin, f"standby-{name}")
    room = session["room_id"]
    try:
        with broken(owner, attribute, name):
            reply = await say(customer, room, QUESTION)
            health = await admin.get("/api/health")
        assert reply["message"] == APOLOGY
        alert = await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
        assert alert["reasons"] == ["bot_unavailable"]
        assert (await admin.get(f"/api/sessions/{session['session_id']}")).json()[
            "status"
        ] == "escalating"

        # The part is back: health says so, and the room, handed back to the bot, is
        # answered from the knowledge base again.
        assert (await admin.get("/api/health")).status_code == 200
        await agent.ok("claim_room", {"room_id": room})
        await agent.ok("release_room", {"room_id": room})
        again = await say(customer, room, QUESTION)
        assert again["message"] != APOLOGY and again["sources"], again
        return health
    finally:
        await customer.close()
        await agent.close()


async def test_chroma_failing_mid_run(kb_server: LiveServer, kb_admin: httpx.AsyncClient) -> None:
    store = kb_server.services.bot.knowledge.store
    health = await _fault_then_recovery(kb_server, kb_admin, store, "_collection", "chroma")
    assert health.status_code == 503
    assert health.json()["components"]["vector_store"]["status"] == "error"


async def test_the_embedder_failing_mid_run(
    kb_server: LiveServer, kb_admin: httpx.AsyncClient
) -> None:
    embedder = kb_server.services.bot.knowledge.embedder
    health = await _fault_then_recovery(kb_server, kb_admin, embedder, "encoder", "embedder")
    assert health.status_code == 503
    assert health.json()["components"]["embedder"]["status"] == "error"
