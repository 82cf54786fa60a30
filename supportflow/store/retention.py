"""SQL for retention: old closed chats are deleted, whole."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, exists, select

from supportflow.store.database import Database
from supportflow.store.query import Query
from supportflow.store.schema import (
    escalations,
    message_feedback,
    messages,
    ratings,
    sessions,
    users,
)

_EXPIRED = (sessions.c.status == "closed", sessions.c.updated_at < bindparam("closed_before"))
_EXPIRED_ROOMS = select(sessions.c.room_id).where(*_EXPIRED)
# Children first: foreign keys are on.
_DELETE_CHILDREN = (
    Query(delete(message_feedback).where(message_feedback.c.room_id.in_(_EXPIRED_ROOMS))),
    Query(delete(ratings).where(ratings.c.room_id.in_(_EXPIRED_ROOMS))),
    Query(delete(messages).where(messages.c.room_id.in_(_EXPIRED_ROOMS))),
    Query(
        delete(escalations).where(
            escalations.c.session_id.in_(select(sessions.c.session_id).where(*_EXPIRED))
        )
    ),
)
_DELETE_SESSIONS = Query(delete(sessions).where(*_EXPIRED))
_DELETE_LONE_ANONYMOUS_USERS = Query(
    delete(users).where(
        users.c.user_id.like("anon-%"),
        ~exists().where(sessions.c.user_id == users.c.user_id),
    )
)


class RetentionRepository:
    _db: Database

    async def delete_closed_sessions(self, closed_before: str) -> int:
        """Delete sessions closed before `closed_before` (an ISO timestamp) with their
        messages, escalations and rating, and anonymous users left without a session;
        the number of sessions deleted. One transaction: a chat goes whole or not at all."""
        async with self._db.unit() as sql:
            for children in _DELETE_CHILDREN:
                await sql.run(children, closed_before=closed_before)
            deleted = (await sql.run(_DELETE_SESSIONS, closed_before=closed_before)).rowcount
            await sql.run(_DELETE_LONE_ANONYMOUS_USERS)
            return deleted
