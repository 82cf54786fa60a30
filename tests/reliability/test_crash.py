"""Durability: SIGKILL the real server mid-traffic; every acknowledged message survives."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.reliability.processes import start_server_process
from tests.support import ADMIN_TOKEN, free_port

ROOMS = 12


async def test_acknowledged_messages_and_states_survive_sigkill(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server_process(tmp_path / "data", port)
    clients: list[ChatClient] = []
    acked: dict[str, list[tuple[int, str]]] = {}
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        ) as admin:
            agents = [await new_agent(admin, f"agent{i}") for i in range(4)]
            rooms = []
            for i in range(ROOMS):
                customer, session = await new_customer(url, f"user{i}")
                # Queue every room, then give a third of them to agents.
                await customer.ok("escalate", {"room_id": session["room_id"]})
                holder = agents[i % 4][0] if i % 3 == 0 else None
                if holder is not None:
                    await holder.ok("claim_room", {"room_id": session["room_id"]})
                rooms.append((customer, holder, session))
                acked[session["room_id"]] = []
            clients = [c for c, _, _ in rooms] + [a for a, _ in agents]
            await asyncio.sleep(0.5)  # let every announcement land
            expected_states = {
                s["session_id"]: (await admin.get(f"/api/sessions/{s['session_id']}")).json()
                for _, _, s in rooms
            }

            async def chat(customer: ChatClient, holder: ChatClient | None, room: str) -> None:
                for n in range(1000):
                    sender = holder if (holder is not None and n % 2) else customer
                    text = f"{room} message {n}"
                    # A short timeout: after the kill, calls in flight never get an ack and
                    # would otherwise hold the test for the client's default minute.
                    ack = await sender.call(
                        "send_message", {"room_id": room, "message": text}, timeout=5
                    )
                    if ack.get("ok"):
                        acked[room].append((ack["seq"], text))

            traffic = [asyncio.create_task(chat(c, h, s["room_id"])) for c, h, s in rooms]
            await asyncio.sleep(1.5)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            await asyncio.gather(*traffic, return_exceptions=True)
    finally:
        for client in clients:
            await client.close()
        if process.poll() is None:
            process.kill()
            process.wait()

    assert sum(len(v) for v in acked.values()) > ROOMS, "no traffic was acknowledged"
    restarted = start_server_process(tmp_path / "data", port)
    try:
        async with httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        ) as admin:
            for session_id, before in expected_states.items():
                after = (await admin.get(f"/api/sessions/{session_id}")).json()
                assert (after["status"], after["agent_id"]) == (
                    before["status"],
                    before["agent_id"],
                )
                messages = (await admin.get(f"/api/sessions/{session_id}/messages")).json()
                stored = [(m["seq"], m["message"]) for m in messages["messages"]]
                seqs = [seq for seq, _ in stored]
                assert seqs == list(range(1, len(seqs) + 1)), "seq has gaps or repeats"
                bodies = [body for _, body in stored]
                for seq, text in acked[before["room_id"]]:
                    assert (seq, text) in stored, f"acknowledged {text!r} was lost"
                    assert bodies.count(text) == 1, f"{text!r} stored twice"
    finally:
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(60)
