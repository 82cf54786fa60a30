"""`WebhookDispatcher`: signed deliveries of room events, retried with backoff, off the rooms.

`publish()` only puts the event on an in-memory queue, so a room never waits on a
webhook. A fan-out task turns each event into one stored delivery per subscribed webhook;
a sender task leases the deliveries that are due and posts each (at most `_PARALLEL` at
once), recording every attempt. A failed attempt (no 2xx, a timeout, a refused
connection) is retried after `retry_base * 2**(attempt-1)` seconds (plus up to 20% jitter,
so a receiver coming back is not hit by every retry at once), until `max_attempts`; then
the delivery is `failed`. Deliveries live in the database, so a restart resumes them.

Each POST carries the JSON `{event, created_at, data}`, `X-Supportflow-Timestamp` and
`X-Supportflow-Signature` (`webhooks.signatures`: an HMAC of the timestamp and the exact
body, keyed with the webhook's secret). It goes to the very address the URL check
approved (`urls.checked_target`): the host name is not resolved a second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from supportflow import __version__
from supportflow.errors import InvalidInput
from supportflow.settings import WebhookSettings
from supportflow.store import Store, utc_now
from supportflow.store.webhooks import DueDelivery
from supportflow.webhooks.signatures import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from supportflow.webhooks.urls import checked_target

log = logging.getLogger(__name__)

EVENTS = ("escalation.created", "room.claimed", "room.closed", "rating.created")
_QUEUE_LIMIT = 10_000  # events waiting for fan-out; past it new ones are dropped and logged
_PARALLEL = 8
_LEASE_BATCH = 32
_LEASE_MARGIN_SECONDS = 5.0
_IDLE_SECONDS = 30.0  # with nothing due, look again this often (another process may write)
_ERROR_CHARS = 300


class WebhookDispatcher:
    """Publishes events to webhooks; `start()` once serving, `close()` on shutdown."""

    def __init__(self, store: Store, settings: WebhookSettings) -> None:
        self._store = store
        self._timeout = settings.webhook_timeout_seconds
        self._max_attempts = settings.webhook_max_attempts
        self._retry_base = settings.webhook_retry_base_seconds
        self._refuse_private = settings.webhook_refuse_private
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue(_QUEUE_LIMIT)
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(_PARALLEL)
        self._tasks: list[asyncio.Task[None]] = []
        self._attempts: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._making_client = asyncio.Lock()
        self.dropped = 0

    def publish(self, event: str, data: Mapping[str, object]) -> None:
        """Queue `event` for every webhook subscribed to it; returns at once, never raises
        for a full queue (the event is dropped and logged)."""
        if event not in EVENTS:
            raise ValueError(f"not a webhook event: {event!r}")
        envelope = {"event": event, "created_at": utc_now(), "data": dict(data)}
        body = json.dumps(envelope, separators=(",", ":"), sort_keys=True)
        try:
            self._queue.put_nowait((event, body))
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("webhook queue full, event dropped", extra={"event": event})

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._fan_out(), name="webhooks-fan-out"),
            asyncio.create_task(self._send_due(), name="webhooks-sender"),
        ]

    async def close(self) -> None:
        """Stop sending. Attempts cut short keep their lease and are retried after a restart."""
        tasks = [*self._tasks, *self._attempts]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _fan_out(self) -> None:
        while True:
            event, body = await self._queue.get()
            try:
                if await self._store.queue_deliveries(event, body):
                    self._wake.set()
            except Exception:
                log.exception("could not queue webhook deliveries", extra={"event": event})

    async def _send_due(self) -> None:
        while True:
            self._wake.clear()
            wait = 1.0
            try:
                due = await self._store.lease_due_deliveries(
                    self._timeout + _LEASE_MARGIN_SECONDS, _LEASE_BATCH
                )
                for item in due:
                    task = asyncio.create_task(self._attempt(item), name="webhook-attempt")
                    self._attempts.add(task)
                    task.add_done_callback(self._attempts.discard)
                if len(due) == _LEASE_BATCH:
                    continue
                wait = await self._seconds_until_due()
            except Exception:
                log.exception("webhook sender failed a round")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _seconds_until_due(self) -> float:
        due_at = await self._store.next_delivery_due()
        if due_at is None:
            return _IDLE_SECONDS
        moment = datetime.fromisoformat(due_at.replace("Z", "+00:00"))
        return min(_IDLE_SECONDS, max(0.0, (moment - datetime.now(UTC)).total_seconds()))

    async def _http(self) -> httpx.AsyncClient:
        """The HTTP client, made for the first delivery: most installs have no webhook, and
        its TLS context reads the whole CA bundle (tens of ms of CPU), off the event loop."""
        # Attempts queue on the lock in the order they started, and post in that order.
        async with self._making_client:
            if self._client is None:
                tls = await asyncio.to_thread(httpx.create_ssl_context)
                self._client = httpx.AsyncClient(
                    timeout=self._timeout,
                    follow_redirects=False,
                    headers={"User-Agent": f"supportflow/{__version__}"},
                    verify=tls,
                )
        return self._client

    async def _attempt(self, due: DueDelivery) -> None:
        async with self._slots:
            status_code, error = await self._post(due)
        delivered = status_code is not None and 200 <= status_code < 300
        attempts = due.delivery.attempts + 1
        retry_in = None
        if not delivered and attempts < self._max_attempts:
            retry_in = self._retry_base * 2 ** (attempts - 1) * random.uniform(1.0, 1.2)
        await self._store.record_attempt(
            due.delivery.delivery_id,
            delivered=delivered,
            status_code=status_code,
            error=error,
            retry_in=retry_in,
        )
        self._wake.set()

    async def _post(self, due: DueDelivery) -> tuple[int | None, str | None]:
        """The receiver's status code, or None and what went wrong."""
        client = await self._http()
        body = due.delivery.body.encode()
        timestamp = int(time.time())
        try:
            target = await checked_target(due.url, self._refuse_private)
            response = await client.post(
                target.url,
                content=body,
                headers={
                    **target.headers,
                    "Content-Type": "application/json",
                    "X-Supportflow-Event": due.delivery.event,
                    "X-Supportflow-Delivery": due.delivery.delivery_id,
                    TIMESTAMP_HEADER: str(timestamp),
                    SIGNATURE_HEADER: sign(due.secret, timestamp, body),
                },
                extensions=target.extensions,
            )
        except InvalidInput as refused:
            return None, refused.message[:_ERROR_CHARS]
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return None, f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"the receiver answered {response.status_code}"
