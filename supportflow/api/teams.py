"""Teams over REST: admins make teams, give them topics and put agents in them.

GET    /api/teams                               every team (admin, agents: "my teams")
POST   /api/teams                               a new team, with topics and members (admin)
GET    /api/teams/<team_id>                     one team (admin, agents)
PATCH  /api/teams/<team_id>                     rename it, replace its topics (admin)
DELETE /api/teams/<team_id>                     delete it and its memberships (admin)
PUT    /api/teams/<team_id>/members/<agent_id>  put an agent in it (admin)
DELETE /api/teams/<team_id>/members/<agent_id>  take an agent out (admin)

How escalations are routed to teams is docs/teams.md.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from quart import Blueprint
from quart_schema import validate_request, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import Body, Identifier, ShortText
from supportflow.auth import Role
from supportflow.store import TeamChanges, TeamRecord

blueprint = Blueprint("teams", __name__, url_prefix="/api")

# A knowledge-base category or an escalation reason: lower-case, as routing compares them.
Topic = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9 _.:-]{0,63}$")]
Topics = Annotated[list[Topic], Field(max_length=50)]


class CreateTeam(Body):
    team_id: Identifier | None = None
    name: ShortText
    categories: Topics = Field(default_factory=list, description="knowledge-base categories")
    reasons: Topics = Field(default_factory=list, description="escalation reasons")
    agent_ids: Annotated[list[Identifier], Field(max_length=500)] = Field(
        default_factory=list, description="its members"
    )


class UpdateTeam(Body):
    name: ShortText | None = None
    categories: Topics | None = None
    reasons: Topics | None = None


class Team(BaseModel):
    team_id: str
    name: str
    categories: list[str]
    reasons: list[str]
    agent_ids: list[str]
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, record: TeamRecord) -> Team:
        return cls(
            team_id=record.team_id,
            name=record.name,
            categories=list(record.categories),
            reasons=list(record.reasons),
            agent_ids=list(record.members),
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class TeamList(BaseModel):
    teams: list[Team]


class TeamDeleted(BaseModel):
    team_id: str
    deleted: bool


@blueprint.get("/teams")
@validate_response(TeamList, 200)
async def list_teams() -> TeamList:
    """Every team with its topics and members, by name (admin, agents)."""
    await require(Role.ADMIN, Role.AGENT)
    return TeamList(teams=[Team.of(team) for team in await services().store.all_teams()])


@blueprint.post("/teams")
@validate_request(CreateTeam)
@validate_response(Team, 201)
async def create_team(data: CreateTeam) -> tuple[Team, int]:
    """A new team (admin): 409 `team_exists` for a taken id or name, 404 `agent_not_found`."""
    await require(Role.ADMIN)
    record = await services().store.create_team(
        data.team_id or f"team-{uuid.uuid4().hex[:12]}",
        data.name,
        data.categories,
        data.reasons,
        data.agent_ids,
    )
    return Team.of(record), 201


@blueprint.get("/teams/<team_id>")
@validate_response(Team, 200)
async def get_team(team_id: str) -> Team:
    """One team (admin, agents); 404 `team_not_found`."""
    await require(Role.ADMIN, Role.AGENT)
    return Team.of(await services().store.get_team(team_id))


@blueprint.patch("/teams/<team_id>")
@validate_request(UpdateTeam)
@validate_response(Team, 200)
async def update_team(team_id: str, data: UpdateTeam) -> Team:
    """Rename a team or replace its topic lists (admin); what is left out stays."""
    await require(Role.ADMIN)
    changes = TeamChanges(
        name=data.name,
        categories=tuple(data.categories) if data.categories is not None else None,
        reasons=tuple(data.reasons) if data.reasons is not None else None,
    )
    return Team.of(await services().store.update_team(team_id, changes))


@blueprint.delete("/teams/<team_id>")
@validate_response(TeamDeleted, 200)
async def delete_team(team_id: str) -> TeamDeleted:
    """Delete a team (admin); its chats keep its id, and still-waiting ones go to everyone
    when their team time runs out."""
    await require(Role.ADMIN)
    await services().store.delete_team(team_id)
    return TeamDeleted(team_id=team_id, deleted=True)


@blueprint.put("/teams/<team_id>/members/<agent_id>")
@validate_response(Team, 200)
async def add_member(team_id: str, agent_id: str) -> Team:
    """Put an agent in a team (admin); already in it changes nothing."""
    await require(Role.ADMIN)
    return Team.of(await services().store.add_team_member(team_id, agent_id))


@blueprint.delete("/teams/<team_id>/members/<agent_id>")
@validate_response(Team, 200)
async def remove_member(team_id: str, agent_id: str) -> Team:
    """Take an agent out of a team (admin); 404 `member_not_found` if it was not in it."""
    await require(Role.ADMIN)
    return Team.of(await services().store.remove_team_member(team_id, agent_id))
