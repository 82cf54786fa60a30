"""`create_app(settings, parts)`: Quart for REST, python-socketio in front of it, one lifespan."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack

import socketio
from quart import Quart, Response, g, request
from quart_cors import cors
from quart_schema import Info, QuartSchema

from supportflow import __version__
from supportflow.api import (
    accounts,
    assist,
    canned_replies,
    customer_history,
    docs,
    health,
    knowledge,
    learned_examples,
    reports,
    rooms,
    search,
    sessions,
    sites,
    teams,
    webhooks,
    widget,
)
from supportflow.api import help as help_center
from supportflow.api import metrics as metrics_api
from supportflow.api.contract import ContractProvider
from supportflow.api.errors import register_error_handlers
from supportflow.api.headers import register_docs_policy, with_nosniff
from supportflow.api.rate_limits import rest_allowances
from supportflow.app_parts import AppParts
from supportflow.auth import Authenticator, ensure_admin_token
from supportflow.data_dir import secure_data_dir
from supportflow.learning import LearnedExamples, LearningNotifier
from supportflow.metrics import Metrics
from supportflow.realtime.server import create_socket_server
from supportflow.realtime.socket_notifier import SocketNotifier
from supportflow.retention import RetentionSweep
from supportflow.rooms.agent_presence import AgentPresence
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.recovery import own_up_to_interrupted_replies
from supportflow.rooms.registry import RoomRegistry
from supportflow.rooms.team_widening import TeamWidening
from supportflow.rooms.unclaimed import UnclaimedWatch
from supportflow.services import Services
from supportflow.settings import Settings
from supportflow.sites.origins import REFRESH_SECONDS as SITES_REFRESH_SECONDS
from supportflow.web import pages as web
from supportflow.web import widget_pages
from supportflow.webhooks import PublishingNotifier

log = logging.getLogger("supportflow.http")

_BLUEPRINTS = (
    health.blueprint,
    accounts.blueprint,
    sessions.blueprint,
    rooms.blueprint,
    search.blueprint,
    customer_history.blueprint,
    assist.blueprint,
    knowledge.blueprint,
    help_center.blueprint,
    learned_examples.blueprint,
    canned_replies.blueprint,
    webhooks.blueprint,
    sites.blueprint,
    teams.blueprint,
    widget.blueprint,
    reports.blueprint,
    metrics_api.blueprint,
    docs.blueprint,
    web.blueprint,
    widget_pages.blueprint,
)


def create_app(settings: Settings, parts: AppParts | None = None) -> Quart:
    """The whole service as one ASGI app; resources open when it starts serving.

    `parts` says what opens (the store, the bot, the cluster node, the webhook dispatcher);
    today's real ones by default.
    """
    parts = parts or AppParts()
    secure_data_dir(settings)
    admin_token = ensure_admin_token(settings)
    app = Quart("supportflow")
    app.config.update(MAX_CONTENT_LENGTH=settings.max_body_bytes, **docs.swagger_config())
    QuartSchema(
        app,
        info=Info(title="supportflow", version=__version__),
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
        security=[{"bearer": []}],
        openapi_provider_class=ContractProvider,
    )
    if settings.cors_origins:
        app = cors(
            app,
            allow_origin=list(settings.cors_origins),
            allow_headers=["Authorization", "Content-Type"],
        )
    register_error_handlers(app)
    register_docs_policy(app)
    for blueprint in _BLUEPRINTS:
        app.register_blueprint(blueprint)
    _log_requests(app)

    def current_services() -> Services:
        found: Services = app.extensions["supportflow"]
        return found

    sio = create_socket_server(settings, current_services)
    app.extensions["socketio"] = sio

    @app.while_serving
    async def lifespan() -> AsyncGenerator[None, None]:
        # Each resource registers its clean-up as soon as it is open, so a start-up that
        # fails half-way still closes what it opened. Clean-ups run in reverse: rooms drain
        # first (their commands still need the responder and the store), the store last.
        async with AsyncExitStack() as cleanup:
            app.extensions["supportflow"] = await _open_services(
                settings, parts, sio, admin_token, cleanup
            )
            log.info("supportflow ready", extra={"database": settings.database.redacted()})
            yield
        log.info("supportflow stopped")

    # Socket.IO traffic (/socket.io/) goes to python-socketio, everything else (and the
    # ASGI lifespan) to Quart, so `app` stays the one object Hypercorn serves.
    app.asgi_app = with_nosniff(socketio.ASGIApp(sio, other_asgi_app=app.asgi_app))  # type: ignore[method-assign]
    return app


def _log_requests(app: Quart) -> None:
    @app.before_request
    async def start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    async def log_request(response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round(elapsed_ms, 1),
            },
        )
        return response


async def _open_services(
    settings: Settings,
    parts: AppParts,
    sio: socketio.AsyncServer,
    admin_token: str,
    cleanup: AsyncExitStack,
) -> Services:
    """Open the store, the bot and the rooms; register how to close each."""
    store = await parts.open_store(settings)
    cleanup.push_async_callback(store.close)
    # Closed after the rooms drain: their last writes still carry live leases.
    node = await parts.open_cluster(settings)
    if node is not None:
        cleanup.push_async_callback(node.close)
    # Closed after the rooms drain (clean-ups run in reverse), so their last events queue.
    dispatcher = parts.webhooks(store, settings.webhooks)
    await dispatcher.start()
    cleanup.push_async_callback(dispatcher.close)
    # Per app, not the process-wide default registry: tests run several apps at once.
    metrics = Metrics()
    bot = await parts.open_bot(settings, metrics)
    cleanup.push_async_callback(bot.close)
    cleanup.push_async_callback(sio.shutdown)
    sockets = SocketNotifier(sio)
    learning = LearnedExamples(store, bot.knowledge, settings.learned_check_seconds)
    notifier = LearningNotifier(PublishingNotifier(sockets, dispatcher), learning)
    cleanup.push_async_callback(notifier.settle)
    effects = RoomEffects(
        store,
        bot.responder,
        notifier,
        settings.history_limit,
        metrics,
        office_hours=settings.office_hours,
    )
    rooms = RoomRegistry(
        effects,
        settings.room_idle_seconds,
        settings.max_live_rooms,
        drain_seconds=settings.shutdown_drain_seconds,
        placement=node.placement if node is not None else None,
    )
    cleanup.push_async_callback(rooms.drain)
    presence = AgentPresence(
        store,
        rooms,
        settings.agent_grace_seconds,
        counts=node.counts if node is not None else None,
    )
    cleanup.push_async_callback(presence.close)
    services = Services(
        settings=settings,
        store=store,
        authenticator=Authenticator(store, admin_token, settings.login_failures_per_minute),
        bot=bot,
        notifier=sockets,
        presence=presence,
        rooms=rooms,
        metrics=metrics,
        webhooks=dispatcher,
        learning=learning,
        cluster=node,
        rest_allowances=rest_allowances(settings.limits),
    )
    await services.site_origins.reload(store)
    refresh = services.site_origins.keep_fresh(store, SITES_REFRESH_SECONDS)
    cleanup.push_async_callback(_cancel, asyncio.create_task(refresh))
    watch = UnclaimedWatch(store, rooms, settings.unclaimed_realert_seconds, settings.office_hours)
    widening = TeamWidening(store, rooms, settings.team_claim_timeout_seconds)
    sweepers = [watch.run, widening.run]
    if settings.retention_days > 0:
        sweep = RetentionSweep(store, settings.retention_days, settings.retention_interval_seconds)
        sweepers.append(sweep.run)

    async def absent_agents() -> None:
        await presence.watch_absent_agents_forever(max(settings.agent_grace_seconds / 2, 1.0))

    if node is None:
        await presence.watch_absent_agents()
        await own_up_to_interrupted_replies(rooms)
        for sweeper in [*sweepers, absent_agents]:
            cleanup.push_async_callback(_cancel, asyncio.create_task(sweeper()))
        return services
    await node.serve_forwarded(rooms.submit_here)

    async def recover() -> None:
        await own_up_to_interrupted_replies(rooms)

    # One node at a time sweeps for the whole cluster (the leader); stopped before the
    # rooms drain, so no sweep sends commands into a closing registry.
    node.lead(on_elected=[recover], singletons=[*sweepers, absent_agents])
    cleanup.push_async_callback(node.stop_leading)
    return services


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
