"""Service level: met, missed, pending and early-ended work against a queue's target."""

from __future__ import annotations

from ccengine.reporting.service_level import Item, classify, service_level

HOUR = 3600.0


def test_classify() -> None:
    assert classify(Item(0, responded_at=HOUR), HOUR, now=10 * HOUR) == "met"
    assert classify(Item(0, responded_at=HOUR + 1), HOUR, now=10 * HOUR) == "missed"
    assert classify(Item(0), HOUR, now=HOUR - 1) == "pending"
    assert classify(Item(0), HOUR, now=HOUR + 1) == "missed"
    assert classify(Item(0, ended_at=60), HOUR, now=10 * HOUR) == "ended_early"
    assert classify(Item(0, ended_at=2 * HOUR), HOUR, now=10 * HOUR) == "missed"


def test_given_nine_of_ten_within_four_hours_then_ninety_percent_meets_target() -> None:
    four = 4 * HOUR
    items = [Item(0, responded_at=HOUR) for _ in range(9)] + [Item(0, responded_at=5 * HOUR)]
    items.append(Item(10 * HOUR))  # arrived a minute ago: not counted yet
    level = service_level(items, four, 90.0, now=10 * HOUR + 60)
    assert (level.met, level.missed, level.pending) == (9, 1, 1)
    assert level.percent == 90.0 and level.meeting_target is True
    assert level.average_response_seconds == (9 * HOUR + 5 * HOUR) / 10
    worse = service_level(items + [Item(0)], four, 90.0, now=10 * HOUR + 60)
    assert worse.missed == 2 and worse.meeting_target is False


def test_given_nothing_counted_then_no_percent() -> None:
    level = service_level([Item(0)], HOUR, 80.0, now=1.0)
    assert level.percent is None and level.meeting_target is None
    assert level.to_dict()["pending"] == 1
