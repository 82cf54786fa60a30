"""`PublishingNotifier`: the room notifier that also tells webhooks what happened.

It wraps the real notifier (Socket.IO) and, after each announcement the wrapped one made,
publishes the matching webhook event. Every other notifier call passes straight through
(`__getattr__`), so announcements added to `RoomNotifier` later need nothing here.
"""

from __future__ import annotations

from typing import Any

from supportflow.rooms.machine import RoomState
from supportflow.rooms.room_notifier import EscalationAlert, RoomNotifier
from supportflow.webhooks.dispatcher import WebhookDispatcher


class PublishingNotifier:
    def __init__(self, inner: RoomNotifier, webhooks: WebhookDispatcher) -> None:
        self._inner = inner
        self._webhooks = webhooks

    async def state_changed(
        self, room_id: str, state: RoomState, previous: RoomState, agent_id: str | None
    ) -> None:
        await self._inner.state_changed(room_id, state, previous, agent_id)
        if state is RoomState.AGENT_ASSIGNED and previous is RoomState.ESCALATING:
            self._webhooks.publish("room.claimed", {"room_id": room_id, "agent_id": agent_id})
        elif state is RoomState.CLOSED:
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

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
