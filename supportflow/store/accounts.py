"""SQL for users, agents and sessions."""

from __future__ import annotations

import uuid

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row, Rows
from supportflow.store.records import AgentRecord, SessionRecord, UserRecord, utc_now

# Rooms an agent holds: the capacity that max_concurrent bounds.
_AGENT_COLUMNS = """
    a.agent_id, a.name, a.email, a.phone, a.is_available, a.max_concurrent,
    a.created_at, a.updated_at, a.disabled_at,
    (SELECT COUNT(*) FROM sessions s
      WHERE s.agent_id = a.agent_id AND s.status = 'agent_assigned') AS active_rooms
"""


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
                await sql.execute(
                    "INSERT INTO users (user_id, name, email, phone, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (user_id, name, email, phone, utc_now()),
                )
            except IntegrityError:
                raise Conflict(f"user {user_id!r} already exists", "user_exists") from None
            cursor = await sql.execute("SELECT * FROM users WHERE user_id = ?", (user_id,))
            return UserRecord.from_row(await _one(cursor))

    async def get_user(self, user_id: str) -> UserRecord:
        row = await self._db.fetch_one("SELECT * FROM users WHERE user_id = ?", (user_id,))
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
                await sql.execute(
                    "INSERT INTO agents (agent_id, name, email, phone, token_digest,"
                    " is_available, max_concurrent, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        agent_id,
                        name,
                        email,
                        phone,
                        token_digest,
                        int(is_available),
                        max_concurrent,
                        now,
                        now,
                    ),
                )
            except IntegrityError:
                raise Conflict(f"agent {agent_id!r} already exists", "agent_exists") from None
        return await self.get_agent(agent_id)

    async def get_agent(self, agent_id: str) -> AgentRecord:
        row = await self._db.fetch_one(
            f"SELECT {_AGENT_COLUMNS} FROM agents a WHERE a.agent_id = ?", (agent_id,)
        )
        if row is None:
            raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
        return AgentRecord.from_row(row)

    async def agent_by_token_digest(self, digest: str) -> AgentRecord | None:
        row = await self._db.fetch_one(
            f"SELECT {_AGENT_COLUMNS} FROM agents a WHERE a.token_digest = ?", (digest,)
        )
        return AgentRecord.from_row(row) if row else None

    async def set_agent_availability(self, agent_id: str, is_available: bool) -> AgentRecord:
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "UPDATE agents SET is_available = ?, updated_at = ? WHERE agent_id = ?",
                (int(is_available), utc_now(), agent_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
        return await self.get_agent(agent_id)

    async def set_agent_token(self, agent_id: str, token_digest: str) -> AgentRecord:
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "UPDATE agents SET token_digest = ?, updated_at = ? WHERE agent_id = ?",
                (token_digest, utc_now(), agent_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
        return await self.get_agent(agent_id)

    async def set_agent_disabled(self, agent_id: str, disabled: bool) -> AgentRecord:
        """Disable an agent (also marked away, so it is alerted of nothing), or enable it."""
        now = utc_now()
        async with self._db.unit() as sql:
            if disabled:
                cursor = await sql.execute(
                    "UPDATE agents SET disabled_at = COALESCE(disabled_at, ?), is_available = 0,"
                    " updated_at = ? WHERE agent_id = ?",
                    (now, now, agent_id),
                )
            else:
                cursor = await sql.execute(
                    "UPDATE agents SET disabled_at = NULL, updated_at = ? WHERE agent_id = ?",
                    (now, agent_id),
                )
            if cursor.rowcount == 0:
                raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
        return await self.get_agent(agent_id)

    async def all_agents(self) -> list[AgentRecord]:
        """Every agent, by id."""
        rows = await self._db.fetch_all(
            f"SELECT {_AGENT_COLUMNS} FROM agents a ORDER BY a.agent_id"
        )
        return [AgentRecord.from_row(row) for row in rows]

    async def available_agents(self) -> list[AgentRecord]:
        """Agents marked available, least loaded first."""
        rows = await self._db.fetch_all(
            f"SELECT {_AGENT_COLUMNS} FROM agents a"
            " WHERE a.is_available = 1 AND a.disabled_at IS NULL"
            " ORDER BY active_rooms, a.agent_id"
        )
        return [AgentRecord.from_row(row) for row in rows]

    async def create_session(
        self, user_id: str, token_digest: str, expires_at: str | None = None
    ) -> SessionRecord:
        """A new session and its room for `user_id`, creating the user if unknown.

        `expires_at` (ISO-8601 UTC, as `utc_now()`) is when its token stops working; None
        means never (only tests and scripts ask for that).
        """
        session_id = str(uuid.uuid4())
        room_id = f"room-{session_id}"
        now = utc_now()
        async with self._db.unit() as sql:
            await sql.execute(
                "INSERT INTO users (user_id, created_at) VALUES (?, ?)"
                " ON CONFLICT (user_id) DO NOTHING",
                (user_id, now),
            )
            await sql.execute(
                "INSERT INTO sessions (session_id, room_id, user_id, token_digest,"
                " created_at, updated_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (session_id, room_id, user_id, token_digest, now, now, expires_at),
            )
        return await self.get_session(session_id)

    async def get_session(self, session_id: str) -> SessionRecord:
        return await self._session_where("session_id = ?", session_id, f"no session {session_id!r}")

    async def session_by_room(self, room_id: str) -> SessionRecord:
        return await self._session_where("room_id = ?", room_id, f"no room {room_id!r}")

    async def session_by_token_digest(self, digest: str) -> SessionRecord | None:
        try:
            return await self._session_where("token_digest = ?", digest, "")
        except NotFound:
            return None

    async def _session_where(self, condition: str, value: str, missing: str) -> SessionRecord:
        row = await self._db.fetch_one(f"SELECT * FROM sessions WHERE {condition}", (value,))
        if row is None:
            raise NotFound(missing, "session_not_found")
        return SessionRecord.from_row(row)


async def _one(cursor: Rows) -> Row:
    row = cursor.fetchone()
    if row is None:
        raise RuntimeError("a row vanished inside its own transaction")
    return row
