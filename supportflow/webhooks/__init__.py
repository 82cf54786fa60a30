"""Webhooks: room events posted, signed, to the URLs admins registered.

`WebhookDispatcher.publish` is how any part of supportflow announces an event; it never
waits. `EVENTS` is the list a webhook may subscribe to.
"""

from __future__ import annotations

from supportflow.webhooks.dispatcher import EVENTS, WebhookDispatcher
from supportflow.webhooks.publishing_notifier import PublishingNotifier
from supportflow.webhooks.signatures import sign, verify
from supportflow.webhooks.urls import check_url

__all__ = ["EVENTS", "PublishingNotifier", "WebhookDispatcher", "check_url", "sign", "verify"]
