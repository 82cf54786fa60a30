"""Escalation alert latency: a customer's escalating message to `escalation_alert` at agents.

Starts `supportflow serve` (or targets --url with --admin-token), connects 1 and then 20
available agents, and, room after room, has a customer send a message that the rules
escalate ("I want to talk to a human"); it times the message's send to the alert's arrival
at every agent and prints p50/p95 for each agent count.

    python scripts/bench_alerts.py --rooms 30
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from pathlib import Path

import httpx
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

from benchlib import (
    REPO_HYPERCORN_CONFIG,
    machine_description,
    server_encoder,
    server_process,
    summary_ms,
)

from supportflow.knowledge.encoder_choice import ENCODER_CHOICES

ESCALATING_MESSAGE = "This is useless, I want to talk to a human agent right now."


async def connect(url: str, token: str, on_alert: object | None = None) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    if on_alert is not None:
        client.on("escalation_alert", on_alert)
    await client.connect(url, auth={"token": token}, transports=["websocket"])
    return client


async def run_round(url: str, admin_token: str, agents: int, rooms: int) -> list[float]:
    headers = {"Authorization": f"Bearer {admin_token}"}
    arrivals: dict[str, list[float]] = {}
    everyone_alerted: dict[str, asyncio.Event] = {}

    def on_alert(alert: dict[str, object]) -> None:
        room = str(alert["room_id"])
        arrivals.setdefault(room, []).append(time.perf_counter())
        if len(arrivals[room]) >= agents and room in everyone_alerted:
            everyone_alerted[room].set()

    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        agent_clients = []
        tag = uuid.uuid4().hex[:6]
        for i in range(agents):
            created = await http.post(
                "/api/agents",
                json={"agent_id": f"bench-{tag}-{i}", "name": f"Agent {i}", "is_available": True},
            )
            created.raise_for_status()
            agent_clients.append(await connect(url, created.json()["token"], on_alert))
        latencies: list[float] = []
        for i in range(rooms):
            session = (await http.post("/api/sessions", json={"user_id": f"c-{tag}-{i}"})).json()
            customer = await connect(url, session["token"])
            room = session["room_id"]
            await customer.call("join_room", {"room_id": room})
            everyone_alerted[room] = asyncio.Event()
            sent = time.perf_counter()
            await customer.call("send_message", {"room_id": room, "message": ESCALATING_MESSAGE})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(everyone_alerted[room].wait(), 30)
            latencies += [arrival - sent for arrival in arrivals.get(room, [])]
            missing = agents - len(arrivals.get(room, []))
            if missing:
                print(f"  room {i}: {missing} agents got no alert within 30 s")
            await customer.disconnect()
        # Hand the queue back so the next round starts empty of our agents.
        for client in agent_clients:
            await client.disconnect()
    return latencies


async def measure(url: str, admin_token: str, rooms: int) -> None:
    print(f"machine: {machine_description()}")
    print(f"server encoder: {server_encoder(url, admin_token)}")
    for agents in (1, 20):
        latencies = await run_round(url, admin_token, agents, rooms)
        print(
            f"alert latency, {agents:2d} agent(s), {len(latencies):4d} alerts: "
            f"{summary_ms(latencies)}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--url", help="a running server")
    parser.add_argument("--admin-token", help="its admin token (with --url)")
    parser.add_argument(
        "--encoder",
        choices=ENCODER_CHOICES,
        default="auto",
        help="what runs the model in the server started (SUPPORTFLOW_ENCODER)",
    )
    parser.add_argument(
        "--hypercorn-config",
        type=Path,
        default=REPO_HYPERCORN_CONFIG,
        help="Hypercorn TOML for the server started (default: the repository's)",
    )
    args = parser.parse_args()
    if args.url:
        if not args.admin_token:
            parser.error("--url needs --admin-token")
        asyncio.run(measure(args.url, args.admin_token, args.rooms))
        return 0
    env = {"SUPPORTFLOW_DEMO_KB": "1", "SUPPORTFLOW_ENCODER": args.encoder}
    with server_process(env, args.hypercorn_config) as server:
        asyncio.run(measure(server.url, server.admin_token, args.rooms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
