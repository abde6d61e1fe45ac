"""Calling windows: may a campaign call this number now, by the called party's local time?

Pure: no I/O of its own and no clock reads (the caller passes the instant); time zone and
numbering data come from ``zoneinfo`` and ``phonenumbers`` (read once, then cached).

Where the called party is (``locate``):

1. the customer's own time zone (an IANA name such as ``Europe/Paris``) when it is known
   and valid (an unknown name is ignored, and the number decides);
2. else the time zones ``phonenumbers`` gives for the E.164 number. A number may map to
   several zones (a US toll-free number, an Australian mobile): a call is then allowed
   only when the window is open in EVERY one of them (the strictest rule);
3. else (``Etc/Unknown``, or a number that cannot be parsed) ``fallback_timezone`` when one
   is configured, or no zone at all: such numbers are never called.

Which window applies: the override for the number's region (ISO 3166 code from the number,
e.g. ``GB``) when configured, else the default window (08:00-21:00 every day). Holidays
are per region too: the party's local date being one of them closes the whole day.

Daylight saving: a window is wall-clock time. A zone is open at an instant when the
party's clock, at that instant, shows a time inside one of the ranges of its weekday (and
the date is no holiday). So 08:00-21:00 means 08:00-21:00 local on both sides of a change,
which is a different UTC hour before and after. A call is only allowed while the party's
clock shows a time inside the window:

- Times that do not exist (the spring-forward gap) are never shown: a range that starts
  in the gap opens when the clock jumps (at the new time, e.g. 03:00), one that ends in
  the gap closes at the jump, one wholly inside the gap does not open that day.
- Times that occur twice (fall back; ``fold`` 0 and 1) are inside or outside a range
  both times: a range ending in the repeated hour closes at its first pass, opens again
  when the clock goes back and closes again at the second pass; a range starting in it
  opens at the first pass, closes when the clock goes back to before its start and opens
  again when the clock reaches its start the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache, partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as number_zones

from ccengine.core.rules import DAYS, _date, _nested, _time_range
from ccengine.core.validate import Fields

UTC = dt.UTC
UNKNOWN_ZONE = "Etc/Unknown"          # what phonenumbers says when it cannot place a number
DEFAULT_RANGES = ((8 * 60, 21 * 60),)  # 08:00-21:00, minutes from local midnight
SEARCH_DAYS = 14                       # how far ahead next_open looks

Ranges = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class WeeklyWindow:
    """Open ranges per weekday (index 0 = Monday): minutes from local midnight, start
    included, end excluded (24:00 = 1440 ends a range at midnight), sorted, no overlaps."""

    days: tuple[Ranges, ...]

    def __post_init__(self) -> None:
        if len(self.days) != 7:
            raise ValueError("a weekly window has seven days")

    @classmethod
    def every_day(cls, ranges: Ranges) -> WeeklyWindow:
        return cls(tuple(ranges for _ in DAYS))

    def contains(self, local: dt.datetime) -> bool:
        """Is the wall-clock time of ``local`` inside one of its weekday's ranges?"""
        micro = ((local.hour * 60 + local.minute) * 60 + local.second) * 10**6 \
            + local.microsecond
        return any(start * 60 * 10**6 <= micro < end * 60 * 10**6
                   for start, end in self.days[local.weekday()])

    def describe(self, weekday: int) -> str:
        """The weekday's ranges as configured, e.g. ``08:00-12:00, 14:00-20:00``."""
        ranges = self.days[weekday]
        return ", ".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in ranges) or "closed all day"


DEFAULT_WINDOW = WeeklyWindow.every_day(DEFAULT_RANGES)


@dataclass(frozen=True)
class CallingWindows:
    """``campaigns.calling_windows``: the default window, per-region overrides (each
    replaces the default for numbers of its region), holidays per region and the zone
    used for numbers that cannot be placed (none: such numbers are not called)."""

    default: WeeklyWindow = field(default_factory=lambda: DEFAULT_WINDOW)
    regions: Mapping[str, WeeklyWindow] = field(default_factory=dict)
    holidays: Mapping[str, frozenset[dt.date]] = field(default_factory=dict)
    fallback_timezone: str | None = None

    FIELDS = frozenset({"default", "regions", "holidays", "fallback_timezone"})

    def window_for(self, region: str | None) -> WeeklyWindow:
        return self.regions.get(region or "", self.default)

    def holidays_for(self, region: str | None) -> frozenset[dt.date]:
        return self.holidays.get(region or "", frozenset())

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None, where: str,
                     key: str = "campaigns.calling_windows") -> CallingWindows:
        """Build and validate from config (``None``: all defaults). Errors name ``where``
        (the file) and the full key path, e.g. ``campaigns.calling_windows.regions.US.mon``.
        """
        def build() -> CallingWindows:
            f = Fields({} if data is None else data, where, set(cls.FIELDS))
            default = DEFAULT_WINDOW
            if f.data.get("default") is not None:
                default = _nested(where, "default", partial(parse_week, f.data["default"], where))
            regions = {code: _nested(where, f"regions.{code}", partial(parse_week, doc, where))
                       for code, doc in _by_region(f, "regions").items()}
            holidays = {code: parse_dates(f, f"holidays.{code}", doc)
                        for code, doc in _by_region(f, "holidays").items()}
            fallback = None
            if f.data.get("fallback_timezone") is not None:
                fallback = f.text("fallback_timezone")
                if load_zone(fallback) is None:
                    raise f.error("fallback_timezone", f"unknown time zone {fallback!r} (use an "
                                                       "IANA name such as Europe/London)")
            return cls(default, regions, holidays, fallback)
        return _nested(where, key, build)


def parse_week(data: Any, where: str) -> WeeklyWindow:
    """``{mon: ["08:00-12:00", "14:00-20:00"], sat: [], sun: null}``: a day left out, empty
    or null is closed all day; ranges of a day must not overlap."""
    f = Fields(data, where, set(DAYS))
    days: list[Ranges] = []
    for day in DAYS:
        ranges = f.data.get(day)
        if ranges is None:
            ranges = []
        if not isinstance(ranges, list):
            raise f.error(day, "must be a list of 'HH:MM-HH:MM' ranges (empty: closed)")
        parsed = sorted((_time_range(f, f"{day}[{n}]", r), n) for n, r in enumerate(ranges))
        for ((_, end), _), ((start, _), n) in zip(parsed, parsed[1:], strict=False):
            if start < end:
                raise f.error(f"{day}[{n}]", f"{ranges[n]!r} overlaps another range of {day}")
        days.append(tuple(r for r, _ in parsed))
    return WeeklyWindow(tuple(days))


def parse_dates(f: Fields, key: str, data: Any) -> frozenset[dt.date]:
    """A list of dates (``YYYY-MM-DD``) on which a region is closed all day."""
    if not isinstance(data, list):
        raise f.error(key, "must be a list of dates (YYYY-MM-DD)")
    return frozenset(_date(f, f"{key}[{n}]", d) for n, d in enumerate(data))


def _by_region(f: Fields, key: str) -> dict[str, Any]:
    """``key``'s mapping, its keys checked as ISO 3166 region codes known to phonenumbers."""
    value = f.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise f.error(key, "must map region codes (ISO 3166, e.g. GB, US) to settings")
    for code in value:
        if code not in phonenumbers.SUPPORTED_REGIONS:
            hint = (f"; write it in capitals: {str(code).upper()!r}"
                    if str(code).upper() in phonenumbers.SUPPORTED_REGIONS
                    else "; the United Kingdom is GB" if str(code).upper() == "UK" else "")
            raise f.error(f"{key}.{code}", f"unknown region code{hint} (use ISO 3166 codes "
                                           "such as GB, US, FR)")
    return {str(code): doc for code, doc in value.items()}


# ------------------------------------------------------------------ where the party is
class Source(StrEnum):
    """Where the party's time zones came from."""

    CUSTOMER = "customer"    # the customer's own time zone
    NUMBER = "number"        # the phone number (phonenumbers)
    FALLBACK = "fallback"    # fallback_timezone: the number could not be placed
    UNKNOWN = "unknown"      # no zone: never called


@dataclass(frozen=True)
class Location:
    """The party's candidate time zones (IANA names; empty when unknown) and the number's
    region (ISO 3166 code, or None), which picks the window and the holidays."""

    zones: tuple[str, ...]
    region: str | None
    source: Source


@dataclass(frozen=True)
class Verdict:
    """May the number be called at this instant? ``reason`` says why not (empty: open)."""

    open: bool
    reason: str
    location: Location


def load_zone(name: str) -> ZoneInfo | None:
    """The IANA zone ``name`` (cached by zoneinfo), or None when there is no such zone."""
    if not name or name == UNKNOWN_ZONE:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def locate(number: str, windows: CallingWindows, customer_tz: str | None = None) -> Location:
    """Where the party of E.164 ``number`` is: see the module's description."""
    zones, region = place(number)
    if customer_tz is not None and load_zone(customer_tz) is not None:
        return Location((customer_tz,), region, Source.CUSTOMER)
    if zones:
        return Location(zones, region, Source.NUMBER)
    if windows.fallback_timezone is not None:
        return Location((windows.fallback_timezone,), region, Source.FALLBACK)
    return Location((), region, Source.UNKNOWN)


@lru_cache(maxsize=4096)
def place(number: str) -> tuple[tuple[str, ...], str | None]:
    """The time zones (sorted; none when unknown) and region code ``phonenumbers`` gives
    for E.164 ``number`` (cached: a dialer asks about the same numbers again and again)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return (), None
    code = phonenumbers.region_code_for_number(parsed)
    zones = number_zones.time_zones_for_number(parsed)
    return (tuple(sorted(z for z in zones if load_zone(z) is not None)),
            code if code in phonenumbers.SUPPORTED_REGIONS else None)


# ------------------------------------------------------------------ open or not
def check(number: str, at_utc: dt.datetime, windows: CallingWindows,
          customer_tz: str | None = None) -> Verdict:
    """Is the window open for ``number`` at ``at_utc`` in every zone its party may be in?"""
    at = _aware(at_utc)
    location = locate(number, windows, customer_tz)
    if not location.zones:
        return Verdict(False, f"the time zone of {number} is unknown and no "
                              "fallback_timezone is configured", location)
    return Verdict(*_verdict(location, at, windows), location)


def is_open(number: str, at_utc: dt.datetime, windows: CallingWindows,
            customer_tz: str | None = None) -> bool:
    """``check(...).open``: may ``number`` be called at ``at_utc``?"""
    return check(number, at_utc, windows, customer_tz).open


def next_open(number: str, after_utc: dt.datetime, windows: CallingWindows,
              customer_tz: str | None = None, *, days: int = SEARCH_DAYS
              ) -> dt.datetime | None:
    """The first UTC instant at or after ``after_utc`` (and at most ``days`` days later)
    when ``number`` may be called; None when there is none (or no zone is known).

    The open state can only turn on where some zone's clock reaches the start of a range
    or jumps (a daylight-saving change), so those instants (and ``after_utc``) are the
    only candidates: the first open one is the answer.
    """
    after = _aware(after_utc).astimezone(UTC)
    location = locate(number, windows, customer_tz)
    if not location.zones:
        return None
    horizon = after + dt.timedelta(days=days)
    candidates = {after}
    week = windows.window_for(location.region)
    for name in location.zones:
        zone = _zone(name)
        candidates.update(_range_starts(zone, week, after, horizon))
        candidates.update(_transitions(zone, after, horizon))
    for t in sorted(c for c in candidates if after <= c <= horizon):
        if _verdict(location, t, windows)[0]:
            return t
    return None


def _verdict(location: Location, at: dt.datetime, windows: CallingWindows
             ) -> tuple[bool, str]:
    """(open, why not) in the location's zones, which must not be empty."""
    week = windows.window_for(location.region)
    holidays = windows.holidays_for(location.region)
    for name in location.zones:
        local = at.astimezone(_zone(name))
        if local.date() in holidays:
            return False, f"{local:%Y-%m-%d} is a holiday in {location.region} ({name})"
        if not week.contains(local):
            return False, (f"it is {local:%a %H:%M} in {name}, outside "
                           f"{week.describe(local.weekday())}")
    return True, ""


def _range_starts(zone: ZoneInfo, week: WeeklyWindow, start: dt.datetime,
                  end: dt.datetime) -> Iterator[dt.datetime]:
    """Every instant from a day before ``start`` to a day after ``end`` at which the
    clock of ``zone`` shows the start of a range (twice when that time occurs twice)."""
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    while day <= last:
        for first, _ in week.days[day.weekday()]:
            wall = dt.datetime.combine(day, dt.time(first // 60, first % 60))
            # both readings of a repeated time; for a time in a gap these are instants
            # around it, harmless extra candidates (the jump itself is a transition)
            for fold in (0, 1):
                yield wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        day += dt.timedelta(days=1)


def _transitions(zone: ZoneInfo, start: dt.datetime, end: dt.datetime
                 ) -> Iterator[dt.datetime]:
    """The instants from a day before ``start`` to ``end`` at which the UTC offset of
    ``zone`` changes (the first second of the new offset; zones change at most once in
    six hours)."""
    step = 6 * 3600
    t = int(start.timestamp()) - 86400
    stop = int(end.timestamp())
    while t < stop:
        lo, hi = t, t + step
        if _offset(zone, lo) != _offset(zone, hi):
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == _offset(zone, lo):
                    lo = mid
                else:
                    hi = mid
            yield dt.datetime.fromtimestamp(hi, UTC)
        t += step


def _offset(zone: ZoneInfo, timestamp: int) -> dt.timedelta | None:
    return dt.datetime.fromtimestamp(timestamp, zone).utcoffset()


def _zone(name: str) -> ZoneInfo:
    zone = load_zone(name)
    assert zone is not None, name  # locate() keeps only zones that load
    return zone


def _aware(at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at!r} has no time zone: pass an aware UTC datetime")
    return at


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
