"""The server log: chatty libraries stay quiet at INFO."""

from __future__ import annotations

import logging

from supportflow.logs import configure_logging
from supportflow.rooms.machine import RoomLifecycle, RoomState, Trigger


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_transitions_says_nothing_per_transition_at_info(restored_logging: None) -> None:
    configure_logging("INFO")
    collect = Collect()
    logging.getLogger().addHandler(collect)
    room = RoomLifecycle("room-1", RoomState.BOT_ACTIVE)
    await room.fire(Trigger.ESCALATE)  # an external transition: transitions logs INFO lines
    await room.fire(Trigger.CLAIM, actor_id="ann")
    assert [r.getMessage() for r in collect.records if r.name.startswith("transitions")] == []
