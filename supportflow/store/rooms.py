"""SQL for rooms: transcripts, state transitions, claims and escalations.

Every write here is one transaction, and each is made before the room announces it: a
crash can lose an unannounced change, never announce a lost one. Which transitions exist
is decided by the room's machine (`supportflow.rooms.machine`), not here: each write that
changes a room's state takes the states it may start from (`expected`, the machine row's
sources) and refuses, `invalid_transition`, when the row is in none of them.

Fencing. In a cluster a room's actor runs where its lease is, and every write it makes
carries the lease's fencing number (`fence=`, keyword-only; None in single-process mode).
The room's `UPDATE sessions`, which every room write makes first, is a `RoomUpdate`
(`fencing.py`): fenced, it also requires `fence <= :fence` and stores the number, in the
same transaction as the rest of the write: once a newer owner has written, the old one's
writes find no row and raise `LeaseLost`, and nothing of them is kept.

Every statement is a `Query` built here once against `schema.py` (docs/database.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, insert, literal, or_, select, update

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, Unit
from supportflow.store.fencing import RoomUpdate
from supportflow.store.query import Query, named_binds
from supportflow.store.records import (
    EscalationRecord,
    MessageRecord,
    RoomState,
    SessionRecord,
    seconds_between,
    utc_now,
)
from supportflow.store.schema import agents, escalations, messages, sessions

_MAX_INTEGER = 2**63 - 1
_ROOM = sessions.c.room_id == bindparam("room_id")
_EXPECTED = sessions.c.status.in_(bindparam("expected", expanding=True))


def _visible(include_private: bool) -> tuple[Any, ...]:
    """Private notes stay out of every read unless the caller asks for them: the customer's
    transcript, the bot's history and previews are safe by default."""
    return () if include_private else (messages.c.visibility == "all",)


def _recent(include_private: bool) -> Query:
    latest = (
        select(messages)
        .where(messages.c.room_id == bindparam("room_id"), *_visible(include_private))
        .order_by(messages.c.seq.desc())
        .limit(bindparam("limit"))
        .subquery("latest")
    )
    return Query(select(latest).order_by(latest.c.seq))


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


def _escalations() -> Select[Any]:
    """Escalations with their room and customer (what an EscalationRecord holds)."""
    return select(escalations, sessions.c.room_id, sessions.c.user_id).join_from(
        escalations, sessions, sessions.c.session_id == escalations.c.session_id
    )


def _escalations_in_queue_order(*conditions: Any) -> Query:
    return Query(
        _escalations()
        .where(*conditions)
        .order_by(escalations.c.triggered_at, escalations.c.escalation_id)
        .limit(bindparam("limit"))
    )


# The room's row, locked: a message retry racing its original waits for it.
_LOCK_ROOM = Query(select(literal(1)).where(_ROOM).with_for_update())
_MESSAGE_BY_CLIENT_ID = Query(
    select(messages).where(
        messages.c.room_id == bindparam("room_id"),
        messages.c.client_msg_id == bindparam("client_msg_id"),
    )
)
_NEXT_SEQ = RoomUpdate(
    update(sessions)
    .values(
        last_seq=sessions.c.last_seq + 1,
        exchange_count=sessions.c.exchange_count + bindparam("exchanges"),
        updated_at=bindparam("now"),
    )
    .returning(sessions.c.last_seq)
)
_INSERT_MESSAGE = Query(
    insert(messages).values(
        named_binds(
            "room_id",
            "seq",
            "sender_type",
            "sender_id",
            "body",
            "client_msg_id",
            "metadata",
            "created_at",
            "visibility",
        )
    )
)
_RECENT = {private: _recent(private) for private in (False, True)}
_AFTER = {private: _after(private) for private in (False, True)}

_ESCALATE = RoomUpdate(
    update(sessions)
    .values(status=RoomState.ESCALATING.value, agent_id=None, updated_at=bindparam("now"))
    .where(_EXPECTED)
    .returning(sessions.c.session_id)
)
_QUEUE_ESCALATION = Query(
    insert(escalations).values(
        named_binds("escalation_id", "session_id", "reasons", "triggered_at")
    )
)
_CLAIM = RoomUpdate(
    update(sessions)
    .values(
        status=RoomState.AGENT_ASSIGNED.value,
        agent_id=bindparam("agent"),
        updated_at=bindparam("now"),
    )
    .where(_EXPECTED)
    .returning(sessions.c.session_id)
)
_CLAIM_ESCALATION = Query(
    update(escalations)
    .values(status="claimed", handled_at=bindparam("now"), handled_by=bindparam("agent"))
    .where(escalations.c.session_id == bindparam("session"), escalations.c.status == "pending")
    .returning(escalations.c.escalation_id)
)
_TRANSFER = RoomUpdate(
    update(sessions)
    .values(agent_id=bindparam("to_agent"), updated_at=bindparam("now"))
    .where(sessions.c.agent_id == bindparam("from_agent"), _EXPECTED)
    .returning(*sessions.c)
)
_TRANSFER_ESCALATION = Query(
    update(escalations)
    .values(handled_by=bindparam("to_agent"))
    .where(
        escalations.c.session_id == bindparam("session"),
        escalations.c.status == "claimed",
        escalations.c.handled_by == bindparam("from_agent"),
    )
)
_SET_STATE = RoomUpdate(
    update(sessions)
    .values(status=bindparam("state"), agent_id=bindparam("agent"), updated_at=bindparam("now"))
    .where(_EXPECTED)
    .returning(*sessions.c)
)
_CANCEL_ESCALATION = Query(
    update(escalations)
    .values(status="cancelled", handled_at=bindparam("now"))
    .where(escalations.c.session_id == bindparam("session"), escalations.c.status == "pending")
)

_PENDING_OF_SESSION = _escalations_in_queue_order(
    escalations.c.status == "pending", escalations.c.session_id == bindparam("session_id")
)
_WITH_STATUS = _escalations_in_queue_order(escalations.c.status == bindparam("status"))
_ESCALATION = Query(_escalations().where(escalations.c.escalation_id == bindparam("escalation_id")))
_QUEUE_POSITION = Query(
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
    )
)
_CLAIM_WAITS = Query(
    select(escalations.c.triggered_at, escalations.c.handled_at)
    .where(escalations.c.status == "claimed")
    .order_by(escalations.c.handled_at.desc())
    .limit(bindparam("limit"))
)
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
# The agent's row is locked (PostgreSQL) before its rooms are counted: see _check_capacity.
_AGENT_FOR_ASSIGNMENT = Query(
    select(agents.c.is_available, agents.c.max_concurrent)
    .where(agents.c.agent_id == bindparam("agent_id"))
    .with_for_update()
)
_ROOMS_HELD = Query(
    select(func.count())
    .select_from(sessions)
    .where(
        sessions.c.agent_id == bindparam("agent_id"),
        sessions.c.status == RoomState.AGENT_ASSIGNED.value,
    )
)


@dataclass(frozen=True)
class StoredMessage:
    """A message as stored; `duplicate` when its client_msg_id had been seen before."""

    message: MessageRecord
    duplicate: bool


class RoomsRepository:
    _db: Database

    async def append_message(
        self,
        room_id: str,
        sender_type: str,
        sender_id: str | None,
        body: str,
        client_msg_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        visibility: str = "all",
        *,
        fence: int | None = None,
    ) -> StoredMessage:
        """Store a message with the room's next seq; a repeated client_msg_id stores nothing.

        Customer messages also count one exchange (the long-conversation rule reads it).
        `visibility="agents"` stores a private note (agents and admins only).
        """
        async with self._db.unit() as sql:
            if client_msg_id is not None:
                if sql.row_locks:
                    # The room's row first, so a retry racing its original (another node,
                    # another connection) waits for it and then finds it stored. SQLite's
                    # units run one at a time: nothing to wait for, no statement to pay.
                    await sql.run(_LOCK_ROOM, room_id=room_id)
                existing = await _message_by_client_id(sql, room_id, client_msg_id)
                if existing is not None:
                    return StoredMessage(existing, duplicate=True)
            now = utc_now()
            row = await _NEXT_SEQ.run(
                sql,
                NotFound(f"no room {room_id!r}", "room_not_found"),
                room_id,
                fence,
                exchanges=int(sender_type == "user"),
                now=now,
            )
            record = MessageRecord(
                room_id,
                row[0],
                sender_type,
                sender_id,
                body,
                client_msg_id,
                metadata or {},
                now,
                visibility,
            )
            await sql.run(
                _INSERT_MESSAGE,
                room_id=room_id,
                seq=record.seq,
                sender_type=sender_type,
                sender_id=sender_id,
                body=body,
                client_msg_id=client_msg_id,
                metadata=json.dumps(record.metadata),
                created_at=now,
                visibility=visibility,
            )
        return StoredMessage(record, duplicate=False)

    async def recent_messages(
        self, room_id: str, limit: int, *, include_private: bool = False
    ) -> list[MessageRecord]:
        """The last `limit` messages of a room, oldest first; notes only if `include_private`."""
        rows = await self._db.read(_RECENT[include_private], room_id=room_id, limit=limit)
        return [MessageRecord.from_row(row) for row in rows]

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

    async def open_escalation(
        self,
        room_id: str,
        reasons: tuple[str, ...],
        expected: Collection[RoomState],
        *,
        fence: int | None = None,
    ) -> EscalationRecord:
        """Move the room from one of `expected` to `escalating` and queue a pending
        escalation, atomically."""
        escalation_id = str(uuid.uuid4())
        now = utc_now()
        async with self._db.unit() as sql:
            row = await _ESCALATE.run(
                sql,
                Conflict(f"room {room_id!r} cannot be escalated now", "invalid_transition"),
                room_id,
                fence,
                now=now,
                expected=_values(expected),
            )
            await sql.run(
                _QUEUE_ESCALATION,
                escalation_id=escalation_id,
                session_id=row[0],
                reasons=json.dumps(list(reasons)),
                triggered_at=now,
            )
            return await _escalation(sql, escalation_id)

    async def claim_room(
        self,
        room_id: str,
        agent_id: str,
        expected: Collection[RoomState],
        *,
        fence: int | None = None,
    ) -> EscalationRecord:
        """Give a room in one of `expected` to `agent_id`: one conditional UPDATE, capacity
        checked in the same transaction (the machine has no capacity guard: this is it).

        Raises Conflict `already_claimed` when the room is no longer waiting, `at_capacity`
        when the agent already holds `max_concurrent` rooms, NotFound for an unknown agent.
        """
        now = utc_now()
        async with self._db.unit() as sql:
            await _check_capacity(sql, agent_id)
            row = await _CLAIM.run(
                sql,
                Conflict("another agent has already claimed this room", "already_claimed"),
                room_id,
                fence,
                agent=agent_id,
                now=now,
                expected=_values(expected),
            )
            escalation = (
                await sql.run(_CLAIM_ESCALATION, now=now, agent=agent_id, session=row[0])
            ).fetchone()
            if escalation is None:
                raise Conflict("this room has no pending escalation", "already_claimed")
            return await _escalation(sql, escalation[0])

    async def transfer_room(
        self,
        room_id: str,
        from_agent: str,
        to_agent: str,
        expected: Collection[RoomState],
        *,
        fence: int | None = None,
    ) -> SessionRecord:
        """Hand a room `from_agent` holds (in one of `expected`) to `to_agent`, atomically.

        The target must exist (NotFound `agent_not_found`), be available (Conflict
        `agent_unavailable`) and have room for one more (Conflict `at_capacity`), all read in
        the same transaction as the conditional UPDATE; Conflict `not_assigned_agent` when
        the room is no longer `from_agent`'s. The claimed escalation's `handled_by` follows.
        """
        async with self._db.unit() as sql:
            await _check_capacity(sql, to_agent, must_be_available=True)
            row = await _TRANSFER.run(
                sql,
                Conflict(f"room {room_id!r} is not held by {from_agent!r}", "not_assigned_agent"),
                room_id,
                fence,
                to_agent=to_agent,
                from_agent=from_agent,
                now=utc_now(),
                expected=_values(expected),
            )
            # The claimed escalation names who handles the room now (a reloading console
            # reopens it from there, a rating credits that agent); handled_at stays the claim.
            await sql.run(
                _TRANSFER_ESCALATION,
                to_agent=to_agent,
                from_agent=from_agent,
                session=row["session_id"],
            )
            return SessionRecord.from_row(row)

    async def set_room_state(
        self,
        room_id: str,
        state: RoomState,
        expected: Collection[RoomState],
        agent_id: str | None = None,
        *,
        fence: int | None = None,
    ) -> SessionRecord:
        """Set a room's state (and agent) if it is in one of `expected`; cancel its queue entry
        when it leaves `escalating` for anything but a claim."""
        now = utc_now()
        states = _values(expected)
        async with self._db.unit() as sql:
            row = await _SET_STATE.run(
                sql,
                Conflict(f"room {room_id!r} is not in {' or '.join(states)}", "invalid_transition"),
                room_id,
                fence,
                state=state.value,
                agent=agent_id,
                now=now,
                expected=states,
            )
            await sql.run(_CANCEL_ESCALATION, now=now, session=row["session_id"])
            return SessionRecord.from_row(row)

    async def pending_escalations(self, limit: int = 500) -> list[EscalationRecord]:
        """Escalations waiting for an agent, oldest first."""
        return await self.escalations_with_status("pending", limit)

    async def pending_escalation(self, session_id: str) -> EscalationRecord | None:
        """The escalation a session is waiting on, if any."""
        row = await self._db.read_one(_PENDING_OF_SESSION, session_id=session_id, limit=1)
        return EscalationRecord.from_row(row) if row else None

    async def escalations_with_status(
        self, status: str, limit: int = 500
    ) -> list[EscalationRecord]:
        rows = await self._db.read(_WITH_STATUS, status=status, limit=limit)
        return [EscalationRecord.from_row(row) for row in rows]

    async def queue_position(self, escalation: EscalationRecord) -> int:
        """1 for the oldest pending escalation, and so on."""
        row = await self._db.read_one(
            _QUEUE_POSITION,
            triggered_at=escalation.triggered_at,
            escalation_id=escalation.escalation_id,
        )
        return int(row[0]) if row else 1

    async def recent_claim_waits(self, limit: int = 20) -> list[float]:
        """Seconds from escalation to claim of the last `limit` claimed escalations."""
        rows = await self._db.read(_CLAIM_WAITS, limit=limit)
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


def _values(states: Collection[RoomState]) -> tuple[str, ...]:
    if not states:
        raise ValueError("a state change needs at least one expected state")
    return tuple(state.value for state in states)


async def _check_capacity(sql: Unit, agent_id: str, must_be_available: bool = False) -> None:
    """Refuse an unknown agent (NotFound), an unavailable one when `must_be_available`
    (Conflict `agent_unavailable`), one already holding `max_concurrent` rooms (Conflict
    `at_capacity`). Inside the caller's transaction, so nothing changes before its UPDATE.

    On PostgreSQL the agent's row is locked first and the rooms counted after, in a second
    statement: two claims for one agent (from two nodes) then take turns, and the second
    counts the first's room. (One statement would count from before its lock wait.)"""
    agent = (await sql.run(_AGENT_FOR_ASSIGNMENT, agent_id=agent_id)).fetchone()
    if agent is None:
        raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
    rooms = (await sql.run(_ROOMS_HELD, agent_id=agent_id)).fetchone()
    available, limit = bool(agent[0]), int(agent[1])
    held = int(rooms[0]) if rooms else 0
    if must_be_available and not available:
        raise Conflict(f"agent {agent_id!r} is not available", "agent_unavailable")
    if held >= limit:
        raise Conflict(f"agent {agent_id!r} already holds {held} of {limit} rooms", "at_capacity")


async def _message_by_client_id(
    sql: Unit, room_id: str, client_msg_id: str
) -> MessageRecord | None:
    row = (
        await sql.run(_MESSAGE_BY_CLIENT_ID, room_id=room_id, client_msg_id=client_msg_id)
    ).fetchone()
    return MessageRecord.from_row(row) if row else None


async def _escalation(sql: Unit, escalation_id: str) -> EscalationRecord:
    row = (await sql.run(_ESCALATION, escalation_id=escalation_id)).fetchone()
    if row is None:
        raise RuntimeError(f"escalation {escalation_id} vanished in its transaction")
    return EscalationRecord.from_row(row)
