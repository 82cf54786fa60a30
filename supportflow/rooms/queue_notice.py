"""What a queued customer is told: its place in the queue and the wait, or when agents are
back (outside office hours). The room posts it as a system message after the escalation.

The queue is the team's when the escalation was routed to one (docs/teams.md): the pending
escalations of that team, and the median of its last claim waits (every team's while it
has none yet).
"""

from __future__ import annotations

import statistics
from datetime import datetime

from supportflow.office_hours import OfficeHours
from supportflow.store import EscalationRecord, Store

Notice = tuple[str, dict[str, object]]  # the text, and the message's metadata


async def queue_notice(
    store: Store, escalation: EscalationRecord, office_hours: OfficeHours | None, now: datetime
) -> Notice:
    """The system message that tells the customer of `escalation` where it stands."""
    if office_hours is not None and not office_hours.is_open(now):
        return _office_closed(escalation, office_hours, office_hours.next_opening(now))
    position = await store.queue_position(escalation)
    waits = await store.recent_claim_waits(team_id=escalation.team_id)
    if not waits and escalation.team_id is not None:
        waits = await store.recent_claim_waits()
    estimate = round(statistics.median(waits) * position) if waits else None
    text = f"I've passed your chat to our support team. You are number {position} in the queue"
    if estimate is None:
        text += "; an agent will be with you as soon as possible."
    else:
        text += f"; the estimated wait is about {_humane_duration(estimate)}."
    return text, {
        "queue_position": position,
        "estimated_wait_seconds": estimate,
        "reasons": list(escalation.reasons),
        "team_id": escalation.team_id,
    }


def _office_closed(
    escalation: EscalationRecord, office_hours: OfficeHours, back: datetime
) -> Notice:
    text = (
        f"Our team is offline right now; agents are back on {office_hours.describe(back)}."
        " Your chat stays in the queue until then. You can leave a message here, and an"
        " email address if you would like the answer by email."
    )
    return text, {
        "office_closed": True,
        "agents_back_at": back.isoformat(),
        "reasons": list(escalation.reasons),
    }


def _humane_duration(seconds: int) -> str:
    if seconds < 90:
        return "a minute"
    return f"{round(seconds / 60)} minutes"
