"""SQL for canned replies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, update

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row
from supportflow.store.query import Query, named_binds
from supportflow.store.records import from_columns, utc_now
from supportflow.store.schema import canned_replies

_OF_ID = canned_replies.c.canned_reply_id == bindparam("canned_reply_id")
_INSERT = Query(
    insert(canned_replies).values(
        named_binds("canned_reply_id", "shortcut", "title", "body", "created_at", "updated_at")
    )
)
_UPDATE = Query(
    update(canned_replies)
    .values(named_binds("shortcut", "title", "body", "updated_at"))
    .where(_OF_ID)
)
_DELETE = Query(delete(canned_replies).where(_OF_ID))
_REPLY = Query(select(canned_replies).where(_OF_ID))
_BY_PREFIX = Query(
    select(canned_replies)
    .where(canned_replies.c.shortcut.like(bindparam("pattern"), escape="\\"))
    .order_by(canned_replies.c.shortcut)
    .limit(bindparam("limit"))
)


@dataclass(frozen=True)
class CannedReplyRecord:
    canned_reply_id: str
    shortcut: str
    title: str | None
    body: str
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: Row) -> CannedReplyRecord:
        return from_columns(cls, row)


class CannedRepliesRepository:
    _db: Database

    async def create_canned_reply(
        self, shortcut: str, body: str, title: str | None
    ) -> CannedReplyRecord:
        """A new canned reply; Conflict `shortcut_exists` when the shortcut is taken."""
        reply_id = str(uuid.uuid4())
        now = utc_now()
        async with self._db.unit() as sql:
            try:
                await sql.run(
                    _INSERT,
                    canned_reply_id=reply_id,
                    shortcut=shortcut,
                    title=title,
                    body=body,
                    created_at=now,
                    updated_at=now,
                )
            except IntegrityError:
                raise _taken(shortcut) from None
        return await self.get_canned_reply(reply_id)

    async def update_canned_reply(
        self, reply_id: str, shortcut: str, body: str, title: str | None
    ) -> CannedReplyRecord:
        """Replace a canned reply's shortcut, title and text."""
        async with self._db.unit() as sql:
            try:
                cursor = await sql.run(
                    _UPDATE,
                    shortcut=shortcut,
                    title=title,
                    body=body,
                    updated_at=utc_now(),
                    canned_reply_id=reply_id,
                )
            except IntegrityError:
                raise _taken(shortcut) from None
            if cursor.rowcount == 0:
                raise _missing(reply_id)
        return await self.get_canned_reply(reply_id)

    async def delete_canned_reply(self, reply_id: str) -> None:
        async with self._db.unit() as sql:
            cursor = await sql.run(_DELETE, canned_reply_id=reply_id)
            if cursor.rowcount == 0:
                raise _missing(reply_id)

    async def get_canned_reply(self, reply_id: str) -> CannedReplyRecord:
        row = await self._db.read_one(_REPLY, canned_reply_id=reply_id)
        if row is None:
            raise _missing(reply_id)
        return CannedReplyRecord.from_row(row)

    async def canned_replies(self, prefix: str = "", limit: int = 500) -> list[CannedReplyRecord]:
        """Canned replies whose shortcut starts with `prefix`, by shortcut."""
        # The shortcut pattern admits no LIKE wildcards, but escape them all the same.
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._db.read(_BY_PREFIX, pattern=pattern, limit=limit)
        return [CannedReplyRecord.from_row(row) for row in rows]


def _taken(shortcut: str) -> Conflict:
    return Conflict(f"the shortcut {shortcut!r} is already used", "shortcut_exists")


def _missing(reply_id: str) -> NotFound:
    return NotFound(f"no canned reply {reply_id!r}", "canned_reply_not_found")
