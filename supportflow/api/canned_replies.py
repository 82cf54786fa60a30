"""Canned replies: admins keep short saved answers, agents insert them with "/shortcut".

GET    /api/canned-replies?prefix=&room_id=   admin or agent; with room_id, each comes
                                               filled in for that room (`rendered`)
POST   /api/canned-replies                    admin
GET    /api/canned-replies/<id>               admin or agent
PUT    /api/canned-replies/<id>               admin (replaces shortcut, title and text)
DELETE /api/canned-replies/<id>               admin
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints
from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import Body
from supportflow.auth import Action, Principal, Role
from supportflow.canned_templates import PLACEHOLDERS, ReplyContext, check_template, fill
from supportflow.errors import NotFound
from supportflow.store.canned_replies import CannedReplyRecord

blueprint = Blueprint("canned_replies", __name__, url_prefix="/api")

SHORTCUT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
# Literal text, doubled braces, or a known placeholder: exactly what check_template allows.
TEMPLATE_PATTERN = r"^([^{}]|\{\{|\}\}|\{(" + "|".join(PLACEHOLDERS) + r")\})*$"
Shortcut = Annotated[str, StringConstraints(pattern=SHORTCUT_PATTERN)]
_PLACEHOLDER_HELP = "Placeholders: " + "; ".join(
    f"{{{name}}} is {meaning}" for name, meaning in PLACEHOLDERS.items()
)


class CannedReplyIn(Body):
    shortcut: Shortcut = Field(description="typed after '/' in the console: a-z, 0-9, _ and -")
    text: Annotated[
        str, StringConstraints(min_length=1, max_length=2000, pattern=TEMPLATE_PATTERN)
    ] = Field(description=_PLACEHOLDER_HELP + ". Write {{ and }} for literal braces.")
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None


class CannedReply(BaseModel):
    id: str
    shortcut: str
    title: str | None
    text: str
    rendered: str | None = Field(
        default=None, description="the text filled in for `room_id`, when the list asked for one"
    )
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, record: CannedReplyRecord, rendered: str | None = None) -> CannedReply:
        return cls(
            id=record.canned_reply_id,
            shortcut=record.shortcut,
            title=record.title,
            text=record.body,
            rendered=rendered,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )


class CannedReplyList(BaseModel):
    canned_replies: list[CannedReply]


class CannedReplyQuery(BaseModel):
    prefix: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_-]{0,32}$")] = ""
    room_id: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None


class CannedReplyDeleted(BaseModel):
    id: str
    deleted: bool


@blueprint.get("/canned-replies")
@validate_querystring(CannedReplyQuery)
@validate_response(CannedReplyList, 200)
async def list_canned_replies(query_args: CannedReplyQuery) -> CannedReplyList:
    """Canned replies by shortcut, those starting with `prefix` (admin or agent).

    With `room_id` (a room the caller may read), each carries `rendered`: its text with
    the placeholders filled in for that room's customer and the calling agent.
    """
    principal = await require(Role.ADMIN, Role.AGENT)
    records = await services().store.canned_replies(query_args.prefix)
    if query_args.room_id is None:
        return CannedReplyList(canned_replies=[CannedReply.of(record) for record in records])
    context = await _context(principal, query_args.room_id)
    return CannedReplyList(
        canned_replies=[CannedReply.of(record, fill(record.body, context)) for record in records]
    )


@blueprint.post("/canned-replies")
@validate_request(CannedReplyIn)
@validate_response(CannedReply, 201)
async def create_canned_reply(data: CannedReplyIn) -> tuple[CannedReply, int]:
    """Save a canned reply (admin); 409 `shortcut_exists` when the shortcut is taken."""
    await require(Role.ADMIN)
    check_template(data.text)
    record = await services().store.create_canned_reply(data.shortcut, data.text, data.title)
    return CannedReply.of(record), 201


@blueprint.get("/canned-replies/<reply_id>")
@validate_response(CannedReply, 200)
async def get_canned_reply(reply_id: str) -> CannedReply:
    """One canned reply (admin or agent)."""
    await require(Role.ADMIN, Role.AGENT)
    return CannedReply.of(await services().store.get_canned_reply(reply_id))


@blueprint.put("/canned-replies/<reply_id>")
@validate_request(CannedReplyIn)
@validate_response(CannedReply, 200)
async def update_canned_reply(reply_id: str, data: CannedReplyIn) -> CannedReply:
    """Replace a canned reply's shortcut, title and text (admin)."""
    await require(Role.ADMIN)
    check_template(data.text)
    record = await services().store.update_canned_reply(
        reply_id, data.shortcut, data.text, data.title
    )
    return CannedReply.of(record)


@blueprint.delete("/canned-replies/<reply_id>")
@validate_response(CannedReplyDeleted, 200)
async def delete_canned_reply(reply_id: str) -> CannedReplyDeleted:
    """Remove a canned reply (admin)."""
    await require(Role.ADMIN)
    await services().store.delete_canned_reply(reply_id)
    return CannedReplyDeleted(id=reply_id, deleted=True)


async def _context(principal: Principal, room_id: str) -> ReplyContext:
    store = services().store
    try:
        session = await store.session_by_room(room_id)
    except NotFound:
        # An agent gets the same 403 for a missing room as for another's: the answer must
        # not tell which room ids exist. The admin, who may read any, gets the 404.
        if principal.role is Role.ADMIN:
            raise NotFound(f"no room {room_id!r}", "room_not_found") from None
        raise principal.refusal(Action.READ) from None
    principal.ensure(Action.READ, session)
    customer = await store.get_user(session.user_id)
    agent_id = principal.id if principal.role is Role.AGENT else session.agent_id
    agent_name = (await store.get_agent(agent_id)).name if agent_id else None
    return ReplyContext(session.user_id, customer.name, agent_name)
