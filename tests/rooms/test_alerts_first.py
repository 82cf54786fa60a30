"""Alerts first: agents hear of an escalation as soon as it is stored (issue 14, item 3).

The bot's hand-over reply ("I'm passing you to a colleague") is written and sent after the
alert, so an agent is never kept waiting on the store's fsync of the bot's words.
"""

from __future__ import annotations

from collections.abc import Sequence

from supportflow.metrics import Metrics
from supportflow.rooms.commands import PostMessage
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.registry import RoomRegistry
from supportflow.rooms.responder import Reply, RoomView, Turn
from supportflow.rooms.room_notifier import EscalationAlert
from supportflow.store import RoomState, Store
from tests.fakes import RecordingNotifier

HAND_OVER = "I'm passing you to a colleague who can sort out the refund."


class HandingOverBot:
    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        return Reply(HAND_OVER, 0.9, escalate=True, reasons=("frustration",))


class StoreWatchingNotifier(RecordingNotifier):
    """Also notes which senders' messages were stored when the alert went out."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self._store = store
        self.stored_at_alert: list[str] = []

    async def escalation_alert(self, alert: EscalationAlert) -> None:
        stored = await self._store.recent_messages(alert.room_id, 50)
        self.stored_at_alert = [m.sender_type for m in stored]
        await super().escalation_alert(alert)


async def test_the_alert_goes_out_before_the_hand_over_reply(store: Store) -> None:
    notifier = StoreWatchingNotifier(store)
    effects = RoomEffects(store, HandingOverBot(), notifier, 50, Metrics())
    rooms = RoomRegistry(effects, idle_seconds=60, max_live=10)
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    await rooms.submit(room, PostMessage("user", "alice", "I want my refund now"))
    await rooms.drain()  # the bot's turn runs after the answer: wait for it

    kinds = [kind for kind, _ in notifier.events]
    bot_message = next(
        i
        for i, (kind, m) in enumerate(notifier.events)
        if kind == "message" and getattr(m, "sender_type", None) == "bot"
    )
    assert kinds.index("escalation_alert") < bot_message < kinds.index("state_changed")
    # When agents were alerted, the hand-over reply was not even stored yet.
    assert notifier.stored_at_alert == ["user"]
    assert notifier.alerts[0].reasons == ("frustration",)
    # And the customer still got every word, in order: their message, the bot, the queue.
    transcript = await store.recent_messages(room, 50)
    assert [m.sender_type for m in transcript] == ["user", "bot", "system"]
    assert transcript[1].body == HAND_OVER
    assert (await store.session_by_room(room)).status is RoomState.ESCALATING
