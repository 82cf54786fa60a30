"""Socket.IO packets are framed by orjson: JSON it refuses gets an error ack, harmlessly."""

from __future__ import annotations

import asyncio

import pytest

from supportflow.realtime import wire_json
from supportflow.realtime.namespace import UNDECODABLE_EVENT
from supportflow.realtime.server import DepthSafePacket
from tests.realtime.clients import customer_session
from tests.support import LiveServer


def test_wire_json_round_trips_compact_text() -> None:
    text = wire_json.dumps({"a": [1, 2.5, None, "é"], 3: True}, separators=(",", ":"))
    assert text == '{"a":[1,2.5,null,"é"],"3":true}'
    assert wire_json.loads(text) == {"a": [1, 2.5, None, "é"], "3": True}
    # orjson cannot write integers beyond 64 bits: the standard library does those.
    assert wire_json.dumps([2**70]) == f"[{2**70}]"


@pytest.mark.parametrize(
    "body",
    ['{"room_id":"r","message":NaN}', '{"room_id":"r","message":"\\ud800"}', '{"a":' * 2000],
)
def test_packets_orjson_refuses_decode_as_the_undecodable_event(body: str) -> None:
    packet = DepthSafePacket(encoded_packet=f'27["send_message",{body}]')
    assert packet.id == 7  # the ack id survives, so the client gets an error ack
    assert packet.data == [UNDECODABLE_EVENT, None]
    good = DepthSafePacket(encoded_packet='27["send_message",{"message":"hi"}]')
    assert good.data == ["send_message", {"message": "hi"}]


async def test_packets_that_are_not_json_leave_the_connection_usable(
    room_server: LiveServer, uid: str
) -> None:
    async with customer_session(room_server.url, f"wire-{uid}") as (customer, session):
        room = session["room_id"]
        # Raw engine.io messages: an EVENT whose JSON has NaN, and one with a lone
        # surrogate (the standard library accepted both; neither can be stored as text).
        for body in (
            '["send_message",{"room_id":"%s","message":NaN}]',
            '["send_message",{"room_id":"%s","message":"\\ud800"}]',
        ):
            await customer.sio.eio.send("4" + "2" + body % room)
        await asyncio.sleep(0.5)
        assert customer.sio.connected
        synced = await customer.ok("sync", {"room_id": room, "after_seq": 0})
        assert synced["messages"] == []
        await customer.ok("send_message", {"room_id": room, "message": "hello \u00e9"})
        synced = await customer.ok("sync", {"room_id": room, "after_seq": 0})
        assert synced["messages"][0]["message"] == "hello \u00e9"
