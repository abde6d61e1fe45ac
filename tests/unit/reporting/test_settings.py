"""The ``reporting:`` section: defaults, and a clear error for each bad value."""

from __future__ import annotations

import pytest

from ccengine.config import ConfigError
from ccengine.reporting.settings import ReportingSettings, parse_reporting


def test_given_no_section_then_the_defaults() -> None:
    assert parse_reporting(None, "c.yaml") == ReportingSettings(5.0, "abandons_against", "UTC")


@pytest.mark.parametrize(("doc", "message"), [
    ({"timezone": "Mars/Olympus"}, "reporting.timezone: 'Mars/Olympus' is not a time zone"),
    ({"service_level": "best"}, "reporting.service_level: must be one of abandons_ignored"),
    ({"short_abandon_seconds": -1}, "reporting.short_abandon_seconds: must be a number"),
    ({"colour": "red"}, "reporting.colour: unknown key"),
])
def test_given_a_bad_value_when_parsed_then_the_key_is_named(doc: dict[str, object],
                                                             message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        parse_reporting(doc, "c.yaml")
