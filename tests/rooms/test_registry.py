"""The registry: actors spawn on demand, retire when idle, stay capped, drain on shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from supportflow.errors import Conflict, Unavailable
from supportflow.metrics import Metrics
from supportflow.rooms.commands import Claim, Escalate, PostMessage
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import Store
from tests.fakes import EchoResponder, RecordingNotifier


def registry_for(store: Store, idle: float = 60, max_live: int = 100) -> RoomRegistry:
    effects = RoomEffects(store, EchoResponder(), RecordingNotifier(), 50, Metrics())
    return RoomRegistry(effects, idle_seconds=idle, max_live=max_live)


async def new_room(store: Store, user: str) -> str:
    return (await store.create_session(user, token_digest=f"digest-{user}")).room_id


async def test_idle_actors_retire_and_respawn_from_the_store(store: Store) -> None:
    registry = registry_for(store, idle=0.2)
    room = await new_room(store, "u1")
    await registry.submit(room, Escalate(("human_requested",)))
    assert registry.live_count == 1
    await asyncio.sleep(0.5)
    assert registry.live_count == 0
    # A fresh actor picks up the stored state: escalating, so no second escalation.
    with pytest.raises(Conflict) as refused:
        await registry.submit(room, Escalate(("human_requested",)))
    assert refused.value.code == "invalid_transition"
    posted = await registry.submit(room, PostMessage("user", "u1", "still there?"))
    assert posted.message.seq == (await store.session_by_room(room)).last_seq
    await registry.drain()


async def test_live_actors_are_capped(store: Store) -> None:
    registry = registry_for(store, max_live=3)
    rooms = [await new_room(store, f"u{i}") for i in range(8)]
    for room in rooms:
        await registry.submit(room, Escalate(("human_requested",)))
    await asyncio.sleep(0.1)
    assert registry.live_count <= 3
    await registry.drain()
    assert registry.live_count == 0


async def test_drain_finishes_every_accepted_command(store: Store) -> None:
    registry = registry_for(store)
    room = await new_room(store, "u1")
    sends = [
        asyncio.create_task(registry.submit(room, PostMessage("user", "u1", f"message {i}")))
        for i in range(20)
    ]
    await asyncio.sleep(0)  # let every send reach the mailbox
    await registry.drain()
    results = await asyncio.gather(*sends)
    assert sorted(r.message.seq for r in results) == [r.message.seq for r in results]
    transcript = await store.messages_after(room, 0)
    # 20 customer messages, each answered by the bot, all stored, seq gap-free.
    assert [m.seq for m in transcript] == list(range(1, 41))
    assert sum(1 for m in transcript if m.sender_type == "bot") == 20
    with pytest.raises(Unavailable):
        await registry.submit(room, PostMessage("user", "u1", "too late"))


async def test_a_failing_command_leaves_the_actor_alive(store: Store) -> None:
    registry = registry_for(store)
    room = await new_room(store, "u1")
    await registry.submit(room, Escalate(("human_requested",)))
    with pytest.raises(Conflict):
        await registry.submit(room, Escalate(("again",)))
    posted = await registry.submit(room, PostMessage("user", "u1", "hello"))
    assert posted.message.body == "hello"
    await registry.drain()


async def test_seq_is_gap_free_when_customer_and_agent_write_at_once(store: Store) -> None:
    registry = registry_for(store)
    room = await new_room(store, "u1")
    await store.create_agent("ann", "Ann", "digest-ann", max_concurrent=3, is_available=True)
    await registry.submit(room, Escalate(("human_requested",)))
    await registry.submit(room, Claim("ann"))
    writes = [PostMessage("user", "u1", f"u{i}") for i in range(15)]
    writes += [PostMessage("agent", "ann", f"a{i}") for i in range(15)]
    results = await asyncio.gather(*(registry.submit(room, w) for w in writes))
    seqs = sorted(r.message.seq for r in results)
    assert seqs == list(range(seqs[0], seqs[0] + 30))
    await registry.drain()


class LosableHold:
    """A hold the test loses on cue (a lease whose renewal failed)."""

    fence = None

    def __init__(self) -> None:
        self.lose: Callable[[], None] = lambda: None

    def watch(self, on_lost: Callable[[], None]) -> None:
        self.lose = on_lost

    async def release(self) -> None:
        pass


class RedisGoesDown:
    """A placement that hands out one hold, then cannot reach Redis (the outage)."""

    retry_seconds = 0.0

    def __init__(self) -> None:
        self.held = LosableHold()
        self.down = False

    async def hold(self, room_id: str) -> LosableHold:
        if self.down:
            raise Unavailable("the cluster's Redis is unreachable", "cluster_unavailable")
        return self.held

    async def forward(self, node_id: str, room_id: str, command: Any) -> Any:
        raise AssertionError("one node: nothing is forwarded")


async def test_a_hold_lost_while_a_message_is_written_answers_what_was_stored(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lease is lost just after the message's write landed (its COMMIT seen through),
    # before the command returned. Cut off there, the caller heard a refusal for a stored
    # message, and its retry stored it twice. The write's fence decides, and the caller
    # hears what happened.
    placement = RedisGoesDown()
    effects = RoomEffects(store, EchoResponder(), RecordingNotifier(), 50, Metrics())
    registry = RoomRegistry(effects, idle_seconds=60, max_live=10, placement=placement)
    room = await new_room(store, "u1")
    await registry.submit(room, Escalate(("human_requested",)))  # no bot reply follows
    written, go_on = asyncio.Event(), asyncio.Event()
    append = store.append_message

    async def append_then_wait(*args: Any, **kwargs: Any) -> Any:
        stored = await append(*args, **kwargs)
        written.set()
        await go_on.wait()
        return stored

    monkeypatch.setattr(store, "append_message", append_then_wait)
    sending = asyncio.create_task(registry.submit(room, PostMessage("user", "u1", "hello")))
    await asyncio.wait_for(written.wait(), 10)
    placement.down = True
    placement.held.lose()
    go_on.set()
    posted = await asyncio.wait_for(sending, 10)
    history = [m for m in await store.messages_after(room, 0) if m.sender_type == "user"]
    assert [m.body for m in history] == ["hello"]
    assert posted.message.seq == history[0].seq
    # The room is no longer held here: the next message is refused, and not stored.
    with pytest.raises(Unavailable) as refused:
        await registry.submit(room, PostMessage("user", "u1", "again"))
    assert refused.value.code == "cluster_unavailable"
    stored = await store.messages_after(room, 0)
    assert [m.body for m in stored if m.sender_type == "user"] == ["hello"]
    await registry.drain()
