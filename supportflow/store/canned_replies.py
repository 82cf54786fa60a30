"""SQL for canned replies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row
from supportflow.store.records import from_columns, utc_now


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
                await sql.execute(
                    "INSERT INTO canned_replies (canned_reply_id, shortcut, title, body,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (reply_id, shortcut, title, body, now, now),
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
                cursor = await sql.execute(
                    "UPDATE canned_replies SET shortcut = ?, title = ?, body = ?, updated_at = ?"
                    " WHERE canned_reply_id = ?",
                    (shortcut, title, body, utc_now(), reply_id),
                )
            except IntegrityError:
                raise _taken(shortcut) from None
            if cursor.rowcount == 0:
                raise _missing(reply_id)
        return await self.get_canned_reply(reply_id)

    async def delete_canned_reply(self, reply_id: str) -> None:
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "DELETE FROM canned_replies WHERE canned_reply_id = ?", (reply_id,)
            )
            if cursor.rowcount == 0:
                raise _missing(reply_id)

    async def get_canned_reply(self, reply_id: str) -> CannedReplyRecord:
        row = await self._db.fetch_one(
            "SELECT * FROM canned_replies WHERE canned_reply_id = ?", (reply_id,)
        )
        if row is None:
            raise _missing(reply_id)
        return CannedReplyRecord.from_row(row)

    async def canned_replies(self, prefix: str = "", limit: int = 500) -> list[CannedReplyRecord]:
        """Canned replies whose shortcut starts with `prefix`, by shortcut."""
        # The shortcut pattern admits no LIKE wildcards, but escape them all the same.
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await self._db.fetch_all(
            "SELECT * FROM canned_replies WHERE shortcut LIKE ? ESCAPE '\\'"
            " ORDER BY shortcut LIMIT ?",
            (pattern, limit),
        )
        return [CannedReplyRecord.from_row(row) for row in rows]


def _taken(shortcut: str) -> Conflict:
    return Conflict(f"the shortcut {shortcut!r} is already used", "shortcut_exists")


def _missing(reply_id: str) -> NotFound:
    return NotFound(f"no canned reply {reply_id!r}", "canned_reply_not_found")
