"""The long-lived parts of a running server, opened once and shared by every request."""

from __future__ import annotations

from dataclasses import dataclass

from supportflow.auth import Authenticator
from supportflow.bot.runtime import BotRuntime
from supportflow.metrics import Metrics
from supportflow.realtime.gateway import SocketGateway
from supportflow.rooms.registry import RoomRegistry
from supportflow.settings import Settings
from supportflow.store import Store
from supportflow.webhooks import WebhookDispatcher


@dataclass
class Services:
    settings: Settings
    store: Store
    authenticator: Authenticator
    bot: BotRuntime
    gateway: SocketGateway
    rooms: RoomRegistry
    metrics: Metrics
    # `webhooks.publish(event, data)` announces an event to webhooks; it never waits.
    webhooks: WebhookDispatcher
