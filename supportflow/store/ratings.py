"""SQL for customer ratings (CSAT): one per closed room."""

from __future__ import annotations

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError
from supportflow.store.records import RatingRecord, utc_now


class RatingsRepository:
    _db: Database

    async def rate_room(self, room_id: str, score: int, comment: str | None) -> RatingRecord:
        """Store the customer's rating of a closed room, once.

        Raises NotFound `room_not_found`, Conflict `room_not_closed` while the room is
        open, Conflict `already_rated` for a second rating. The rating names the agent who
        last held the room (from its claimed escalations), if any did.
        """
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "SELECT session_id, user_id, status FROM sessions WHERE room_id = ?", (room_id,)
            )
            session = cursor.fetchone()
            if session is None:
                raise NotFound(f"no room {room_id!r}", "room_not_found")
            if session["status"] != "closed":
                raise Conflict("a chat can be rated once it is closed", "room_not_closed")
            try:
                cursor = await sql.execute(
                    "INSERT INTO ratings (room_id, session_id, user_id, agent_id, score, comment,"
                    " created_at) VALUES (?, ?, ?, (SELECT handled_by FROM escalations"
                    " WHERE session_id = ? AND status = 'claimed'"
                    " ORDER BY handled_at DESC LIMIT 1), ?, ?, ?) RETURNING *",
                    (
                        room_id,
                        session["session_id"],
                        session["user_id"],
                        session["session_id"],
                        score,
                        comment,
                        utc_now(),
                    ),
                )
            except IntegrityError:
                raise Conflict("this chat has already been rated", "already_rated") from None
            row = cursor.fetchone()
            assert row is not None
            return RatingRecord.from_row(row)

    async def rating_for(self, room_id: str) -> RatingRecord | None:
        row = await self._db.fetch_one("SELECT * FROM ratings WHERE room_id = ?", (room_id,))
        return RatingRecord.from_row(row) if row else None
