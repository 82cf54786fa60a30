"""SQL for customer ratings (CSAT): one per closed room."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError
from supportflow.store.query import Query, named_binds
from supportflow.store.records import RatingRecord, utc_now
from supportflow.store.schema import escalations, ratings, sessions

_SESSION = Query(
    select(sessions.c.session_id, sessions.c.user_id, sessions.c.status).where(
        sessions.c.room_id == bindparam("room_id")
    )
)
# The agent who last held the room: the latest claimed escalation's.
_LAST_AGENT = (
    select(escalations.c.handled_by)
    .where(escalations.c.session_id == bindparam("session_id"), escalations.c.status == "claimed")
    .order_by(escalations.c.handled_at.desc())
    .limit(1)
    .scalar_subquery()
)
_INSERT = Query(
    insert(ratings)
    .values(
        {
            **named_binds("room_id", "session_id", "user_id", "score", "comment", "created_at"),
            "agent_id": _LAST_AGENT,
        }
    )
    .returning(*ratings.c)
)
_RATING = Query(select(ratings).where(ratings.c.room_id == bindparam("room_id")))


class RatingsRepository:
    _db: Database

    async def rate_room(self, room_id: str, score: int, comment: str | None) -> RatingRecord:
        """Store the customer's rating of a closed room, once.

        Raises NotFound `room_not_found`, Conflict `room_not_closed` while the room is
        open, Conflict `already_rated` for a second rating. The rating names the agent who
        last held the room (from its claimed escalations), if any did.
        """
        async with self._db.unit() as sql:
            session = (await sql.run(_SESSION, room_id=room_id)).fetchone()
            if session is None:
                raise NotFound(f"no room {room_id!r}", "room_not_found")
            if session["status"] != "closed":
                raise Conflict("a chat can be rated once it is closed", "room_not_closed")
            try:
                cursor = await sql.run(
                    _INSERT,
                    room_id=room_id,
                    session_id=session["session_id"],
                    user_id=session["user_id"],
                    score=score,
                    comment=comment,
                    created_at=utc_now(),
                )
            except IntegrityError:
                raise Conflict("this chat has already been rated", "already_rated") from None
            row = cursor.fetchone()
            assert row is not None
            return RatingRecord.from_row(row)

    async def rating_for(self, room_id: str) -> RatingRecord | None:
        row = await self._db.read_one(_RATING, room_id=room_id)
        return RatingRecord.from_row(row) if row else None
