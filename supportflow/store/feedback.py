"""SQL for the customers' thumbs up / down on bot replies: one verdict per message."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from supportflow.errors import InvalidInput, NotFound
from supportflow.store.database import Database
from supportflow.store.query import Query, named_binds
from supportflow.store.records import utc_now
from supportflow.store.schema import message_feedback, messages

_SENDER = Query(
    select(messages.c.sender_type).where(
        messages.c.room_id == bindparam("room_id"), messages.c.seq == bindparam("seq")
    )
)
_OF_ROOM = message_feedback.c.room_id == bindparam("room_id")
_VERDICT = Query(
    select(message_feedback.c.verdict).where(_OF_ROOM, message_feedback.c.seq == bindparam("seq"))
)
_new_verdict = postgres_insert(message_feedback).values(
    named_binds("room_id", "seq", "verdict", "created_at")
)
# PostgreSQL's dialect renders ON CONFLICT for SQLite as well (both speak it).
_STORE_VERDICT = Query(
    _new_verdict.on_conflict_do_update(
        index_elements=[message_feedback.c.room_id, message_feedback.c.seq],
        set_={
            "verdict": _new_verdict.excluded.verdict,
            "created_at": _new_verdict.excluded.created_at,
        },
    )
)
_VERDICTS = Query(select(message_feedback.c.seq, message_feedback.c.verdict).where(_OF_ROOM))


class FeedbackRepository:
    _db: Database

    async def record_feedback(self, room_id: str, seq: int, verdict: str) -> str | None:
        """Store `verdict` ("up"/"down") on the bot message `seq` of the room.

        Returns the verdict it replaces (None the first time); the same verdict again writes
        nothing (one vote per message: the customer's). Raises NotFound
        `message_not_found`, InvalidInput `not_a_bot_message` for another sender's message.
        """
        async with self._db.unit() as sql:
            message = (await sql.run(_SENDER, room_id=room_id, seq=seq)).fetchone()
            if message is None:
                raise NotFound(f"no message {seq} in this room", "message_not_found")
            if message["sender_type"] != "bot":
                raise InvalidInput(
                    "only the assistant's replies take feedback", "not_a_bot_message"
                )
            before = (await sql.run(_VERDICT, room_id=room_id, seq=seq)).fetchone()
            if before is not None and before["verdict"] == verdict:
                return verdict
            await sql.run(
                _STORE_VERDICT, room_id=room_id, seq=seq, verdict=verdict, created_at=utc_now()
            )
            return str(before["verdict"]) if before is not None else None

    async def feedback_for(self, room_id: str) -> dict[int, str]:
        """seq -> verdict for the room's rated bot messages."""
        rows = await self._db.read(_VERDICTS, room_id=room_id)
        return {int(row["seq"]): str(row["verdict"]) for row in rows}
