"""The time a campaign call's "call back" disposition asks for
(ccengine/campaigns/dispositions.py): ISO 8601 with its offset, read as any callback's
time (not past, beyond a minute's clock skew), within 90 days; anything else refused with
the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ccengine.campaigns.dispositions import BadFollowUp, callback_time

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC).timestamp()


def test_given_time_with_offset_then_that_moment() -> None:
    assert callback_time("2026-12-08T15:00:00+01:00", NOW) == datetime(
        2026, 12, 8, 14, 0, tzinfo=UTC).timestamp()
    assert callback_time("2026-12-07T12:30:00Z", NOW) == NOW + 1800


@pytest.mark.parametrize(("value", "words"), [
    (None, "say when to call back"),
    (1765200000, "say when to call back"),
    ("tomorrow at three", "not an ISO 8601"),
    ("2026-12-08T15:00:00", "has no UTC offset"),
    ("2026-12-07T11:50:00+00:00", "in the past"),
    ("2027-06-01T10:00:00+00:00", "more than 90 days"),
])
def test_given_bad_time_then_refused_saying_why(value: object, words: str) -> None:
    with pytest.raises(BadFollowUp, match=words) as refused:
        callback_time(value, NOW)
    assert refused.value.code == "bad_callback_at"
