"""Socket.IO payloads: what each client event must carry, and what the server sends."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from supportflow.rooms.room_notifier import EscalationAlert
from supportflow.store import MessageRecord

RoomId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ClientMsgId = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Payload(BaseModel):
    # Strict: "5" is not a seq and 1 is not a room id. Unknown keys are ignored, so clients
    # may send more than the contract asks for.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class RoomRef(Payload):
    room_id: RoomId


class JoinRoom(RoomRef):
    user_type: Literal["user", "agent"] | None = None
    user_id: str | None = Field(default=None, max_length=128)


class SendMessage(RoomRef):
    # The length limit is checked by the handler, to answer `message_too_long`.
    message: str
    user_type: Literal["user", "agent"] | None = None
    user_id: str | None = Field(default=None, max_length=128)
    client_msg_id: ClientMsgId | None = None


# SQLite's INTEGER is 64-bit: a larger number must be refused here, not crash the query.
MAX_SEQ = 2**63 - 1


class Sync(RoomRef):
    after_seq: int = Field(default=0, ge=0, le=MAX_SEQ)


class Typing(RoomRef):
    is_typing: bool


class TransferRoom(RoomRef):
    """To another agent (`agent_id`) or back to a team's queue (`team_id`): exactly one."""

    agent_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    team_id: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> TransferRoom:
        if (self.agent_id is None) == (self.team_id is None):
            raise ValueError("give exactly one of agent_id and team_id")
        return self


class AddNote(RoomRef):
    # The length limit is checked by the handler, to answer `message_too_long`.
    text: str


class Rate(RoomRef):
    score: int = Field(ge=1, le=5)
    comment: Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)] | None = None


class Feedback(RoomRef):
    """A thumbs up or down on one bot reply."""

    seq: int = Field(ge=1, le=MAX_SEQ)
    verdict: Literal["up", "down"]


class LeaveContact(RoomRef):
    email: Annotated[
        str,
        StringConstraints(
            max_length=254, strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
        ),
    ]


class EscalateRoom(RoomRef):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "human_requested"


def message_event(message: MessageRecord) -> dict[str, Any]:
    """The `new_message` payload (also each item of a join or sync history)."""
    event: dict[str, Any] = {
        "room_id": message.room_id,
        "seq": message.seq,
        "sender_type": message.sender_type,
        "sender_id": message.sender_id,
        "message": message.body,
        "created_at": message.created_at,
    }
    if message.client_msg_id is not None:
        event["client_msg_id"] = message.client_msg_id
    for key in (
        "confidence",
        "sources",
        "query",
        "act",
        "suggestions",
        "reply_id",
        "related",
        "considered",
        "queue_position",
        "estimated_wait_seconds",
    ):
        if key in message.metadata:
            event[key] = message.metadata[key]
    if message.metadata.get("csat_request"):
        event["csat_request"] = True
    if message.metadata.get("office_closed"):
        event["office_closed"] = True
        event["agents_back_at"] = message.metadata.get("agents_back_at")
    if message.private:
        event["visibility"] = message.visibility
    return event


def alert_event(alert: EscalationAlert) -> dict[str, Any]:
    return {
        "escalation_id": alert.escalation_id,
        "room_id": alert.room_id,
        "session_id": alert.session_id,
        "user_id": alert.user_id,
        "reasons": list(alert.reasons),
        "queued_at": alert.queued_at,
        "preview": [{"sender_type": p.sender_type, "message": p.message} for p in alert.preview],
        "realert": alert.realert,
        "team_id": alert.team_id,
        "team_name": alert.team_name,
        # True while only the team is alerted; false once everyone is (or it has no team).
        "team_only": alert.audience is not None,
    }
