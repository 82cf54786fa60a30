"""The conversation a responder is shown: one definition for rooms and `POST /api/ask`."""

from __future__ import annotations

from supportflow.rooms.responder import Turn
from supportflow.store import Store


async def conversation_history(
    store: Store, room_id: str, limit: int, before_seq: int | None = None
) -> list[Turn]:
    """The room's last `limit` messages as turns, oldest first; only those before
    `before_seq` when given (a room answering a stored message leaves that one out)."""
    if before_seq is not None and before_seq <= 1:
        # A room's seqs start at 1 with no gaps: nothing precedes its first message, so a
        # first message (most chats' only bot turn) costs no read. Issue 23's profile: the
        # read was the loop's largest hand-off to the database thread at 50 rooms.
        return []
    records = await store.recent_messages(room_id, limit)
    return [
        Turn(record.sender_type, record.body, record.metadata)
        for record in records
        if before_seq is None or record.seq < before_seq
    ]
