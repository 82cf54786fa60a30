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

from sqlalchemy import Text, bindparam, delete, func, insert, literal, select, update

from supportflow.errors import NotFound
from supportflow.store.database import Database, IntegrityError, Row
from supportflow.store.query import Query, named_binds
from supportflow.store.records import from_columns, utc_now
from supportflow.store.schema import (
    agents,
    escalations,
    learned_examples,
    learned_examples_changes,
)

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


_EXAMPLES = select(learned_examples, agents.c.name.label("confirmed_by_name")).join_from(
    learned_examples, agents, agents.c.agent_id == learned_examples.c.confirmed_by, isouter=True
)
_NEWEST_FIRST = (learned_examples.c.updated_at.desc(), learned_examples.c.example_id)
_OF_EXAMPLE = learned_examples.c.example_id == bindparam("example_id")
_EXAMPLE = Query(_EXAMPLES.where(_OF_EXAMPLE))
_ALL_EXAMPLES = Query(_EXAMPLES.order_by(*_NEWEST_FIRST))
_EXAMPLES_OF_ARTICLE = Query(
    _EXAMPLES.where(learned_examples.c.article_id == bindparam("article_id")).order_by(
        *_NEWEST_FIRST
    )
)
# Locked (PostgreSQL) so a second confirmation of the chat and article waits for this one.
_EXAMPLE_OF_CHAT = Query(
    select(learned_examples.c.example_id)
    .where(
        learned_examples.c.session_id == bindparam("session_id"),
        learned_examples.c.article_id == bindparam("article_id"),
    )
    .with_for_update()
)
_INSERT_EXAMPLE = Query(
    insert(learned_examples).values(
        named_binds(
            "example_id",
            "article_id",
            "text",
            "session_id",
            "confirmed_by",
            "origin",
            "created_at",
            "updated_at",
        )
    )
)
_REFRESH_EXAMPLE = Query(
    update(learned_examples)
    .values(named_binds("text", "confirmed_by", "origin", "updated_at"))
    .where(_OF_EXAMPLE)
)
# The admin's edit: a text or article left out (None) keeps the one stored.
_EDIT_EXAMPLE = Query(
    update(learned_examples)
    .values(
        text=func.coalesce(bindparam("text", type_=Text), learned_examples.c.text),
        article_id=func.coalesce(
            bindparam("article_id", type_=Text), learned_examples.c.article_id
        ),
        confirmed_by=bindparam("confirmed_by"),
        updated_at=bindparam("updated_at"),
    )
    .where(_OF_EXAMPLE)
)
_DELETE_EXAMPLE = Query(delete(learned_examples).where(_OF_EXAMPLE))
_HANDLED_CHAT = Query(
    select(literal(1))
    .where(
        escalations.c.session_id == bindparam("session_id"),
        escalations.c.handled_by == bindparam("agent_id"),
    )
    .limit(1)
)
_MARK = Query(
    select(
        select(func.count()).select_from(learned_examples).scalar_subquery().label("n"),
        learned_examples_changes.c.changes,
    )
)
# In the transaction of every write to learned_examples (PostgreSQL: the row lock orders
# concurrent writers, so each raises it once).
_COUNT_CHANGE = Query(
    update(learned_examples_changes).values(changes=learned_examples_changes.c.changes + 1)
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
                found = (
                    await sql.run(_EXAMPLE_OF_CHAT, session_id=session_id, article_id=article_id)
                ).fetchone()
            if found is None:
                example_id = f"lx_{secrets.token_hex(8)}"
                await sql.run(
                    _INSERT_EXAMPLE,
                    example_id=example_id,
                    article_id=article_id,
                    text=text,
                    session_id=session_id,
                    confirmed_by=confirmed_by,
                    origin=origin,
                    created_at=now,
                    updated_at=now,
                )
            else:
                example_id = found[0]
                await sql.run(
                    _REFRESH_EXAMPLE,
                    text=text,
                    confirmed_by=confirmed_by,
                    origin=origin,
                    updated_at=now,
                    example_id=example_id,
                )
            await sql.run(_COUNT_CHANGE)
        return str(example_id)

    async def learned_example(self, example_id: str) -> LearnedExampleRecord:
        row = await self._db.read_one(_EXAMPLE, example_id=example_id)
        if row is None:
            raise _missing(example_id)
        return LearnedExampleRecord.from_row(row)

    async def learned_examples(self, article_id: str | None = None) -> list[LearnedExampleRecord]:
        """Every example (of one article when given), newest first."""
        if article_id is None:
            rows = await self._db.read(_ALL_EXAMPLES)
        else:
            rows = await self._db.read(_EXAMPLES_OF_ARTICLE, article_id=article_id)
        return [LearnedExampleRecord.from_row(row) for row in rows]

    async def update_learned_example(
        self, example_id: str, confirmed_by: str, text: str | None, article_id: str | None
    ) -> LearnedExampleRecord:
        """Change an example's text or article (the admin's edit); who edited it last is
        who confirms it now."""
        async with self._db.unit() as sql:
            done = await sql.run(
                _EDIT_EXAMPLE,
                text=text,
                article_id=article_id,
                confirmed_by=confirmed_by,
                updated_at=utc_now(),
                example_id=example_id,
            )
            if done.rowcount == 0:
                raise _missing(example_id)
            await sql.run(_COUNT_CHANGE)
        return await self.learned_example(example_id)

    async def delete_learned_example(self, example_id: str) -> None:
        async with self._db.unit() as sql:
            done = await sql.run(_DELETE_EXAMPLE, example_id=example_id)
            if done.rowcount == 0:
                raise _missing(example_id)
            await sql.run(_COUNT_CHANGE)

    async def handled_chat(self, session_id: str, agent_id: str) -> bool:
        """Whether `agent_id` claimed (or was handed) an escalation of this chat: it may
        still mark the chat's articles once it released or closed it."""
        row = await self._db.read_one(_HANDLED_CHAT, session_id=session_id, agent_id=agent_id)
        return row is not None

    async def learned_examples_mark(self) -> tuple[int, int]:
        """(how many examples, how many writes they have seen): changes whenever one is
        added, edited or removed, so a node re-reads the examples only when this moved."""
        row = await self._db.read_one(_MARK)
        if row is None:  # the migration writes the counter's row; typed as optional
            return 0, 0
        return int(row["n"]), int(row["changes"])


def _missing(example_id: str) -> NotFound:
    return NotFound(f"no learned example {example_id!r}", "learned_example_not_found")
