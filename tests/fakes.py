"""The test doubles shared across test folders: one place, so they match the real seams.

Only what is remote or beside the point of a test is faked: the Socket.IO side of rooms
(`RecordingNotifier`, when the test is about rooms), and the bot (`EchoResponder`,
`ConfidentBot`, when the test is about what happens around a reply). Groq's stand-in is a
real local HTTP server: `tests/llm/fake_groq.py`. `model_vocabulary()` reads the embedding
model's word list from its tokenizer file, so the escalation word rules are tested against
the real vocabulary without loading the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from supportflow.knowledge.sentence_encoder import default_model_path
from supportflow.rooms.responder import Reply, RoomView, Source, Turn
from supportflow.rooms.room_notifier import EscalationAlert
from supportflow.store import MessageRecord, RoomState


class RecordingNotifier:
    """A `RoomNotifier` that keeps every announcement, in order, as `(event, detail)`."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []

    @property
    def messages(self) -> list[MessageRecord]:
        return [m for kind, m in self.events if kind == "message" and isinstance(m, MessageRecord)]

    @property
    def alerts(self) -> list[EscalationAlert]:
        return [a for kind, a in self.events if isinstance(a, EscalationAlert)]

    async def message(self, message: MessageRecord) -> None:
        self.events.append(("message", message))

    async def state_changed(
        self, room_id: str, state: RoomState, previous: RoomState, agent_id: str | None
    ) -> None:
        self.events.append(("state_changed", state))

    async def escalation_alert(self, alert: EscalationAlert) -> None:
        self.events.append(("escalation_alert", alert))

    async def escalation_claimed(self, room_id: str, agent_id: str) -> None:
        self.events.append(("escalation_claimed", agent_id))

    async def agent_joined(self, room_id: str, agent_id: str, name: str) -> None:
        self.events.append(("agent_joined", agent_id))

    async def bot_typing(self, room_id: str, is_typing: bool) -> None:
        self.events.append(("bot_typing", is_typing))

    async def reply_delta(self, room_id: str, reply_id: str, text: str) -> None:
        self.events.append(("reply_delta", text))


class EchoResponder:
    """Answers at once and confidently, so a test exercises only the rooms."""

    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        await asyncio.sleep(0.01)
        return Reply(text=f"echo: {text}", confidence=0.9)


class ConfidentBot:
    """A responder that answers from one cited article and never escalates."""

    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        source = Source("voicemail-pin", "Reset your voicemail PIN", 0.87)
        return Reply("Dial 121, then choose 3 to set a new PIN.", 0.91, (source,))


class TopicBot:
    """A responder whose chat is about what the customer says it is: "topic:<category>" in a
    message makes the reply weigh an article of that category, and "dispute" hands over
    (`sensitive_topic`), as the real bot does for a billing dispute (team routing tests)."""

    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        categories = [word[len("topic:") :] for word in text.split() if word.startswith("topic:")]
        weighed = tuple(
            Source(f"{category}-article", f"About {category}", 0.5, category)
            for category in categories
        )
        if "dispute" in text:
            return Reply(
                "Let me pass you to a person.",
                0.5,
                escalate=True,
                reasons=("sensitive_topic",),
                considered=weighed,
            )
        return Reply(f"echo: {text}", 0.9, weighed, considered=weighed)


@cache
def model_vocabulary() -> frozenset[str]:
    """The whole lower-case words of all-MiniLM-L6-v2's vocabulary (= Embedder.known_words)."""
    lines = (Path(default_model_path()) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(
        word for word in (line.strip() for line in lines) if word.isalpha() and word.islower()
    )
