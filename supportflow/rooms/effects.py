"""`RoomEffects`: what a room does to the world, in the order the actor asks for it.

Stores first, announces after: each method either writes one transaction or announces
what has been written. The actor decides when; this module knows how.

Every write carries `fence` (the room's lease number in a cluster, None in one process):
the store refuses it with `LeaseLost` once another node has written with a higher one.
Each actor gets its own copy (`fenced`).
"""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from supportflow.metrics import Metrics, escalation_label
from supportflow.office_hours import OfficeHours, utc_now
from supportflow.rooms.commands import (
    AddNote,
    PostMessage,
    StateChange,
    Transfer,
    TransferToTeam,
)
from supportflow.rooms.history import conversation_history
from supportflow.rooms.queue_notice import queue_notice
from supportflow.rooms.responder import Reply, Responder, RoomView, Source
from supportflow.rooms.room_notifier import (
    EscalationAlert,
    PreviewLine,
    RoomNotifier,
    TransferAlert,
)
from supportflow.rooms.streaming import streaming_to
from supportflow.rooms.team_router import TeamRouter
from supportflow.store import (
    EscalationRecord,
    MessageRecord,
    RatingRecord,
    RoomState,
    SessionRecord,
    Store,
    StoredMessage,
)

log = logging.getLogger(__name__)

BOT_ID = "supportflow-bot"
APOLOGY = "Sorry, I can't look that up right now. I'm passing your chat to a member of our team."
INTERRUPTED = (
    "Sorry, we were interrupted before we could answer your last message. Please send it"
    " again, or ask for a person if you would rather talk to our team."
)
STILL_BUSY = (
    "Our agents are still busy, sorry for the wait. You can stay in the queue, or leave"
    " a message here and we will answer it as soon as an agent is free."
)
BACK_ON_DUTY = "Our team is back: an agent will be with you as soon as possible."
_PREVIEW_LINES = 3
_PREVIEW_CHARS = 200


@dataclass(frozen=True)
class DraftReply:
    """The bot's answer, decided but not yet stored or sent."""

    reply: Reply
    started: float  # perf_counter() when the bot took up the customer's message


class RoomEffects:
    """Persistence, announcements and bot turns for every room of one server."""

    def __init__(
        self,
        store: Store,
        responder: Responder,
        notifier: RoomNotifier,
        history_limit: int,
        metrics: Metrics,
        office_hours: OfficeHours | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.teams = TeamRouter(store, history_limit)
        self.store = store
        self.responder = responder
        self.notifier = notifier
        self.history_limit = history_limit
        self.metrics = metrics
        self.office_hours = office_hours
        self.clock = clock
        self.fence: int | None = None

    def fenced(self, fence: int | None) -> RoomEffects:
        """These effects for one room whose writes carry `fence`."""
        room = copy.copy(self)
        room.fence = fence
        return room

    async def take_room(self, room_id: str, fence: int | None) -> SessionRecord:
        """The room as stored, read after its hold (`fence`) was won.

        With a fence the number is stored on the room first (`Store.take_room`), so a write
        the previous owner still had in flight is refused rather than landing after this read.
        """
        if fence is None:
            return await self.store.session_by_room(room_id)
        return await self.store.take_room(room_id, fence=fence)

    async def store_message(self, room_id: str, command: PostMessage) -> StoredMessage:
        stored = await self.store.append_message(
            room_id,
            command.sender_type,
            command.sender_id,
            command.text,
            command.client_msg_id,
            fence=self.fence,
        )
        if not stored.duplicate:
            self._count_message(command.sender_type)
        return stored

    async def announce(self, message: MessageRecord) -> None:
        await self.notifier.message(message)

    async def draft_reply(
        self, room_id: str, session_id: str, posted: StoredMessage, exchange_count: int
    ) -> DraftReply:
        """Ask the responder about `posted`; `post_reply` stores and sends what it said.

        Two steps so that a reply that escalates can alert agents before it is written. A
        responder that fails gives the customer an apology and the reason
        `bot_unavailable`, so the room escalates instead of going silent.
        """
        started = time.perf_counter()
        turns = await conversation_history(
            self.store, room_id, self.history_limit, before_seq=posted.message.seq
        )
        view = RoomView(room_id, session_id, exchange_count)
        # The customer sees the bot typing while it works (it stops before the reply).
        await self.notifier.bot_typing(room_id, True)
        reply_id = uuid.uuid4().hex

        async def forward(text: str) -> None:
            await self.notifier.reply_delta(room_id, reply_id, text)

        try:
            with streaming_to(forward):
                reply = await self.responder.respond(view, turns, posted.message.body)
        except Exception:
            log.exception("responder failed", extra={"room_id": room_id})
            reply = Reply(
                APOLOGY, 0.0, escalate=True, reasons=("bot_unavailable",), provider="none"
            )
        finally:
            await self.notifier.bot_typing(room_id, False)
        return DraftReply(replace(reply, reply_id=reply_id), started)

    async def post_reply(self, room_id: str, draft: DraftReply) -> None:
        """Store the bot's reply and send it to the room."""
        reply = draft.reply
        stored = await self.store.append_message(
            room_id, "bot", BOT_ID, reply.text, metadata=_reply_metadata(reply), fence=self.fence
        )
        await self.notifier.message(stored.message)
        self._count_message("bot")
        self.metrics.bot_reply_seconds.observe(time.perf_counter() - draft.started)

    async def open_escalation(
        self,
        room_id: str,
        reasons: Sequence[str],
        expected: Collection[RoomState],
        hand_over: DraftReply | None = None,
        team_id: str | None = None,
    ) -> EscalationRecord:
        """Queue the room: for `team_id`'s agents first when given (a transfer to a team),
        else for the team whose topics match the chat (`escalation.routing`), if any."""
        unique = tuple(dict.fromkeys(reasons))
        route = await self.teams.route(
            room_id, unique, hand_over.reply if hand_over else None, team_id
        )
        escalation = await self.store.open_escalation(
            room_id, unique, expected, team=route, fence=self.fence
        )
        for reason in unique:
            self.metrics.escalations.labels(reason=escalation_label(reason)).inc()
        return escalation

    async def alert_agents(self, escalation: EscalationRecord) -> None:
        """Tell the available agents (of its team first) about a stored escalation (before
        anything else)."""
        await self.notifier.escalation_alert(await self._alert(escalation))

    async def widen_alert(self, session_id: str) -> bool:
        """The team's claim time ran out: alert everyone. False if nothing waits team-only."""
        escalation = await self.store.pending_escalation(session_id)
        if escalation is None or not escalation.team_only:
            return False
        widened = await self.store.widen_escalation(escalation.escalation_id)
        if widened is None:
            return False
        # A reminder about the same escalation (webhooks announced it when it was queued).
        await self.notifier.escalation_alert(replace(await self._alert(widened), realert=True))
        return True

    async def announce_escalation(self, change: StateChange, escalation: EscalationRecord) -> None:
        """After the alert: the room's new state, and the customer's queue position."""
        await self._announce_state(change)
        await self._tell_queue_position(escalation)

    async def claim(
        self, room_id: str, agent_id: str, expected: Collection[RoomState]
    ) -> EscalationRecord:
        return await self.store.claim_room(room_id, agent_id, expected, fence=self.fence)

    async def announce_claim(self, change: StateChange) -> None:
        assert change.agent_id is not None
        agent_name = (await self.store.get_agent(change.agent_id)).name
        await self._announce_state(change)
        await self.notifier.escalation_claimed(change.room_id, change.agent_id)
        await self.notifier.agent_joined(change.room_id, change.agent_id, agent_name)
        await self.system_message(change.room_id, f"{agent_name} has joined the chat.")

    async def transfer(
        self, room_id: str, transfer: Transfer, expected: Collection[RoomState]
    ) -> None:
        await self.store.transfer_room(
            room_id, transfer.agent_id, transfer.target_id, expected, fence=self.fence
        )

    async def announce_transfer(
        self, change: StateChange, session_id: str, transfer: Transfer
    ) -> None:
        session = await self.store.session_by_room(change.room_id)
        await self._announce_state(change)
        await self.notifier.room_transferred(
            TransferAlert(
                room_id=change.room_id,
                session_id=session_id,
                user_id=session.user_id,
                from_agent_id=transfer.agent_id,
                from_name=transfer.agent_name,
                to_agent_id=transfer.target_id,
                to_name=transfer.target_name,
            )
        )
        await self.notifier.agent_joined(change.room_id, transfer.target_id, transfer.target_name)
        await self.system_message(
            change.room_id,
            f"{transfer.agent_name} transferred this chat to {transfer.target_name}.",
            {"transferred_from": transfer.agent_id, "transferred_to": transfer.target_id},
        )

    async def announce_team_transfer(
        self, change: StateChange, escalation: EscalationRecord, transfer: TransferToTeam
    ) -> None:
        """After the team's alert: the room's new state, who sent it where, the queue."""
        await self._announce_state(change)
        await self.system_message(
            change.room_id,
            f"{transfer.agent_name} transferred this chat to the {transfer.team_name} team.",
            {"transferred_from": transfer.agent_id, "transferred_to_team": transfer.team_id},
        )
        await self._tell_queue_position(escalation)

    async def set_state(
        self, room_id: str, state: RoomState, expected: Collection[RoomState]
    ) -> None:
        """Store `state`, if the room is still in one of the `expected` states."""
        await self.store.set_room_state(room_id, state, expected, fence=self.fence)

    async def announce_change(
        self, change: StateChange, text: str, metadata: dict[str, object] | None = None
    ) -> None:
        await self._announce_state(change)
        await self.system_message(change.room_id, text, metadata)

    async def add_note(
        self, room_id: str, note: AddNote, metadata: dict[str, object] | None = None
    ) -> MessageRecord:
        """Store a private note and announce it to the room's agents only."""
        stored = await self.store.append_message(
            room_id,
            "agent" if note.author_type == "agent" else "system",
            note.author_id,
            note.text,
            metadata={"note": True, **(metadata or {})},
            visibility="agents",
            fence=self.fence,
        )
        await self.notifier.message(stored.message)
        self.metrics.notes.inc()
        return stored.message

    async def record_contact(self, room_id: str, email: str) -> MessageRecord:
        """Keep the address the customer left on the room: a note for agents, in one write.

        The customer's registered contact (`users.email`) is left as it is.
        """
        text = f"The customer asked to be answered by email: {email}"
        note = AddNote("system", "supportflow", text)
        return await self.add_note(room_id, note, {"contact_email": email})

    async def rate(self, room_id: str, score: int, comment: str | None) -> RatingRecord:
        """Store the customer's rating of the closed room, count it, tell webhooks."""
        rating = await self.store.rate_room(room_id, score, comment)
        self.metrics.ratings.labels(score=str(rating.score)).inc()
        await self.notifier.chat_rated(rating)
        return rating

    async def record_feedback(self, room_id: str, seq: int, verdict: str) -> None:
        """Store the customer's thumb on a bot reply; count it unless it is the same again.

        One vote per reply: a changed vote replaces the stored one and counts under its
        new verdict, the same vote again changes and counts nothing.
        """
        replaced = await self.store.record_feedback(room_id, seq, verdict)
        if replaced != verdict:
            self.metrics.bot_feedback.labels(verdict=verdict).inc()

    async def realert(self, session_id: str, office_open: bool = False) -> bool:
        """Alert agents again about a waiting room's pending escalation; tell its customer.
        False if there is none.

        `office_open`: the office hours just began, so the customer hears that agents are back.
        """
        escalation = await self.store.pending_escalation(session_id)
        if escalation is None:
            return False
        await self.system_message(
            escalation.room_id,
            BACK_ON_DUTY if office_open else STILL_BUSY,
        )
        alert = await self._alert(escalation)
        await self.notifier.escalation_alert(EscalationAlert(**{**alert.__dict__, "realert": True}))
        return True

    async def own_up_to_interruption(self, room_id: str) -> bool:
        """Tell the customer if their last message went unanswered; False if it did not.

        Only meaningful in a `bot_active` room's turn: then no bot reply is in progress, so
        a customer message last means a reply was lost to a crash or shutdown.
        """
        last = await self.store.recent_messages(room_id, 1)
        if not last or last[0].sender_type != "user":
            return False
        await self.system_message(room_id, INTERRUPTED, {"interrupted": True})
        return True

    async def system_message(
        self, room_id: str, text: str, metadata: dict[str, object] | None = None
    ) -> MessageRecord:
        stored = await self.store.append_message(
            room_id, "system", None, text, metadata=metadata, fence=self.fence
        )
        await self.notifier.message(stored.message)
        self._count_message("system")
        return stored.message

    def _count_message(self, sender_type: str) -> None:
        self.metrics.messages.labels(sender_type=sender_type).inc()

    async def _announce_state(self, change: StateChange) -> None:
        await self.notifier.state_changed(
            change.room_id, change.state, change.previous, change.agent_id
        )

    async def _tell_queue_position(self, escalation: EscalationRecord) -> None:
        text, metadata = await queue_notice(self.store, escalation, self.office_hours, self.clock())
        await self.system_message(escalation.room_id, text, metadata)

    async def _alert(self, escalation: EscalationRecord) -> EscalationAlert:
        audience: tuple[str, ...] | None = None
        if escalation.team_only:
            assert escalation.team_id is not None
            audience = await self.teams.audience(escalation.team_id)
            if not audience:
                # Nobody of the team is on any more: the queue is everyone's now.
                widened = await self.store.widen_escalation(escalation.escalation_id)
                escalation, audience = widened or escalation, None
        recent = await self.store.recent_messages(escalation.room_id, _PREVIEW_LINES + 1)
        preview = tuple(
            PreviewLine(m.sender_type, m.body[:_PREVIEW_CHARS])
            for m in recent
            if m.sender_type != "system"
        )[-_PREVIEW_LINES:]
        return EscalationAlert(
            escalation_id=escalation.escalation_id,
            room_id=escalation.room_id,
            session_id=escalation.session_id,
            user_id=escalation.user_id,
            reasons=escalation.reasons,
            queued_at=escalation.triggered_at,
            preview=preview,
            team_id=escalation.team_id,
            team_name=await self.teams.name(escalation.team_id),
            audience=audience,
        )


def _reply_metadata(reply: Reply) -> dict[str, object]:
    named = (*reply.sources, *reply.considered)
    return {
        # What the reply was about, for team routing (escalation/routing.py).
        "categories": sorted({source.category for source in named if source.category}),
        "confidence": round(reply.confidence, 4),
        "sources": [_source(source) for source in reply.sources],
        "provider": reply.provider,
        "escalate": reply.escalate,
        "reasons": list(reply.reasons),
        "query": reply.query,
        "act": reply.act,
        "suggestions": [{"id": s.id, "title": s.title} for s in reply.suggestions],
        "reply_id": reply.reply_id,
        "related": [_source(source) for source in reply.related],
        "considered": [_source(source) for source in reply.considered],
    }


def _source(source: Source) -> dict[str, object]:
    return {"id": source.id, "title": source.title, "score": round(source.score, 4)}
