"""A customer's earlier conversations, for the agent who takes their chat (issue 25)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, func, literal, select

from supportflow.store.database import Database, Row
from supportflow.store.query import Query
from supportflow.store.records import RoomState
from supportflow.store.schema import agents, escalations, messages, ratings, sessions

TOPIC_CHARS = 140

# The chat an agent has open, and the same customer's chats that began before it.
_now_open = sessions.alias("now_open")
_earlier_chat = sessions.alias("s")
_EARLIER_CHATS = _now_open.join(
    _earlier_chat,
    and_(
        _earlier_chat.c.user_id == _now_open.c.user_id,
        _earlier_chat.c.session_id != _now_open.c.session_id,
        _earlier_chat.c.created_at <= _now_open.c.created_at,
    ),
)
_OF_OPEN_CHAT = _now_open.c.session_id == bindparam("session_id")

# One row per earlier chat: what the customer first asked (its topic), why it was escalated,
# who handled it (the last claim, else the agent holding it) and the customer's rating.
_first_message = (
    select(messages.c.body)
    .where(messages.c.room_id == _earlier_chat.c.room_id, messages.c.sender_type == "user")
    .order_by(messages.c.seq)
    .limit(1)
    .scalar_subquery()
)
_escalations_of_chat = escalations.c.session_id == _earlier_chat.c.session_id
_last_reasons = (
    select(escalations.c.reasons)
    .where(_escalations_of_chat)
    .order_by(escalations.c.triggered_at.desc())
    .limit(1)
    .scalar_subquery()
)
_last_claimed_by = (
    select(escalations.c.handled_by)
    .where(_escalations_of_chat, escalations.c.status == "claimed")
    .order_by(escalations.c.handled_at.desc())
    .limit(1)
    .scalar_subquery()
)
_chats = (
    select(
        _earlier_chat.c.session_id,
        _earlier_chat.c.room_id,
        _earlier_chat.c.status,
        _earlier_chat.c.created_at,
        _earlier_chat.c.updated_at,
        _first_message.label("first_message"),
        _last_reasons.label("reasons"),
        func.coalesce(_last_claimed_by, _earlier_chat.c.agent_id).label("handled_by"),
        ratings.c.score,
        ratings.c.comment,
    )
    .select_from(_EARLIER_CHATS.outerjoin(ratings, ratings.c.room_id == _earlier_chat.c.room_id))
    .where(_OF_OPEN_CHAT)
    .subquery("chats")
)
# The agent's name is joined outside, on the handler the inner query chose.
_EARLIER = Query(
    select(_chats, agents.c.name.label("agent_name"))
    .select_from(_chats.outerjoin(agents, agents.c.agent_id == _chats.c.handled_by))
    .order_by(_chats.c.created_at.desc(), _chats.c.session_id)
    .limit(bindparam("limit"))
)
_IS_EARLIER = Query(
    select(literal(1))
    .select_from(_EARLIER_CHATS)
    .where(_OF_OPEN_CHAT, _earlier_chat.c.session_id == bindparam("earlier_id"))
)


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
        rows = await self._db.read(_EARLIER, session_id=session_id, limit=limit)
        return [_earlier(row) for row in rows]

    async def is_earlier_conversation(self, session_id: str, earlier_id: str) -> bool:
        """Whether `earlier_id` is one of `earlier_conversations(session_id)`."""
        row = await self._db.read_one(_IS_EARLIER, session_id=session_id, earlier_id=earlier_id)
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
