"""SQL reads of rooms and the escalation queue: transcripts, and what the console, the
metrics and the start-up recovery look at. The writes that change a room are in `rooms.py`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_, select

from supportflow.store.database import Database
from supportflow.store.query import Query
from supportflow.store.records import (
    EscalationRecord,
    MessageRecord,
    RoomState,
    SessionRecord,
    seconds_between,
)
from supportflow.store.schema import escalations, messages, sessions

_MAX_INTEGER = 2**63 - 1


def _visible(include_private: bool) -> tuple[Any, ...]:
    """Private notes stay out of every read unless the caller asks for them: the customer's
    transcript, the bot's history and previews are safe by default."""
    return () if include_private else (messages.c.visibility == "all",)


def _recent(include_private: bool) -> Query:
    """The newest first: the caller turns them round. (Sorting them back in SQL, over a
    subquery, cost a third more per read on SQLite.)"""
    return Query(
        select(messages)
        .where(messages.c.room_id == bindparam("room_id"), *_visible(include_private))
        .order_by(messages.c.seq.desc())
        .limit(bindparam("limit"))
    )


def _after(include_private: bool) -> Query:
    return Query(
        select(messages)
        .where(
            messages.c.room_id == bindparam("room_id"),
            messages.c.seq > bindparam("after_seq"),
            *_visible(include_private),
        )
        .order_by(messages.c.seq)
        .limit(bindparam("limit"))
    )


_RECENT = {private: _recent(private) for private in (False, True)}
_AFTER = {private: _after(private) for private in (False, True)}


def escalations_with_room() -> Select[Any]:
    """Escalations with their room and customer (what an EscalationRecord holds)."""
    return select(escalations, sessions.c.room_id, sessions.c.user_id).join_from(
        escalations, sessions, sessions.c.session_id == escalations.c.session_id
    )


def _escalations_in_queue_order(*conditions: Any) -> Query:
    return Query(
        escalations_with_room()
        .where(*conditions)
        .order_by(escalations.c.triggered_at, escalations.c.escalation_id)
        .limit(bindparam("limit"))
    )


_PENDING_OF_SESSION = _escalations_in_queue_order(
    escalations.c.status == "pending", escalations.c.session_id == bindparam("session_id")
)
_WITH_STATUS = _escalations_in_queue_order(escalations.c.status == bindparam("status"))
_WITH_STATUS_HANDLED_BY = _escalations_in_queue_order(
    escalations.c.status == bindparam("status"),
    escalations.c.handled_by == bindparam("handled_by"),
)


def _queue_position(*conditions: Any) -> Query:
    return Query(
        select(func.count())
        .select_from(escalations)
        .where(
            escalations.c.status == "pending",
            or_(
                escalations.c.triggered_at < bindparam("triggered_at"),
                and_(
                    escalations.c.triggered_at == bindparam("triggered_at"),
                    escalations.c.escalation_id <= bindparam("escalation_id"),
                ),
            ),
            *conditions,
        )
    )


def _claim_waits(*conditions: Any) -> Query:
    return Query(
        select(escalations.c.triggered_at, escalations.c.handled_at)
        .where(escalations.c.status == "claimed", *conditions)
        .order_by(escalations.c.handled_at.desc())
        .limit(bindparam("limit"))
    )


_OF_TEAM = escalations.c.team_id == bindparam("team_id")
# Everyone's queue, and one team's (an escalation routed to a team waits in its queue).
_QUEUE_POSITION = {False: _queue_position(), True: _queue_position(_OF_TEAM)}
_CLAIM_WAITS = {False: _claim_waits(), True: _claim_waits(_OF_TEAM)}
_HELD_BY = Query(
    select(sessions).where(
        sessions.c.agent_id == bindparam("agent_id"),
        sessions.c.status == RoomState.AGENT_ASSIGNED.value,
    )
)
_ROOM_COUNTS = Query(select(sessions.c.status, func.count()).group_by(sessions.c.status))
_IN_STATE = Query(select(sessions).where(sessions.c.status == bindparam("status")))
_AWAITING_REPLY = Query(
    select(sessions)
    .join_from(
        sessions,
        messages,
        and_(messages.c.room_id == sessions.c.room_id, messages.c.seq == sessions.c.last_seq),
    )
    .where(sessions.c.status == RoomState.BOT_ACTIVE.value, messages.c.sender_type == "user")
    .limit(bindparam("limit"))
)


class RoomReadsRepository:
    _db: Database

    async def recent_messages(
        self, room_id: str, limit: int, *, include_private: bool = False
    ) -> list[MessageRecord]:
        """The last `limit` messages of a room, oldest first; notes only if `include_private`."""
        newest = await self._db.read(_RECENT[include_private], room_id=room_id, limit=limit)
        return [MessageRecord.from_row(row) for row in reversed(newest)]

    async def messages_after(
        self, room_id: str, after_seq: int, limit: int = 1000, *, include_private: bool = False
    ) -> list[MessageRecord]:
        """Messages with seq > `after_seq`, oldest first, at most `limit`; notes only if
        `include_private` (agents and admins)."""
        # Past SQLite's 64-bit INTEGER nothing can match; clamp rather than overflow.
        rows = await self._db.read(
            _AFTER[include_private],
            room_id=room_id,
            after_seq=min(after_seq, _MAX_INTEGER),
            limit=limit,
        )
        return [MessageRecord.from_row(row) for row in rows]

    async def pending_escalations(self, limit: int = 500) -> list[EscalationRecord]:
        """Escalations waiting for an agent, oldest first."""
        return await self.escalations_with_status("pending", limit)

    async def pending_escalation(self, session_id: str) -> EscalationRecord | None:
        """The escalation a session is waiting on, if any."""
        row = await self._db.read_one(_PENDING_OF_SESSION, session_id=session_id, limit=1)
        return EscalationRecord.from_row(row) if row else None

    async def escalations_with_status(
        self, status: str, limit: int = 500, handled_by: str | None = None
    ) -> list[EscalationRecord]:
        """Escalations in `status`; with `handled_by`, only those that agent handles."""
        if handled_by is None:
            rows = await self._db.read(_WITH_STATUS, status=status, limit=limit)
        else:
            rows = await self._db.read(
                _WITH_STATUS_HANDLED_BY, status=status, handled_by=handled_by, limit=limit
            )
        return [EscalationRecord.from_row(row) for row in rows]

    async def queue_position(self, escalation: EscalationRecord) -> int:
        """1 for the oldest pending escalation, and so on; in its team's queue if it has one."""
        team = {} if escalation.team_id is None else {"team_id": escalation.team_id}
        row = await self._db.read_one(
            _QUEUE_POSITION[bool(team)],
            triggered_at=escalation.triggered_at,
            escalation_id=escalation.escalation_id,
            **team,
        )
        return int(row[0]) if row else 1

    async def recent_claim_waits(self, limit: int = 20, team_id: str | None = None) -> list[float]:
        """Seconds from escalation to claim of the last `limit` claimed escalations (of
        `team_id`'s queue, when given)."""
        team = {} if team_id is None else {"team_id": team_id}
        rows = await self._db.read(_CLAIM_WAITS[bool(team)], limit=limit, **team)
        return [seconds_between(row[0], row[1]) for row in rows]

    async def rooms_held_by(self, agent_id: str) -> list[SessionRecord]:
        rows = await self._db.read(_HELD_BY, agent_id=agent_id)
        return [SessionRecord.from_row(row) for row in rows]

    async def room_counts(self) -> dict[str, int]:
        """How many rooms are in each state (states with none are left out)."""
        rows = await self._db.read(_ROOM_COUNTS)
        return {str(row[0]): int(row[1]) for row in rows}

    async def rooms_in_state(self, state: RoomState) -> list[SessionRecord]:
        rows = await self._db.read(_IN_STATE, status=state.value)
        return [SessionRecord.from_row(row) for row in rows]

    async def rooms_awaiting_reply(self, limit: int = 10_000) -> list[SessionRecord]:
        """`bot_active` rooms whose last message is the customer's: a bot reply is owed."""
        rows = await self._db.read(_AWAITING_REPLY, limit=limit)
        return [SessionRecord.from_row(row) for row in rows]
