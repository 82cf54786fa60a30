"""Fencing a room's writes with its lease's number, and taking a room over.

In a cluster a room's actor runs where its lease is (`supportflow.cluster.leases`), and every
write it makes carries the lease's fencing number. `RoomUpdate` is the one `UPDATE sessions`
of a room write (`supportflow.store.rooms`), fenced or not. `take_room` is the new owner's
first act: it stores its number on the room BEFORE reading the room's state, so a write the
previous owner still had in flight (an older number) is refused from then on instead of
landing after the read and leaving the new actor with a stale picture of the room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Update, bindparam, select, update

from supportflow.errors import LeaseLost, NotFound
from supportflow.store.database import Database, Row, Unit
from supportflow.store.query import Query
from supportflow.store.records import SessionRecord
from supportflow.store.schema import sessions

_ROOM_FENCE = Query(select(sessions.c.fence).where(sessions.c.room_id == bindparam("room_id")))


class RoomUpdate:
    """A room's `UPDATE sessions`, written once and run fenced (a lease's number) or not.

    `statement` is the update as single-process mode runs it: `update(sessions).values(...)`
    with the conditions beyond the room's id and a RETURNING. The room's condition
    (`room_id = :room_id`) is added here; the fenced form also stores `:fence` on the row and
    requires `fence <= :fence`, so once a newer owner has written, an older one finds no row.
    """

    __slots__ = ("_fenced", "_unfenced")

    def __init__(self, statement: Update) -> None:
        of_room = statement.where(sessions.c.room_id == bindparam("room_id"))
        self._unfenced = Query(of_room)
        self._fenced = Query(
            of_room.values(fence=bindparam("fence")).where(sessions.c.fence <= bindparam("fence"))
        )

    async def run(
        self,
        sql: Unit,
        refusal: Callable[[], Exception],
        /,
        room_id: str,
        fence: int | None,
        **params: Any,
    ) -> Row:
        """The row the update returned. When it found none: LeaseLost if a newer fence is
        why, else `refusal()` (the room is unknown, or not in a state the write starts from;
        a function, so the error is only made when it is raised)."""
        if fence is None:
            rows = await sql.run(self._unfenced, room_id=room_id, **params)
        else:
            rows = await sql.run(self._fenced, room_id=room_id, fence=fence, **params)
        row = rows.fetchone()
        if row is not None:
            return row
        if fence is not None:
            current = (await sql.run(_ROOM_FENCE, room_id=room_id)).fetchone()
            if current is not None and int(current[0]) > fence:
                raise LeaseLost(
                    f"another node owns room {room_id!r} now (lease {current[0]} is newer than"
                    f" {fence}); this write was not made"
                )
        raise refusal()


# Sets nothing of its own: taking a room is storing the fence, which the fenced form does.
_TAKE_ROOM = RoomUpdate(update(sessions).returning(*sessions.c))


class FencingRepository:
    _db: Database

    async def take_room(self, room_id: str, *, fence: int) -> SessionRecord:
        """Store `fence` on the room and return the room as it is from then on.

        Raises LeaseLost when the room already carries a newer number (another node won it
        since), NotFound for an unknown room.
        """
        async with self._db.unit() as sql:
            row = await _TAKE_ROOM.run(
                sql, lambda: NotFound(f"no room {room_id!r}", "room_not_found"), room_id, fence
            )
            return SessionRecord.from_row(row)
