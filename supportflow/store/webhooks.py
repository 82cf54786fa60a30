"""SQL for webhooks and their deliveries."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from supportflow.errors import NotFound
from supportflow.store.database import Database, Row
from supportflow.store.records import from_columns, utc_in, utc_now

KEPT_DELIVERIES = 200


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
            await sql.execute(
                "INSERT INTO webhooks (webhook_id, url, events, secret, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (webhook_id, url, json.dumps(list(events)), secret, utc_now()),
            )
        return await self.get_webhook(webhook_id)

    async def get_webhook(self, webhook_id: str) -> WebhookRecord:
        row = await self._db.fetch_one("SELECT * FROM webhooks WHERE webhook_id = ?", (webhook_id,))
        if row is None:
            raise NotFound(f"no webhook {webhook_id!r}", "webhook_not_found")
        return WebhookRecord.from_row(row)

    async def webhooks(self) -> list[WebhookRecord]:
        rows = await self._db.fetch_all("SELECT * FROM webhooks ORDER BY created_at, webhook_id")
        return [WebhookRecord.from_row(row) for row in rows]

    async def delete_webhook(self, webhook_id: str) -> None:
        """Remove a webhook and, with it, its deliveries (owed ones are never sent)."""
        async with self._db.unit() as sql:
            cursor = await sql.execute("DELETE FROM webhooks WHERE webhook_id = ?", (webhook_id,))
            if cursor.rowcount == 0:
                raise NotFound(f"no webhook {webhook_id!r}", "webhook_not_found")

    async def queue_deliveries(self, event: str, body: str) -> int:
        """One pending delivery of `body` per webhook subscribed to `event`; how many."""
        now = utc_now()
        async with self._db.unit() as sql:
            # Subscriptions are read in Python: the engines spell "a JSON array holds a
            # value" differently, and a deployment has a handful of webhooks, not thousands.
            cursor = await sql.execute("SELECT webhook_id, events FROM webhooks")
            hooks = [row[0] for row in cursor.fetchall() if event in json.loads(row[1])]
            await sql.execute_many(
                "INSERT INTO webhook_deliveries (delivery_id, webhook_id, event, body,"
                " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                [(str(uuid.uuid4()), hook, event, body, now, now) for hook in hooks],
            )
            # The log is for looking at recent results, not an archive: finished deliveries
            # beyond the newest KEPT_DELIVERIES of each webhook go.
            await sql.execute_many(
                "DELETE FROM webhook_deliveries WHERE webhook_id = ? AND status != 'pending'"
                " AND delivery_id NOT IN (SELECT delivery_id FROM webhook_deliveries"
                "  WHERE webhook_id = ? ORDER BY created_at DESC LIMIT ?)",
                [(hook, hook, KEPT_DELIVERIES) for hook in hooks],
            )
        return len(hooks)

    async def lease_due_deliveries(self, lease_seconds: float, limit: int) -> list[DueDelivery]:
        """Pending deliveries whose time has come, each leased for `lease_seconds`."""
        now = utc_now()
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE delivery_id IN"
                " (SELECT delivery_id FROM webhook_deliveries WHERE status = 'pending'"
                f"  AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?{sql.skip_locked})"
                " RETURNING delivery_id",
                (utc_in(lease_seconds), now, limit),
            )
            leased = [row[0] for row in cursor.fetchall()]
            if not leased:
                return []
            marks = ",".join("?" * len(leased))
            cursor = await sql.execute(
                "SELECT d.*, w.url, w.secret FROM webhook_deliveries d JOIN webhooks w"
                f" ON w.webhook_id = d.webhook_id WHERE d.delivery_id IN ({marks})"
                " ORDER BY d.created_at",
                leased,
            )
            rows = cursor.fetchall()
        return [
            DueDelivery(DeliveryRecord.from_row(row), row["url"], row["secret"]) for row in rows
        ]

    async def next_delivery_due(self) -> str | None:
        """When the earliest pending delivery is due (ISO UTC), or None."""
        row = await self._db.fetch_one(
            "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'"
        )
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
            await sql.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,"
                " last_status_code = ?, last_error = ?, last_attempt_at = ?,"
                " next_attempt_at = ? WHERE delivery_id = ?",
                (status, status_code, error, now, utc_in(retry_in or 0.0), delivery_id),
            )

    async def recent_deliveries(self, webhook_id: str, limit: int) -> list[DeliveryRecord]:
        """A webhook's latest deliveries, newest first."""
        await self.get_webhook(webhook_id)
        rows = await self._db.fetch_all(
            "SELECT * FROM webhook_deliveries WHERE webhook_id = ?"
            " ORDER BY created_at DESC, delivery_id DESC LIMIT ?",
            (webhook_id, limit),
        )
        return [DeliveryRecord.from_row(row) for row in rows]
