"""A real Chroma server stopped under a live node, then started again on the same data.

While it is down: /api/health answers 503 with the vector store in error, every knowledge
route answers 503 `knowledge_unavailable`, and a customer's question gets the apology and
an escalation (`bot_unavailable`), as for any failing responder. Once it is back, the same
node answers from it again without a restart.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from supportflow.rooms.effects import APOLOGY
from tests.fakes import FAKE_BOT
from tests.realtime.clients import new_agent, new_customer, say
from tests.services import running_chroma
from tests.support import admin_http, free_port, serving

pytestmark = pytest.mark.slow

QUESTION = "How do I reset my voicemail PIN?"
ARTICLE = {
    "id": "voicemail-pin",
    "title": "Resetting your voicemail PIN",
    "content": "To reset your voicemail PIN, open the account page, choose Calls, then "
    "Voicemail, then Reset PIN. The new PIN works at once.",
}


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "knowledge_unavailable", response.text


async def test_chroma_down_then_back(tmp_path: Path) -> None:
    chroma_data, port = tmp_path / "chroma", free_port()
    chroma = ExitStack()
    url = chroma.enter_context(running_chroma(chroma_data, port))
    try:
        with serving(tmp_path / "data", FAKE_BOT, chroma_url=url) as server:
            async with admin_http(server) as admin:
                ingested = await admin.post("/api/ingest", json={"documents": [ARTICLE]})
                assert ingested.status_code == 200, ingested.text
                assert (await admin.get("/api/health")).status_code == 200
                customer, session = await new_customer(server.url, "while-chroma-stops")
                agent, _ = await new_agent(admin, "standby-for-chroma")
                room = session["room_id"]
                try:
                    chroma.close()  # the Chroma server stops (SIGTERM), the node runs on

                    health = await admin.get("/api/health")
                    assert health.status_code == 503
                    store = health.json()["components"]["vector_store"]
                    assert store["status"] == "error"
                    assert "unavailable" in store["error"], store
                    assert health.json()["components"]["database"]["status"] == "ok"
                    assert_refused(await admin.post("/api/ask", json={"message": QUESTION}))
                    assert_refused(await admin.post("/api/ingest", json={"documents": [ARTICLE]}))
                    assert_refused(await admin.get("/api/knowledge"))
                    assert_refused(await admin.delete(f"/api/knowledge/{ARTICLE['id']}"))

                    reply = await say(customer, room, QUESTION)
                    assert reply["message"] == APOLOGY
                    alert = await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
                    assert alert["reasons"] == ["bot_unavailable"]

                    # The same data on the same port: the node needs no restart.
                    url_again = chroma.enter_context(running_chroma(chroma_data, port))
                    assert url_again == url
                    assert (await admin.get("/api/health")).status_code == 200
                    await agent.ok("claim_room", {"room_id": room})
                    await agent.ok("release_room", {"room_id": room})
                    again = await say(customer, room, QUESTION)
                    assert [source["id"] for source in again["sources"]] == [ARTICLE["id"]]
                finally:
                    await customer.close()
                    await agent.close()
    finally:
        chroma.close()
