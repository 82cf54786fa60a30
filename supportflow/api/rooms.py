"""Rooms over REST: escalations, transcripts, the queue, and the statechart."""

from __future__ import annotations

from quart import Blueprint, Response
from quart_schema import validate_querystring, validate_request, validate_response

from supportflow.api.context import require, services, session_for
from supportflow.api.models import (
    CreateEscalation,
    Escalation,
    EscalationList,
    EscalationQuery,
    MessageList,
    MessagesQuery,
    StatechartList,
    StatechartText,
    TranscriptMessage,
)
from supportflow.api.rate_limits import Costly, check_rate
from supportflow.auth import Action, Role
from supportflow.errors import NotFound
from supportflow.rooms.commands import Escalate
from supportflow.rooms.statechart import STATECHARTS, render_mermaid

blueprint = Blueprint("rooms", __name__, url_prefix="/api")

MERMAID = "text/vnd.mermaid; charset=utf-8"


@blueprint.post("/escalate")
@validate_request(CreateEscalation)
@validate_response(Escalation, 201)
async def escalate(data: CreateEscalation) -> tuple[Escalation, int]:
    """Send a session's room to the human queue (admin, its agent, or its customer)."""
    check_rate(Costly.ESCALATE)
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    session = await session_for(principal, data.session_id, Action.ESCALATE)
    change = await services().rooms.submit(session.room_id, Escalate((data.reason,)))
    assert change.escalation is not None
    return Escalation.of(change.escalation), 201


@blueprint.get("/sessions/<session_id>/messages")
@validate_querystring(MessagesQuery)
@validate_response(MessageList, 200)
async def transcript(session_id: str, query_args: MessagesQuery) -> MessageList:
    """A session's messages with seq > after_seq, oldest first (its customer, agent, admin).

    Agents and the admin also get the room's private notes (`visibility: "agents"`).
    """
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    session = await session_for(principal, session_id, Action.READ)
    records = await services().store.messages_after(
        session.room_id,
        query_args.after_seq,
        query_args.limit,
        include_private=principal.is_staff,
    )
    return MessageList(messages=[TranscriptMessage.of(record) for record in records])


@blueprint.get("/escalations")
@validate_querystring(EscalationQuery)
@validate_response(EscalationList, 200)
async def escalations(query_args: EscalationQuery) -> EscalationList:
    """Escalations by status, oldest first (agents, admin): the queue is `status=pending`.

    Every agent sees the queue; of claimed and cancelled ones an agent sees only those it
    handles (the admin sees all): other agents' rooms and customers are not its business.
    """
    principal = await require(Role.ADMIN, Role.AGENT)
    own = principal.id if principal.role is Role.AGENT and query_args.status != "pending" else None
    records = await services().store.escalations_with_status(
        query_args.status, query_args.limit, handled_by=own
    )
    return EscalationList(escalations=[Escalation.of(record) for record in records])


@blueprint.get("/statecharts")
@validate_response(StatechartList, 200)
async def statecharts() -> StatechartList:
    """Every state machine of the project as Mermaid text, drawn from the definition it runs."""
    return StatechartList(
        statecharts=[
            StatechartText(name=chart.name, title=chart.title, mermaid=chart.render())
            for chart in STATECHARTS.values()
        ]
    )


@blueprint.get("/statecharts/<name>")
async def statechart(name: str) -> Response:
    """One state machine (`room`) as Mermaid text, drawn from the definition it runs."""
    chart = STATECHARTS.get(name)
    if chart is None:
        raise NotFound(f"no state machine named {name!r}", code="statechart_not_found")
    return Response(chart.render(), content_type=MERMAID)


@blueprint.get("/sessions/<session_id>/statechart")
async def session_statechart(session_id: str) -> Response:
    """The room machine with this session's current state highlighted."""
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    session = await session_for(principal, session_id, Action.READ)
    return Response(render_mermaid(session.status), content_type=MERMAID)
