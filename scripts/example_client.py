"""A runnable tour of supportflow's Socket.IO contract (docs/socketio.md), one step per line.

It registers an available agent, opens a customer session, lets the customer ask the bot a
question and then ask for a human; the agent is alerted, claims the room, says hello, hands
the room back to the bot, and the customer closes it. Any refusal, or any wait longer than
--timeout seconds, ends the run with a message on stderr and exit status 1.

    python scripts/example_client.py --url http://127.0.0.1:5000 --admin-token <token>
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import socketio

Event = dict[str, Any]


class StepFailed(Exception):
    """The server did not do what the contract says (or not in time)."""


class Peer:
    """One Socket.IO connection that keeps every server event, so a step can wait for one."""

    def __init__(self, name: str, url: str, token: str, timeout: float) -> None:
        self.name, self.url, self.token, self.timeout = name, url, token, timeout
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: list[tuple[str, Event]] = []
        self.arrived = asyncio.Condition()
        self.refusal: Any = None
        self.sio.on("*", self._record)  # every server event: new_message, room_state, ...
        self.sio.on("connect_error", self._refused)  # reserved events are not caught by "*"

    async def _record(self, event: str, data: Event) -> None:
        async with self.arrived:
            self.inbox.append((event, data))
            self.arrived.notify_all()

    async def _refused(self, data: Any) -> None:
        self.refusal = data  # {"message": ...} explaining why the token was refused

    async def connect(self) -> None:
        # The token travels in the Socket.IO auth payload, not in an HTTP header.
        try:
            auth = {"token": self.token}
            await self.sio.connect(self.url, auth=auth, wait_timeout=self.timeout)
        except socketio.exceptions.ConnectionError as error:
            raise StepFailed(f"{self.name}: connection refused: {self.refusal or error}") from None

    async def ok(self, event: str, data: Event, allow: tuple[str, ...] = ()) -> Event:
        """Emit `event`, wait for its ack; refusals other than `allow`ed codes fail the run."""
        try:
            ack: Event = await self.sio.call(event, data, timeout=self.timeout)
        except socketio.exceptions.TimeoutError:
            raise StepFailed(f"{self.name}: no ack for {event!r} in {self.timeout}s") from None
        if not ack.get("ok") and ack.get("error", {}).get("code") not in allow:
            raise StepFailed(f"{self.name}: {event} refused: {ack.get('error')}")
        return ack

    async def wait_for(self, event: str, match: Callable[[Event], bool]) -> Event:
        """The first `event` received (before or after this call) whose payload matches."""

        def find() -> Event | None:
            return next((d for e, d in self.inbox if e == event and match(d)), None)

        try:
            async with self.arrived:  # Condition.wait_for returns find()'s first hit
                found = await asyncio.wait_for(self.arrived.wait_for(find), self.timeout)
        except TimeoutError:
            raise StepFailed(f"{self.name}: no {event!r} within {self.timeout}s") from None
        assert found is not None
        return found

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


def say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


async def post(http: httpx.AsyncClient, path: str, body: Event, token: str | None = None) -> Event:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(path, json=body, headers=headers)
    if response.status_code != 201:
        raise StepFailed(f"POST {path} answered {response.status_code}: {response.text[:300]}")
    return dict(response.json())


async def run(url: str, admin_token: str, question: str, timeout: float) -> None:
    suffix = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
        # Agents are created "away" by default; only available agents get escalation alerts.
        body = {"agent_id": f"example-agent-{suffix}", "name": "Sam Agent", "is_available": True}
        agent = await post(http, "/api/agents", body, admin_token)
        say("agent", f"created {agent['agent_id']} (available)")
        # Anyone may start a session; its token opens this session's room and nothing else.
        session = await post(
            http, "/api/sessions", {"user_id": f"example-customer-{suffix}"}, admin_token
        )
        room = session["room_id"]
        say("session", f"session {session['session_id']} room {room}")

    agent_peer = Peer("agent", url, agent["token"], timeout)
    customer = Peer("customer", url, session["token"], timeout)
    try:
        # An agent socket is put in the alert room on connect: no join needed for alerts.
        await agent_peer.connect()
        await customer.connect()
        say("connect", "agent and customer sockets connected")
        # A customer only receives a room's events after joining it.
        joined = await customer.ok("join_room", {"room_id": room})
        say("join", f"room state {joined['state']}, {len(joined['messages'])} earlier messages")

        sent = await customer.ok("send_message", {"room_id": room, "message": question})
        say("ask", f"customer asked {question!r} (seq {sent['seq']})")
        reply = await customer.wait_for(
            "new_message", lambda m: m["sender_type"] == "bot" and m["seq"] > sent["seq"]
        )
        say("bot", f"{reply['message']!r} (confidence {reply.get('confidence')})")
        cited = [f"{s['title']} [{s['id']}] score {s['score']}" for s in reply.get("sources", [])]
        say("sources", "; ".join(cited) or "(the reply cites none)")

        # Ask for a human. The bot may already have queued the chat on its own (low
        # confidence, a frustrated customer...): the room is then escalating already.
        asked = await customer.ok("escalate", {"room_id": room}, allow=("invalid_transition",))
        if not asked["ok"]:
            await customer.wait_for("room_state", lambda e: e["state"] == "escalating")
            say("escalate", "the bot had already passed the chat to the human queue")
        else:
            say("escalate", f"room is now {asked['state']} (was {asked['previous']})")
        queued = await customer.wait_for("new_message", lambda m: "queue_position" in m)
        say("queued", f"customer told: {queued['message']!r}")

        alert = await agent_peer.wait_for("escalation_alert", lambda a: a["room_id"] == room)
        say("alert", f"agent alerted: reasons {alert['reasons']}, preview {alert['preview']}")
        claimed = await agent_peer.ok("claim_room", {"room_id": room})
        say("claim", f"agent claimed the room: state {claimed['state']}")
        await customer.wait_for("agent_joined", lambda e: e["agent_id"] == agent["agent_id"])
        say("joined", f"customer saw {agent['name']} join")

        hello = {"room_id": room, "message": "Hello, I'm here to help.", "client_msg_id": "hi-1"}
        said = await agent_peer.ok("send_message", hello)
        heard = await customer.wait_for("new_message", lambda m: m["seq"] == said["seq"])
        say("agent says", f"customer received {heard['message']!r} from {heard['sender_id']}")

        released = await agent_peer.ok("release_room", {"room_id": room})
        await customer.wait_for("room_state", lambda e: e["state"] == "bot_active")
        say("release", f"agent handed back: state {released['state']}")
        closed = await customer.ok("close_room", {"room_id": room})
        say("close", f"customer closed the room: state {closed['state']}")
    finally:
        await customer.close()
        await agent_peer.close()


def default_admin_token() -> str | None:
    """The token a server started from this directory wrote on its first start."""
    path = Path("instance") / "admin_token"
    return (path.read_text(encoding="utf-8").strip() or None) if path.is_file() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000")
    parser.add_argument("--admin-token", default=None, help="default: instance/admin_token")
    parser.add_argument("--question", default="How do I reset my voicemail PIN?")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per step")
    args = parser.parse_args(argv)
    token = args.admin_token or default_admin_token()
    if not token:
        print("FAILED: no admin token (pass --admin-token or run the server once)", file=sys.stderr)
        return 2
    try:
        asyncio.run(run(args.url.rstrip("/"), token, args.question, args.timeout))
    except StepFailed as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    except (httpx.HTTPError, OSError) as error:
        print(f"FAILED: cannot talk to {args.url}: {error!r}", file=sys.stderr)
        return 1
    say("done", "the whole room lifecycle worked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
