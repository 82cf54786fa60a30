"""Weekly office hours: parsing, open or closed, and when agents are next back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportflow.errors import ConfigurationError
from supportflow.office_hours import OfficeHoursError, parse_office_hours
from supportflow.settings import Settings

NO_DOTENV = Path("/nonexistent/.env")

# 2026-12-07 is a Monday.
MONDAY = datetime(2026, 12, 7, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY.replace(day=7 + day, hour=hour, minute=minute)


def test_weekdays_and_a_saturday() -> None:
    hours = parse_office_hours("mon-fri 09:00-18:00; sat 10:00-14:00")
    assert hours is not None
    assert hours.is_open(at(0, 9)) and hours.is_open(at(4, 17, 59))
    assert not hours.is_open(at(0, 8, 59)) and not hours.is_open(at(0, 18))
    assert hours.is_open(at(5, 10)) and not hours.is_open(at(5, 14))
    assert not hours.is_open(at(6, 12))  # Sunday
    # Friday evening: back on Saturday at 10:00; Saturday afternoon: back on Monday.
    assert hours.next_opening(at(4, 19)) == at(5, 10)
    assert hours.next_opening(at(5, 15)) == at(7, 9)
    assert hours.next_opening(at(0, 7)) == at(0, 9)
    assert hours.describe(at(7, 9)) == "Monday at 09:00 (UTC)"


def test_a_time_zone_shifts_the_hours() -> None:
    hours = parse_office_hours("mon-fri 09:00-17:00", "America/New_York")
    assert hours is not None
    assert not hours.is_open(at(0, 9))  # 04:00 in New York
    assert hours.is_open(at(0, 14))  # 09:00 in New York
    back = hours.next_opening(at(0, 22))
    assert back == at(1, 14) and hours.describe(back) == "Tuesday at 09:00 (America/New_York)"


def test_wrapping_day_ranges_midnight_and_seconds() -> None:
    hours = parse_office_hours("fri-mon 22:00-24:00, TUE 00:00:30-01:00")
    assert hours is not None
    assert {o.weekday for o in hours.openings} == {4, 5, 6, 0, 1}
    assert hours.is_open(at(6, 23, 59)) and not hours.is_open(at(0, 21))
    assert not hours.is_open(at(1, 0)) and hours.is_open(at(1, 0, 1))


def test_empty_means_always_open() -> None:
    assert parse_office_hours("") is None
    assert parse_office_hours(" ; ") is None


@pytest.mark.parametrize(
    ("text", "zone", "says"),
    [
        ("mon-fri 9-18", "UTC", "is not like"),
        ("mon-fry 09:00-18:00", "UTC", "'fry' is not a day"),
        ("mon 18:00-09:00", "UTC", "end must be after the start"),
        ("mon 09:00-24:01", "UTC", "is not a time of day"),
        ("mon 09:61-10:00", "UTC", "is not a time of day"),
        ("mon 09:00-10:00", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_hours_are_refused_with_a_reason(text: str, zone: str, says: str) -> None:
    with pytest.raises(OfficeHoursError, match=says):
        parse_office_hours(text, zone)


def test_settings_read_the_hours_and_name_the_variable_at_fault() -> None:
    settings = Settings.from_env(
        {"SUPPORTFLOW_OFFICE_HOURS": "mon 09:00-10:00", "SUPPORTFLOW_OFFICE_TIMEZONE": "UTC"},
        dotenv_path=NO_DOTENV,
    )
    assert settings.office_hours is not None and settings.office_hours.is_open(at(0, 9, 30))
    assert Settings.from_env({}, dotenv_path=NO_DOTENV).office_hours is None
    with pytest.raises(ConfigurationError, match="SUPPORTFLOW_OFFICE_HOURS"):
        Settings.from_env({"SUPPORTFLOW_OFFICE_HOURS": "someday"}, dotenv_path=NO_DOTENV)
