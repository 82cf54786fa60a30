"""A customer's earlier conversations, for the agent who takes their chat (issue 25)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from supportflow.store.database import Database, Row
from supportflow.store.records import RoomState

TOPIC_CHARS = 140

# One row per earlier chat: what the customer first asked (its topic), why it was escalated,
# who handled it (the last claim, else the agent holding it) and the customer's rating.
# The agent's name is joined outside, on the handler the inner query chose.
_EARLIER = """
SELECT chats.*, a.name AS agent_name FROM (
    SELECT s.session_id, s.room_id, s.status, s.created_at, s.updated_at,
        (SELECT m.body FROM messages m WHERE m.room_id = s.room_id AND m.sender_type = 'user'
          ORDER BY m.seq LIMIT 1) AS first_message,
        (SELECT e.reasons FROM escalations e WHERE e.session_id = s.session_id
          ORDER BY e.triggered_at DESC LIMIT 1) AS reasons,
        COALESCE((SELECT e.handled_by FROM escalations e WHERE e.session_id = s.session_id
          AND e.status = 'claimed' ORDER BY e.handled_at DESC LIMIT 1), s.agent_id) AS handled_by,
        r.score, r.comment
    FROM sessions now_open
    JOIN sessions s ON s.user_id = now_open.user_id AND s.session_id <> now_open.session_id
        AND s.created_at <= now_open.created_at
    LEFT JOIN ratings r ON r.room_id = s.room_id
    WHERE now_open.session_id = ?
) AS chats LEFT JOIN agents a ON a.agent_id = chats.handled_by
ORDER BY chats.created_at DESC, chats.session_id LIMIT ?
"""


@dataclass(frozen=True)
class EarlierConversation:
    session_id: str
    room_id: str
    state: RoomState
    started_at: str
    updated_at: str
    topic: str | None  # the customer's first message, clipped
    reasons: tuple[str, ...]  # why it was last escalated (none: the bot handled it alone)
    agent_id: str | None
    agent_name: str | None
    rating: int | None
    rating_comment: str | None


class CustomerHistoryRepository:
    _db: Database

    async def earlier_conversations(
        self, session_id: str, limit: int = 20
    ) -> list[EarlierConversation]:
        """The other chats of this session's customer that began before it, newest first."""
        rows = await self._db.fetch_all(_EARLIER, (session_id, limit))
        return [_earlier(row) for row in rows]

    async def is_earlier_conversation(self, session_id: str, earlier_id: str) -> bool:
        """Whether `earlier_id` is one of `earlier_conversations(session_id)`."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM sessions now_open JOIN sessions s ON s.user_id = now_open.user_id"
            " WHERE now_open.session_id = ? AND s.session_id = ? AND s.session_id <> ?"
            " AND s.created_at <= now_open.created_at",
            (session_id, earlier_id, session_id),
        )
        return row is not None


def _earlier(row: Row) -> EarlierConversation:
    first = row["first_message"]
    topic = None
    if first:
        topic = first if len(first) <= TOPIC_CHARS else first[: TOPIC_CHARS - 1].rstrip() + "…"
    return EarlierConversation(
        session_id=row["session_id"],
        room_id=row["room_id"],
        state=RoomState(row["status"]),
        started_at=row["created_at"],
        updated_at=row["updated_at"],
        topic=topic,
        reasons=tuple(json.loads(row["reasons"])) if row["reasons"] else (),
        agent_id=row["handled_by"],
        agent_name=row["agent_name"],
        rating=row["score"],
        rating_comment=row["comment"],
    )
