"""Calling windows by the called party's local time: where the party is, open/closed at the
boundary instants, next_open over nights, weekends and holidays, daylight-saving changes
(London and New York, 2026), config errors naming the key path, and a property tying
next_open to is_open."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.campaigns.windows import (
    CallingWindows,
    Location,
    Source,
    check,
    is_open,
    locate,
    next_open,
)
from ccengine.core.errors import ConfigError

GB = "+442079460000"          # London landline
GB_MOBILE = "+447400123456"   # London and the Crown dependencies
US_EAST = "+12125550100"      # New York
US_WEST = "+13105550100"      # Los Angeles
CA = "+14165550123"           # Toronto: +1 but region CA
FR = "+33142868200"           # Paris
AU = "+61293744000"           # Sydney
AU_MOBILE = "+61412345678"    # anywhere in Australia (eight zones)
US_TOLL_FREE = "+18005550100"  # no geography: every zone of the +1 plan
NOWHERE = "+15555550100"      # a possible but unassigned +1 number: Etc/Unknown

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
CONFIG: dict[str, Any] = {
    "regions": {
        # France: weekdays 10:00-13:00 and 14:00-20:00, never at weekends
        "FR": {d: ["10:00-13:00", "14:00-20:00"] for d in WEEKDAYS},
        "US": {**{d: ["08:00-21:00"] for d in WEEKDAYS}, "sat": ["09:00-17:00"], "sun": None},
    },
    "holidays": {"GB": ["2026-12-25", "2026-12-26"], "FR": [dt.date(2026, 7, 14)],
                 "AU": ["2026-01-26"]},
}
WINDOWS = CallingWindows.from_mapping(CONFIG, "campaigns.yaml")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        micro: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.UTC)


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int,
          second: int = 0, micro: int = 0, *, fold: int = 0) -> dt.datetime:
    """A wall-clock time in ``zone`` as a UTC instant (``fold=1``: a repeated time's second
    pass)."""
    return dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=ZoneInfo(zone),
                       fold=fold).astimezone(dt.UTC)


def windows(**doc: Any) -> CallingWindows:
    return CallingWindows.from_mapping(doc, "campaigns.yaml")


# ------------------------------------------------------------------ where the party is
@pytest.mark.parametrize(("number", "zones", "region"), [
    (GB, ("Europe/London",), "GB"),
    (GB_MOBILE, ("Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"),
     "GB"),
    (US_EAST, ("America/New_York",), "US"),
    (US_WEST, ("America/Los_Angeles",), "US"),
    (CA, ("America/Toronto",), "CA"),
    (FR, ("Europe/Paris",), "FR"),
    (AU, ("Australia/Sydney",), "AU"),
])
def test_given_geographic_number_when_located_then_its_zones_and_region(
        number: str, zones: tuple[str, ...], region: str) -> None:
    assert locate(number, WINDOWS) == Location(zones, region, Source.NUMBER)


def test_given_number_without_geography_when_located_then_every_candidate_zone() -> None:
    toll_free = locate(US_TOLL_FREE, WINDOWS)
    assert toll_free.region == "US" and toll_free.source == Source.NUMBER
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Guam",
            "Pacific/Pago_Pago", "America/St_Johns"} <= set(toll_free.zones)
    mobile = locate(AU_MOBILE, WINDOWS)
    assert {"Australia/Perth", "Australia/Sydney", "Australia/Lord_Howe",
            "Indian/Cocos"} <= set(mobile.zones)


def test_given_customer_time_zone_when_located_then_it_wins_over_the_number() -> None:
    found = locate(GB, WINDOWS, customer_tz="America/Chicago")
    assert (found.zones, found.region, found.source) == (("America/Chicago",), "GB",
                                                          Source.CUSTOMER)
    # a name that is no IANA zone is ignored: the number decides
    assert locate(GB, WINDOWS, customer_tz="Mars/Olympus").zones == ("Europe/London",)
    assert locate(GB, WINDOWS, customer_tz="Etc/Unknown").source == Source.NUMBER


@pytest.mark.parametrize("number", [NOWHERE, "not a number", "", "+44"])
def test_given_unplaceable_number_when_no_fallback_then_never_called(number: str) -> None:
    at = utc(2026, 6, 10, 12, 0)
    verdict = check(number, at, WINDOWS)
    assert not verdict.open and verdict.location.source == Source.UNKNOWN
    assert "unknown" in verdict.reason and "fallback_timezone" in verdict.reason
    assert next_open(number, at, WINDOWS) is None
    # the customer's own zone still places the party
    assert is_open(number, at, WINDOWS, customer_tz="Europe/Berlin")


def test_given_unplaceable_number_when_fallback_configured_then_fallback_zone_used() -> None:
    w = windows(fallback_timezone="America/New_York")
    assert locate(NOWHERE, w).source == Source.FALLBACK
    assert not is_open(NOWHERE, local("America/New_York", 2026, 6, 10, 7, 59), w)
    assert is_open(NOWHERE, local("America/New_York", 2026, 6, 10, 8, 0), w)
    assert next_open(NOWHERE, local("America/New_York", 2026, 6, 10, 0, 0), w) == local(
        "America/New_York", 2026, 6, 10, 8, 0)
    assert locate(GB, w).source == Source.NUMBER  # only for numbers it cannot place


# ------------------------------------------------------------------ open or not
@pytest.mark.parametrize(("number", "zone"), [
    (GB, "Europe/London"), (US_EAST, "America/New_York"), (US_WEST, "America/Los_Angeles"),
    (AU, "Australia/Sydney"),
])
def test_given_default_window_when_at_the_boundaries_then_open_08_00_to_before_21_00(
        number: str, zone: str) -> None:
    day = (2026, 6, 10)  # a Wednesday
    assert not is_open(number, local(zone, *day, 7, 59, 59), WINDOWS)
    assert is_open(number, local(zone, *day, 8, 0), WINDOWS)
    assert is_open(number, local(zone, *day, 20, 59, 59, 999999), WINDOWS)
    assert not is_open(number, local(zone, *day, 21, 0), WINDOWS)


def test_given_us_east_and_west_when_same_instant_then_each_by_its_own_clock() -> None:
    at = utc(2026, 6, 10, 12, 30)  # 08:30 in New York, 05:30 in Los Angeles
    assert is_open(US_EAST, at, WINDOWS)
    verdict = check(US_WEST, at, WINDOWS)
    assert not verdict.open
    assert verdict.reason == "it is Wed 05:30 in America/Los_Angeles, outside 08:00-21:00"


def test_given_region_override_when_checked_then_it_replaces_the_default() -> None:
    wed = (2026, 6, 10)
    assert not is_open(FR, local("Europe/Paris", *wed, 9, 59), WINDOWS)  # default would open
    assert is_open(FR, local("Europe/Paris", *wed, 10, 0), WINDOWS)
    assert not is_open(FR, local("Europe/Paris", *wed, 13, 0), WINDOWS)  # lunch
    assert is_open(FR, local("Europe/Paris", *wed, 14, 0), WINDOWS)
    assert not is_open(FR, local("Europe/Paris", *wed, 20, 0), WINDOWS)
    saturday = check(FR, local("Europe/Paris", 2026, 6, 13, 12, 0), WINDOWS)
    assert not saturday.open and saturday.reason.endswith("outside closed all day")
    # US: Sunday closed, Saturday 09:00-17:00; Canada (+1 too) keeps the default
    sunday = local("America/New_York", 2026, 6, 14, 12, 0)
    assert not is_open(US_EAST, sunday, WINDOWS)
    assert is_open(CA, local("America/Toronto", 2026, 6, 14, 12, 0), WINDOWS)
    assert not is_open(US_EAST, local("America/New_York", 2026, 6, 13, 17, 0), WINDOWS)
    assert is_open(CA, local("America/Toronto", 2026, 6, 13, 17, 0), WINDOWS)


def test_given_customer_zone_when_checked_then_window_follows_it_with_number_region() -> None:
    at = utc(2026, 6, 10, 12, 30)  # 13:30 in London, 08:30 in New York, 07:30 in Chicago
    assert is_open(GB, at, WINDOWS)
    assert not is_open(GB, at, WINDOWS, customer_tz="America/Chicago")
    assert is_open(GB, at, WINDOWS, customer_tz="America/New_York")
    # the French number's window (its region's) in the customer's zone
    assert not is_open(FR, utc(2026, 6, 10, 18, 30), WINDOWS, customer_tz="Europe/Paris")
    assert is_open(FR, utc(2026, 6, 10, 18, 30), WINDOWS, customer_tz="America/New_York")


def test_given_holiday_when_checked_then_closed_all_local_day_of_the_region() -> None:
    christmas = check(GB, local("Europe/London", 2026, 12, 25, 12, 0), WINDOWS)
    assert not christmas.open
    assert christmas.reason == "2026-12-25 is a holiday in GB (Europe/London)"
    assert not is_open(GB, local("Europe/London", 2026, 12, 26, 8, 0), WINDOWS)
    assert is_open(GB, local("Europe/London", 2026, 12, 24, 20, 59), WINDOWS)
    assert is_open(US_EAST, local("America/New_York", 2026, 12, 25, 12, 0), WINDOWS)
    assert not is_open(FR, local("Europe/Paris", 2026, 7, 14, 11, 0), WINDOWS)
    # the party's local date counts: 23:30 UTC on 25 January is 10:30 on 26 January in
    # Sydney (Australia Day), and in every zone an Australian mobile may be in
    assert is_open(AU, utc(2026, 1, 25, 8, 0), WINDOWS)
    assert not is_open(AU, utc(2026, 1, 25, 23, 30), WINDOWS)
    assert "2026-01-26 is a holiday in AU" in check(AU_MOBILE, utc(2026, 1, 25, 23, 30),
                                                     WINDOWS).reason
    assert is_open(AU, local("Australia/Sydney", 2026, 1, 27, 8, 0), WINDOWS)


def test_given_number_with_many_zones_when_checked_then_open_only_where_all_are() -> None:
    # 15 July 2026: Guam (UTC+10) reaches 08:00 at 22:00 UTC; St John's (UTC-2:30) reaches
    # 21:00 at 23:30 UTC; Pago Pago (UTC-11) and Adak (UTC-9) are inside meanwhile
    assert not is_open(US_TOLL_FREE, utc(2026, 7, 15, 21, 59, 59), WINDOWS)
    assert "Pacific/Guam" in check(US_TOLL_FREE, utc(2026, 7, 15, 21, 59), WINDOWS).reason
    assert is_open(US_TOLL_FREE, utc(2026, 7, 15, 22, 0), WINDOWS)
    assert is_open(US_TOLL_FREE, utc(2026, 7, 15, 23, 29, 59), WINDOWS)
    assert not is_open(US_TOLL_FREE, utc(2026, 7, 15, 23, 30), WINDOWS)
    assert "America/St_Johns" in check(US_TOLL_FREE, utc(2026, 7, 15, 23, 30), WINDOWS).reason
    assert next_open(US_TOLL_FREE, utc(2026, 7, 15, 12, 0), WINDOWS) == utc(2026, 7, 15, 22)
    # knowing the customer's zone lifts the strictest rule
    assert is_open(US_TOLL_FREE, utc(2026, 7, 15, 13, 0), WINDOWS, customer_tz="America/Chicago")
    # an Australian mobile in January: Cocos (UTC+6:30) opens last, Lord Howe (UTC+11) shuts
    # first
    assert not is_open(AU_MOBILE, utc(2026, 1, 15, 1, 29, 59), WINDOWS)
    assert is_open(AU_MOBILE, utc(2026, 1, 15, 1, 30), WINDOWS)
    assert is_open(AU_MOBILE, utc(2026, 1, 15, 9, 59, 59), WINDOWS)
    assert "Australia/Lord_Howe" in check(AU_MOBILE, utc(2026, 1, 15, 10, 0), WINDOWS).reason


def test_given_naive_datetime_when_checked_then_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        is_open(GB, dt.datetime(2026, 6, 10, 12, 0), WINDOWS)
    with pytest.raises(ValueError, match="no time zone"):
        next_open(GB, dt.datetime(2026, 6, 10, 12, 0), WINDOWS)


# ------------------------------------------------------------------ next_open
def test_given_open_instant_when_next_open_then_that_very_instant() -> None:
    at = utc(2026, 6, 10, 12, 34, 56, 789)
    assert next_open(GB, at, WINDOWS) == at


def test_given_closed_instant_when_next_open_then_next_opening_over_nights_and_weekends(
        ) -> None:
    # overnight
    assert next_open(GB, local("Europe/London", 2026, 6, 10, 21, 0), WINDOWS) == local(
        "Europe/London", 2026, 6, 11, 8, 0)
    # lunch break, then Friday evening to Monday morning in France
    assert next_open(FR, local("Europe/Paris", 2026, 6, 10, 13, 5), WINDOWS) == local(
        "Europe/Paris", 2026, 6, 10, 14, 0)
    assert next_open(FR, local("Europe/Paris", 2026, 6, 12, 20, 0), WINDOWS) == local(
        "Europe/Paris", 2026, 6, 15, 10, 0)
    # Saturday after 17:00 in New York: Sunday is closed, Monday 08:00
    assert next_open(US_EAST, local("America/New_York", 2026, 6, 13, 17, 0), WINDOWS) == local(
        "America/New_York", 2026, 6, 15, 8, 0)
    # Los Angeles opens three hours (UTC) after New York
    assert next_open(US_WEST, local("America/New_York", 2026, 6, 15, 8, 0), WINDOWS) == local(
        "America/New_York", 2026, 6, 15, 11, 0)


def test_given_holidays_when_next_open_then_they_are_skipped() -> None:
    assert next_open(GB, local("Europe/London", 2026, 12, 24, 21, 0), WINDOWS) == local(
        "Europe/London", 2026, 12, 27, 8, 0)
    # Bastille Day is a Tuesday: from Monday evening to Wednesday 10:00
    assert next_open(FR, local("Europe/Paris", 2026, 7, 13, 20, 0), WINDOWS) == local(
        "Europe/Paris", 2026, 7, 15, 10, 0)


def test_given_no_opening_within_the_search_when_next_open_then_none() -> None:
    fortnight = [f"2026-08-{d:02d}" for d in range(1, 17)]
    w = windows(holidays={"GB": fortnight})
    start = local("Europe/London", 2026, 7, 31, 21, 0)
    assert next_open(GB, start, w) is None                      # 14 days ahead at most
    assert next_open(GB, start, w, days=20) == local("Europe/London", 2026, 8, 17, 8, 0)
    assert next_open(GB, start, WINDOWS, days=0) is None
    closed = windows(regions={"GB": {}})  # every day left out: closed
    assert next_open(GB, start, closed) is None
    assert next_open(US_EAST, start, closed) is not None


# ------------------------------------------------------------------ daylight saving
@pytest.mark.parametrize(("number", "zone", "before", "change", "hours"), [
    # London: last Sundays of March and October 2026 (GMT <-> BST)
    (GB, "Europe/London", (2026, 3, 28), (2026, 3, 29), (8, 7)),
    (GB, "Europe/London", (2026, 10, 24), (2026, 10, 25), (7, 8)),
    # New York: 8 March and 1 November 2026 (EST <-> EDT); Sunday needs no US override
    (US_EAST, "America/New_York", (2026, 3, 7), (2026, 3, 8), (13, 12)),
    (US_EAST, "America/New_York", (2026, 10, 31), (2026, 11, 1), (12, 13)),
])
def test_given_dst_change_when_first_call_of_the_day_then_08_00_local_at_another_utc_hour(
        number: str, zone: str, before: tuple[int, int, int], change: tuple[int, int, int],
        hours: tuple[int, int]) -> None:
    w = windows()  # 08:00-21:00 every day
    first_before = next_open(number, local(zone, *before, 0, 0), w)
    first_on_change = next_open(number, local(zone, *change, 0, 0), w)
    assert first_before == utc(*before, hours[0])
    assert first_on_change == utc(*change, hours[1])
    for first in (first_before, first_on_change):
        assert first is not None and first.astimezone(ZoneInfo(zone)).time() == dt.time(8)
        assert not is_open(number, first - dt.timedelta(microseconds=1), w)
    # the evening end is 21:00 local on both days too
    for day in (before, change):
        assert is_open(number, local(zone, *day, 20, 59, 59), w)
        assert not is_open(number, local(zone, *day, 21, 0), w)


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York"])
def test_given_every_day_of_2026_when_first_call_then_always_08_00_local(zone: str) -> None:
    number = GB if zone == "Europe/London" else US_EAST
    w = windows()
    day = dt.date(2026, 1, 1)
    while day.year == 2026:
        first = next_open(number, local(zone, day.year, day.month, day.day, 0, 0), w)
        assert first is not None
        assert first.astimezone(ZoneInfo(zone)).replace(tzinfo=None) == dt.datetime.combine(
            day, dt.time(8)), day
        day += dt.timedelta(days=1)


def test_given_window_ending_at_02_30_when_spring_forward_night_then_closes_at_the_jump(
        ) -> None:
    # New York, 8 March 2026: 01:59:59 EST (06:59:59 UTC) is followed by 03:00 EDT
    w = windows(regions={"US": {"sun": ["00:00-02:30"]}})
    assert is_open(US_EAST, utc(2026, 3, 8, 6, 59, 59), w)
    assert not is_open(US_EAST, utc(2026, 3, 8, 7, 0), w)   # 03:00 EDT
    # a week before (EST all night) it runs to 02:30 EST = 07:30 UTC
    assert is_open(US_EAST, utc(2026, 3, 1, 7, 29, 59), w)
    assert not is_open(US_EAST, utc(2026, 3, 1, 7, 30), w)
    # and the week after (EDT) to 02:30 EDT = 06:30 UTC
    assert not is_open(US_EAST, utc(2026, 3, 15, 6, 30), w)
    assert next_open(US_EAST, utc(2026, 3, 8, 7, 0), w) == local(
        "America/New_York", 2026, 3, 15, 0, 0)


def test_given_window_starting_in_the_gap_when_spring_forward_then_opens_at_the_jump(
        ) -> None:
    w = windows(regions={"US": {"sun": ["02:30-04:00"]}})
    assert not is_open(US_EAST, utc(2026, 3, 8, 6, 59, 59), w)  # 01:59:59 EST
    assert is_open(US_EAST, utc(2026, 3, 8, 7, 0), w)           # 03:00 EDT
    assert next_open(US_EAST, utc(2026, 3, 8, 5, 0), w) == utc(2026, 3, 8, 7, 0)
    assert not is_open(US_EAST, utc(2026, 3, 8, 8, 0), w)       # 04:00 EDT
    w = windows(regions={"GB": {"sun": ["01:15-01:45"]}})       # wholly inside the gap
    assert next_open(GB, utc(2026, 3, 29, 0, 0), w) == utc(2026, 4, 5, 0, 15)


def test_given_fall_back_night_when_clock_repeats_an_hour_then_the_clock_decides() -> None:
    # London, 25 October 2026: 01:59:59 BST (00:59:59 UTC) is followed by 01:00 GMT
    ends = windows(regions={"GB": {"sun": ["00:00-01:30"]}})
    assert is_open(GB, utc(2026, 10, 25, 0, 29, 59), ends)     # 01:29:59 BST
    assert not is_open(GB, utc(2026, 10, 25, 0, 30), ends)     # 01:30 BST
    assert is_open(GB, utc(2026, 10, 25, 1, 0), ends)          # 01:00 GMT: the clock went back
    assert not is_open(GB, utc(2026, 10, 25, 1, 30), ends)     # 01:30 GMT
    assert next_open(GB, utc(2026, 10, 25, 0, 30), ends) == local(
        "Europe/London", 2026, 10, 25, 1, 0, fold=1)
    starts = windows(regions={"GB": {"sun": ["01:30-03:00"]}})
    assert next_open(GB, utc(2026, 10, 24, 23, 0), starts) == utc(2026, 10, 25, 0, 30)
    assert not is_open(GB, utc(2026, 10, 25, 1, 0), starts)    # 01:00 GMT: before 01:30
    assert next_open(GB, utc(2026, 10, 25, 1, 0), starts) == local(
        "Europe/London", 2026, 10, 25, 1, 30, fold=1)
    assert not is_open(GB, utc(2026, 10, 25, 3, 0), starts)    # 03:00 GMT


# ------------------------------------------------------------------ config
def test_given_no_config_when_loaded_then_08_00_to_21_00_every_day_and_no_fallback() -> None:
    w = CallingWindows.from_mapping(None, "campaigns.yaml")
    assert w == CallingWindows()
    assert all(day == ((480, 1260),) for day in w.default.days)
    assert w.fallback_timezone is None and not w.regions and not w.holidays
    assert is_open(GB, local("Europe/London", 2026, 6, 14, 8, 0), w)  # a Sunday


def test_given_default_window_when_configured_then_days_left_out_or_null_are_closed() -> None:
    w = windows(default={"mon": ["09:00-12:00", "12:00-17:30"], "tue": None, "wed": [],
                         "sat": ["20:00-24:00"]})
    mon = (2026, 6, 8)
    assert is_open(GB, local("Europe/London", *mon, 12, 0), w)  # touching ranges join
    assert not is_open(GB, local("Europe/London", *mon, 17, 30), w)
    for day in (9, 10, 11, 12, 14):
        assert not is_open(GB, local("Europe/London", 2026, 6, day, 12, 0), w)
    assert is_open(GB, local("Europe/London", 2026, 6, 13, 23, 59, 59), w)  # 24:00 ends it
    assert w.default.describe(0) == "09:00-12:00, 12:00-17:30"


@pytest.mark.parametrize(("doc", "key"), [
    ({"regions": {"US": {"mon": ["08:00-12:00", "11:00-13:00"]}}}, "regions.US.mon[1]"),
    ({"regions": {"US": {"mon": ["13:00-14:00", "08:00-13:30"]}}}, "regions.US.mon[0]"),
    ({"regions": {"US": {"mon": ["21:00-08:00"]}}}, "regions.US.mon[0]"),
    ({"regions": {"US": {"mon": ["8-21"]}}}, "regions.US.mon[0]"),
    ({"regions": {"US": {"mon": ["08:00-25:00"]}}}, "regions.US.mon[0]"),
    ({"regions": {"US": {"mon": ["08:60-21:00"]}}}, "regions.US.mon[0]"),
    ({"regions": {"US": {"mon": "08:00-21:00"}}}, "regions.US.mon"),
    ({"regions": {"US": {"monday": []}}}, "regions.US.monday"),
    ({"regions": {"US": ["08:00-21:00"]}}, "regions.US"),
    ({"regions": {"UK": {}}}, "regions.UK"),
    ({"regions": {"us": {}}}, "regions.us"),
    ({"regions": ["US"]}, "regions"),
    ({"default": {"sun": [800]}}, "default.sun[0]"),
    ({"default": {"sun": ["08:00-21:00", "08:00-21:00"]}}, "default.sun[1]"),
    ({"holidays": {"GB": ["25/12/2026"]}}, "holidays.GB[0]"),
    ({"holidays": {"GB": "2026-12-25"}}, "holidays.GB"),
    ({"holidays": {"XX": []}}, "holidays.XX"),
    ({"fallback_timezone": "Mars/Olympus"}, "fallback_timezone"),
    ({"fallback_timezone": 5}, "fallback_timezone"),
    ({"window": {}}, "window"),
])
def test_given_bad_config_when_loaded_then_error_names_the_key_path(
        doc: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as e:
        CallingWindows.from_mapping(doc, "campaigns.yaml")
    assert e.value.where == "campaigns.yaml"
    assert e.value.key == f"campaigns.calling_windows.{key}"
    assert f"campaigns.calling_windows.{key}:" in str(e.value)


def test_given_bad_config_when_loaded_then_messages_say_what_is_wrong() -> None:
    def message(doc: dict[str, Any]) -> str:
        with pytest.raises(ConfigError) as e:
            CallingWindows.from_mapping(doc, "campaigns.yaml")
        return e.value.message

    assert "overlaps" in message({"regions": {"US": {"mon": ["08:00-12:00", "11:00-13:00"]}}})
    assert "end after it starts" in message({"regions": {"US": {"mon": ["21:00-08:00"]}}})
    assert "GB" in message({"regions": {"UK": {}}})
    assert "'US'" in message({"regions": {"us": {}}})
    assert "IANA" in message({"fallback_timezone": "Mars/Olympus"})
    with pytest.raises(ConfigError) as e:
        CallingWindows.from_mapping([], "campaigns.yaml")  # type: ignore[arg-type]
    assert e.value.key == "campaigns.calling_windows"
    with pytest.raises(ConfigError) as e:
        CallingWindows.from_mapping({"regions": {"US": {"tue": ["x"]}}}, "f.yaml",
                                    key="dialer.windows")
    assert e.value.key == "dialer.windows.regions.US.tue[0]"


# ------------------------------------------------------------------ property
PROPERTY_NUMBERS = (GB, GB_MOBILE, US_EAST, US_WEST, FR, AU, AU_MOBILE)
# DST days of 2026 in the zones above, so that random instants often fall near a change
CHANGES = (utc(2026, 3, 8, 7), utc(2026, 3, 29, 1), utc(2026, 10, 25, 1),
           utc(2026, 11, 1, 6), utc(2026, 4, 4, 16), utc(2026, 10, 3, 16))
NIGHTLY = CallingWindows.from_mapping({
    **CONFIG,
    "regions": {**CONFIG["regions"],
                # ranges around the changes' small hours, and a holiday next to a weekend
                "GB": {**{d: ["00:00-01:30", "02:30-03:00", "08:00-21:00"] for d in WEEKDAYS},
                       "sun": ["00:00-00:30", "01:30-02:30", "22:00-24:00"]},
                "AU": {d: ["01:30-02:45", "09:00-20:00"] for d in ("mon", "wed", "sat", "sun")}},
}, "campaigns.yaml")
instants = st.one_of(
    st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(dt.UTC)),
    st.builds(lambda c, s: c + dt.timedelta(seconds=s), st.sampled_from(CHANGES),
              st.integers(-2 * 86400, 86400)),
    st.builds(lambda c, s: c + dt.timedelta(seconds=s), st.sampled_from(CHANGES),
              st.integers(-3 * 3600, 3 * 3600)),
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PROPERTY_NUMBERS), instants, st.sampled_from([WINDOWS, NIGHTLY]))
def test_property_next_open_is_open_and_nothing_before_it_is(
        number: str, t: dt.datetime, w: CallingWindows) -> None:
    found = next_open(number, t, w)
    assert found is not None  # every config above opens within a few days
    assert found >= t and is_open(number, found, w)
    assert found - t <= dt.timedelta(days=5)
    # at minute resolution: t itself and every whole minute before the answer are closed
    if found > t:
        assert not is_open(number, t, w)
        minute = t.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        while minute < found:
            assert not is_open(number, minute, w), minute
            minute += dt.timedelta(minutes=1)
        assert not is_open(number, found - dt.timedelta(microseconds=1), w)
