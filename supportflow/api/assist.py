"""Agent assist over REST: `GET /api/sessions/<id>/assist` (issue 25, item 2).

For the customer's latest message in a claimed chat: the best articles with the passage
that matched, and a draft reply grounded in them. Nothing is sent: the console puts the
draft in the agent's reply box, and the agent edits and sends it like any reply.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_response

from supportflow.api.context import require, services, session_for
from supportflow.auth import Action, Role
from supportflow.bot.assist import AssistArticle, Suggestion
from supportflow.errors import Conflict, Forbidden, Unavailable
from supportflow.rooms.history import conversation_history
from supportflow.store import RoomState

blueprint = Blueprint("assist", __name__, url_prefix="/api")

# The customer's latest message is looked for among the room's last messages.
_LOOKBACK = 50


class AssistArticleOut(BaseModel):
    doc_id: str
    title: str
    category: str
    similarity: float = Field(description="Cosine similarity of the best passage (0 to 1)")
    passage: str = Field(description="The article's passage that matched best")
    sentence: str | None = Field(description="Within it, the sentence that matched best")

    @classmethod
    def of(cls, article: AssistArticle) -> AssistArticleOut:
        return cls(**article.__dict__)


class DraftOut(BaseModel):
    text: str
    confidence: float
    provider: str = Field(description='"groq", or the offline grounded answerer')
    cited: list[str] = Field(description="The article ids the draft is grounded in")


class CustomerMessage(BaseModel):
    seq: int
    message: str
    created_at: str


class AssistOut(BaseModel):
    message: CustomerMessage | None = Field(description="The latest customer message (null: none)")
    query: str | None = Field(description="What was searched for it")
    articles: list[AssistArticleOut]
    draft: DraftOut | None = Field(description="Never sent by the server: the agent's to use")

    @classmethod
    def of(cls, message: CustomerMessage, suggestion: Suggestion) -> AssistOut:
        draft = suggestion.draft
        return cls(
            message=message,
            query=suggestion.query,
            articles=[AssistArticleOut.of(article) for article in suggestion.articles],
            draft=None
            if draft is None
            else DraftOut(
                text=draft.text,
                confidence=draft.confidence,
                provider=draft.provider,
                cited=list(draft.cited),
            ),
        )


@blueprint.get("/sessions/<session_id>/assist")
@validate_response(AssistOut, 200)
async def assist(session_id: str) -> AssistOut:
    """Articles and a draft reply for the customer's latest message (its agent, the admin).

    409 `room_not_claimed` unless an agent holds the chat; 403 `not_your_room` for another
    agent. Sends nothing.
    """
    principal = await require(Role.ADMIN, Role.AGENT)
    session = await session_for(principal, session_id, Action.READ)
    if session.status is not RoomState.AGENT_ASSIGNED:
        raise Conflict("assist is for a chat an agent holds", "room_not_claimed")
    if principal.role is Role.AGENT and session.agent_id != principal.id:
        raise Forbidden("another agent holds this chat", "not_your_room")
    app_services = services()
    if app_services.bot.assist is None:
        raise Unavailable("assist is not available on this server", "assist_unavailable")
    store = app_services.store
    recent = await store.recent_messages(session.room_id, _LOOKBACK)
    latest = next((m for m in reversed(recent) if m.sender_type == "user"), None)
    if latest is None:
        return AssistOut(message=None, query=None, articles=[], draft=None)
    history = await conversation_history(
        store, session.room_id, app_services.settings.history_limit, before_seq=latest.seq
    )
    suggestion = await app_services.bot.assist.suggest(latest.body, history)
    message = CustomerMessage(seq=latest.seq, message=latest.body, created_at=latest.created_at)
    return AssistOut.of(message, suggestion)
