"""A customer's earlier conversations, for the agent who takes their chat (issue 25, item 4).

Whoever may read a chat (its agent, any agent while it is queued, the admin) may list the
customer's earlier chats and open each, private notes included: the agent taking a chat
sees what the customer went through before, whoever handled it then.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from quart import Blueprint
from quart_schema import validate_response

from supportflow.api.context import require, services, session_for
from supportflow.api.models import MessageList, TranscriptMessage
from supportflow.auth import Action, Role
from supportflow.errors import NotFound
from supportflow.store.customer_history import EarlierConversation

blueprint = Blueprint("customer_history", __name__, url_prefix="/api")


class EarlierChat(BaseModel):
    session_id: str
    room_id: str
    state: str
    started_at: str
    updated_at: str
    topic: str | None = Field(description="The customer's first message, clipped")
    reasons: list[str] = Field(description="Why it was escalated (empty: the bot alone)")
    agent_id: str | None = Field(description="Who handled it (the last agent to claim it)")
    agent_name: str | None
    rating: int | None = Field(description="The customer's rating, 1 to 5, if they gave one")
    rating_comment: str | None

    @classmethod
    def of(cls, chat: EarlierConversation) -> EarlierChat:
        return cls(**{**chat.__dict__, "state": chat.state.value, "reasons": list(chat.reasons)})


class CustomerHistory(BaseModel):
    user_id: str
    conversations: list[EarlierChat] = Field(description="Newest first, at most 20")


@blueprint.get("/sessions/<session_id>/history")
@validate_response(CustomerHistory, 200)
async def customer_history(session_id: str) -> CustomerHistory:
    """The earlier chats of this chat's customer (agents who may read it, the admin)."""
    principal = await require(Role.ADMIN, Role.AGENT)
    session = await session_for(principal, session_id, Action.READ)
    earlier = await services().store.earlier_conversations(session.session_id)
    return CustomerHistory(
        user_id=session.user_id, conversations=[EarlierChat.of(chat) for chat in earlier]
    )


@blueprint.get("/sessions/<session_id>/history/<earlier_id>/messages")
@validate_response(MessageList, 200)
async def earlier_transcript(session_id: str, earlier_id: str) -> MessageList:
    """One earlier chat's whole transcript, private notes included.

    404 `conversation_not_found` when `earlier_id` is not an earlier chat of this customer.
    """
    principal = await require(Role.ADMIN, Role.AGENT)
    session = await session_for(principal, session_id, Action.READ)
    store = services().store
    if not await store.is_earlier_conversation(session.session_id, earlier_id):
        raise NotFound("not an earlier chat of this customer", "conversation_not_found")
    earlier = await store.get_session(earlier_id)
    records = await store.messages_after(earlier.room_id, 0, include_private=True)
    return MessageList(messages=[TranscriptMessage.of(record) for record in records])
