"""The history a bot turn is shown, read from a real SQLite store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from supportflow.rooms.history import conversation_history
from supportflow.store import Store


class CountedReads:
    """The real store, counting `recent_messages` calls (one trip to SQLite's thread each)."""

    def __init__(self, inner: Store) -> None:
        self._inner = inner
        self.reads = 0

    async def recent_messages(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return await self._inner.recent_messages(*args, **kwargs)


@pytest.fixture(name="store")
async def fixture_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "store.db", synchronous="NORMAL")
    yield store
    await store.close()


async def test_a_first_message_is_answered_without_reading_history(store: Store) -> None:
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    first = await store.append_message(room, "user", "alice", "How do I set up voicemail?")
    assert first.message.seq == 1
    counted = CountedReads(store)
    assert await conversation_history(counted, room, 10, before_seq=1) == []  # type: ignore[arg-type]
    assert counted.reads == 0

    await store.append_message(room, "bot", "bot", "Dial 123.")
    second = await store.append_message(room, "user", "alice", "and the PIN?")
    turns = await conversation_history(counted, room, 10, before_seq=second.message.seq)  # type: ignore[arg-type]
    assert [(t.sender_type, t.text) for t in turns] == [
        ("user", "How do I set up voicemail?"),
        ("bot", "Dial 123."),
    ]
    assert counted.reads == 1
