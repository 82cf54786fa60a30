"""With Groq, a follow-up is first rewritten into a standalone question (the local stand-in)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.llm.fake_groq import FakeGroq
from tests.realtime.clients import customer_session, say
from tests.support import LiveServer

# A chat over the demo articles: answers need the embedding model.
pytestmark = pytest.mark.real_model

FIRST = "How do I turn on roaming for my trip to Spain?"
REWRITE = "How much does international roaming in Spain cost?"


def condense_requests(fake: FakeGroq) -> list[dict[str, Any]]:
    return [r for r in fake.requests if r["messages"][0]["content"].startswith("Rewrite")]


async def test_groq_rewrites_the_follow_up_and_a_failure_falls_back_to_fusion(
    start_server: Any, fake: FakeGroq, uid: str
) -> None:
    server: LiveServer = start_server(demo_kb=True, **fake.server_overrides())
    async with customer_session(server.url, f"condense-{uid}") as (customer, session):
        room = session["room_id"]
        fake.script.append(("ok", "Turn on roaming in Settings [roaming-international-roaming]."))
        first = await say(customer, room, FIRST)
        assert first["query"] == FIRST and not condense_requests(fake)

        fake.script.extend([("ok", REWRITE), ("ok", "A day pass costs 10 dollars.")])
        follow = await say(customer, room, "how much does it cost?")
        assert follow["query"] == REWRITE
        sent = condense_requests(fake)[0]["messages"][1]["content"]
        assert FIRST in sent and "how much does it cost?" in sent

        # Groq failing on the rewrite: the offline fusion reads the follow-up instead.
        fake.script.extend([("status", 500), ("ok", "The pass is daily.")])
        again = await say(customer, room, "and is it daily?")
        assert again["query"] != "and is it daily?"
        assert again["query"].endswith("and is it daily?")
        assert len(condense_requests(fake)) == 2
