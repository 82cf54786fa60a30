"""Rows as the rest of the code sees them: frozen, typed, no SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from supportflow.store.database import Row

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Record = TypeVar("Record", bound="DataclassInstance")


def _load_json(text: str) -> Any:
    """A stored JSON column. orjson first: every reply reads the room's recent messages,
    and their metadata was the largest pure-Python cost of a reply in the profile. Rows
    written before (json.dumps lets NaN through, orjson refuses it) still read."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class RoomState(StrEnum):
    """The states of a room's lifecycle, as the `sessions.status` column stores them.

    Defined here, below `rooms`, because rows carry them; `supportflow.rooms.machine`
    gives them their transitions.
    """

    BOT_ACTIVE = "bot_active"
    ESCALATING = "escalating"
    AGENT_ASSIGNED = "agent_assigned"
    CLOSED = "closed"


def utc_now() -> str:
    """Now as ISO-8601 UTC with milliseconds, the one timestamp format stored."""
    return utc_in(0)


def utc_in(seconds: float) -> str:
    """`seconds` from now, in the format of `utc_now()`."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seconds_between(start: str, end: str) -> float:
    """Seconds from one stored timestamp to a later one (0 if the clock stepped back)."""
    elapsed = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return max(0.0, elapsed.total_seconds())


def from_columns(kind: type[Record], row: Row, **decoded: Any) -> Record:
    """A `kind` whose fields are the row's columns of the same names, as stored; `decoded`
    gives the fields whose column needs converting (JSON, enums, flags) already converted."""
    stored = {field.name: row[field.name] for field in fields(kind) if field.name not in decoded}
    return kind(**stored, **decoded)


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    name: str | None
    email: str | None
    phone: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> UserRecord:
        return from_columns(cls, row)


@dataclass(frozen=True)
class AgentRecord:
    agent_id: str
    name: str
    email: str | None
    phone: str | None
    is_available: bool
    max_concurrent: int
    active_rooms: int
    created_at: str
    updated_at: str
    disabled: bool = False  # by the admin: its token is refused until it is enabled

    @classmethod
    def from_row(cls, row: Row) -> AgentRecord:
        return from_columns(
            cls,
            row,
            is_available=bool(row["is_available"]),
            disabled=row["disabled_at"] is not None,
        )


@dataclass(frozen=True)
class SessionRecord:
    """A customer's session and the chat room it owns (one room per session)."""

    session_id: str
    room_id: str
    user_id: str
    agent_id: str | None
    status: RoomState
    exchange_count: int
    last_seq: int
    created_at: str
    updated_at: str
    expires_at: str | None = None  # when the customer's token stops working
    fence: int = 0  # the lease number the room was last written under (0: never fenced)

    @property
    def expired(self) -> bool:
        # Same fixed-width ISO format on both sides, so text order is time order.
        return self.expires_at is not None and self.expires_at <= utc_now()

    @classmethod
    def from_row(cls, row: Row) -> SessionRecord:
        return from_columns(cls, row, status=RoomState(row["status"]))


@dataclass(frozen=True)
class MessageRecord:
    room_id: str
    seq: int
    sender_type: str
    sender_id: str | None
    body: str
    client_msg_id: str | None
    metadata: dict[str, Any]
    created_at: str
    visibility: str = "all"  # "agents": a private note, never shown to the customer

    @property
    def private(self) -> bool:
        return self.visibility == "agents"

    @classmethod
    def from_row(cls, row: Row) -> MessageRecord:
        return from_columns(cls, row, metadata=_load_json(row["metadata"]))


@dataclass(frozen=True)
class EscalationRecord:
    escalation_id: str
    session_id: str
    room_id: str
    user_id: str
    reasons: tuple[str, ...]
    triggered_at: str
    handled_at: str | None
    handled_by: str | None
    status: str
    team_id: str | None = None  # the team it was routed to (None: everyone)
    widened_at: str | None = None  # when everyone was alerted (None: the team only, so far)

    @property
    def team_only(self) -> bool:
        """Alerts go to its team's agents alone (not yet widened to everyone)."""
        return self.team_id is not None and self.widened_at is None

    @classmethod
    def from_row(cls, row: Row) -> EscalationRecord:
        return from_columns(cls, row, reasons=tuple(_load_json(row["reasons"])))


@dataclass(frozen=True)
class RatingRecord:
    """A customer's rating of a closed room (CSAT): 1 to 5, with an optional comment."""

    room_id: str
    session_id: str
    user_id: str
    agent_id: str | None  # the agent who last held the room, if any
    score: int
    comment: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> RatingRecord:
        return from_columns(cls, row)
