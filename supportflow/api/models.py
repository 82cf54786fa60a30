"""Request and response bodies shared by the REST blueprints (they shape /openapi.json)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from supportflow.store import AgentRecord, SessionRecord, UserRecord

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$", strip_whitespace=True)
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateUser(Body):
    user_id: Identifier
    name: ShortText | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None


class User(BaseModel):
    user_id: str
    name: str | None
    email: str | None
    created_at: str

    @classmethod
    def of(cls, record: UserRecord) -> User:
        return cls(**record.__dict__)


class CreateAgent(Body):
    agent_id: Identifier | None = None
    name: ShortText
    max_concurrent: int = Field(default=3, ge=1, le=100)
    is_available: bool = False


class Agent(BaseModel):
    agent_id: str
    name: str
    is_available: bool
    max_concurrent: int
    active_rooms: int
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, record: AgentRecord) -> Agent:
        return cls(**record.__dict__)


class AgentWithToken(Agent):
    token: str = Field(description="Shown once: store it; only its digest is kept.")


class AgentList(BaseModel):
    agents: list[Agent]


class Availability(Body):
    is_available: bool


class CreateSession(Body):
    user_id: Identifier


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
