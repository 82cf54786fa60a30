"""Users and agents: who may chat and who may answer."""

from __future__ import annotations

import uuid

from quart import Blueprint
from quart_schema import validate_request, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import (
    Agent,
    AgentList,
    AgentWithToken,
    Availability,
    CreateAgent,
    CreateUser,
    User,
)
from supportflow.auth import AGENT_PREFIX, Role, new_token, token_digest
from supportflow.errors import Forbidden

blueprint = Blueprint("accounts", __name__, url_prefix="/api")


@blueprint.post("/users")
@validate_request(CreateUser)
@validate_response(User, 201)
async def create_user(data: CreateUser) -> tuple[User, int]:
    """Register a customer (admin)."""
    await require(Role.ADMIN)
    record = await services().store.create_user(data.user_id, data.name, data.email, data.phone)
    return User.of(record), 201


@blueprint.post("/agents")
@validate_request(CreateAgent)
@validate_response(AgentWithToken, 201)
async def create_agent(data: CreateAgent) -> tuple[AgentWithToken, int]:
    """Register an agent (admin); the answer carries its token, shown this once."""
    await require(Role.ADMIN)
    token = new_token(AGENT_PREFIX)
    record = await services().store.create_agent(
        agent_id=data.agent_id or f"agent-{uuid.uuid4().hex[:12]}",
        name=data.name,
        email=data.email,
        phone=data.phone,
        token_digest=token_digest(token),
        max_concurrent=data.max_concurrent,
        is_available=data.is_available,
    )
    return AgentWithToken(**Agent.of(record).model_dump(), token=token), 201


@blueprint.get("/agents")
@validate_response(AgentList, 200)
async def list_agents() -> AgentList:
    """Every agent, available or not, by id (admin): the admin page's team list."""
    await require(Role.ADMIN)
    records = await services().store.all_agents()
    return AgentList(agents=[Agent.of(record) for record in records])


@blueprint.get("/agents/me")
@validate_response(Agent, 200)
async def current_agent() -> Agent:
    """The agent a token belongs to (agent token): how a console learns who signed in."""
    principal = await require(Role.AGENT)
    return Agent.of(await services().store.get_agent(principal.id))


@blueprint.post("/agents/<agent_id>/token")
@validate_response(AgentWithToken, 201)
async def rotate_agent_token(agent_id: str) -> tuple[AgentWithToken, int]:
    """Issue a new token for an agent (admin); the old one stops working at once."""
    await require(Role.ADMIN)
    token = new_token(AGENT_PREFIX)
    record = await services().store.set_agent_token(agent_id, token_digest(token))
    # Sockets opened with the old token would otherwise outlive it; the agent reconnects
    # with the new one within the grace period and keeps its rooms.
    await services().notifier.disconnect_agent(
        agent_id, "token_rotated", "this agent's token was replaced: sign in with the new one"
    )
    return AgentWithToken(**Agent.of(record).model_dump(), token=token), 201


@blueprint.post("/agents/<agent_id>/disable")
@validate_response(Agent, 200)
async def disable_agent(agent_id: str) -> Agent:
    """Disable an agent (admin): its token is refused and its open sockets are dropped.

    Rooms it holds go back to the queue after the agent grace period, as for any agent
    who disappears; `POST /api/agents/<id>/enable` undoes this (the token works again).
    """
    await require(Role.ADMIN)
    record = await services().store.set_agent_disabled(agent_id, True)
    await services().notifier.disconnect_agent(
        agent_id, "agent_disabled", "this agent has been disabled"
    )
    return Agent.of(record)


@blueprint.post("/agents/<agent_id>/enable")
@validate_response(Agent, 200)
async def enable_agent(agent_id: str) -> Agent:
    """Enable a disabled agent again (admin); it comes back away (not available)."""
    await require(Role.ADMIN)
    return Agent.of(await services().store.set_agent_disabled(agent_id, False))


@blueprint.put("/agents/<agent_id>/availability")
@validate_request(Availability)
@validate_response(Agent, 200)
async def set_availability(agent_id: str, data: Availability) -> Agent:
    """Mark an agent available or away (admin, or that agent)."""
    principal = await require(Role.ADMIN, Role.AGENT)
    if not principal.may_manage_agent(agent_id):
        raise Forbidden("an agent may only change its own availability")
    record = await services().store.set_agent_availability(agent_id, data.is_available)
    await services().notifier.set_agent_available(agent_id, data.is_available)
    return Agent.of(record)


@blueprint.get("/agents/available")
@validate_response(AgentList, 200)
async def available_agents() -> AgentList:
    """Agents who are available, least loaded first (admin or agent)."""
    await require(Role.ADMIN, Role.AGENT)
    records = await services().store.available_agents()
    return AgentList(agents=[Agent.of(record) for record in records])
