"""Persistence: the repository over SQLite or PostgreSQL, and the records it returns."""

from __future__ import annotations

from supportflow.store.database import Database
from supportflow.store.migrate import LATEST_SCHEMA_VERSION
from supportflow.store.records import (
    AgentRecord,
    EscalationRecord,
    MessageRecord,
    RatingRecord,
    RoomState,
    SessionRecord,
    UserRecord,
    utc_in,
    utc_now,
)
from supportflow.store.repository import Store
from supportflow.store.rooms import StoredMessage, TeamRoute
from supportflow.store.teams import TeamChanges, TeamRecord

__all__ = [
    "LATEST_SCHEMA_VERSION",
    "AgentRecord",
    "Database",
    "EscalationRecord",
    "MessageRecord",
    "RatingRecord",
    "RoomState",
    "SessionRecord",
    "Store",
    "StoredMessage",
    "TeamChanges",
    "TeamRecord",
    "TeamRoute",
    "UserRecord",
    "utc_in",
    "utc_now",
]
