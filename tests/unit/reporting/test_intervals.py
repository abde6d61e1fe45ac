"""Report intervals on the local clock (DST days included) and the pure figure helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ccengine.reporting.intervals import local_range, periods

LONDON = ZoneInfo("Europe/London")
KATHMANDU = ZoneInfo("Asia/Kathmandu")   # UTC+05:45


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25),
                                            ("2026-12-07", 24)])
def test_given_a_dst_day_when_split_then_days_and_hours_follow_the_local_clock(
        day: str, hours: int) -> None:
    start, end = local_range(day, None, LONDON)
    (whole,) = periods(start, end, "day")
    assert whole.end - whole.start == hours * 3600
    hourly = periods(start, end, "60")
    assert len(hourly) == hours
    assert hourly[0].label == start.isoformat()
    assert len(periods(start, end, "15")) == hours * 4


def test_given_days_when_reported_then_one_period_per_local_day_labelled_at_midnight() -> None:
    start, end = local_range("2026-03-28", "2026-03-31", LONDON)
    days = periods(start, end, "day")
    assert [p.label for p in days] == ["2026-03-28T00:00:00+00:00",
                                       "2026-03-29T00:00:00+00:00",
                                       "2026-03-30T00:00:00+01:00"]


def test_given_a_zone_off_the_hour_when_split_then_aligned_on_its_clock() -> None:
    start, end = local_range("2026-12-07T09:10", "2026-12-07T11:00", KATHMANDU)
    hourly = periods(start, end, "60")
    assert [p.label[11:16] for p in hourly] == ["09:00", "10:00"]
    assert hourly[0].start == start.timestamp()          # clipped to the range asked for
    assert datetime.fromtimestamp(hourly[1].start, KATHMANDU).minute == 0
