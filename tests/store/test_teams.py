"""Teams in the store, on SQLite and PostgreSQL: members, the team queue, widening once."""

from __future__ import annotations

import asyncio

import pytest

from supportflow.errors import Conflict, NotFound
from supportflow.rooms.machine import TRANSITIONS, Trigger
from supportflow.store import Store, TeamChanges, TeamRoute, utc_in

ESCALATE = next(spec.sources for spec in TRANSITIONS if spec.trigger is Trigger.ESCALATE)


async def queued(store: Store, user: str, team: TeamRoute | None = None) -> str:
    room = (await store.create_session(user, token_digest=f"d-{user}")).room_id
    # Timestamps are to the millisecond, and a tie is ordered by the (random) escalation
    # id: queued a moment apart, the chats keep the order this test gives them.
    await asyncio.sleep(0.002)
    await store.open_escalation(room, ("sensitive_topic",), ESCALATE, team=team)
    return room


async def test_members_and_the_available_audience(store: Store) -> None:
    await store.create_agent("ann", "Ann", "d-ann", max_concurrent=2, is_available=True)
    await store.create_agent("bo", "Bo", "d-bo", max_concurrent=2, is_available=False)
    team = await store.create_team("billing", "Billing", [" Billing", "plans"], [], ["ann", "bo"])
    assert (team.categories, team.members) == (("billing", "plans"), ("ann", "bo"))
    # An agent in several teams; an unknown member stores nothing.
    await store.create_team("tech", "Tech", ["network"], [], ["ann"])
    with pytest.raises(NotFound):
        await store.create_team("x", "X", [], [], ["ann", "ghost"])
    assert [t.team_id for t in await store.all_teams()] == ["billing", "tech"]
    with pytest.raises(Conflict):
        await store.create_team("other", "Billing", [], [], [])
    assert await store.available_team_agents("billing") == ["ann"]
    await store.set_agent_disabled("ann", True)
    assert await store.available_team_agents("billing") == []

    renamed = await store.update_team("billing", TeamChanges(name="Billing and plans"))
    assert (renamed.name, renamed.categories) == ("Billing and plans", ("billing", "plans"))
    assert (await store.remove_team_member("billing", "bo")).members == ("ann",)
    with pytest.raises(NotFound):
        await store.remove_team_member("billing", "bo")
    await store.delete_team("billing")
    with pytest.raises(NotFound):
        await store.get_team("billing")


async def test_the_team_queue_and_widening_once(store: Store) -> None:
    await store.create_team("billing", "Billing", ["billing"], [], [])
    await queued(store, "first")  # no team: the whole queue's
    room = await queued(store, "second", TeamRoute("billing"))
    at_once = await queued(store, "third", TeamRoute("billing", to_everyone=True))
    second = next(e for e in await store.pending_escalations() if e.room_id == room)
    assert (second.team_id, second.team_only) == ("billing", True)
    assert await store.queue_position(second) == 1  # first in the team's queue
    third = next(e for e in await store.pending_escalations() if e.room_id == at_once)
    assert third.widened_at is not None and not third.team_only
    assert await store.queue_position(third) == 2

    assert await store.team_escalations_due(utc_in(-60)) == []
    due = await store.team_escalations_due(utc_in(1))
    assert [e.room_id for e in due] == [room]
    widened = await store.widen_escalation(second.escalation_id)
    assert widened is not None and widened.widened_at is not None
    assert await store.widen_escalation(second.escalation_id) is None  # once, by one node
    assert await store.team_escalations_due(utc_in(1)) == []
