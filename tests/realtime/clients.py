"""A Socket.IO test client that records every event and can wait for one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import socketio

from tests.support import LOOPBACK_TLS, admin_headers

ADMIN = admin_headers()

Event = dict[str, Any]

# Every client-to-server event of the contract (docs/socketio.md).
CLIENT_EVENTS = (
    "join_room",
    "leave_room",
    "send_message",
    "claim_room",
    "release_room",
    "close_room",
    "transfer_room",
    "sync",
    "typing",
    "escalate",
    "add_note",
    "rate",
    "feedback",
    "leave_contact",
)


class ChatClient:
    """A real `socketio.AsyncClient` with an inbox of (event, payload) pairs."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.inbox: list[tuple[str, Event]] = []
        self._arrived = asyncio.Condition()
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Event) -> None:
        async with self._arrived:
            self.inbox.append((event, data))
            self._arrived.notify_all()

    async def connect(self) -> ChatClient:
        await self.sio.connect(self.url, auth={"token": self.token}, transports=["websocket"])
        return self

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()

    async def call(self, event: str, data: Any = None, timeout: float = 60) -> Event:
        """Emit and return the acknowledgement."""
        ack: Event = await self.sio.call(event, data, timeout=timeout)
        return ack

    async def ok(self, event: str, data: Any = None, timeout: float = 60) -> Event:
        """Emit, assert the acknowledgement is ok, and return it."""
        ack = await self.call(event, data, timeout)
        assert ack.get("ok") is True, (event, data, ack)
        return ack

    async def wait_for(
        self, event: str, match: Callable[[Event], bool] = lambda _: True, timeout: float = 60
    ) -> Event:
        """The first recorded `event` whose payload satisfies `match` (waiting if needed)."""
        async with self._arrived:
            try:
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: self._find(event, match) is not None), timeout
                )
            except TimeoutError:
                # Say what did arrive: a dropped socket and a message never sent read alike.
                raise AssertionError(
                    f"no matching {event!r} in {timeout} s; connected={self.sio.connected}; "
                    f"last events: {[(name, data) for name, data in self.inbox[-6:]]}"
                ) from None
            result = self._find(event, match)
            assert result is not None
            return result

    def received(self, event: str, match: Callable[[Event], bool] = lambda _: True) -> list[Event]:
        return [data for name, data in self.inbox if name == event and match(data)]

    def _find(self, event: str, match: Callable[[Event], bool]) -> Event | None:
        for name, data in self.inbox:
            if name == event and match(data):
                return data
        return None


async def new_customer(url: str, user_id: str) -> tuple[ChatClient, dict[str, Any]]:
    """A session for `user_id` and a connected client that has joined its room."""
    async with httpx.AsyncClient(base_url=url, verify=LOOPBACK_TLS) as http:
        # The admin token chooses the user_id (anonymous callers get one chosen for them).
        response = await http.post("/api/sessions", json={"user_id": user_id}, headers=ADMIN)
        session = response.json()
    client = await ChatClient(url, session["token"]).connect()
    await client.ok("join_room", {"room_id": session["room_id"]})
    return client, session


@asynccontextmanager
async def customer_session(url: str, user_id: str) -> AsyncIterator[tuple[ChatClient, Event]]:
    """`new_customer` for the length of an `async with` block: the client closes after it."""
    customer, session = await new_customer(url, user_id)
    try:
        yield customer, session
    finally:
        await customer.close()


async def new_agent(
    admin: httpx.AsyncClient, agent_id: str, *, available: bool = True, max_concurrent: int = 3
) -> tuple[ChatClient, dict[str, Any]]:
    """A registered agent (available by default) with a connected client."""
    created = await admin.post(
        "/api/agents",
        json={
            "agent_id": agent_id,
            "name": agent_id.title(),
            "is_available": available,
            "max_concurrent": max_concurrent,
        },
    )
    agent = created.json()
    assert created.status_code == 201, agent
    client = await ChatClient(str(admin.base_url).rstrip("/"), agent["token"]).connect()
    return client, agent


async def claimed_room(
    url: str, admin: httpx.AsyncClient, user_id: str, agent_id: str
) -> tuple[ChatClient, dict[str, Any], ChatClient, dict[str, Any]]:
    """A room escalated and claimed by a new agent: (customer, session, agent, account)."""
    customer, session = await new_customer(url, user_id)
    agent, account = await new_agent(admin, agent_id)
    await customer.ok("escalate", {"room_id": session["room_id"]})
    await agent.ok("claim_room", {"room_id": session["room_id"]})
    return customer, session, agent, account


async def say(customer: ChatClient, room: str, text: str) -> dict[str, Any]:
    """Send `text` and return the bot's reply to it."""
    ack = await customer.ok("send_message", {"room_id": room, "message": text})
    return await customer.wait_for(
        "new_message", lambda m: m["sender_type"] == "bot" and m["seq"] > ack["seq"]
    )


async def queued_reasons(admin: httpx.AsyncClient, room: str) -> list[str]:
    """The reasons of the pending escalation of `room`, or [] when none is queued."""
    pending = (await admin.get("/api/escalations?status=pending")).json()["escalations"]
    mine = [escalation for escalation in pending if escalation["room_id"] == room]
    return list(mine[0]["reasons"]) if mine else []


async def dropped(client: ChatClient, code: str) -> None:
    """The server told `client` why (`disconnect_reason`), then disconnected it."""
    told = await client.wait_for("disconnect_reason", timeout=10)
    assert told["code"] == code, told
    for _ in range(100):
        if not client.sio.connected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the socket was not disconnected")
