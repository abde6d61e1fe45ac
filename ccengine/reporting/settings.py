"""The ``reporting:`` section: how reports count (docs/supervisors.md "Reports")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ccengine.config import ConfigSection
from ccengine.reporting.intervals import SL_VARIANTS

SECTION = "reporting"
KEYS = frozenset({"short_abandon_seconds", "service_level", "timezone", "queue_log"})


@dataclass(frozen=True)
class ReportingSettings:
    short_abandon_seconds: float = 5.0
    service_level: str = "abandons_against"     # the variant shown first, one of SL_VARIANTS
    timezone: str = "UTC"                        # reports' time zone when none is asked for


def parse_reporting(doc: Any, source: str) -> ReportingSettings:
    """The ``reporting:`` section (None: the defaults), validated."""
    s = ConfigSection({} if doc is None else doc, source, SECTION, KEYS)
    default = ReportingSettings()
    variant = s.text("service_level", default.service_level)
    if variant not in SL_VARIANTS:
        raise s.error("service_level", f"must be one of {', '.join(SL_VARIANTS)}")
    zone = s.text("timezone", default.timezone)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise s.error("timezone", f"{zone!r} is not a time zone name (e.g. Europe/London)"
                      ) from None
    return ReportingSettings(
        short_abandon_seconds=s.number("short_abandon_seconds", default.short_abandon_seconds,
                                       minimum=0, maximum=3600),
        service_level=variant or default.service_level, timezone=zone or default.timezone)
