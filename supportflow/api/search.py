"""Transcript search over REST: `GET /api/search` and opening what it found.

Who sees what is the store's `SearchScope`, chosen here from the caller's token: the admin
everything, an agent the chats it holds or handled and the queue, a customer its own chat
without the private notes. A conversation a caller can find, it can open
(`GET /api/search/conversations/<session_id>`), notes included for agents and the admin.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import MessageList, TranscriptMessage
from supportflow.auth import Principal, Role
from supportflow.errors import Forbidden
from supportflow.store import RoomState
from supportflow.store.search import (
    SearchHit,
    SearchPage,
    SearchQuery,
    SearchScope,
    SnippetPart,
)

blueprint = Blueprint("search", __name__, url_prefix="/api")

_STATE = "(" + "|".join(state.value for state in RoomState) + ")"
_STATES = f"^{_STATE}(,{_STATE})*$"
# Pydantic also reads numbers as times (seconds since 1970); the contract says ISO-8601.
_ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def _iso_only(value: object) -> object:
    if isinstance(value, str) and not _ISO_MOMENT.match(value):
        raise ValueError("not an ISO-8601 date (2026-12-07) or time (2026-12-07T09:30:00Z)")
    return value


Moment = Annotated[date | datetime, BeforeValidator(_iso_only)]
Filter = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class SearchArgs(BaseModel):
    q: Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)] = Field(
        default="",
        description='Words (all must match, stemmed) and "quoted phrases". Empty: the'
        " conversations matching the other filters, most recently active first.",
    )
    customer: Filter | None = Field(
        default=None, description="A user id, an exact email, or part of the customer's name"
    )
    agent: Filter | None = Field(default=None, description="Chats this agent held or handled")
    state: Annotated[str, StringConstraints(pattern=_STATES)] | None = Field(
        default=None, description="Room states, comma-separated: bot_active,escalating,..."
    )
    since: Moment | None = Field(
        default=None,
        description="From this date or UTC time on (the message's time when `q` is given, the"
        " chat's start otherwise)",
    )
    until: Moment | None = Field(
        default=None, description="Up to this time, or to the end of this date"
    )
    team: Filter | None = Field(
        default=None,
        description="Chats escalated to this team's queue (a team id; 404 `team_not_found`"
        " for an unknown one)",
    )
    page: int = Field(default=1, ge=1, le=500)
    per_page: int = Field(default=20, ge=1, le=50)

    def query(self) -> SearchQuery:
        states = tuple(RoomState(name) for name in self.state.split(",")) if self.state else ()
        return SearchQuery(
            text=self.q,
            customer=self.customer,
            agent_id=self.agent,
            team_id=self.team,
            states=states,
            since=self.since,
            until=self.until,
            page=self.page,
            per_page=self.per_page,
        )


class SnippetPiece(BaseModel):
    text: str
    match: bool = Field(description="This part matched the query (the page highlights it)")

    @classmethod
    def of(cls, part: SnippetPart) -> SnippetPiece:
        return cls(text=part.text, match=part.match)


class MessageMatch(BaseModel):
    seq: int
    sender_type: str
    private: bool = Field(description="A private note (agents and the admin only)")
    created_at: str
    snippet: list[SnippetPiece]


class Customer(BaseModel):
    user_id: str
    name: str | None


class SearchResult(BaseModel):
    session_id: str
    room_id: str
    state: str
    customer: Customer
    agent_id: str | None
    started_at: str
    updated_at: str
    match: MessageMatch | None = Field(description="The message that matched (null: no `q`)")

    @classmethod
    def of(cls, hit: SearchHit) -> SearchResult:
        match = None
        if hit.seq is not None:
            match = MessageMatch(
                seq=hit.seq,
                sender_type=hit.sender_type or "",
                private=hit.private,
                created_at=hit.created_at or "",
                snippet=[SnippetPiece.of(part) for part in hit.snippet],
            )
        return cls(
            session_id=hit.session_id,
            room_id=hit.room_id,
            state=hit.state.value,
            customer=Customer(user_id=hit.user_id, name=hit.customer_name),
            agent_id=hit.agent_id,
            started_at=hit.started_at,
            updated_at=hit.updated_at,
            match=match,
        )


class SearchResults(BaseModel):
    results: list[SearchResult]
    page: int
    per_page: int
    has_more: bool

    @classmethod
    def of(cls, found: SearchPage) -> SearchResults:
        return cls(
            results=[SearchResult.of(hit) for hit in found.hits],
            page=found.page,
            per_page=found.per_page,
            has_more=found.has_more,
        )


def scope_of(principal: Principal) -> SearchScope:
    if principal.role is Role.ADMIN:
        return SearchScope(everything=True)
    if principal.role is Role.AGENT:
        return SearchScope(agent_id=principal.id)
    return SearchScope(session_id=principal.session_id)


@blueprint.get("/search")
@validate_querystring(SearchArgs)
@validate_response(SearchResults, 200)
async def search(query_args: SearchArgs) -> SearchResults:
    """Search conversations by text, customer, agent, state and dates, newest first.

    The admin searches everything; an agent the chats it holds or handled and the queue;
    a customer its own chat, without the private notes.
    """
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    if query_args.team is not None:
        await services().store.get_team(query_args.team)  # NotFound `team_not_found`
    found = await services().store.search_conversations(scope_of(principal), query_args.query())
    return SearchResults.of(found)


@blueprint.get("/search/conversations/<session_id>")
@validate_response(MessageList, 200)
async def found_conversation(session_id: str) -> MessageList:
    """The whole transcript of a conversation the caller's search can find (notes for staff).

    Answers 403 `not_your_room` for any other, whether it exists or not.
    """
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    store = services().store
    if not await store.search_scope_covers(scope_of(principal), session_id):
        raise Forbidden("this conversation is not one you can search", "not_your_room")
    session = await store.get_session(session_id)
    records = await store.messages_after(session.room_id, 0, include_private=principal.is_staff)
    return MessageList(messages=[TranscriptMessage.of(record) for record in records])
