"""SQL writes of rooms: messages, state transitions, claims and escalations (the reads are
in `room_reads.py`).

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

from sqlalchemy import bindparam, func, insert, literal, select, update

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, Unit
from supportflow.store.fencing import RoomUpdate
from supportflow.store.query import Query, named_binds
from supportflow.store.records import (
    EscalationRecord,
    MessageRecord,
    RoomState,
    SessionRecord,
    utc_now,
)
from supportflow.store.room_reads import escalations_with_room
from supportflow.store.schema import agents, escalations, messages, sessions

_ROOM = sessions.c.room_id == bindparam("room_id")
_EXPECTED = sessions.c.status.in_(bindparam("expected", expanding=True))


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
_ESCALATE = RoomUpdate(
    update(sessions)
    .values(status=RoomState.ESCALATING.value, agent_id=None, updated_at=bindparam("now"))
    .where(_EXPECTED)
    .returning(sessions.c.session_id)
)
_QUEUE_ESCALATION = Query(
    insert(escalations).values(
        named_binds(
            "escalation_id", "session_id", "reasons", "triggered_at", "team_id", "widened_at"
        )
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

_ESCALATION = Query(
    escalations_with_room().where(escalations.c.escalation_id == bindparam("escalation_id"))
)
# The agent's row is locked (PostgreSQL) before its rooms are counted: see _check_capacity.
_AGENT_FOR_ASSIGNMENT = Query(
    select(agents.c.is_available, agents.c.max_concurrent, agents.c.disabled_at)
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
class TeamRoute:
    """Where an escalation goes first: `team_id`'s agents, or at once everyone as well
    (`to_everyone`: nobody of the team is available)."""

    team_id: str
    to_everyone: bool = False


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
                lambda: NotFound(f"no room {room_id!r}", "room_not_found"),
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

    async def open_escalation(
        self,
        room_id: str,
        reasons: tuple[str, ...],
        expected: Collection[RoomState],
        *,
        team: TeamRoute | None = None,
        fence: int | None = None,
    ) -> EscalationRecord:
        """Move the room from one of `expected` to `escalating` and queue a pending
        escalation, atomically; `team`: the team it goes to first (None: everyone)."""
        escalation_id = str(uuid.uuid4())
        now = utc_now()
        async with self._db.unit() as sql:
            row = await _ESCALATE.run(
                sql,
                lambda: Conflict(f"room {room_id!r} cannot be escalated now", "invalid_transition"),
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
                team_id=team.team_id if team else None,
                widened_at=now if team and team.to_everyone else None,
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
                lambda: Conflict("another agent has already claimed this room", "already_claimed"),
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
                lambda: Conflict(
                    f"room {room_id!r} is not held by {from_agent!r}", "not_assigned_agent"
                ),
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
                lambda: Conflict(
                    f"room {room_id!r} is not in {' or '.join(states)}", "invalid_transition"
                ),
                room_id,
                fence,
                state=state.value,
                agent=agent_id,
                now=now,
                expected=states,
            )
            await sql.run(_CANCEL_ESCALATION, now=now, session=row["session_id"])
            return SessionRecord.from_row(row)


def _values(states: Collection[RoomState]) -> tuple[str, ...]:
    if not states:
        raise ValueError("a state change needs at least one expected state")
    return tuple(state.value for state in states)


async def _check_capacity(sql: Unit, agent_id: str, must_be_available: bool = False) -> None:
    """Refuse an unknown agent (NotFound), an unavailable or disabled one when
    `must_be_available` (Conflict `agent_unavailable`: an admin may set a disabled agent's
    availability back on, and it still may not be handed rooms), one already holding
    `max_concurrent` rooms (Conflict `at_capacity`). Inside the caller's transaction, so
    nothing changes before its UPDATE.

    On PostgreSQL the agent's row is locked first and the rooms counted after, in a second
    statement: two claims for one agent (from two nodes) then take turns, and the second
    counts the first's room. (One statement would count from before its lock wait.)"""
    agent = (await sql.run(_AGENT_FOR_ASSIGNMENT, agent_id=agent_id)).fetchone()
    if agent is None:
        raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
    rooms = (await sql.run(_ROOMS_HELD, agent_id=agent_id)).fetchone()
    available, limit = bool(agent[0]) and agent[2] is None, int(agent[1])
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
