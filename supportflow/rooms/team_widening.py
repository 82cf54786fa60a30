"""`TeamWidening`: a chat its team leaves unclaimed goes to everyone.

An escalation routed to a team alerts that team's available agents only. Every
`interval` this sweeper reads the pending team-only escalations queued at least
`after_seconds` ago and sends each room a `WidenAlert`: the room marks it widened and
alerts every available agent. It reads the database, not memory, so it runs as one of the
cluster's singletons (on the leader) and a new leader carries on where the last one left.
"""

from __future__ import annotations

import logging

from supportflow.errors import SupportflowError
from supportflow.rooms.commands import WidenAlert
from supportflow.rooms.registry import RoomRegistry
from supportflow.rooms.sweeping import sweep_forever
from supportflow.store import Store, utc_in

log = logging.getLogger(__name__)


class TeamWidening:
    def __init__(self, store: Store, rooms: RoomRegistry, after_seconds: float) -> None:
        self._store = store
        self._rooms = rooms
        self._after = after_seconds

    async def run(self) -> None:
        """Sweep forever (cancel the task to stop)."""
        await sweep_forever(min(max(self._after / 4, 0.2), 15.0), self.sweep, "team widening")

    async def sweep(self) -> list[str]:
        """Widen every team-only escalation past its time; return their room ids."""
        due = await self._store.team_escalations_due(utc_in(-self._after))
        widened = []
        for escalation in due:
            try:
                if await self._rooms.submit(escalation.room_id, WidenAlert()):
                    widened.append(escalation.room_id)
            except SupportflowError:  # one room refusing (shutting down, say) stops no other
                log.warning("team widening refused", extra={"room_id": escalation.room_id})
        return widened
