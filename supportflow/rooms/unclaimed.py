"""`UnclaimedWatch`: nothing waits in the queue forever unseen.

Every few seconds it looks at pending escalations; a room that has waited
`after_seconds` since it was queued (or last re-alerted) gets a `ReAlert` command: agents
are alerted again and the customer is told, and offered to leave a message. Outside the
office hours (when set) nobody is on to alert, so it waits; when they begin, every room
still queued is alerted and its customer told that agents are back.

It is the one room sweeper that starts with the server, so it also makes the start-up
pass of `rooms.recovery` before its first sweep: a customer whose bot reply was lost to
the last shutdown or crash is told, rather than left waiting unseen.
"""

from __future__ import annotations

from datetime import UTC, datetime

from supportflow.office_hours import OfficeHours
from supportflow.rooms.commands import ReAlert
from supportflow.rooms.registry import RoomRegistry
from supportflow.rooms.sweeping import sweep_forever
from supportflow.store import Store


class UnclaimedWatch:
    def __init__(
        self,
        store: Store,
        rooms: RoomRegistry,
        after_seconds: float,
        office_hours: OfficeHours | None = None,
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._after = after_seconds
        self._office_hours = office_hours
        self._was_open = True
        self._last_alert: dict[str, float] = {}  # escalation_id -> epoch seconds

    async def run(self) -> None:
        """Sweep forever (cancel the task to stop)."""
        await sweep_forever(min(max(self._after / 4, 0.25), 30.0), self.sweep, "unclaimed")

    async def sweep(self) -> list[str]:
        """Re-alert every room waiting too long; return their room ids."""
        moment = datetime.now(UTC)
        now = moment.timestamp()
        is_open = self._office_hours is None or self._office_hours.is_open(moment)
        opening, self._was_open = is_open and not self._was_open, is_open
        if not is_open:
            return []
        pending = await self._store.pending_escalations()
        alive = {e.escalation_id for e in pending}
        self._last_alert = {k: v for k, v in self._last_alert.items() if k in alive}
        realerted = []
        for escalation in pending:
            since = self._last_alert.get(escalation.escalation_id, _epoch(escalation.triggered_at))
            if now - since < self._after and not opening:
                continue
            self._last_alert[escalation.escalation_id] = now
            if await self._rooms.submit(escalation.room_id, ReAlert(office_open=opening)):
                realerted.append(escalation.room_id)
        return realerted


def _epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
