"""Socket.IO packets are framed by orjson: JSON that is not valid is refused, harmlessly."""

from __future__ import annotations

import asyncio

import socketio

from supportflow.realtime import wire_json
from tests.realtime.clients import new_customer
from tests.support import LiveServer


def test_wire_json_round_trips_compact_text() -> None:
    text = wire_json.dumps({"a": [1, 2.5, None, "é"], 3: True}, separators=(",", ":"))
    assert text == '{"a":[1,2.5,null,"é"],"3":true}'
    assert wire_json.loads(text) == {"a": [1, 2.5, None, "é"], "3": True}
    # orjson cannot write integers beyond 64 bits: the standard library does those.
    assert wire_json.dumps([2**70]) == f"[{2**70}]"


def test_the_server_frames_packets_with_orjson(room_server: LiveServer) -> None:
    # python-socketio keeps the json module on its packet class, process-wide.
    assert socketio.packet.Packet.json is wire_json


async def test_packets_that_are_not_json_leave_the_connection_usable(
    room_server: LiveServer, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"wire-{uid}")
    room = session["room_id"]
    try:
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
    finally:
        await customer.close()
