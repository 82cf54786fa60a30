"""Reports over real rooms: the summary's counts and durations, and knowledge gaps by meaning.

The server starts with an empty knowledge base, so every question the customers ask goes
unanswered (`low_confidence`): each one is a knowledge gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.realtime.clients import customer_session, new_agent, new_customer
from tests.support import LiveServer, shared_server

report_server, report_admin = shared_server("report_server", "report_admin", both_engines=True)


def stamp(moment: datetime) -> str:
    return moment.isoformat()


async def ask_once(server: LiveServer, user_id: str, question: str) -> None:
    """A new customer asks one question and waits for the bot's verdict."""
    async with customer_session(server.url, user_id) as (customer, session):
        await customer.ok("send_message", {"room_id": session["room_id"], "message": question})
        await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")


async def test_summary_counts_a_known_day(
    report_server: LiveServer, report_admin: httpx.AsyncClient, uid: str
) -> None:
    started = datetime.now(UTC)
    agent, _ = await new_agent(report_admin, f"ann-{uid}")
    served, served_session = await new_customer(report_server.url, f"served-{uid}")
    quick, quick_session = await new_customer(report_server.url, f"quick-{uid}")
    waiting = (await report_admin.post("/api/sessions", json={"user_id": f"w-{uid}"})).json()
    try:
        # Served: asks for a person, is claimed, then closed by the agent.
        room = served_session["room_id"]
        await served.ok("escalate", {"room_id": room})
        await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
        await agent.ok("claim_room", {"room_id": room})
        await agent.ok("close_room", {"room_id": room})
        # Quick: closed by the customer with the bot, never escalated.
        await quick.ok("close_room", {"room_id": quick_session["room_id"]})
        # Waiting: queued by the admin and never claimed.
        await report_admin.post(
            "/api/escalate", json={"session_id": waiting["session_id"], "reason": "sensitive_topic"}
        )
    finally:
        await served.close()
        await quick.close()
        await agent.close()

    until = datetime.now(UTC) + timedelta(seconds=1)
    response = await report_admin.get(
        "/api/reports/summary", params={"since": stamp(started), "until": stamp(until)}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["chats"], report["closed"], report["bot_resolved"]) == (3, 2, 1)
    assert report["bot_resolved_share"] == 0.5
    assert report["escalations"] == 2
    assert report["escalations_by_reason"] == {"human_requested": 1, "sensitive_topic": 1}
    assert [day["by_reason"] for day in report["escalations_by_day"]] == [
        {"human_requested": 1, "sensitive_topic": 1}
    ]
    assert report["escalations_by_day"][0]["day"] == started.date().isoformat()
    wait = report["time_to_first_claim"]
    assert wait["count"] == 1 and 0 <= wait["p50_seconds"] <= wait["p90_seconds"] < 60
    handled = report["handle_time"]
    assert handled["count"] == 1 and 0 <= handled["p50_seconds"] < 60
    assert [row["agent_id"] for row in report["handle_time_by_agent"]] == [f"ann-{uid}"]
    assert report["csat"]["count"] == 0  # nobody rated these chats
    assert report["thumbs"] == {"up": 0, "down": 0}

    before = await report_admin.get(
        "/api/reports/summary",
        params={"since": stamp(started - timedelta(days=2)), "until": stamp(started)},
    )
    assert before.json()["chats"] == 0 and before.json()["time_to_first_claim"]["count"] == 0


@pytest.mark.parametrize(
    "params",
    [{"since": "2026-12-02T10:00:00"}, {"until": "yesterday"}, {"until": "0.5"}],
)
async def test_bad_ranges_are_400(report_admin: httpx.AsyncClient, params: dict[str, str]) -> None:
    for path in ("/api/reports/summary", "/api/reports/knowledge-gaps"):
        response = await report_admin.get(path, params=params)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["code"] == "invalid_input"


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-12-02T10:00:00+00:00", "until": "2026-12-01T10:00:00+00:00"},
        {"since": "2026-12-02T10:00:00+00:00", "until": "2026-12-02T10:00:00+00:00"},
        {"until": "0001-01-01T00:00:00+00:00"},
        {"since": "0001-01-01T00:00:00+01:00", "until": "9999-12-31T23:59:59-01:00"},
    ],
)
async def test_empty_and_extreme_ranges_report_nothing_or_everything(
    report_admin: httpx.AsyncClient, params: dict[str, str]
) -> None:
    summary = await report_admin.get("/api/reports/summary", params=params)
    assert summary.status_code == 200, summary.text
    gaps = await report_admin.get("/api/reports/knowledge-gaps", params=params)
    assert gaps.status_code == 200, gaps.text
    if "9999" not in params.get("until", ""):
        assert summary.json()["chats"] == 0 and gaps.json()["topics"] == []


async def test_reports_are_for_the_admin(report_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=report_server.url) as http:
        session = (await http.post("/api/sessions", json={})).json()
        for path in ("/api/reports/summary", "/api/reports/knowledge-gaps"):
            assert (await http.get(path)).status_code == 401
            as_user = {"Authorization": f"Bearer {session['token']}"}
            assert (await http.get(path, headers=as_user)).status_code == 403


async def test_knowledge_gaps_group_questions_by_meaning(
    report_server: LiveServer, report_admin: httpx.AsyncClient, uid: str
) -> None:
    started = datetime.now(UTC)
    asked = {
        "pets": [
            "Do you offer insurance for my dog?",
            "is there pet insurance for cats",
            "How much does it cost to insure my puppy?",
            "Do you offer insurance for my dog?",
        ],
        "crypto": ["Can I pay my bill with bitcoin?", "do you accept cryptocurrency payments"],
        "other": ["What is the weather in Lisbon tomorrow?"],
    }
    for topic, questions in asked.items():
        for index, question in enumerate(questions):
            await ask_once(report_server, f"{topic}-{index}-{uid}", question)

    response = await report_admin.get(
        "/api/reports/knowledge-gaps",
        params={"since": stamp(started), "until": stamp(datetime.now(UTC) + timedelta(seconds=1))},
    )
    assert response.status_code == 200, response.text
    gaps = response.json()
    assert gaps["questions"] == 7
    topics = gaps["topics"]
    assert [topic["count"] for topic in topics] == [4, 2, 1]
    pets, crypto, other = topics
    assert set(pets["examples"]) == set(asked["pets"])  # the repeat counted, shown once
    assert len(pets["examples"]) == 3
    assert pets["label"] in pets["examples"]
    # Handed over as unsure, or told what the bot covers (off-topic): a gap either way.
    assert sum(pets["reasons"].values()) == 4
    assert set(pets["reasons"]) <= {"low_confidence", "off_topic"}
    assert set(crypto["examples"]) == set(asked["crypto"])
    assert other["examples"] == asked["other"]

    limited = await report_admin.get(
        "/api/reports/knowledge-gaps", params={"since": stamp(started), "limit": 1}
    )
    assert [topic["count"] for topic in limited.json()["topics"]] == [4]
    empty = await report_admin.get(
        "/api/reports/knowledge-gaps",
        params={"since": stamp(started - timedelta(days=1)), "until": stamp(started)},
    )
    assert empty.json()["topics"] == []
