"""What a waiting caller hears: Asterisk's packaged queue sounds and ARI number media."""

from __future__ import annotations

import pytest

from ccengine.telephony.waiting import announcement_media

BOTH = ("position", "expected_wait")


@pytest.mark.parametrize(("parts", "place", "expected", "media"), [
    (BOTH, 1, 120.0, ["sound:queue-youarenext", "sound:queue-holdtime", "number:2",
                      "sound:queue-minutes", "sound:queue-thankyou"]),
    (BOTH, 3, 61.0, ["sound:queue-thereare", "number:3", "sound:queue-callswaiting",
                     "sound:queue-holdtime", "number:2", "sound:queue-minutes",
                     "sound:queue-thankyou"]),
    (BOTH, 2, 60.0, ["sound:queue-thereare", "number:2", "sound:queue-callswaiting",
                     "sound:queue-holdtime", "number:1", "sound:queue-minute",
                     "sound:queue-thankyou"]),
    (BOTH, 1, 20.0, ["sound:queue-youarenext", "sound:queue-holdtime",
                     "sound:queue-less-than", "number:1", "sound:queue-minute",
                     "sound:queue-thankyou"]),
    (BOTH, 4, None, ["sound:queue-thereare", "number:4", "sound:queue-callswaiting",
                     "sound:queue-thankyou"]),       # nobody staffed: no estimate said
    (("expected_wait",), 4, 400.0, ["sound:queue-holdtime", "number:7",
                                    "sound:queue-minutes", "sound:queue-thankyou"]),
    (("position",), 1, 400.0, ["sound:queue-youarenext", "sound:queue-thankyou"]),
    (("expected_wait",), 2, None, []),               # nothing to say: no announcement
])
def test_given_place_and_estimate_when_announcing_then_packaged_sounds_and_numbers(
        parts: tuple[str, ...], place: int, expected: float | None,
        media: list[str]) -> None:
    assert announcement_media(parts, place, expected) == media
