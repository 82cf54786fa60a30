"""Fencing a room's writes with its lease's number, and taking a room over.

In a cluster a room's actor runs where its lease is (`supportflow.cluster.leases`), and every
write it makes carries the lease's fencing number. `Fence` is the SQL that does it in each
room write (`supportflow.store.rooms`). `take_room` is the new owner's first act: it stores
its number on the room BEFORE reading the room's state, so a write the previous owner still
had in flight (an older number) is refused from then on instead of landing after the read
and leaving the new actor with a stale picture of the room.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportflow.errors import LeaseLost, NotFound
from supportflow.store.database import Database, Unit
from supportflow.store.records import SessionRecord


@dataclass(frozen=True)
class Fence:
    """The SQL that fences a room's `UPDATE sessions` with a lease's number (or does not)."""

    fence: int | None

    @property
    def set(self) -> str:
        return "" if self.fence is None else ", fence = ?"

    @property
    def where(self) -> str:
        return "" if self.fence is None else " AND fence <= ?"

    @property
    def params(self) -> tuple[int, ...]:
        return () if self.fence is None else (self.fence,)

    async def refuse_if_lost(self, sql: Unit, room_id: str) -> None:
        """Raise LeaseLost if the room's UPDATE found no row because of a newer fence."""
        if self.fence is None:
            return
        cursor = await sql.execute("SELECT fence FROM sessions WHERE room_id = ?", (room_id,))
        row = cursor.fetchone()
        if row is not None and int(row[0]) > self.fence:
            raise LeaseLost(
                f"another node owns room {room_id!r} now (lease {row[0]} is newer than"
                f" {self.fence}); this write was not made"
            )


class FencingRepository:
    _db: Database

    async def take_room(self, room_id: str, *, fence: int) -> SessionRecord:
        """Store `fence` on the room and return the room as it is from then on.

        Raises LeaseLost when the room already carries a newer number (another node won it
        since), NotFound for an unknown room.
        """
        fenced = Fence(fence)
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "UPDATE sessions SET fence = ? WHERE room_id = ? AND fence <= ? RETURNING *",
                (fence, room_id, fence),
            )
            row = cursor.fetchone()
            if row is None:
                await fenced.refuse_if_lost(sql, room_id)
                raise NotFound(f"no room {room_id!r}", "room_not_found")
            return SessionRecord.from_row(row)
