"""The long-lived parts of a running server, opened once and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from supportflow.auth import Authenticator
from supportflow.bot.runtime import BotRuntime
from supportflow.metrics import Metrics
from supportflow.rooms.notifier import RoomNotifier
from supportflow.rooms.presence import AgentPresence
from supportflow.rooms.registry import RoomRegistry
from supportflow.settings import Settings
from supportflow.store import Store
from supportflow.webhooks import WebhookDispatcher


class Connections(RoomNotifier, Protocol):
    """The wire as handlers see it: rooms' announcements, plus who listens where.

    `supportflow.realtime.notifier.SocketNotifier` implements it over Socket.IO.
    """

    async def typing(self, event: dict[str, Any], skip_sid: str) -> None: ...

    async def agent_connected(self, sid: str, agent_id: str, is_available: bool) -> None: ...

    async def set_agent_available(self, agent_id: str, is_available: bool) -> None: ...

    async def remove_agent_from_room(self, agent_id: str, room_id: str) -> None: ...

    async def disconnect_agent(self, agent_id: str) -> None: ...


@dataclass
class Services:
    settings: Settings
    store: Store
    authenticator: Authenticator
    bot: BotRuntime
    notifier: Connections
    presence: AgentPresence
    rooms: RoomRegistry
    metrics: Metrics
    # `webhooks.publish(event, data)` announces an event to webhooks; it never waits.
    webhooks: WebhookDispatcher
