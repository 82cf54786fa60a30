"""SQL for rooms: transcripts, state transitions, claims and escalations.

Every write here is one transaction, and each is made before the room announces it: a
crash can lose an unannounced change, never announce a lost one. Which transitions exist
is decided by the room's machine (`supportflow.rooms.machine`), not here: each write that
changes a room's state takes the states it may start from (`expected`, the machine row's
sources) and refuses, `invalid_transition`, when the row is in none of them.

Fencing. In a cluster a room's actor runs where its lease is, and every write it makes
carries the lease's fencing number (`fence=`, keyword-only; None in single-process mode).
The room's `UPDATE sessions`, which every room write makes first, then also requires
`fence <= :fence` and stores the number, in the same transaction as the rest of the write:
once a newer owner has written, the old one's writes find no row and raise `LeaseLost`, and
nothing of them is kept.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, Unit
from supportflow.store.fencing import Fence as _Fence
from supportflow.store.records import (
    EscalationRecord,
    MessageRecord,
    RoomState,
    SessionRecord,
    seconds_between,
    utc_now,
)

_ESCALATION_COLUMNS = "e.*, s.room_id, s.user_id"
_MAX_INTEGER = 2**63 - 1
# Private notes stay out of every read unless the caller asks for them: the customer's
# transcript, the bot's history and previews are safe by default.
_VISIBLE = {False: " AND visibility = 'all'", True: ""}


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
        fenced = _Fence(fence)
        fence_set, fence_where = fenced.set, fenced.where  # fixed fragments, never values
        async with self._db.unit() as sql:
            if client_msg_id is not None:
                if sql.for_update:
                    # The room's row first, so a retry racing its original (another node,
                    # another connection) waits for it and then finds it stored. SQLite's
                    # units run one at a time: nothing to wait for, no statement to pay.
                    await sql.execute(
                        f"SELECT 1 FROM sessions WHERE room_id = ?{sql.for_update}", (room_id,)
                    )
                existing = await _message_by_client_id(sql, room_id, client_msg_id)
                if existing is not None:
                    return StoredMessage(existing, duplicate=True)
            now = utc_now()
            cursor = await sql.execute(
                "UPDATE sessions SET last_seq = last_seq + 1,"
                f" exchange_count = exchange_count + ?, updated_at = ?{fence_set}"
                f" WHERE room_id = ?{fence_where} RETURNING last_seq",
                (int(sender_type == "user"), now, *fenced.params, room_id, *fenced.params),
            )
            row = cursor.fetchone()
            if row is None:
                await fenced.refuse_if_lost(sql, room_id)
                raise NotFound(f"no room {room_id!r}", "room_not_found")
            seq = row[0]
            await sql.execute(
                "INSERT INTO messages (room_id, seq, sender_type, sender_id, body,"
                " client_msg_id, metadata, created_at, visibility)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    room_id,
                    seq,
                    sender_type,
                    sender_id,
                    body,
                    client_msg_id,
                    json.dumps(metadata or {}),
                    now,
                    visibility,
                ),
            )
        record = MessageRecord(
            room_id,
            seq,
            sender_type,
            sender_id,
            body,
            client_msg_id,
            metadata or {},
            now,
            visibility,
        )
        return StoredMessage(record, duplicate=False)

    async def recent_messages(
        self, room_id: str, limit: int, *, include_private: bool = False
    ) -> list[MessageRecord]:
        """The last `limit` messages of a room, oldest first; notes only if `include_private`."""
        rows = await self._db.fetch_all(
            "SELECT * FROM (SELECT * FROM messages WHERE room_id = ?"
            f"{_VISIBLE[include_private]} ORDER BY seq DESC LIMIT ?) AS latest ORDER BY seq",
            (room_id, limit),
        )
        return [MessageRecord.from_row(row) for row in rows]

    async def messages_after(
        self, room_id: str, after_seq: int, limit: int = 1000, *, include_private: bool = False
    ) -> list[MessageRecord]:
        """Messages with seq > `after_seq`, oldest first, at most `limit`; notes only if
        `include_private` (agents and admins)."""
        # Past SQLite's 64-bit INTEGER nothing can match; clamp rather than overflow.
        after_seq = min(after_seq, _MAX_INTEGER)
        rows = await self._db.fetch_all(
            f"SELECT * FROM messages WHERE room_id = ? AND seq > ?{_VISIBLE[include_private]}"
            " ORDER BY seq LIMIT ?",
            (room_id, after_seq, limit),
        )
        return [MessageRecord.from_row(row) for row in rows]

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
        placeholders = _placeholders(expected)  # only '?'s: the states are parameters
        fenced = _Fence(fence)
        fence_set, fence_where = fenced.set, fenced.where  # fixed fragments, never values
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                f"UPDATE sessions SET status = ?, agent_id = NULL, updated_at = ?{fence_set}"
                f" WHERE room_id = ? AND status IN ({placeholders}){fence_where}"
                " RETURNING session_id",
                (
                    RoomState.ESCALATING.value,
                    now,
                    *fenced.params,
                    room_id,
                    *_values(expected),
                    *fenced.params,
                ),
            )
            row = cursor.fetchone()
            if row is None:
                await fenced.refuse_if_lost(sql, room_id)
                raise Conflict(f"room {room_id!r} cannot be escalated now", "invalid_transition")
            await sql.execute(
                "INSERT INTO escalations (escalation_id, session_id, reasons, triggered_at,"
                " team_id, widened_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    escalation_id,
                    row[0],
                    json.dumps(list(reasons)),
                    now,
                    team.team_id if team else None,
                    now if team and team.to_everyone else None,
                ),
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
        placeholders = _placeholders(expected)  # only '?'s: the states are parameters
        fenced = _Fence(fence)
        fence_set, fence_where = fenced.set, fenced.where  # fixed fragments, never values
        async with self._db.unit() as sql:
            await _check_capacity(sql, agent_id)
            cursor = await sql.execute(
                f"UPDATE sessions SET status = ?, agent_id = ?, updated_at = ?{fence_set}"
                f" WHERE room_id = ? AND status IN ({placeholders}){fence_where}"
                " RETURNING session_id",
                (
                    RoomState.AGENT_ASSIGNED.value,
                    agent_id,
                    now,
                    *fenced.params,
                    room_id,
                    *_values(expected),
                    *fenced.params,
                ),
            )
            row = cursor.fetchone()
            if row is None:
                await fenced.refuse_if_lost(sql, room_id)
                raise Conflict("another agent has already claimed this room", "already_claimed")
            cursor = await sql.execute(
                "UPDATE escalations SET status = 'claimed', handled_at = ?, handled_by = ?"
                " WHERE session_id = ? AND status = 'pending' RETURNING escalation_id",
                (now, agent_id, row[0]),
            )
            escalation = cursor.fetchone()
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
        placeholders = _placeholders(expected)  # only '?'s: the states are parameters
        fenced = _Fence(fence)
        fence_set, fence_where = fenced.set, fenced.where  # fixed fragments, never values
        async with self._db.unit() as sql:
            await _check_capacity(sql, to_agent, must_be_available=True)
            cursor = await sql.execute(
                f"UPDATE sessions SET agent_id = ?, updated_at = ?{fence_set}"
                f" WHERE room_id = ? AND agent_id = ? AND status IN ({placeholders})"
                f"{fence_where} RETURNING *",
                (
                    to_agent,
                    utc_now(),
                    *fenced.params,
                    room_id,
                    from_agent,
                    *_values(expected),
                    *fenced.params,
                ),
            )
            row = cursor.fetchone()
            if row is None:
                await fenced.refuse_if_lost(sql, room_id)
                raise Conflict(
                    f"room {room_id!r} is not held by {from_agent!r}", "not_assigned_agent"
                )
            # The claimed escalation names who handles the room now (a reloading console
            # reopens it from there, a rating credits that agent); handled_at stays the claim.
            await sql.execute(
                "UPDATE escalations SET handled_by = ?"
                " WHERE session_id = ? AND status = 'claimed' AND handled_by = ?",
                (to_agent, row["session_id"], from_agent),
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
        placeholders = _placeholders(expected)  # only '?'s: the states are parameters
        fenced = _Fence(fence)
        fence_set, fence_where = fenced.set, fenced.where  # fixed fragments, never values
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                f"UPDATE sessions SET status = ?, agent_id = ?, updated_at = ?{fence_set}"
                f" WHERE room_id = ? AND status IN ({placeholders}){fence_where} RETURNING *",
                (
                    state.value,
                    agent_id,
                    now,
                    *fenced.params,
                    room_id,
                    *_values(expected),
                    *fenced.params,
                ),
            )
            row = cursor.fetchone()
            if row is None:
                await fenced.refuse_if_lost(sql, room_id)
                raise Conflict(
                    f"room {room_id!r} is not in {' or '.join(_values(expected))}",
                    "invalid_transition",
                )
            await sql.execute(
                "UPDATE escalations SET status = 'cancelled', handled_at = ?"
                " WHERE session_id = ? AND status = 'pending'",
                (now, row["session_id"]),
            )
            return SessionRecord.from_row(row)

    async def pending_escalations(self, limit: int = 500) -> list[EscalationRecord]:
        """Escalations waiting for an agent, oldest first."""
        return await self.escalations_with_status("pending", limit)

    async def pending_escalation(self, session_id: str) -> EscalationRecord | None:
        """The escalation a session is waiting on, if any."""
        found = await self._escalations_where(
            "e.status = 'pending' AND e.session_id = ?", (session_id,), 1
        )
        return found[0] if found else None

    async def escalations_with_status(
        self, status: str, limit: int = 500, handled_by: str | None = None
    ) -> list[EscalationRecord]:
        """Escalations in `status`; with `handled_by`, only those that agent handles."""
        if handled_by is None:
            return await self._escalations_where("e.status = ?", (status,), limit)
        return await self._escalations_where(
            "e.status = ? AND e.handled_by = ?", (status, handled_by), limit
        )

    async def queue_position(self, escalation: EscalationRecord) -> int:
        """1 for the oldest pending escalation, and so on; in its team's queue if it has one."""
        same_team = " AND team_id = ?" if escalation.team_id is not None else ""
        row = await self._db.fetch_one(
            f"SELECT COUNT(*) FROM escalations WHERE status = 'pending'{same_team}"
            " AND (triggered_at < ? OR (triggered_at = ? AND escalation_id <= ?))",
            (
                *((escalation.team_id,) if escalation.team_id is not None else ()),
                escalation.triggered_at,
                escalation.triggered_at,
                escalation.escalation_id,
            ),
        )
        return int(row[0]) if row else 1

    async def recent_claim_waits(self, limit: int = 20, team_id: str | None = None) -> list[float]:
        """Seconds from escalation to claim of the last `limit` claimed escalations (of
        `team_id`'s queue, when given)."""
        same_team = " AND team_id = ?" if team_id is not None else ""
        rows = await self._db.fetch_all(
            f"SELECT triggered_at, handled_at FROM escalations WHERE status = 'claimed'{same_team}"
            " ORDER BY handled_at DESC LIMIT ?",
            (*((team_id,) if team_id is not None else ()), limit),
        )
        return [seconds_between(row[0], row[1]) for row in rows]

    async def rooms_held_by(self, agent_id: str) -> list[SessionRecord]:
        rows = await self._db.fetch_all(
            "SELECT * FROM sessions WHERE agent_id = ? AND status = ?",
            (agent_id, RoomState.AGENT_ASSIGNED.value),
        )
        return [SessionRecord.from_row(row) for row in rows]

    async def room_counts(self) -> dict[str, int]:
        """How many rooms are in each state (states with none are left out)."""
        rows = await self._db.fetch_all("SELECT status, COUNT(*) FROM sessions GROUP BY status")
        return {str(row[0]): int(row[1]) for row in rows}

    async def rooms_in_state(self, state: RoomState) -> list[SessionRecord]:
        rows = await self._db.fetch_all("SELECT * FROM sessions WHERE status = ?", (state.value,))
        return [SessionRecord.from_row(row) for row in rows]

    async def rooms_awaiting_reply(self, limit: int = 10_000) -> list[SessionRecord]:
        """`bot_active` rooms whose last message is the customer's: a bot reply is owed."""
        rows = await self._db.fetch_all(
            "SELECT s.* FROM sessions s JOIN messages m"
            " ON m.room_id = s.room_id AND m.seq = s.last_seq"
            " WHERE s.status = ? AND m.sender_type = 'user' LIMIT ?",
            (RoomState.BOT_ACTIVE.value, limit),
        )
        return [SessionRecord.from_row(row) for row in rows]

    async def _escalations_where(
        self, condition: str, params: tuple[Any, ...], limit: int
    ) -> list[EscalationRecord]:
        rows = await self._db.fetch_all(
            f"SELECT {_ESCALATION_COLUMNS} FROM escalations e"
            f" JOIN sessions s ON s.session_id = e.session_id WHERE {condition}"
            " ORDER BY e.triggered_at, e.escalation_id LIMIT ?",
            (*params, limit),
        )
        return [EscalationRecord.from_row(row) for row in rows]


def _placeholders(states: Collection[RoomState]) -> str:
    if not states:
        raise ValueError("a state change needs at least one expected state")
    return ",".join("?" * len(states))


def _values(states: Collection[RoomState]) -> tuple[str, ...]:
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
    cursor = await sql.execute(
        "SELECT is_available, max_concurrent, disabled_at FROM agents"
        f" WHERE agent_id = ?{sql.for_update}",
        (agent_id,),
    )
    agent = cursor.fetchone()
    if agent is None:
        raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
    cursor = await sql.execute(
        "SELECT COUNT(*) FROM sessions WHERE agent_id = ? AND status = ?",
        (agent_id, RoomState.AGENT_ASSIGNED.value),
    )
    rooms = cursor.fetchone()
    available, limit = bool(agent[0]) and agent[2] is None, int(agent[1])
    held = int(rooms[0]) if rooms else 0
    if must_be_available and not available:
        raise Conflict(f"agent {agent_id!r} is not available", "agent_unavailable")
    if held >= limit:
        raise Conflict(f"agent {agent_id!r} already holds {held} of {limit} rooms", "at_capacity")


async def _message_by_client_id(
    sql: Unit, room_id: str, client_msg_id: str
) -> MessageRecord | None:
    cursor = await sql.execute(
        "SELECT * FROM messages WHERE room_id = ? AND client_msg_id = ?", (room_id, client_msg_id)
    )
    row = cursor.fetchone()
    return MessageRecord.from_row(row) if row else None


async def _escalation(sql: Unit, escalation_id: str) -> EscalationRecord:
    cursor = await sql.execute(
        f"SELECT {_ESCALATION_COLUMNS} FROM escalations e"
        " JOIN sessions s ON s.session_id = e.session_id WHERE e.escalation_id = ?",
        (escalation_id,),
    )
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError(f"escalation {escalation_id} vanished in its transaction")
    return EscalationRecord.from_row(row)
