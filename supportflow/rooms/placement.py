"""Where a room lives: on this node (`RoomHold`), or on another (`Elsewhere`).

`RoomRegistry` asks its `Placement` before it spawns an actor. One process
(`LocalPlacement`): every room is here, holds never end and carry no fence. A cluster
(`supportflow.cluster.leased_placement.LeasedPlacement`): a hold is a Redis lease with a fencing
number, and a room held by another node gets its commands forwarded there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from supportflow.rooms.commands import Command

R = TypeVar("R")


class Elsewhere(Exception):
    """The room is held by another node (`node_id`): its commands are forwarded there."""

    def __init__(self, node_id: str) -> None:
        super().__init__(node_id)
        self.node_id = node_id


class OwnerGone(Exception):
    """The room's owner did not take the command (dead or silent): ask again shortly.

    Its lease expires within the lease TTL, and then the next node to ask takes the room.
    """


class RoomHold(Protocol):
    """This node's right to run one room's actor."""

    @property
    def fence(self) -> int | None:
        """The number every store write of the room carries (None: no fencing)."""

    def watch(self, on_lost: Callable[[], None]) -> None:
        """Keep the hold alive; call `on_lost` (once) if it is lost anyway."""

    async def release(self) -> None:
        """Give the room up (the actor has stopped)."""


class Placement(Protocol):
    @property
    def retry_seconds(self) -> float:
        """How long a command waits for a gone owner's rooms to come free (lease TTL+)."""

    async def hold(self, room_id: str) -> RoomHold:
        """This node's hold on the room, or `Elsewhere` when another node has it."""

    async def forward(self, node_id: str, room_id: str, command: Command[R]) -> R:
        """Run `command` on the node holding the room (`OwnerGone` if it cannot)."""


class _Forever:
    fence = None

    def watch(self, on_lost: Callable[[], None]) -> None:
        pass

    async def release(self) -> None:
        pass


class LocalPlacement:
    """One process: every room is here."""

    retry_seconds = 0.0
    _HOLD = _Forever()

    async def hold(self, room_id: str) -> RoomHold:
        return self._HOLD

    async def forward(self, node_id: str, room_id: str, command: Command[Any]) -> Any:
        raise AssertionError("one process holds every room; nothing is forwarded")
