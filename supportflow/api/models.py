"""Request and response bodies shared by the REST blueprints (they shape /openapi.json)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from supportflow.store import (
    AgentRecord,
    EscalationRecord,
    MessageRecord,
    SessionRecord,
    UserRecord,
)

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$", strip_whitespace=True)
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
# Form only, as the seed checked it: one "@", a dot in the domain, no spaces. Whether the
# address receives mail is not this server's to know.
Email = Annotated[
    str,
    StringConstraints(
        pattern=r"^[^@ \t\n\r\f\v]{1,64}@[^@ \t\n\r\f\v.]+(\.[^@ \t\n\r\f\v.]+)+$",
        max_length=254,
    ),
]
# International or national numbers: digits with the usual separators, a leading "+".
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9(][0-9 ().-]{5,30}$")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateUser(Body):
    user_id: Identifier
    name: ShortText | None = None
    email: Email | None = None
    phone: Phone | None = None


class User(BaseModel):
    user_id: str
    name: str | None
    email: str | None
    phone: str | None
    created_at: str

    @classmethod
    def of(cls, record: UserRecord) -> User:
        return cls(**record.__dict__)


class CreateAgent(Body):
    agent_id: Identifier | None = None
    name: ShortText
    email: Email | None = None
    phone: Phone | None = None
    max_concurrent: int = Field(default=3, ge=1, le=100)
    is_available: StrictBool = False


class Agent(BaseModel):
    agent_id: str
    name: str
    email: str | None
    phone: str | None
    is_available: bool
    max_concurrent: int
    active_rooms: int
    created_at: str
    updated_at: str
    disabled: bool = False

    @classmethod
    def of(cls, record: AgentRecord) -> Agent:
        return cls(**record.__dict__)


class AgentWithToken(Agent):
    token: str = Field(description="Shown once: store it; only its digest is kept.")


class AgentList(BaseModel):
    agents: list[Agent]


class Availability(Body):
    is_available: StrictBool


class CreateSession(Body):
    # Only with the admin token, or a customer token of that user; else chosen by the server.
    user_id: Identifier | None = None


class Session(BaseModel):
    session_id: str
    room_id: str
    user_id: str
    agent_id: str | None
    status: str
    exchange_count: int
    last_seq: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, record: SessionRecord) -> Session:
        return cls(**record.__dict__)


class SessionWithToken(Session):
    token: str = Field(description="The customer's token for this session's room.")


class Health(BaseModel):
    status: str
    version: str
    components: dict[str, dict[str, object]]


class CreateEscalation(Body):
    session_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "human_requested"


class Escalation(BaseModel):
    escalation_id: str
    session_id: str
    room_id: str
    user_id: str
    reasons: list[str]
    status: str
    triggered_at: str
    handled_at: str | None
    handled_by: str | None
    team_id: str | None = Field(default=None, description="the team it was routed to")
    widened_at: str | None = Field(
        default=None, description="when every agent was alerted (null: its team only, so far)"
    )

    @classmethod
    def of(cls, record: EscalationRecord) -> Escalation:
        return cls(**{**record.__dict__, "reasons": list(record.reasons)})


class EscalationList(BaseModel):
    escalations: list[Escalation]


class EscalationQuery(BaseModel):
    status: Literal["pending", "claimed", "cancelled"] = "pending"
    limit: int = Field(default=200, ge=1, le=1000)


class MessagesQuery(BaseModel):
    after_seq: int = Field(default=0, ge=0)
    limit: int = Field(default=500, ge=1, le=1000)


class TranscriptMessage(BaseModel):
    room_id: str
    seq: int
    sender_type: str
    sender_id: str | None
    message: str
    client_msg_id: str | None
    metadata: dict[str, Any]
    created_at: str
    visibility: Literal["all", "agents"] = Field(
        default="all", description='"agents": a private note, only agents and admins see it'
    )
    # A bot reply's searched query (also in metadata), so agents see why it answered.
    query: str | None = None

    @classmethod
    def of(cls, record: MessageRecord) -> TranscriptMessage:
        return cls(
            room_id=record.room_id,
            seq=record.seq,
            sender_type=record.sender_type,
            sender_id=record.sender_id,
            message=record.body,
            client_msg_id=record.client_msg_id,
            metadata=record.metadata,
            created_at=record.created_at,
            visibility="agents" if record.private else "all",
            query=_text_or_none(record.metadata.get("query")),
        )


class MessageList(BaseModel):
    messages: list[TranscriptMessage]


class StatechartText(BaseModel):
    name: str
    title: str
    mermaid: str = Field(description="Mermaid stateDiagram-v2 text, from the live definition")


class StatechartList(BaseModel):
    statecharts: list[StatechartText]


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None
