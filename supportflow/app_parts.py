"""What `create_app` opens at start-up, as factories: today's real parts by default.

The app owns when each part opens and closes (its lifespan); `AppParts` says what opens.
A test hands the app another factory where the real part is beside its point: the bot
of `tests/fakes.py` answers without the embedding model, so a REST or Socket.IO contract
test starts a server in a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from supportflow.bot.runtime import BotRuntime, open_bot
from supportflow.cluster.node import ClusterNode
from supportflow.metrics import Metrics
from supportflow.settings import Settings, WebhookSettings
from supportflow.store import Store
from supportflow.webhooks import WebhookDispatcher

StoreOpener = Callable[[Settings], Awaitable[Store]]
BotOpener = Callable[[Settings, Metrics], Awaitable[BotRuntime]]
ClusterOpener = Callable[[Settings], Awaitable[ClusterNode | None]]
DispatcherFactory = Callable[[Store, WebhookSettings], WebhookDispatcher]


async def open_store(settings: Settings) -> Store:
    """The SQLite file or PostgreSQL database of `settings`, migrated."""
    return await Store.open(settings.database, settings.sqlite_synchronous)


async def open_cluster(settings: Settings) -> ClusterNode | None:
    """This process as a node of a cluster when `SUPPORTFLOW_REDIS_URL` is set, else None."""
    return await ClusterNode.open(settings.cluster) if settings.cluster.redis_url else None


@dataclass(frozen=True)
class AppParts:
    """The app's collaborators, each a factory called once when the app starts serving."""

    open_store: StoreOpener = open_store
    # Loads the embedding model, opens the vector store and builds the responder.
    open_bot: BotOpener = open_bot
    open_cluster: ClusterOpener = open_cluster
    # Started after it is built, closed after the rooms drain.
    webhooks: DispatcherFactory = WebhookDispatcher
