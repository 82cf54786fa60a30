"""SQL for the customers' thumbs up / down on bot replies: one verdict per message."""

from __future__ import annotations

from supportflow.errors import InvalidInput, NotFound
from supportflow.store.database import Database
from supportflow.store.records import utc_now


class FeedbackRepository:
    _db: Database

    async def record_feedback(self, room_id: str, seq: int, verdict: str) -> str | None:
        """Store `verdict` ("up"/"down") on the bot message `seq` of the room.

        Returns the verdict it replaces (None the first time); the same verdict again writes
        nothing (one vote per message: the customer's). Raises NotFound
        `message_not_found`, InvalidInput `not_a_bot_message` for another sender's message.
        """
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "SELECT sender_type FROM messages WHERE room_id = ? AND seq = ?", (room_id, seq)
            )
            message = cursor.fetchone()
            if message is None:
                raise NotFound(f"no message {seq} in this room", "message_not_found")
            if message["sender_type"] != "bot":
                raise InvalidInput(
                    "only the assistant's replies take feedback", "not_a_bot_message"
                )
            cursor = await sql.execute(
                "SELECT verdict FROM message_feedback WHERE room_id = ? AND seq = ?",
                (room_id, seq),
            )
            before = cursor.fetchone()
            if before is not None and before["verdict"] == verdict:
                return verdict
            await sql.execute(
                "INSERT INTO message_feedback (room_id, seq, verdict, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (room_id, seq)"
                " DO UPDATE SET verdict = excluded.verdict, created_at = excluded.created_at",
                (room_id, seq, verdict, utc_now()),
            )
            return str(before["verdict"]) if before is not None else None

    async def feedback_for(self, room_id: str) -> dict[int, str]:
        """seq -> verdict for the room's rated bot messages."""
        rows = await self._db.fetch_all(
            "SELECT seq, verdict FROM message_feedback WHERE room_id = ?", (room_id,)
        )
        return {int(row["seq"]): str(row["verdict"]) for row in rows}
