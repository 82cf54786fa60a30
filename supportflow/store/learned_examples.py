"""SQL for learned examples: customer wording an agent confirmed an article answers.

An agent marks the article that answered a handed-off chat (or sends its help-center link);
the chat's customer messages and that article become one example, kept once per chat and
article (marking it again refreshes it). Admins list, edit and remove them. Retrieval reads
them all (`learned_examples`) and re-reads them when `learned_examples_mark` changes, which
is how a node sees what another node's agents confirmed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from supportflow.errors import NotFound
from supportflow.store.database import Database, IntegrityError, Row
from supportflow.store.records import from_columns, utc_now

ORIGINS = ("pick", "link", "admin")  # the console's pick, a link the agent sent, the admin


@dataclass(frozen=True)
class LearnedExampleRecord:
    example_id: str
    article_id: str
    text: str
    session_id: str | None  # None once the chat itself was deleted (retention)
    confirmed_by: str  # an agent_id, or "admin"
    confirmed_by_name: str | None  # the agent's name (None: the admin, or a deleted agent)
    origin: str
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: Row) -> LearnedExampleRecord:
        return from_columns(cls, row)


_EXAMPLE_SELECT = (
    "SELECT e.*, a.name AS confirmed_by_name FROM learned_examples e"
    " LEFT JOIN agents a ON a.agent_id = e.confirmed_by"
)


class LearnedExamplesRepository:
    _db: Database

    async def confirm_example(
        self,
        article_id: str,
        text: str,
        confirmed_by: str,
        origin: str,
        session_id: str | None = None,
    ) -> LearnedExampleRecord:
        """Store that `text` is answered by `article_id`; for a chat already confirmed for
        that article, its text, confirmer and time are refreshed instead of a second row."""
        if origin not in ORIGINS:
            raise ValueError(f"not an example origin: {origin!r}")
        try:
            example_id = await self._upsert_example(
                article_id, text, confirmed_by, origin, session_id
            )
        except IntegrityError:
            # The same chat and article confirmed at the same moment (two clicks, a click
            # and a link): the other insert won, so this one updates the row it made.
            example_id = await self._upsert_example(
                article_id, text, confirmed_by, origin, session_id
            )
        return await self.learned_example(example_id)

    async def _upsert_example(
        self, article_id: str, text: str, confirmed_by: str, origin: str, session_id: str | None
    ) -> str:
        now = utc_now()
        async with self._db.unit() as sql:
            found = None
            if session_id is not None:
                cursor = await sql.execute(
                    "SELECT example_id FROM learned_examples WHERE session_id = ?"
                    f" AND article_id = ?{sql.for_update}",
                    (session_id, article_id),
                )
                found = cursor.fetchone()
            if found is None:
                example_id = f"lx_{secrets.token_hex(8)}"
                await sql.execute(
                    "INSERT INTO learned_examples (example_id, article_id, text, session_id,"
                    " confirmed_by, origin, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (example_id, article_id, text, session_id, confirmed_by, origin, now, now),
                )
            else:
                example_id = found[0]
                await sql.execute(
                    "UPDATE learned_examples SET text = ?, confirmed_by = ?, origin = ?,"
                    " updated_at = ? WHERE example_id = ?",
                    (text, confirmed_by, origin, now, example_id),
                )
        return str(example_id)

    async def learned_example(self, example_id: str) -> LearnedExampleRecord:
        row = await self._db.fetch_one(f"{_EXAMPLE_SELECT} WHERE e.example_id = ?", (example_id,))
        if row is None:
            raise _missing(example_id)
        return LearnedExampleRecord.from_row(row)

    async def learned_examples(self, article_id: str | None = None) -> list[LearnedExampleRecord]:
        """Every example (of one article when given), newest first."""
        if article_id is None:
            rows = await self._db.fetch_all(
                f"{_EXAMPLE_SELECT} ORDER BY e.updated_at DESC, e.example_id"
            )
        else:
            rows = await self._db.fetch_all(
                f"{_EXAMPLE_SELECT} WHERE e.article_id = ?"
                " ORDER BY e.updated_at DESC, e.example_id",
                (article_id,),
            )
        return [LearnedExampleRecord.from_row(row) for row in rows]

    async def update_learned_example(
        self, example_id: str, confirmed_by: str, text: str | None, article_id: str | None
    ) -> LearnedExampleRecord:
        """Change an example's text or article (the admin's edit); who edited it last is
        who confirms it now."""
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "UPDATE learned_examples SET text = COALESCE(?, text),"
                " article_id = COALESCE(?, article_id), confirmed_by = ?, updated_at = ?"
                " WHERE example_id = ?",
                (text, article_id, confirmed_by, utc_now(), example_id),
            )
            if cursor.rowcount == 0:
                raise _missing(example_id)
        return await self.learned_example(example_id)

    async def delete_learned_example(self, example_id: str) -> None:
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "DELETE FROM learned_examples WHERE example_id = ?", (example_id,)
            )
            if cursor.rowcount == 0:
                raise _missing(example_id)

    async def handled_chat(self, session_id: str, agent_id: str) -> bool:
        """Whether `agent_id` claimed (or was handed) an escalation of this chat: it may
        still mark the chat's articles once it released or closed it."""
        row = await self._db.fetch_one(
            "SELECT 1 FROM escalations WHERE session_id = ? AND handled_by = ? LIMIT 1",
            (session_id, agent_id),
        )
        return row is not None

    async def learned_examples_mark(self) -> tuple[int, str]:
        """(how many examples, the latest change): changes whenever one is added, edited or
        removed, so a node re-reads the examples only when this moved."""
        row = await self._db.fetch_one(
            "SELECT COUNT(*) AS n, MAX(updated_at) AS latest FROM learned_examples"
        )
        if row is None:  # an aggregate always answers one row; typed as optional
            return 0, ""
        return int(row["n"]), str(row["latest"] or "")


def _missing(example_id: str) -> NotFound:
    return NotFound(f"no learned example {example_id!r}", "learned_example_not_found")
