"""Property: whatever JSON arrives with whatever event, the server answers with an ack of the
contract's shape, keeps the connection and stays healthy.

Hypothesis drives a real Socket.IO client against a live server. Hypothesis tests are
synchronous, so the client lives on an event loop of its own, in a thread, for the module.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes import FAKE_BOT
from tests.realtime.clients import CLIENT_EVENTS, ChatClient
from tests.support import ADMIN_TOKEN, LiveServer, server_settings

T = TypeVar("T")


# About 2 MB each on the wire (JSON sends "é" as a 6-byte escape): far past every field's
# limit, and one of them fits in a packet (SUPPORTFLOW_MAX_SOCKET_PACKET_BYTES, 4 MiB). A
# packet above that drops the connection by design (tests/security/test_limits.py).
HUGE = ["x" * 2_000_000, "é" * 330_000]
KEYS = [
    "room_id",
    "message",
    "after_seq",
    "is_typing",
    "client_msg_id",
    "user_type",
    "user_id",
    "reason",
]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


class LoopThread:
    """An event loop running in a daemon thread; `run` a coroutine on it and wait."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture(name="fuzz_target", scope="module")
def fixture_fuzz_target(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, LoopThread, ChatClient, str]]:
    data_dir = tmp_path_factory.mktemp("fuzz") / "data"
    # The rate limit would answer most examples with rate_limited and hide every other path.
    server = LiveServer(
        server_settings(data_dir, socket_rate_per_second=10_000.0, socket_rate_burst=10_000),
        FAKE_BOT,
    ).start()
    session = httpx.post(f"{server.url}/api/sessions", json={}).json()
    loop = LoopThread()
    # The admin token: a customer's socket is dropped, by design, once a fuzzed close_room
    # closes its room (its token dies with it), which would end the run after one close.
    client = loop.run(_connect(server.url, ADMIN_TOKEN))
    yield server, loop, client, session["room_id"]
    loop.run(client.close())
    loop.close()
    server.stop()


async def _connect(url: str, token: str) -> ChatClient:
    return await ChatClient(url, token).connect()


def payloads(room_id: str) -> st.SearchStrategy[Any]:
    """Anything at all, and objects with the contract's keys holding anything at all (the
    real room id included, so validation gets past the room check too)."""
    field = st.one_of(json_values, st.just(room_id))
    keyed = st.fixed_dictionaries({}, optional=dict.fromkeys(KEYS, field))
    one_huge = st.builds(
        lambda base, key, huge: {**base, key: huge},
        keyed,
        st.sampled_from(KEYS),
        st.sampled_from(HUGE),
    )
    return st.one_of(json_values, keyed, one_huge, st.sampled_from(HUGE))


def _is_contract_ack(ack: Any) -> bool:
    if not isinstance(ack, dict) or not isinstance(ack.get("ok"), bool):
        return False
    if ack["ok"]:
        return True
    error = ack.get("error")
    return (
        isinstance(error, dict)
        and isinstance(error.get("code"), str)
        and isinstance(error.get("message"), str)
        and bool(error["code"])
    )


def test_random_json_on_every_event_gets_contract_acks(
    fuzz_target: tuple[LiveServer, LoopThread, ChatClient, str],
) -> None:
    server, loop, client, room_id = fuzz_target
    events = st.one_of(st.sampled_from(CLIENT_EVENTS), st.text(min_size=1, max_size=24))

    @given(event=events, payload=st.data())
    @settings(
        max_examples=120,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def one_event(event: str, payload: st.DataObject) -> None:
        if event in {"connect", "disconnect", "connect_error"}:
            return  # reserved by Socket.IO itself: a client cannot emit them
        data = payload.draw(payloads(room_id))
        ack = loop.run(client.call(event, data, timeout=30))
        assert _is_contract_ack(ack), (event, repr(data)[:200], ack)
        assert client.sio.connected, f"the connection dropped after {event}"

    one_event()

    # Still usable, and the server still healthy.
    synced = loop.run(client.call("sync", {"room_id": room_id, "after_seq": 0}))
    assert synced["ok"] is True
    assert httpx.get(f"{server.url}/api/health", timeout=30).status_code == 200
