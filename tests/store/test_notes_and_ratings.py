"""Private notes stay out of every read unless asked for; ratings are one per closed room."""

from __future__ import annotations

import pytest

from supportflow.errors import Conflict, NotFound
from supportflow.store import RoomState, Store

S = RoomState


async def test_notes_are_left_out_of_reads_by_default(store: Store) -> None:
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    await store.append_message(room, "user", "alice", "my bill is wrong")
    note = await store.append_message(
        room, "agent", "ann", "customer disputed last month too", visibility="agents"
    )
    await store.append_message(room, "agent", "ann", "let me check")
    assert note.message.private and note.message.seq == 2

    public = [m.body for m in await store.recent_messages(room, 10)]
    assert public == ["my bill is wrong", "let me check"]
    assert [m.seq for m in await store.messages_after(room, 0)] == [1, 3]
    staff = await store.messages_after(room, 0, include_private=True)
    assert [(m.seq, m.visibility) for m in staff] == [(1, "all"), (2, "agents"), (3, "all")]
    last = await store.recent_messages(room, 1, include_private=True)
    assert [m.seq for m in last] == [3]


async def test_a_room_is_rated_once_and_only_when_closed(store: Store) -> None:
    session = await store.create_session("bob", token_digest="d-bob")
    room = session.room_id
    with pytest.raises(Conflict) as early:
        await store.rate_room(room, 4, None)
    assert early.value.code == "room_not_closed"
    await store.set_room_state(room, S.CLOSED, (S.BOT_ACTIVE,))
    rating = await store.rate_room(room, 4, "quick and kind")
    assert (rating.score, rating.comment, rating.user_id) == (4, "quick and kind", "bob")
    assert rating.agent_id is None  # nobody but the bot handled it
    with pytest.raises(Conflict) as again:
        await store.rate_room(room, 1, None)
    assert again.value.code == "already_rated"
    assert await store.rating_for(room) == rating
    with pytest.raises(NotFound):
        await store.rate_room("no-such-room", 3, None)
