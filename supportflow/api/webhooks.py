"""Webhooks over REST (admin): register, list, delete, and read the delivery log.

POST   /api/webhooks {url, events}     201 {id, secret, ...}: the secret is shown this once
GET    /api/webhooks                   every webhook (without secrets)
DELETE /api/webhooks/<id>              stops its deliveries, owed ones included
GET    /api/webhooks/<id>/deliveries   its latest deliveries, newest first
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from supportflow.api.context import require, services
from supportflow.api.models import Body
from supportflow.auth import Role
from supportflow.store.webhooks import KEPT_DELIVERIES, DeliveryRecord, WebhookRecord
from supportflow.webhooks import check_url
from supportflow.webhooks.urls import MAX_URL_CHARS

blueprint = Blueprint("webhooks", __name__, url_prefix="/api")

EventName = Literal["escalation.created", "room.claimed", "room.closed", "rating.created"]
SECRET_PREFIX = "whsec_"


# http(s), a host of letters, digits, dots and dashes (IDNA hosts in their xn-- form; IPv6
# literals are not taken, name the host instead), an optional port from 0 to 65535, then
# any printable ASCII path and query.
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4})"
URL_PATTERN = (
    r"^https?://([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    rf"(:{_PORT})?([/?#][!-~]*)?$"
)


class CreateWebhook(Body):
    url: Annotated[str, StringConstraints(pattern=URL_PATTERN, max_length=MAX_URL_CHARS)] = Field(
        description="http(s) URL the events are POSTed to"
    )
    events: list[EventName] = Field(min_length=1, max_length=4)


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    created_at: str

    @classmethod
    def of(cls, record: WebhookRecord) -> Webhook:
        return cls(
            id=record.webhook_id,
            url=record.url,
            events=list(record.events),
            created_at=record.created_at,
        )


class WebhookWithSecret(Webhook):
    secret: str = Field(
        description="Key of X-Supportflow-Signature (sha256=<hex HMAC-SHA256 of the"
        " X-Supportflow-Timestamp, a dot, then the body>); shown once"
    )


class WebhookList(BaseModel):
    webhooks: list[Webhook]


class WebhookDeleted(BaseModel):
    id: str
    deleted: bool


class Delivery(BaseModel):
    id: str
    event: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    last_attempt_at: str | None
    next_attempt_at: str | None = Field(description="when the next try is due, while pending")
    created_at: str
    payload: dict[str, Any] = Field(description="the body posted: {event, created_at, data}")

    @classmethod
    def of(cls, record: DeliveryRecord) -> Delivery:
        return cls(
            id=record.delivery_id,
            event=record.event,
            status=record.status,  # type: ignore[arg-type]
            attempts=record.attempts,
            last_status_code=record.last_status_code,
            last_error=record.last_error,
            last_attempt_at=record.last_attempt_at,
            next_attempt_at=record.next_attempt_at if record.status == "pending" else None,
            created_at=record.created_at,
            payload=json.loads(record.body),
        )


class DeliveryList(BaseModel):
    deliveries: list[Delivery]


class DeliveryQuery(BaseModel):
    limit: int = Field(default=50, ge=1, le=KEPT_DELIVERIES)


@blueprint.post("/webhooks")
@validate_request(CreateWebhook)
@validate_response(WebhookWithSecret, 201)
async def create_webhook(data: CreateWebhook) -> tuple[WebhookWithSecret, int]:
    """Register a URL for events (admin); the answer carries the signing secret, once.

    400 `webhook_url_refused` for a URL it may not reach (with
    SUPPORTFLOW_WEBHOOK_REFUSE_PRIVATE: private, loopback and reserved addresses).
    """
    await require(Role.ADMIN)
    url = await check_url(data.url, services().settings.webhook_refuse_private)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    events = tuple(dict.fromkeys(data.events))
    record = await services().store.create_webhook(url, events, secret)
    return WebhookWithSecret(**Webhook.of(record).model_dump(), secret=secret), 201


@blueprint.get("/webhooks")
@validate_response(WebhookList, 200)
async def list_webhooks() -> WebhookList:
    """Every registered webhook, oldest first (admin); secrets are never shown again."""
    await require(Role.ADMIN)
    records = await services().store.webhooks()
    return WebhookList(webhooks=[Webhook.of(record) for record in records])


@blueprint.delete("/webhooks/<webhook_id>")
@validate_response(WebhookDeleted, 200)
async def delete_webhook(webhook_id: str) -> WebhookDeleted:
    """Remove a webhook and its delivery log (admin); owed deliveries are dropped."""
    await require(Role.ADMIN)
    await services().store.delete_webhook(webhook_id)
    return WebhookDeleted(id=webhook_id, deleted=True)


@blueprint.get("/webhooks/<webhook_id>/deliveries")
@validate_querystring(DeliveryQuery)
@validate_response(DeliveryList, 200)
async def webhook_deliveries(webhook_id: str, query_args: DeliveryQuery) -> DeliveryList:
    """A webhook's latest deliveries, newest first, with each one's last result (admin)."""
    await require(Role.ADMIN)
    records = await services().store.recent_deliveries(webhook_id, query_args.limit)
    return DeliveryList(deliveries=[Delivery.of(record) for record in records])
