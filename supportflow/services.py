"""The long-lived parts of a running server, opened once and shared by every request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from supportflow.auth import Authenticator
from supportflow.bot.runtime import BotRuntime
from supportflow.cluster.node import ClusterNode
from supportflow.learning import LearnedExamples
from supportflow.metrics import Metrics
from supportflow.rooms.agent_presence import AgentPresence
from supportflow.rooms.registry import RoomRegistry
from supportflow.rooms.room_notifier import RoomNotifier
from supportflow.settings import Settings
from supportflow.sites import SiteOrigins
from supportflow.store import RoomState, Store
from supportflow.token_buckets import KeyedBuckets
from supportflow.webhooks import WebhookDispatcher


class Connections(RoomNotifier, Protocol):
    """The wire as handlers see it: rooms' announcements, plus who listens where.

    `supportflow.realtime.socket_notifier.SocketNotifier` implements it over Socket.IO.
    """

    async def typing(self, event: dict[str, Any], skip_sid: str) -> None: ...

    async def agent_connected(self, sid: str, agent_id: str, is_available: bool) -> None: ...

    def agent_disconnected(self, sid: str, agent_id: str) -> None: ...

    async def set_agent_available(self, agent_id: str, is_available: bool) -> None: ...

    async def sync_readers(self, room_id: str, state: RoomState, agent_id: str | None) -> None:
        """Keep a room's listeners to those who may read it (call after any change of who
        may: `state_changed` does on every state change)."""

    async def disconnect_agent(self, agent_id: str, code: str, message: str) -> None: ...

    async def drop(self, sid: str, code: str, message: str) -> None: ...


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
    # Learned examples: what agents confirmed, fed to retrieval (learning/).
    learning: LearnedExamples
    # This process as a node of a cluster (SUPPORTFLOW_REDIS_URL set), else None.
    cluster: ClusterNode | None = None
    # Every widget site's allowed origins, for the Socket.IO handshake's synchronous check.
    site_origins: SiteOrigins = field(default_factory=SiteOrigins)
    # The costly REST routes' allowances by route group (api/rate_limits.py), per client
    # address: kept for the app's life, so a limit holds across requests.
    rest_allowances: Mapping[str, KeyedBuckets] = field(default_factory=dict)
