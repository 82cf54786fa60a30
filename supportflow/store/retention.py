"""SQL for retention: old closed chats are deleted, whole."""

from __future__ import annotations

from supportflow.store.database import Database


class RetentionRepository:
    _db: Database

    async def delete_closed_sessions(self, closed_before: str) -> int:
        """Delete sessions closed before `closed_before` (an ISO timestamp) with their
        messages, escalations and rating, and anonymous users left without a session;
        the number of sessions deleted. One transaction: a chat goes whole or not at all."""
        async with self._db.unit() as sql:
            # Children first: foreign keys are on.
            await sql.execute(
                "DELETE FROM message_feedback WHERE room_id IN (SELECT room_id FROM sessions"
                " WHERE status = 'closed' AND updated_at < ?)",
                (closed_before,),
            )
            await sql.execute(
                "DELETE FROM ratings WHERE room_id IN (SELECT room_id FROM sessions"
                " WHERE status = 'closed' AND updated_at < ?)",
                (closed_before,),
            )
            await sql.execute(
                "DELETE FROM messages WHERE room_id IN (SELECT room_id FROM sessions"
                " WHERE status = 'closed' AND updated_at < ?)",
                (closed_before,),
            )
            await sql.execute(
                "DELETE FROM escalations WHERE session_id IN (SELECT session_id FROM sessions"
                " WHERE status = 'closed' AND updated_at < ?)",
                (closed_before,),
            )
            cursor = await sql.execute(
                "DELETE FROM sessions WHERE status = 'closed' AND updated_at < ?",
                (closed_before,),
            )
            deleted = cursor.rowcount
            await sql.execute(
                "DELETE FROM users WHERE user_id LIKE 'anon-%' AND NOT EXISTS"
                " (SELECT 1 FROM sessions s WHERE s.user_id = users.user_id)"
            )
            return deleted
