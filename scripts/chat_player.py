"""Play labelled multi-turn chats over Socket.IO against a live server, and score them.

Used by `scripts/evaluate.py`. Each chat gets a new session (`POST /api/sessions`) and its
own Socket.IO connection, and its turns are sent one at a time, as a customer would. A turn
is scored from what the customer's socket receives:

- `"smalltalk"`: a bot reply, and the room does not escalate;
- `{"ids": [...]}`: a bot reply that does not escalate, one of `ids` among the first three
  articles it considered (`considered`, retrieval's ranking; a reply quotes one of them,
  its `sources`, and may offer others as `related`);
- `"escalate"`: the room escalates.

A turn after an unexpected escalation is wrong (the bot is no longer answering). Whether a
turn escalated is known for certain, without waiting on a clock: the room handles its
mailbox in order, so the acknowledgement of the next command (the next turn, or the closing
`close_room`) arrives after everything the previous bot turn announced.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio

REPLY_TIMEOUT = 60.0


@dataclass
class TurnResult:
    chat_id: str
    user: str
    kind: str  # smalltalk | ids | escalate
    expect: Any
    followup: bool
    escalated: bool
    replied: bool
    sources: list[str]  # the articles considered, best first
    reply: str
    query: str | None = None
    reasons: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)  # the articles the reply quotes
    settled: bool = False
    ok: bool = False


@dataclass
class ChatScore:
    turns: list[TurnResult] = field(default_factory=list)
    chats: int = 0
    chats_right: int = 0

    def rate(self, keep: Any) -> tuple[int, int]:
        chosen = [turn for turn in self.turns if keep(turn)]
        return sum(turn.ok for turn in chosen), len(chosen)


class _RoomListener:
    """What one customer's socket hears in its room."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.bot_messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        # (seq, reasons) of each "you are queued" system message: one per escalation.
        self.escalations: list[tuple[int, list[str]]] = []
        client.on("new_message", self._on_message)

    async def _on_message(self, event: dict[str, Any]) -> None:
        if event.get("sender_type") == "bot":
            self.bot_messages.put_nowait(event)
        elif event.get("sender_type") == "system" and "queue_position" in event:
            self.escalations.append((event["seq"], list(event.get("reasons", []))))

    def escalated_before(self, seq: float) -> list[str] | None:
        """The reasons of the first escalation stored before `seq`, or None."""
        for at, reasons in self.escalations:
            if at < seq:
                return reasons
        return None


def _expected_kind(expect: Any) -> str:
    if isinstance(expect, str):
        return expect
    return "ids"


def _turn_ok(result: TurnResult) -> bool:
    if result.kind == "escalate":
        return result.escalated
    if result.escalated or not result.replied:
        return False
    if result.kind == "smalltalk":
        return True
    return any(source in set(result.expect["ids"]) for source in result.sources[:3])


async def play_chat(
    url: str, chat: dict[str, Any], http: httpx.AsyncClient, admin_token: str
) -> list[TurnResult]:
    """One chat over its own session and socket; a result per turn."""
    session = (
        await http.post(
            "/api/sessions",
            json={"user_id": f"eval-{chat['id']}"},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
    ).json()
    room_id = session["room_id"]
    client = socketio.AsyncClient()
    listener = _RoomListener(client)
    results: list[TurnResult] = []
    await client.connect(url, auth={"token": session["token"]}, transports=["websocket"])
    try:
        await client.call("join_room", {"room_id": room_id}, timeout=REPLY_TIMEOUT)
        for turn in chat["turns"]:
            ack = await _call(client, "send_message", {"room_id": room_id, "message": turn["user"]})
            # Everything the previous bot turn announced arrived before this ack.
            _settle_last(results, listener, ack["seq"])
            silent = listener.escalated_before(ack["seq"]) is not None
            reply: dict[str, Any] = {}
            if not silent:
                reply = await asyncio.wait_for(listener.bot_messages.get(), REPLY_TIMEOUT)
            results.append(
                TurnResult(
                    chat_id=chat["id"],
                    user=turn["user"],
                    kind=_expected_kind(turn["expect"]),
                    expect=turn["expect"],
                    followup=bool(turn.get("followup")),
                    escalated=silent,
                    replied=bool(reply),
                    sources=[s["id"] for s in reply.get("considered", reply.get("sources", []))],
                    reply=reply.get("message", ""),
                    query=reply.get("query"),
                    quoted=[source["id"] for source in reply.get("sources", [])],
                    settled=silent,
                )
            )
        await _call(client, "close_room", {"room_id": room_id})
        _settle_last(results, listener, float("inf"))
    finally:
        await client.disconnect()
    await _add_reasons(http, session, results, admin_token)
    for result in results:
        result.ok = _turn_ok(result)
    return results


async def _call(client: socketio.AsyncClient, event: str, data: dict[str, Any]) -> Any:
    ack = await client.call(event, data, timeout=REPLY_TIMEOUT)
    if not ack.get("ok"):
        raise RuntimeError(f"{event} refused: {ack}")
    return ack


async def _add_reasons(
    http: httpx.AsyncClient, session: dict[str, Any], results: list[TurnResult], admin_token: str
) -> None:
    """The reasons each escalation recorded, from the transcript (its stored metadata)."""
    response = await http.get(
        f"/api/sessions/{session['session_id']}/messages",
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    if response.status_code != 200:
        return
    body = response.json()
    messages = body["messages"] if isinstance(body, dict) else body
    queued = [m for m in messages if "queue_position" in m.get("metadata", {})]
    escalated = [result for result in results if result.escalated and not result.reasons]
    if queued and escalated:
        escalated[0].reasons = list(queued[0]["metadata"].get("reasons", []))


def _settle_last(results: list[TurnResult], listener: _RoomListener, seq: float) -> None:
    """Fold in whether the room escalated after the last turn's reply (before `seq`)."""
    if not results or results[-1].settled:
        return
    last = results[-1]
    reasons = listener.escalated_before(seq)
    last.escalated = reasons is not None
    last.reasons = reasons or []
    last.settled = True


async def play_all(url: str, chats: list[dict[str, Any]], admin_token: str) -> ChatScore:
    """Every chat in turn, each its own session; the admin token reads the transcripts."""
    score = ChatScore()
    async with httpx.AsyncClient(base_url=url, timeout=REPLY_TIMEOUT) as http:
        for chat in chats:
            results = await play_chat(url, chat, http, admin_token)
            score.turns.extend(results)
            score.chats += 1
            score.chats_right += all(result.ok for result in results)
    return score


def report(score: ChatScore, show: bool) -> None:
    def line(name: str, keep: Any) -> None:
        right, total = score.rate(keep)
        figure = f"{right / total:.3f}" if total else "  -  "
        print(f"  {name:<26} {figure}  ({right}/{total})")

    print(f"conversations: {score.chats} chats, {len(score.turns)} turns (live, over Socket.IO)")
    line("turns", lambda t: True)
    line("questions (standalone)", lambda t: t.kind == "ids" and not t.followup)
    line("follow-ups", lambda t: t.kind == "ids" and t.followup)
    line("small talk", lambda t: t.kind == "smalltalk")
    line("requests for a person", lambda t: t.kind == "escalate")
    unexpected = [t for t in score.turns if t.escalated and t.kind != "escalate"]
    reasons: Counter[str] = Counter(r for t in unexpected for r in t.reasons)
    print(f"  {'unexpected escalations':<26} {len(unexpected)}  reasons: {dict(reasons)}")
    print(
        f"  {'whole chats':<26} {score.chats_right / score.chats:.3f}"
        f"  ({score.chats_right}/{score.chats})"
    )
    if show:
        for turn in score.turns:
            if not turn.ok:
                print(
                    f"  wrong [{turn.chat_id}] {turn.user[:50]!r} want={turn.kind}"
                    f" escalated={turn.escalated} reasons={turn.reasons}"
                    f" sources={turn.sources[:3]} query={turn.query!r}"
                )
