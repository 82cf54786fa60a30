"""SQL for webhooks and their deliveries."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, func, insert, select, update

from supportflow.errors import NotFound
from supportflow.store.database import Database, Row
from supportflow.store.query import Query, named_binds
from supportflow.store.records import from_columns, utc_in, utc_now
from supportflow.store.schema import webhook_deliveries, webhooks

KEPT_DELIVERIES = 200

_OF_HOOK = webhooks.c.webhook_id == bindparam("webhook_id")
_INSERT_HOOK = Query(
    insert(webhooks).values(named_binds("webhook_id", "url", "events", "secret", "created_at"))
)
_HOOK = Query(select(webhooks).where(_OF_HOOK))
_HOOKS = Query(select(webhooks).order_by(webhooks.c.created_at, webhooks.c.webhook_id))
_DELETE_HOOK = Query(delete(webhooks).where(_OF_HOOK))
_SUBSCRIPTIONS = Query(select(webhooks.c.webhook_id, webhooks.c.events))
_INSERT_DELIVERY = Query(
    insert(webhook_deliveries).values(
        named_binds("delivery_id", "webhook_id", "event", "body", "next_attempt_at", "created_at")
    )
)
_OF_HOOKS_DELIVERIES = webhook_deliveries.c.webhook_id == bindparam("webhook_id")
# The log is for looking at recent results, not an archive: finished deliveries beyond the
# newest KEPT_DELIVERIES of each webhook go.
_TRIM_LOG = Query(
    delete(webhook_deliveries).where(
        _OF_HOOKS_DELIVERIES,
        webhook_deliveries.c.status != "pending",
        webhook_deliveries.c.delivery_id.not_in(
            select(webhook_deliveries.c.delivery_id)
            .where(_OF_HOOKS_DELIVERIES)
            .order_by(webhook_deliveries.c.created_at.desc())
            .limit(KEPT_DELIVERIES)
        ),
    )
)
_PENDING = webhook_deliveries.c.status == "pending"
# Several nodes lease at once: each takes due rows the others are not taking.
_LEASE = Query(
    update(webhook_deliveries)
    .values(next_attempt_at=bindparam("lease_until"))
    .where(
        webhook_deliveries.c.delivery_id.in_(
            select(webhook_deliveries.c.delivery_id)
            .where(_PENDING, webhook_deliveries.c.next_attempt_at <= bindparam("now"))
            .order_by(webhook_deliveries.c.next_attempt_at)
            .limit(bindparam("limit"))
            .with_for_update(skip_locked=True)
        )
    )
    .returning(webhook_deliveries.c.delivery_id)
)
_LEASED = Query(
    select(webhook_deliveries, webhooks.c.url, webhooks.c.secret)
    .join_from(
        webhook_deliveries, webhooks, webhooks.c.webhook_id == webhook_deliveries.c.webhook_id
    )
    .where(webhook_deliveries.c.delivery_id.in_(bindparam("leased", expanding=True)))
    .order_by(webhook_deliveries.c.created_at)
)
_NEXT_DUE = Query(select(func.min(webhook_deliveries.c.next_attempt_at)).where(_PENDING))
_RECORD_ATTEMPT = Query(
    update(webhook_deliveries)
    .values(
        {
            **named_binds(
                "status", "last_status_code", "last_error", "last_attempt_at", "next_attempt_at"
            ),
            "attempts": webhook_deliveries.c.attempts + 1,
        }
    )
    .where(webhook_deliveries.c.delivery_id == bindparam("delivery_id"))
)
_RECENT_DELIVERIES = Query(
    select(webhook_deliveries)
    .where(_OF_HOOKS_DELIVERIES)
    .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.delivery_id.desc())
    .limit(bindparam("limit"))
)


@dataclass(frozen=True)
class WebhookRecord:
    webhook_id: str
    url: str
    events: tuple[str, ...]
    secret: str
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> WebhookRecord:
        return from_columns(cls, row, events=tuple(json.loads(row["events"])))


@dataclass(frozen=True)
class DeliveryRecord:
    delivery_id: str
    webhook_id: str
    event: str
    body: str
    status: str  # pending, delivered, failed
    attempts: int
    next_attempt_at: str
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> DeliveryRecord:
        return from_columns(cls, row)


@dataclass(frozen=True)
class DueDelivery:
    """A delivery leased for one attempt, with what posting it needs."""

    delivery: DeliveryRecord
    url: str
    secret: str


class WebhooksRepository:
    _db: Database

    async def create_webhook(self, url: str, events: tuple[str, ...], secret: str) -> WebhookRecord:
        webhook_id = str(uuid.uuid4())
        async with self._db.unit() as sql:
            await sql.run(
                _INSERT_HOOK,
                webhook_id=webhook_id,
                url=url,
                events=json.dumps(list(events)),
                secret=secret,
                created_at=utc_now(),
            )
        return await self.get_webhook(webhook_id)

    async def get_webhook(self, webhook_id: str) -> WebhookRecord:
        row = await self._db.read_one(_HOOK, webhook_id=webhook_id)
        if row is None:
            raise NotFound(f"no webhook {webhook_id!r}", "webhook_not_found")
        return WebhookRecord.from_row(row)

    async def webhooks(self) -> list[WebhookRecord]:
        rows = await self._db.read(_HOOKS)
        return [WebhookRecord.from_row(row) for row in rows]

    async def delete_webhook(self, webhook_id: str) -> None:
        """Remove a webhook and, with it, its deliveries (owed ones are never sent)."""
        async with self._db.unit() as sql:
            cursor = await sql.run(_DELETE_HOOK, webhook_id=webhook_id)
            if cursor.rowcount == 0:
                raise NotFound(f"no webhook {webhook_id!r}", "webhook_not_found")

    async def queue_deliveries(self, event: str, body: str) -> int:
        """One pending delivery of `body` per webhook subscribed to `event`; how many."""
        now = utc_now()
        async with self._db.unit() as sql:
            # Subscriptions are read in Python: the engines spell "a JSON array holds a
            # value" differently, and a deployment has a handful of webhooks, not thousands.
            cursor = await sql.run(_SUBSCRIPTIONS)
            hooks = [row[0] for row in cursor.fetchall() if event in json.loads(row[1])]
            await sql.run_many(
                _INSERT_DELIVERY,
                [
                    {
                        "delivery_id": str(uuid.uuid4()),
                        "webhook_id": hook,
                        "event": event,
                        "body": body,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for hook in hooks
                ],
            )
            await sql.run_many(_TRIM_LOG, [{"webhook_id": hook} for hook in hooks])
        return len(hooks)

    async def lease_due_deliveries(self, lease_seconds: float, limit: int) -> list[DueDelivery]:
        """Pending deliveries whose time has come, each leased for `lease_seconds`."""
        now = utc_now()
        async with self._db.unit() as sql:
            cursor = await sql.run(_LEASE, lease_until=utc_in(lease_seconds), now=now, limit=limit)
            leased = [row[0] for row in cursor.fetchall()]
            if not leased:
                return []
            rows = (await sql.run(_LEASED, leased=leased)).fetchall()
        return [
            DueDelivery(DeliveryRecord.from_row(row), row["url"], row["secret"]) for row in rows
        ]

    async def next_delivery_due(self) -> str | None:
        """When the earliest pending delivery is due (ISO UTC), or None."""
        row = await self._db.read_one(_NEXT_DUE)
        return row[0] if row and row[0] else None

    async def record_attempt(
        self,
        delivery_id: str,
        *,
        delivered: bool,
        status_code: int | None,
        error: str | None,
        retry_in: float | None,
    ) -> None:
        """Store one attempt's outcome: delivered, retried in `retry_in` s, or failed (None)."""
        status = "delivered" if delivered else "pending" if retry_in is not None else "failed"
        now = utc_now()
        async with self._db.unit() as sql:
            await sql.run(
                _RECORD_ATTEMPT,
                status=status,
                last_status_code=status_code,
                last_error=error,
                last_attempt_at=now,
                next_attempt_at=utc_in(retry_in or 0.0),
                delivery_id=delivery_id,
            )

    async def recent_deliveries(self, webhook_id: str, limit: int) -> list[DeliveryRecord]:
        """A webhook's latest deliveries, newest first."""
        await self.get_webhook(webhook_id)
        rows = await self._db.read(_RECENT_DELIVERIES, webhook_id=webhook_id, limit=limit)
        return [DeliveryRecord.from_row(row) for row in rows]
