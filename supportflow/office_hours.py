"""Weekly office hours: when agents are on, and when they are next back.

Written in settings as `SUPPORTFLOW_OFFICE_HOURS`, entries separated by `;` or `,`, each a
day or a range of days and a time range, in `SUPPORTFLOW_OFFICE_TIMEZONE` (IANA, default
UTC):

    mon-fri 09:00-18:00; sat 10:00-14:00

Days are `mon` ... `sun`; a range wraps (`fri-mon`). Times are `HH:MM` (seconds allowed,
`HH:MM:SS`); `24:00` ends at midnight. A range may not cross midnight: write two entries
(`fri 22:00-24:00; sat 00:00-02:00`). No hours configured means always open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ENTRY = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{2}:\d{2}(?::\d{2})?)-(?P<end>\d{2}:\d{2}(?::\d{2})?)$"
)
_END_OF_DAY = timedelta(days=1)


class OfficeHoursError(ValueError):
    """The office hours text cannot be understood; the message says why."""


@dataclass(frozen=True)
class Opening:
    """One weekday's open span: from `start` to `end` after local midnight (end exclusive)."""

    weekday: int  # 0 = Monday
    start: timedelta
    end: timedelta


@dataclass(frozen=True)
class OfficeHours:
    """When agents are on duty, week after week, in one time zone."""

    openings: tuple[Opening, ...]
    zone: ZoneInfo

    def is_open(self, at: datetime) -> bool:
        """Whether `at` (timezone-aware) falls in an opening."""
        local = at.astimezone(self.zone)
        since_midnight = _since_midnight(local)
        return any(
            o.weekday == local.weekday() and o.start <= since_midnight < o.end
            for o in self.openings
        )

    def next_opening(self, at: datetime) -> datetime:
        """The first moment after `at` when an opening starts (timezone-aware, in the zone).

        When `at` is inside an opening this is the start of the next one, not now.
        """
        local = at.astimezone(self.zone)
        midnight = datetime.combine(local.date(), time(), tzinfo=self.zone)
        for days_ahead in range(8):
            day = midnight + timedelta(days=days_ahead)
            starts = sorted(o.start for o in self.openings if o.weekday == day.weekday())
            for start in starts:
                # Wall-clock arithmetic in the zone, so a DST change keeps 09:00 at 09:00.
                candidate = (day.replace(tzinfo=None) + start).replace(tzinfo=self.zone)
                if candidate > local:
                    return candidate
        raise AssertionError("office hours without openings")  # parse() refuses those

    def describe(self, moment: datetime) -> str:
        """`moment` for a customer: "Monday at 09:00 (Europe/London)"."""
        local = moment.astimezone(self.zone)
        return f"{DAY_NAMES[local.weekday()]} at {local:%H:%M} ({self.zone.key})"


def parse_office_hours(text: str, zone_name: str = "UTC") -> OfficeHours | None:
    """The office hours `text` describes in `zone_name`; None for an empty text (always open).

    Raises OfficeHoursError naming what is wrong.
    """
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OfficeHoursError(f"unknown time zone {zone_name!r}") from None
    entries = [entry.strip().lower() for entry in re.split(r"[;,]", text) if entry.strip()]
    if not entries:
        return None
    openings: list[Opening] = []
    for entry in entries:
        openings.extend(_parse_entry(" ".join(entry.split())))
    return OfficeHours(tuple(openings), zone)


def _parse_entry(entry: str) -> list[Opening]:
    match = _ENTRY.match(entry)
    if match is None:
        raise OfficeHoursError(f"{entry!r} is not like 'mon-fri 09:00-18:00'")
    first, last = match["first"], match["last"] or match["first"]
    for day in (first, last):
        if day not in DAYS:
            raise OfficeHoursError(f"{day!r} is not a day ({', '.join(DAYS)})")
    start, end = _clock(match["start"]), _clock(match["end"])
    if start >= end:
        raise OfficeHoursError(
            f"{entry!r}: the end must be after the start (split a range across midnight)"
        )
    begin, stop = DAYS.index(first), DAYS.index(last)
    count = (stop - begin) % 7 + 1
    return [Opening((begin + i) % 7, start, end) for i in range(count)]


def _clock(text: str) -> timedelta:
    parts = [int(part) for part in text.split(":")]
    hours, minutes, seconds = [*parts, 0][:3]
    span = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    if minutes > 59 or seconds > 59 or span > _END_OF_DAY:
        raise OfficeHoursError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return span


def _since_midnight(local: datetime) -> timedelta:
    return timedelta(
        hours=local.hour,
        minutes=local.minute,
        seconds=local.second,
        microseconds=local.microsecond,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "OfficeHours",
    "OfficeHoursError",
    "Opening",
    "parse_office_hours",
    "utc_now",
]
