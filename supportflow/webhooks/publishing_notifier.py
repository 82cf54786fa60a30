"""`PublishingNotifier`: the room notifier that also tells webhooks what happened.

It wraps the real notifier (Socket.IO) and, after each announcement the wrapped one made,
publishes the matching webhook event. Each event has its own announcement (the lifecycle's
announce steps make them), so nothing here reads states to guess what happened. Every
other notifier call passes straight through (`__getattr__`), so announcements added to
`RoomNotifier` later need nothing here.
"""

from __future__ import annotations

from typing import Any

from supportflow.rooms.room_notifier import EscalationAlert, RoomNotifier
from supportflow.store import RatingRecord, RoomState
from supportflow.webhooks.dispatcher import WebhookDispatcher


class PublishingNotifier:
    def __init__(self, inner: RoomNotifier, webhooks: WebhookDispatcher) -> None:
        self._inner = inner
        self._webhooks = webhooks

    async def escalation_claimed(self, room_id: str, agent_id: str) -> None:
        await self._inner.escalation_claimed(room_id, agent_id)
        self._webhooks.publish("room.claimed", {"room_id": room_id, "agent_id": agent_id})

    async def room_closed(self, room_id: str, previous: RoomState) -> None:
        await self._inner.room_closed(room_id, previous)
        self._webhooks.publish("room.closed", {"room_id": room_id, "previous": previous.value})

    async def escalation_alert(self, alert: EscalationAlert) -> None:
        await self._inner.escalation_alert(alert)
        if not alert.realert:  # a reminder about the same escalation is not a new one
            self._webhooks.publish(
                "escalation.created",
                {
                    "escalation_id": alert.escalation_id,
                    "room_id": alert.room_id,
                    "session_id": alert.session_id,
                    "user_id": alert.user_id,
                    "reasons": list(alert.reasons),
                    "queued_at": alert.queued_at,
                },
            )

    async def chat_rated(self, rating: RatingRecord) -> None:
        await self._inner.chat_rated(rating)
        self._webhooks.publish(
            "rating.created",
            {
                "room_id": rating.room_id,
                "session_id": rating.session_id,
                "user_id": rating.user_id,
                "agent_id": rating.agent_id,
                "score": rating.score,
                "comment": rating.comment,
                "created_at": rating.created_at,
            },
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
