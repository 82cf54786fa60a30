"""`GET /metrics` on a live server: who may read it, and every family moving with traffic."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer, admin_http, bearer

METRICS_TOKEN = "metrics-token-for-tests-0123456789"
FAMILIES = (
    "supportflow_messages",
    "supportflow_bot_reply_seconds",
    "supportflow_retrieval_seconds",
    "supportflow_embedding_seconds",
    "supportflow_embedding_batch_size",
    "supportflow_vector_query_seconds",
    "supportflow_vector_query_batch_size",
    "supportflow_escalations",
    "supportflow_claims",
    "supportflow_rooms",
    "supportflow_live_room_actors",
    "supportflow_connected_sockets",
    "supportflow_groq_calls",
    "supportflow_groq_failures",
)
VOICEMAIL = {
    "id": "voicemail",
    "title": "Setting up voicemail",
    "category": "calls",
    "content": "To set up voicemail, press and hold 1 on the dial pad. Choose a four-digit PIN"
    " and record your greeting. To reset your voicemail PIN, open the account page.",
}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_need_a_token_and_count_real_traffic(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(metrics_token=METRICS_TOKEN)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        assert (await http.get("/metrics")).status_code == 401
        opened = await http.get("/metrics", headers=bearer(METRICS_TOKEN))
        assert opened.status_code == 200
        assert opened.headers["content-type"].startswith("text/plain")
        for family in FAMILIES:
            assert f"# TYPE {family}" in opened.text, family

    async with admin_http(server) as admin:
        created = await admin.post("/api/ingest", json={"documents": [VOICEMAIL]})
        assert created.status_code in (200, 201), created.text
        customer, session = await new_customer(server.url, "metrics-alice")
        room = session["room_id"]
        await customer.ok(
            "send_message", {"room_id": room, "message": "How do I set up voicemail?"}
        )
        await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
        await customer.ok("send_message", {"room_id": room, "message": "I want to talk to a human"})
        await customer.wait_for("room_state", lambda e: e["state"] == "escalating")
        ann, _ = await new_agent(admin, "metrics-ann")
        bob, _ = await new_agent(admin, "metrics-bob")
        await ann.ok("claim_room", {"room_id": room})
        lost = await bob.call("claim_room", {"room_id": room})
        assert lost["ok"] is False
        agent_scrape = await admin.get("/metrics", headers=bearer(ann.token))
        assert agent_scrape.status_code == 403
        scraped = samples((await admin.get("/metrics")).text)
        for client in (customer, ann, bob):
            await client.close()

    def value(name: str, **labels: str) -> float:
        return scraped.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("supportflow_messages_total", sender_type="user") == 2
    assert value("supportflow_messages_total", sender_type="bot") >= 1
    assert value("supportflow_messages_total", sender_type="system") >= 1
    assert value("supportflow_bot_reply_seconds_count") >= 1
    assert value("supportflow_retrieval_seconds_count") >= 1
    assert value("supportflow_embedding_batch_size_count") >= 1
    assert value("supportflow_vector_query_batch_size_count") >= 1
    assert value("supportflow_escalations_total", reason="human_requested") == 1
    assert value("supportflow_claims_total", outcome="won") == 1
    assert value("supportflow_claims_total", outcome="lost") == 1
    assert value("supportflow_rooms", state="agent_assigned") == 1
    assert value("supportflow_live_room_actors", state="agent_assigned") == 1
    assert value("supportflow_connected_sockets", role="user") == 1
    assert value("supportflow_connected_sockets", role="agent") == 2
    assert value("supportflow_groq_calls_total") == 0
