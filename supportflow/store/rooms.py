"""SQL for rooms: transcripts, state transitions, claims and escalations."""

from __future__ import annotations

from supportflow.store.database import Database
from supportflow.store.records import MessageRecord


class RoomsRepository:
    _db: Database

    async def recent_messages(self, room_id: str, limit: int) -> list[MessageRecord]:
        """The last `limit` messages of a room, oldest first."""
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "SELECT * FROM (SELECT * FROM messages WHERE room_id = ?"
                " ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                (room_id, limit),
            )
            rows = await cursor.fetchall()
        return [MessageRecord.from_row(row) for row in rows]

    async def messages_after(
        self, room_id: str, after_seq: int, limit: int = 1000
    ) -> list[MessageRecord]:
        """Messages with seq > `after_seq`, oldest first, at most `limit`."""
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "SELECT * FROM messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (room_id, after_seq, limit),
            )
            rows = await cursor.fetchall()
        return [MessageRecord.from_row(row) for row in rows]
