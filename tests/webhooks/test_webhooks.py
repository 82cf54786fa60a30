"""Webhooks end to end: registered over REST, fed by real rooms, received on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from tests.fakes import FAKE_BOT
from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer, admin_http, free_port, serving
from tests.webhooks.receiver import Received, Receiver

ALL_EVENTS = ["escalation.created", "room.claimed", "room.closed", "rating.created"]


@pytest.fixture(name="hook_server", scope="module")
def fixture_hook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(
        tmp_path_factory.mktemp("webhooks") / "data",
        FAKE_BOT,
        webhook_retry_base_seconds=0.05,
        webhook_max_attempts=3,
        webhook_timeout_seconds=2.0,
    ) as server:
        yield server


@pytest.fixture(name="hook_admin")
async def fixture_hook_admin(hook_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_http(hook_server) as client:
        yield client


def about(room_id: str) -> Callable[[Received], bool]:
    return lambda item: item.payload["data"].get("room_id") == room_id


def signed(secret: str, item: Received) -> bool:
    """The README's receiver check: the HMAC of `<timestamp>.<body>`, the timestamp fresh."""
    timestamp = item.headers["X-Supportflow-Timestamp"]
    assert abs(time.time() - int(timestamp)) < 300
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + item.body, hashlib.sha256)
    return hmac.compare_digest(
        "sha256=" + expected.hexdigest(), item.headers["X-Supportflow-Signature"]
    )


async def register(admin: httpx.AsyncClient, url: str, events: list[str]) -> dict[str, str]:
    created = await admin.post("/api/webhooks", json={"url": url, "events": events})
    assert created.status_code == 201, created.text
    hook: dict[str, str] = created.json()
    return hook


async def test_register_list_and_delete(hook_admin: httpx.AsyncClient) -> None:
    hook = await register(hook_admin, "http://127.0.0.1:9/x", ["room.closed", "room.closed"])
    assert hook["secret"].startswith("whsec_") and len(hook["secret"]) > 40
    assert hook["events"] == ["room.closed"]
    listed = (await hook_admin.get("/api/webhooks")).json()["webhooks"]
    mine = [item for item in listed if item["id"] == hook["id"]]
    assert mine == [
        {
            "id": hook["id"],
            "url": hook["url"],
            "events": ["room.closed"],
            "created_at": mine[0]["created_at"],
        }
    ]
    assert "secret" not in str(listed)
    assert (await hook_admin.get(f"/api/webhooks/{hook['id']}/deliveries")).json() == {
        "deliveries": []
    }
    deleted = await hook_admin.delete(f"/api/webhooks/{hook['id']}")
    assert deleted.json() == {"id": hook["id"], "deleted": True}
    for gone in (
        await hook_admin.delete(f"/api/webhooks/{hook['id']}"),
        await hook_admin.get(f"/api/webhooks/{hook['id']}/deliveries"),
    ):
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "webhook_not_found"


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://127.0.0.1/x", "events": ["room.closed"]},
        {"url": "http://", "events": ["room.closed"]},
        {"url": "http://user:pw@127.0.0.1/x", "events": ["room.closed"]},
        {"url": "http://127.0.0.1:99999/x", "events": ["room.closed"]},
        {"url": "http://127.0.0.1/x", "events": []},
        {"url": "http://127.0.0.1/x", "events": ["room.opened"]},
        {"url": "http://127.0.0.1/x"},
        {"url": "http://127.0.0.1/x", "events": ["room.closed"], "secret": "mine"},
    ],
)
async def test_bad_registrations_are_400(
    hook_admin: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await hook_admin.post("/api/webhooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] in {"invalid_input", "webhook_url_refused"}


async def test_only_the_admin_manages_webhooks(hook_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=hook_server.url) as http:
        session = (await http.post("/api/sessions", json={})).json()
        as_user = {"Authorization": f"Bearer {session['token']}"}
        assert (await http.get("/api/webhooks")).status_code == 401
        assert (await http.get("/api/webhooks", headers=as_user)).status_code == 403
        body = {"url": "http://127.0.0.1/x", "events": ["room.closed"]}
        assert (await http.post("/api/webhooks", json=body, headers=as_user)).status_code == 403


async def test_a_room_s_life_arrives_signed(
    hook_server: LiveServer, hook_admin: httpx.AsyncClient, uid: str
) -> None:
    async with Receiver() as everything, Receiver() as closings:
        hook = await register(hook_admin, everything.url, ALL_EVENTS)
        closed_only = await register(hook_admin, closings.url, ["room.closed"])
        customer, session = await new_customer(hook_server.url, f"c-{uid}")
        agent, _ = await new_agent(hook_admin, f"a-{uid}")
        room = session["room_id"]
        try:
            await hook_admin.post("/api/escalate", json={"session_id": session["session_id"]})
            await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
            await agent.ok("claim_room", {"room_id": room})
            await agent.ok("close_room", {"room_id": room})
            received = await everything.wait_for(about(room), count=3)
        finally:
            await customer.close()
            await agent.close()

        assert [item.payload["event"] for item in received] == [
            "escalation.created",
            "room.claimed",
            "room.closed",
        ]
        for item in received:
            assert signed(hook["secret"], item)
            assert item.headers["Content-Type"] == "application/json"
            assert item.headers["X-Supportflow-Event"] == item.payload["event"]
            assert set(item.payload) == {"event", "created_at", "data"}
        created, claimed, closed = (item.payload["data"] for item in received)
        assert created["session_id"] == session["session_id"]
        assert created["reasons"] == ["human_requested"]
        assert claimed == {"room_id": room, "agent_id": f"a-{uid}"}
        assert closed == {"room_id": room, "previous": "agent_assigned"}

        only = await closings.wait_for(about(room))
        assert only[0].payload["event"] == "room.closed"
        assert signed(closed_only["secret"], only[0])
        assert not signed(hook["secret"], only[0])
        await asyncio.sleep(0.3)
        assert len(closings.events(about(room))) == 1

        log = (await hook_admin.get(f"/api/webhooks/{hook['id']}/deliveries")).json()
        mine = [d for d in log["deliveries"] if d["payload"]["data"].get("room_id") == room]
        assert [d["event"] for d in mine] == ["room.closed", "room.claimed", "escalation.created"]
        assert all(d["status"] == "delivered" and d["last_status_code"] == 200 for d in mine)
        assert all(d["attempts"] == 1 and d["next_attempt_at"] is None for d in mine)


async def test_failures_are_retried_then_given_up(
    hook_server: LiveServer, hook_admin: httpx.AsyncClient, uid: str
) -> None:
    async with Receiver(script=[500, 503]) as flaky, Receiver(script=[500] * 10) as broken:
        retried = await register(hook_admin, flaky.url, ["escalation.created"])
        doomed = await register(hook_admin, broken.url, ["escalation.created"])
        session = (await hook_admin.post("/api/sessions", json={"user_id": f"r-{uid}"})).json()
        await hook_admin.post("/api/escalate", json={"session_id": session["session_id"]})

        tries = await flaky.wait_for(about(session["room_id"]), count=3)
        assert len({item.headers["X-Supportflow-Delivery"] for item in tries}) == 1
        assert len({item.body for item in tries}) == 1
        await broken.wait_for(about(session["room_id"]), count=3)

        async def last_delivery(hook: dict[str, str], status: str) -> dict[str, object]:
            for _ in range(100):
                log = await hook_admin.get(f"/api/webhooks/{hook['id']}/deliveries")
                found: dict[str, object] = log.json()["deliveries"][0]
                if found["status"] == status:
                    return found
                await asyncio.sleep(0.1)
            raise AssertionError(f"the delivery never became {status}: {found}")

        delivered = await last_delivery(retried, "delivered")
        assert (delivered["attempts"], delivered["last_status_code"]) == (3, 200)
        failed = await last_delivery(doomed, "failed")
        assert (failed["attempts"], failed["last_status_code"]) == (3, 500)
        assert failed["last_error"] == "the receiver answered 500"
        await asyncio.sleep(0.5)
        assert len(broken.events(about(session["room_id"]))) == 3  # max_attempts, no more


async def test_an_unreachable_receiver_is_logged(hook_admin: httpx.AsyncClient, uid: str) -> None:
    hook = await register(
        hook_admin, f"http://127.0.0.1:{free_port()}/gone", ["escalation.created"]
    )
    session = (await hook_admin.post("/api/sessions", json={"user_id": f"u-{uid}"})).json()
    await hook_admin.post("/api/escalate", json={"session_id": session["session_id"]})
    for _ in range(100):
        log = (await hook_admin.get(f"/api/webhooks/{hook['id']}/deliveries")).json()
        if log["deliveries"] and log["deliveries"][0]["status"] == "failed":
            break
        await asyncio.sleep(0.1)
    delivery = log["deliveries"][0]
    assert delivery["status"] == "failed" and delivery["last_status_code"] is None
    assert "ConnectError" in delivery["last_error"]


async def test_a_hanging_receiver_never_holds_up_a_room(
    hook_server: LiveServer, hook_admin: httpx.AsyncClient, uid: str
) -> None:
    async with Receiver() as stuck:
        stuck.hold = asyncio.Event()
        await register(hook_admin, stuck.url, ALL_EVENTS)
        customer, session = await new_customer(hook_server.url, f"h-{uid}")
        agent, _ = await new_agent(hook_admin, f"h-{uid}")
        room = session["room_id"]
        try:
            await customer.ok("escalate", {"room_id": room})
            await stuck.wait_for(about(room))  # the first delivery is in the receiver's hands
            await agent.ok("claim_room", {"room_id": room})
            await customer.ok("send_message", {"room_id": room, "message": "still there?"})
            await agent.wait_for("new_message", lambda m: m["message"] == "still there?")
            await agent.ok("close_room", {"room_id": room})
            await customer.wait_for("room_state", lambda s: s["state"] == "closed")
            # The whole room went by while the receiver still held its first request.
            assert not stuck.hold.is_set()
            stuck.hold.set()
            events = await stuck.wait_for(about(room), count=3)
            assert [e.payload["event"] for e in events] == [
                "escalation.created",
                "room.claimed",
                "room.closed",
            ]
        finally:
            await customer.close()
            await agent.close()


async def test_refusing_private_ranges(start_server: Callable[..., LiveServer]) -> None:
    server = start_server(webhook_refuse_private=True)
    async with admin_http(server) as admin:
        for url in [
            "http://127.0.0.1:8080/x",
            "http://localhost/x",
            "http://10.1.2.3/x",
            "http://192.168.0.10/x",
            "http://172.16.5.5/x",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/x",
            "http://0.0.0.0/x",
        ]:
            refused = await admin.post(
                "/api/webhooks", json={"url": url, "events": ["room.closed"]}
            )
            assert refused.status_code == 400, (url, refused.text)
            assert refused.json()["error"]["code"] == "webhook_url_refused", url
        assert (await admin.get("/api/webhooks")).json() == {"webhooks": []}


async def test_a_rating_is_announced(
    hook_server: LiveServer, hook_admin: httpx.AsyncClient, uid: str
) -> None:
    async with Receiver() as ratings:
        hook = await register(hook_admin, ratings.url, ["rating.created"])
        customer, session = await new_customer(hook_server.url, f"rater-{uid}")
        room = session["room_id"]
        try:
            await customer.ok("close_room", {"room_id": room})
            await customer.ok("rate", {"room_id": room, "score": 4, "comment": "quick, thanks"})
            (received,) = await ratings.wait_for(about(room))
        finally:
            await customer.close()
        assert signed(hook["secret"], received)
        assert received.payload["event"] == "rating.created"
        data = received.payload["data"]
        assert (data["score"], data["comment"], data["agent_id"]) == (4, "quick, thanks", None)
        assert data["session_id"] == session["session_id"]
