"""SQL for users, agents and sessions."""

from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row, Rows
from supportflow.store.query import Query, named_binds
from supportflow.store.records import AgentRecord, SessionRecord, UserRecord, utc_now
from supportflow.store.schema import agents, sessions, users

# Rooms an agent holds: the capacity that max_concurrent bounds.
_ACTIVE_ROOMS = (
    select(func.count())
    .where(sessions.c.agent_id == agents.c.agent_id, sessions.c.status == "agent_assigned")
    .scalar_subquery()
    .label("active_rooms")
)
_AGENTS = select(*(column for column in agents.c if column.name != "token_digest"), _ACTIVE_ROOMS)
_USER = Query(select(users).where(users.c.user_id == bindparam("user_id")))
_INSERT_USER = Query(
    insert(users).values(named_binds("user_id", "name", "email", "phone", "created_at"))
)
# PostgreSQL's dialect renders ON CONFLICT for SQLite as well (both speak it).
_ENSURE_USER = Query(
    postgres_insert(users)
    .values(named_binds("user_id", "created_at"))
    .on_conflict_do_nothing(index_elements=[users.c.user_id])
)
_INSERT_AGENT = Query(
    insert(agents).values(
        named_binds(
            "agent_id",
            "name",
            "email",
            "phone",
            "token_digest",
            "is_available",
            "max_concurrent",
            "created_at",
            "updated_at",
        )
    )
)
_AGENT = Query(_AGENTS.where(agents.c.agent_id == bindparam("agent_id")))
_AGENT_BY_TOKEN = Query(_AGENTS.where(agents.c.token_digest == bindparam("token_digest")))
_ALL_AGENTS = Query(_AGENTS.order_by(agents.c.agent_id))
_AVAILABLE_AGENTS = Query(
    _AGENTS.where(agents.c.is_available == 1, agents.c.disabled_at.is_(None)).order_by(
        _ACTIVE_ROOMS, agents.c.agent_id
    )
)


def _agent_update(**values: object) -> Query:
    return Query(
        update(agents)
        .values(updated_at=bindparam("now"), **values)
        .where(agents.c.agent_id == bindparam("agent_id"))
    )


_SET_AVAILABILITY = _agent_update(is_available=bindparam("is_available"))
_SET_TOKEN = _agent_update(token_digest=bindparam("token_digest"))
# Disabled agents are also marked away, so they are alerted of nothing.
_DISABLE = _agent_update(
    disabled_at=func.coalesce(agents.c.disabled_at, bindparam("now")), is_available=0
)
_ENABLE = _agent_update(disabled_at=None)
_INSERT_SESSION = Query(
    insert(sessions).values(
        named_binds(
            "session_id",
            "room_id",
            "user_id",
            "token_digest",
            "created_at",
            "updated_at",
            "expires_at",
        )
    )
)
_SESSION_BY = {
    column: Query(select(sessions).where(sessions.c[column] == bindparam("value")))
    for column in ("session_id", "room_id", "token_digest")
}


class AccountsRepository:
    _db: Database

    async def create_user(
        self,
        user_id: str,
        name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> UserRecord:
        async with self._db.unit() as sql:
            try:
                await sql.run(
                    _INSERT_USER,
                    user_id=user_id,
                    name=name,
                    email=email,
                    phone=phone,
                    created_at=utc_now(),
                )
            except IntegrityError:
                raise Conflict(f"user {user_id!r} already exists", "user_exists") from None
            return UserRecord.from_row(await _one(await sql.run(_USER, user_id=user_id)))

    async def get_user(self, user_id: str) -> UserRecord:
        row = await self._db.read_one(_USER, user_id=user_id)
        if row is None:
            raise NotFound(f"no user {user_id!r}", "user_not_found")
        return UserRecord.from_row(row)

    async def create_agent(
        self,
        agent_id: str,
        name: str,
        token_digest: str,
        max_concurrent: int,
        is_available: bool,
        email: str | None = None,
        phone: str | None = None,
    ) -> AgentRecord:
        now = utc_now()
        async with self._db.unit() as sql:
            try:
                await sql.run(
                    _INSERT_AGENT,
                    agent_id=agent_id,
                    name=name,
                    email=email,
                    phone=phone,
                    token_digest=token_digest,
                    is_available=int(is_available),
                    max_concurrent=max_concurrent,
                    created_at=now,
                    updated_at=now,
                )
            except IntegrityError:
                raise Conflict(f"agent {agent_id!r} already exists", "agent_exists") from None
        return await self.get_agent(agent_id)

    async def get_agent(self, agent_id: str) -> AgentRecord:
        row = await self._db.read_one(_AGENT, agent_id=agent_id)
        if row is None:
            raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
        return AgentRecord.from_row(row)

    async def agent_by_token_digest(self, digest: str) -> AgentRecord | None:
        row = await self._db.read_one(_AGENT_BY_TOKEN, token_digest=digest)
        return AgentRecord.from_row(row) if row else None

    async def set_agent_availability(self, agent_id: str, is_available: bool) -> AgentRecord:
        return await self._update_agent(_SET_AVAILABILITY, agent_id, is_available=int(is_available))

    async def set_agent_token(self, agent_id: str, token_digest: str) -> AgentRecord:
        return await self._update_agent(_SET_TOKEN, agent_id, token_digest=token_digest)

    async def set_agent_disabled(self, agent_id: str, disabled: bool) -> AgentRecord:
        """Disable an agent (also marked away, so it is alerted of nothing), or enable it."""
        return await self._update_agent(_DISABLE if disabled else _ENABLE, agent_id)

    async def _update_agent(self, query: Query, agent_id: str, **values: object) -> AgentRecord:
        async with self._db.unit() as sql:
            done = await sql.run(query, agent_id=agent_id, now=utc_now(), **values)
            if done.rowcount == 0:
                raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
        return await self.get_agent(agent_id)

    async def all_agents(self) -> list[AgentRecord]:
        """Every agent, by id."""
        return [AgentRecord.from_row(row) for row in await self._db.read(_ALL_AGENTS)]

    async def available_agents(self) -> list[AgentRecord]:
        """Agents marked available, least loaded first."""
        return [AgentRecord.from_row(row) for row in await self._db.read(_AVAILABLE_AGENTS)]

    async def create_session(
        self, user_id: str, token_digest: str, expires_at: str | None = None
    ) -> SessionRecord:
        """A new session and its room for `user_id`, creating the user if unknown.

        `expires_at` (ISO-8601 UTC, as `utc_now()`) is when its token stops working; None
        means never (only tests and scripts ask for that).
        """
        session_id = str(uuid.uuid4())
        now = utc_now()
        async with self._db.unit() as sql:
            await sql.run(_ENSURE_USER, user_id=user_id, created_at=now)
            await sql.run(
                _INSERT_SESSION,
                session_id=session_id,
                room_id=f"room-{session_id}",
                user_id=user_id,
                token_digest=token_digest,
                created_at=now,
                updated_at=now,
                expires_at=expires_at,
            )
        return await self.get_session(session_id)

    async def get_session(self, session_id: str) -> SessionRecord:
        return await self._session_where("session_id", session_id, f"no session {session_id!r}")

    async def session_by_room(self, room_id: str) -> SessionRecord:
        return await self._session_where("room_id", room_id, f"no room {room_id!r}")

    async def session_by_token_digest(self, digest: str) -> SessionRecord | None:
        try:
            return await self._session_where("token_digest", digest, "")
        except NotFound:
            return None

    async def _session_where(self, column: str, value: str, missing: str) -> SessionRecord:
        row = await self._db.read_one(_SESSION_BY[column], value=value)
        if row is None:
            raise NotFound(missing, "session_not_found")
        return SessionRecord.from_row(row)


async def _one(rows: Rows) -> Row:
    row = rows.fetchone()
    if row is None:
        raise RuntimeError("a row vanished inside its own transaction")
    return row
