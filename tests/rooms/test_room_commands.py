"""Room commands through a real actor and a real store: the lifecycle's order, and the
commands that change no state (thumbs, a left contact, a rating)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from supportflow.errors import Conflict
from supportflow.metrics import Metrics
from supportflow.rooms.commands import (
    Claim,
    Close,
    Escalate,
    GiveFeedback,
    LeaveContact,
    PostMessage,
    RateChat,
)
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import RoomState, Store
from tests.fakes import EchoResponder, RecordingNotifier


class Room:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.notifier = RecordingNotifier()
        self.metrics = Metrics()
        effects = RoomEffects(store, EchoResponder(), self.notifier, 50, self.metrics)
        self.rooms = RoomRegistry(effects, idle_seconds=60, max_live=100)

    def count(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.notifier.events]


@pytest.fixture(name="room")
async def fixture_room(store: Store) -> AsyncIterator[Room]:
    room = Room(store)
    yield room
    await room.rooms.drain()


async def new_room(store: Store, user: str) -> str:
    return (await store.create_session(user, token_digest=f"digest-{user}")).room_id


async def bot_reply(room: Room, room_id: str, user: str) -> int:
    """A customer message and the bot's answer; the answer's seq."""
    await room.rooms.submit(room_id, PostMessage("user", user, "How do I set up voicemail?"))
    # The bot answers in the room's turn: the next command waits for it.
    await room.rooms.submit(room_id, PostMessage("user", user, "thanks"))
    transcript = await room.store.messages_after(room_id, 0)
    return next(m.seq for m in transcript if m.sender_type == "bot")


async def test_a_refused_write_leaves_the_room_and_announces_nothing(
    room: Room, store: Store
) -> None:
    await store.create_agent("ann", "Ann", "digest-ann", max_concurrent=1, is_available=True)
    first, second = await new_room(store, "u1"), await new_room(store, "u2")
    for room_id in (first, second):
        await room.rooms.submit(room_id, Escalate(("human_requested",)))
    await room.rooms.submit(first, Claim("ann"))
    before = len(room.notifier.events)
    with pytest.raises(Conflict) as refused:  # the store's capacity check, in the persist step
        await room.rooms.submit(second, Claim("ann"))
    assert refused.value.code == "at_capacity"
    assert room.notifier.events[before:] == []
    assert (await store.session_by_room(second)).status is RoomState.ESCALATING
    # The actor kept its state too: the room is still claimable, and refuses a second claim.
    await room.rooms.submit(first, Close("admin", "admin"))
    change = await room.rooms.submit(second, Claim("ann"))
    assert change.state is RoomState.AGENT_ASSIGNED
    with pytest.raises(Conflict) as again:
        await room.rooms.submit(second, Claim("bob"))
    assert again.value.code == "already_claimed"
    assert room.count("supportflow_claims_total", outcome="lost") == 2


async def test_one_vote_per_reply_and_a_thumb_down_hands_over(room: Room, store: Store) -> None:
    room_id = await new_room(store, "u1")
    seq = await bot_reply(room, room_id, "u1")
    ups = [await room.rooms.submit(room_id, GiveFeedback(seq, "up", "bot_unhelpful"))]
    ups += [await room.rooms.submit(room_id, GiveFeedback(seq, "up", "bot_unhelpful"))]
    assert [given.escalated for given in ups] == [False, False]
    assert room.count("supportflow_bot_feedback_total", verdict="up") == 1
    down = await room.rooms.submit(room_id, GiveFeedback(seq, "down", "bot_unhelpful"))
    assert down.escalated is True
    session = await store.session_by_room(room_id)
    assert session.status is RoomState.ESCALATING
    escalation = await store.pending_escalation(session.session_id)
    assert escalation is not None and escalation.reasons == ("bot_unhelpful",)
    again = await room.rooms.submit(room_id, GiveFeedback(seq, "down", "bot_unhelpful"))
    assert again.escalated is False  # the room is no longer the bot's
    assert room.count("supportflow_bot_feedback_total", verdict="down") == 1
    assert await store.feedback_for(room_id) == {seq: "down"}


async def test_a_left_contact_is_kept_on_the_room(room: Room, store: Store) -> None:
    await store.create_user("reg", "Reg", "reg@example.org")
    room_id = (await store.create_session("reg", token_digest="digest-reg")).room_id
    note = await room.rooms.submit(room_id, LeaveContact("other@example.org"))
    assert note.metadata["contact_email"] == "other@example.org"
    assert note.visibility == "agents"
    assert (await store.get_user("reg")).email == "reg@example.org"


async def test_close_and_rating_are_announced_for_webhooks(room: Room, store: Store) -> None:
    room_id = await new_room(store, "u1")
    with pytest.raises(Conflict) as early:
        await room.rooms.submit(room_id, RateChat(5))
    assert early.value.code == "room_not_closed"
    await room.rooms.submit(room_id, Close("user", "u1"))
    assert ("room_closed", RoomState.BOT_ACTIVE) in room.notifier.events
    rating = await room.rooms.submit(room_id, RateChat(4, "Quick"))
    assert (rating.score, rating.comment) == (4, "Quick")
    assert room.kinds()[-1] == "chat_rated"
    assert room.count("supportflow_csat_ratings_total", score="4") == 1
