"""After a restart, no customer is left facing silence.

A shutdown that had to abandon a bot reply, or a crash in the middle of one, leaves a
`bot_active` room whose last message is the customer's. At start-up each such room is sent
`OwnUpToInterruption`: the room itself (in its turn, so never while a reply is being
written) posts a system message saying the answer was lost and asking them to send it
again. It is not retried on its own: the customer may have moved on, and an answer to a
stale question out of the blue would confuse more than an apology.
"""

from __future__ import annotations

import logging

from supportflow.rooms.commands import OwnUpToInterruption
from supportflow.rooms.registry import RoomRegistry

log = logging.getLogger(__name__)


async def own_up_to_interrupted_replies(rooms: RoomRegistry) -> list[str]:
    """Tell every customer whose bot reply was lost; return their room ids."""
    told = []
    for session in await rooms.effects.store.rooms_awaiting_reply():
        try:
            if await rooms.submit(session.room_id, OwnUpToInterruption()):
                told.append(session.room_id)
        except Exception:
            log.exception("could not own up to a lost reply", extra={"room_id": session.room_id})
    if told:
        log.info("told customers their reply was interrupted", extra={"rooms": len(told)})
    return told
