"""The widget's REST routes: a site's look, starting or resuming a chat, a chat's context.

GET   /api/sites/<id>/widget        anyone: the launcher's look (CORS for the site's origins)
POST  /api/sites/<id>/identify      anyone with a valid user_hash: the customer's open chat
POST  /api/sites/<id>/sessions      anyone: a new chat (or the proven customer's open one)
GET   /api/sessions/<id>/context    admin, its customer, its agent: site, identity, attributes
PATCH /api/sessions/<id>/context    admin, its customer: merge the page's attributes

A request that carries an Origin (every browser's POST, and any cross-origin fetch) must come
from this server's own pages or from one of the site's allowed origins: any other answers 403
`origin_not_allowed` without CORS headers, so the page that asked learns nothing. Requests
without an Origin (servers, scripts) are not browsers' and are let through: the user_hash is
the proof that matters.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, Strict, StrictBool, StringConstraints
from quart import Blueprint, Response, g, request
from quart_schema import validate_request, validate_response

from supportflow.api.context import require, services, session_for
from supportflow.api.models import Body, Email, Identifier, Session, SessionWithToken, ShortText
from supportflow.api.rate_limits import Costly, check_rate
from supportflow.api.sites import WidgetLook
from supportflow.auth import Action, Role
from supportflow.errors import Forbidden, NotFound
from supportflow.sites.chats import (
    MAX_ATTRIBUTES,
    Visitor,
    WidgetChat,
    open_chat,
    proven_user_id,
    resume_chat,
)
from supportflow.store.sites import SiteRecord

blueprint = Blueprint("widget_api", __name__, url_prefix="/api")

AttributeKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")]
AttributeValue = (
    Annotated[str, StringConstraints(max_length=200)]
    | StrictBool
    | Annotated[int, Strict(), Field(ge=-(2**53), le=2**53)]
    | Annotated[float, Strict(), Field(allow_inf_nan=False)]
    | None
)
Attributes = Annotated[
    dict[AttributeKey, AttributeValue],
    Field(
        max_length=MAX_ATTRIBUTES,
        description="shown to agents: keys of letters, digits, `_.-` (at most 40), values"
        " strings (at most 200), numbers or booleans; null removes a key",
        json_schema_extra={"additionalProperties": False},
    ),
]
UserHash = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128),
    Field(description="hex HMAC-SHA256(site secret, user_id), computed by the site's server"),
]


class Identity(Body):
    """A customer the site's back end vouches for: its id, signed with the site secret."""

    user_id: Identifier
    user_hash: UserHash


class Identify(Identity):
    name: ShortText | None = None
    email: Email | None = None


class StartChat(Body):
    """Anonymous without `identity`; else the proven customer's."""

    identity: Identity | None = None
    name: ShortText | None = None
    email: Email | None = None
    attributes: Attributes = Field(default_factory=dict)


class WidgetSession(SessionWithToken):
    resumed: bool = Field(description="an open chat of this customer's, not a new one")
    verified: bool = Field(description="the customer was proven by a user_hash")


class Identified(BaseModel):
    user_id: str
    verified: bool
    session: WidgetSession | None = Field(
        description="the customer's open chat on this site, with a token for this device"
    )


class ChatContext(BaseModel):
    session_id: str
    site_id: str | None = Field(description="null for a chat that did not start in the widget")
    site_name: str | None
    verified: bool
    name: str | None
    email: str | None
    attributes: Attributes


class ContextChange(Body):
    attributes: Attributes


@blueprint.before_request
async def check_site_and_origin() -> None:
    """For the site routes: the site must exist and the caller's Origin be allowed."""
    site_id = (request.view_args or {}).get("site_id")
    origin = request.headers.get("Origin")
    if site_id is None:
        if origin is not None and not _trusted(origin):
            raise Forbidden("this route is for supportflow's own pages", "origin_not_allowed")
        return
    site: SiteRecord = await services().store.get_site(site_id)
    if origin is not None and not _trusted(origin):
        if origin.rstrip("/").lower() not in site.allowed_origins:
            raise Forbidden(
                f"the origin {origin[:300]!r} may not use site {site_id!r}", "origin_not_allowed"
            )
        g.cors_origin = origin
    g.site = site


@blueprint.after_request
async def allow_site_origin(response: Response) -> Response:
    """CORS for the site's allowed origins only (the browser hides the rest from the page)."""
    origin = g.get("cors_origin")
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    return response


@blueprint.get("/sites/<site_id>/widget")
@validate_response(WidgetLook, 200)
async def widget_look(site_id: str) -> WidgetLook:
    """How the widget looks on the site (anyone; 404 `site_not_found`, 403
    `origin_not_allowed` from a page the site does not allow)."""
    return WidgetLook.of(g.site)


@blueprint.post("/sites/<site_id>/identify")
@validate_request(Identify)
@validate_response(Identified, 200)
async def identify(site_id: str, data: Identify) -> Identified:
    """Prove a customer (`user_hash`) and get their open chat on this site, if any, with a
    token for this device; nothing is created. 403 `identity_refused` for a hash that does
    not match. Rate limited per address like `POST /api/sessions`."""
    check_rate(Costly.SESSIONS)
    site: SiteRecord = g.site
    user_id = proven_user_id(site, data.user_id, data.user_hash)
    store = services().store
    if data.name or data.email:
        await store.set_user_profile(user_id, data.name, data.email)
    chat = await resume_chat(store, site, user_id, services().settings.user_token_ttl_seconds)
    return Identified(
        user_id=user_id, verified=True, session=_session(chat) if chat is not None else None
    )


@blueprint.post("/sites/<site_id>/sessions")
@validate_request(StartChat)
@validate_response(WidgetSession, 201)
@validate_response(WidgetSession, 200)
async def start_chat(site_id: str, data: StartChat) -> tuple[WidgetSession, int]:
    """Start a chat from the widget: 201 a new one, 200 the proven customer's open chat.

    409 `prechat_required` when the site's pre-chat form asks for a name or email that an
    anonymous visitor did not give; 403 `identity_refused` for a user_hash that does not
    match.
    Rate limited per address like `POST /api/sessions`.
    """
    check_rate(Costly.SESSIONS)
    who = data.identity
    visitor = Visitor(
        who.user_id if who else None,
        who.user_hash if who else None,
        data.name,
        data.email,
        data.attributes,
    )
    settings = services().settings
    chat = await open_chat(services().store, g.site, visitor, settings.user_token_ttl_seconds)
    return _session(chat), 200 if chat.resumed else 201


@blueprint.get("/sessions/<session_id>/context")
@validate_response(ChatContext, 200)
async def chat_context(session_id: str) -> ChatContext:
    """Where a chat came from and what the page said about its customer (admin, its
    customer, its agent): the console shows it beside the conversation."""
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    session = await session_for(principal, session_id, Action.READ)
    found = await services().store.site_chat(session.session_id)
    if found is None:
        user = await services().store.get_user(session.user_id)
        return ChatContext(
            session_id=session.session_id,
            site_id=None,
            site_name=None,
            verified=False,
            name=user.name,
            email=user.email,
            attributes={},
        )
    return ChatContext(**found.__dict__)


@blueprint.patch("/sessions/<session_id>/context")
@validate_request(ContextChange)
@validate_response(ChatContext, 200)
async def change_context(session_id: str, data: ContextChange) -> ChatContext:
    """Merge the page's attributes into a widget chat's (admin, its customer; null removes
    a key). 404 `not_a_widget_chat`, 409 `too_many_attributes` past 20 keys."""
    principal = await require(Role.ADMIN, Role.USER)
    session = await session_for(principal, session_id, Action.POST)
    store = services().store
    await store.merge_chat_attributes(session.session_id, data.attributes, MAX_ATTRIBUTES)
    found = await store.site_chat(session.session_id)
    if found is None:  # deleted in between by retention: the chat is gone
        raise NotFound(f"no session {session_id!r}", "session_not_found")
    return ChatContext(**found.__dict__)


def _session(chat: WidgetChat) -> WidgetSession:
    return WidgetSession(
        **Session.of(chat.session).model_dump(),
        token=chat.token,
        resumed=chat.resumed,
        verified=chat.verified,
    )


def _trusted(origin: str) -> bool:
    """Whether `origin` is this server's own (its pages, the widget's frame) or one the
    operator allowed for the whole API (`SUPPORTFLOW_CORS_ORIGINS`)."""
    origin = origin.rstrip("/").lower()
    configured = {allowed.rstrip("/").lower() for allowed in services().settings.cors_origins}
    return origin == request.host_url.rstrip("/").lower() or origin in configured
