"""The test doubles shared across test folders: one place, so they match the real seams.

Only what is remote or beside the point of a test is faked: the Socket.IO side of rooms
(`RecordingNotifier`, when the test is about rooms), and the bot (`EchoResponder`,
`ConfidentBot`, when the test is about what happens around a reply). Groq's stand-in is a
real local HTTP server: `tests/llm/fake_groq.py`. `model_vocabulary()` reads the embedding
model's word list from its tokenizer file, so the escalation word rules are tested against
the real vocabulary without loading the model.

`FAKE_BOT` is what a server under a REST or Socket.IO contract test runs instead of the
model: the real bot (`assemble_bot`: Chroma, retrieval, the offline answerer, the
escalation word rules, dialogue acts) over `WordHashEncoder`, which hashes words instead of
running all-MiniLM-L6-v2. A server with it starts in well under a second instead of
seconds. What the contract tests rely on it for is pinned against the real bot in
tests/bot/test_fake_bot.py.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from supportflow.app_parts import AppParts
from supportflow.bot.runtime import BotRuntime, assemble_bot
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.sentence_encoder import Matrix, default_model_path
from supportflow.metrics import Metrics
from supportflow.rooms.responder import Reply, RoomView, Source, Turn
from supportflow.rooms.room_notifier import EscalationAlert, TransferAlert
from supportflow.settings import Settings
from supportflow.store import MessageRecord, RatingRecord, RoomState
from supportflow.text import words


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

    async def room_transferred(self, alert: TransferAlert) -> None:
        self.events.append(("room_transferred", alert))

    async def room_closed(self, room_id: str, previous: RoomState) -> None:
        self.events.append(("room_closed", previous))

    async def chat_rated(self, rating: RatingRecord) -> None:
        self.events.append(("chat_rated", rating))


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


@cache
def model_token_ids() -> dict[str, int]:
    """all-MiniLM-L6-v2's tokenizer vocabulary, token -> id, read from its vocab.txt."""
    lines = (Path(default_model_path()) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    return {token: index for index, token in enumerate(lines)}


class WordHashEncoder:
    """A `SentenceEncoder` without a model: each word adds one to a dimension chosen by its
    hash, and the row is L2-normalised. Texts sharing words are near; others are not.

    Its vocabulary is the real model's, so the escalation word rules see the same words.
    """

    kind = "word-hash"
    dimension = 384

    def encode(self, texts: list[str]) -> Matrix:
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in words(text) or [""]:
                matrix[row, zlib.crc32(word.encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)

    def vocabulary(self) -> dict[str, int]:
        return model_token_ids()

    def token_ids(self, text: str) -> list[int]:
        known = model_token_ids()
        return [known.get(word, 100) for word in words(text)]  # 100: [UNK]


# One for every fake bot of a process, as encoder_choice.py shares the real model's: what is
# kept per encoder (Embedder.embed_fixed) is kept across the process's apps here too.
WORD_HASH = WordHashEncoder()


async def open_fake_bot(settings: Settings, metrics: Metrics) -> BotRuntime:
    """The real bot of `settings` (its Chroma, rules, answerer) over `WordHashEncoder`."""
    embedder = Embedder(WORD_HASH, "word-hash (tests/fakes.py)", metrics=metrics)
    return await assemble_bot(settings, embedder, metrics)


# What a contract test's server opens: everything real but the embedding model.
FAKE_BOT = AppParts(open_bot=open_fake_bot)
