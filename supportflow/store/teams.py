"""SQL for teams: who is in which team, the topics each takes, and the team queues.

A team takes topics of two kinds, knowledge-base categories and escalation reasons, kept as
JSON arrays of lower-case names on its row (a handful per team, read whole by the router).
Memberships are rows of their own, so an agent may be in several teams and a team's
available agents are one join away. Which team an escalation goes to is decided in
`supportflow.escalation.routing`; the escalation row records it (`team_id`), and when its
alert went to everyone (`widened_at`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row, Unit
from supportflow.store.query import Query, named_binds
from supportflow.store.records import EscalationRecord, from_columns, utc_now
from supportflow.store.room_reads import escalations_with_room
from supportflow.store.schema import agents, escalations, team_members, teams

_OF_TEAM = teams.c.team_id == bindparam("team_id")
_MEMBER_OF_TEAM = team_members.c.team_id == bindparam("team_id")
_TEAM = Query(select(teams).where(_OF_TEAM))
_TEAMS = Query(select(teams).order_by(teams.c.name, teams.c.team_id))
_MEMBERS = Query(select(team_members.c.agent_id).where(_MEMBER_OF_TEAM))
_ALL_MEMBERS = Query(select(team_members.c.team_id, team_members.c.agent_id))
_INSERT_TEAM = Query(
    insert(teams).values(
        named_binds("team_id", "name", "categories", "reasons", "created_at", "updated_at")
    )
)
_UPDATE_TEAM = Query(
    update(teams).values(named_binds("name", "categories", "reasons", "updated_at")).where(_OF_TEAM)
)
_DELETE_MEMBERS = Query(delete(team_members).where(_MEMBER_OF_TEAM))
_DELETE_TEAM = Query(delete(teams).where(_OF_TEAM))
_DELETE_MEMBER = Query(
    delete(team_members).where(_MEMBER_OF_TEAM, team_members.c.agent_id == bindparam("agent_id"))
)
_AGENT_EXISTS = Query(select(agents.c.agent_id).where(agents.c.agent_id == bindparam("agent_id")))
# PostgreSQL's dialect renders ON CONFLICT for SQLite as well (both speak it): two admins
# adding one agent at once both succeed.
_ADD_MEMBER = Query(
    postgres_insert(team_members)
    .values(named_binds("team_id", "agent_id", "added_at"))
    .on_conflict_do_nothing(index_elements=[team_members.c.team_id, team_members.c.agent_id])
)
# The team's agents who take chats now (available, not disabled).
_AVAILABLE_MEMBERS = Query(
    select(agents.c.agent_id)
    .join_from(team_members, agents, agents.c.agent_id == team_members.c.agent_id)
    .where(_MEMBER_OF_TEAM, agents.c.is_available == 1, agents.c.disabled_at.is_(None))
    .order_by(agents.c.agent_id)
)
# A pending team-only escalation marked as alerted to everyone, once.
_WIDEN = Query(
    update(escalations)
    .values(widened_at=bindparam("now"))
    .where(
        escalations.c.escalation_id == bindparam("escalation_id"),
        escalations.c.status == "pending",
        escalations.c.team_id.is_not(None),
        escalations.c.widened_at.is_(None),
    )
    .returning(escalations.c.escalation_id)
)

_ESCALATION = Query(
    escalations_with_room().where(escalations.c.escalation_id == bindparam("escalation_id"))
)
# Team-only alerts (not yet widened to everyone) still waiting, queued before a moment.
_DUE_TO_WIDEN = Query(
    escalations_with_room()
    .where(
        escalations.c.status == "pending",
        escalations.c.team_id.is_not(None),
        escalations.c.widened_at.is_(None),
        escalations.c.triggered_at <= bindparam("queued_before"),
    )
    .order_by(escalations.c.triggered_at, escalations.c.escalation_id)
)


@dataclass(frozen=True)
class TeamRecord:
    team_id: str
    name: str
    categories: tuple[str, ...]
    reasons: tuple[str, ...]
    created_at: str
    updated_at: str
    members: tuple[str, ...] = ()  # agent ids, sorted

    @classmethod
    def from_row(cls, row: Row, members: Sequence[str] = ()) -> TeamRecord:
        return from_columns(
            cls,
            row,
            categories=tuple(json.loads(row["categories"])),
            reasons=tuple(json.loads(row["reasons"])),
            members=tuple(sorted(members)),
        )


@dataclass(frozen=True)
class TeamChanges:
    """What an admin changes on a team; None leaves a field as it is."""

    name: str | None = None
    categories: tuple[str, ...] | None = None
    reasons: tuple[str, ...] | None = None


class TeamsRepository:
    _db: Database

    async def create_team(
        self,
        team_id: str,
        name: str,
        categories: Sequence[str],
        reasons: Sequence[str],
        members: Sequence[str] = (),
    ) -> TeamRecord:
        """A new team with its topics and members, in one transaction.

        Conflict `team_exists` when the id or the name is taken; NotFound `agent_not_found`
        when a member is no agent (nothing is stored then).
        """
        now = utc_now()
        async with self._db.unit() as sql:
            try:
                await sql.run(
                    _INSERT_TEAM,
                    team_id=team_id,
                    name=name,
                    categories=_topics(categories),
                    reasons=_topics(reasons),
                    created_at=now,
                    updated_at=now,
                )
            except IntegrityError:
                raise Conflict(
                    f"a team {team_id!r} or named {name!r} already exists", "team_exists"
                ) from None
            for agent_id in dict.fromkeys(members):
                await _add_member(sql, team_id, agent_id, now)
        return await self.get_team(team_id)

    async def update_team(self, team_id: str, changes: TeamChanges) -> TeamRecord:
        """Rename a team or replace its topics; Conflict `team_exists` for a taken name."""
        current = await self.get_team(team_id)
        name = changes.name if changes.name is not None else current.name
        categories = changes.categories if changes.categories is not None else current.categories
        reasons = changes.reasons if changes.reasons is not None else current.reasons
        async with self._db.unit() as sql:
            try:
                cursor = await sql.run(
                    _UPDATE_TEAM,
                    team_id=team_id,
                    name=name,
                    categories=_topics(categories),
                    reasons=_topics(reasons),
                    updated_at=utc_now(),
                )
            except IntegrityError:
                raise Conflict(f"a team named {name!r} already exists", "team_exists") from None
            if cursor.rowcount == 0:
                raise _missing(team_id)
        return await self.get_team(team_id)

    async def delete_team(self, team_id: str) -> None:
        """Delete a team and its memberships; its escalations keep its id (reports)."""
        async with self._db.unit() as sql:
            await sql.run(_DELETE_MEMBERS, team_id=team_id)
            cursor = await sql.run(_DELETE_TEAM, team_id=team_id)
            if cursor.rowcount == 0:
                raise _missing(team_id)

    async def get_team(self, team_id: str) -> TeamRecord:
        row = await self._db.read_one(_TEAM, team_id=team_id)
        if row is None:
            raise _missing(team_id)
        members = await self._db.read(_MEMBERS, team_id=team_id)
        return TeamRecord.from_row(row, [str(member[0]) for member in members])

    async def all_teams(self) -> list[TeamRecord]:
        """Every team with its members, by name."""
        rows = await self._db.read(_TEAMS)
        members: dict[str, list[str]] = {}
        for member in await self._db.read(_ALL_MEMBERS):
            members.setdefault(str(member[0]), []).append(str(member[1]))
        return [TeamRecord.from_row(row, members.get(row["team_id"], [])) for row in rows]

    async def add_team_member(self, team_id: str, agent_id: str) -> TeamRecord:
        """Put an agent in a team (already in it: nothing changes)."""
        await self.get_team(team_id)
        async with self._db.unit() as sql:
            await _add_member(sql, team_id, agent_id, utc_now())
        return await self.get_team(team_id)

    async def remove_team_member(self, team_id: str, agent_id: str) -> TeamRecord:
        """Take an agent out of a team; NotFound `member_not_found` if it was not in it."""
        await self.get_team(team_id)
        async with self._db.unit() as sql:
            cursor = await sql.run(_DELETE_MEMBER, team_id=team_id, agent_id=agent_id)
            if cursor.rowcount == 0:
                raise NotFound(f"agent {agent_id!r} is not in team {team_id!r}", "member_not_found")
        return await self.get_team(team_id)

    async def available_team_agents(self, team_id: str) -> list[str]:
        """The team's agents who take chats now (available, not disabled): its alert's audience."""
        rows = await self._db.read(_AVAILABLE_MEMBERS, team_id=team_id)
        return [str(row[0]) for row in rows]

    async def widen_escalation(self, escalation_id: str) -> EscalationRecord | None:
        """Mark a pending team-only escalation as alerted to everyone; None if it is not one
        any more (claimed, cancelled, or widened already: by another node's sweep, say)."""
        async with self._db.unit() as sql:
            widened = await sql.run(_WIDEN, now=utc_now(), escalation_id=escalation_id)
            if widened.fetchone() is None:
                return None
            row = (await sql.run(_ESCALATION, escalation_id=escalation_id)).fetchone()
        return EscalationRecord.from_row(row) if row is not None else None

    async def team_escalations_due(self, queued_before: str) -> list[EscalationRecord]:
        """Pending team-only escalations queued before `queued_before`: time to widen them."""
        rows = await self._db.read(_DUE_TO_WIDEN, queued_before=queued_before)
        return [EscalationRecord.from_row(row) for row in rows]


async def _add_member(sql: Unit, team_id: str, agent_id: str, now: str) -> None:
    if (await sql.run(_AGENT_EXISTS, agent_id=agent_id)).fetchone() is None:
        raise NotFound(f"no agent {agent_id!r}", "agent_not_found")
    await sql.run(_ADD_MEMBER, team_id=team_id, agent_id=agent_id, added_at=now)


def _topics(names: Sequence[str]) -> str:
    return json.dumps(sorted({name.strip().lower() for name in names if name.strip()}))


def _missing(team_id: str) -> NotFound:
    return NotFound(f"no team {team_id!r}", "team_not_found")
