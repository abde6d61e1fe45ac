"""Canned responses as data: validated at load naming the key, searched by shortcut or
title (prefix first), filtered by medium."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.config import load_config
from ccengine.core.canned import CannedResponses
from ccengine.core.errors import ConfigError
from ccengine.core.media import Medium

CONFIG = [
    {"shortcut": "thanks", "title": "Thank you", "text": "Thank you for contacting us."},
    {"shortcut": "hold", "title": "One moment", "text": "One moment please.",
     "media": ["chat"]},
    {"shortcut": "refund", "title": "Refund: thanks for waiting", "text": "Refunded.",
     "media": ["email"]},
    {"shortcut": "bye", "title": "Goodbye, and THANKS", "text": "Bye!",
     "media": ["email", "chat"]},
]


def canned() -> CannedResponses:
    return CannedResponses.from_config(CONFIG, "engine.yaml")


def test_given_responses_when_loaded_then_media_default_to_every_desk_medium() -> None:
    first, hold = canned().responses[:2]
    assert first.to_dict() == {"shortcut": "thanks", "title": "Thank you",
                               "text": "Thank you for contacting us.",
                               "media": ["chat", "email"]}
    assert hold.media == (Medium.CHAT,)


def test_given_a_query_when_searching_then_prefix_matches_first_then_substrings() -> None:
    assert [r.shortcut for r in canned().search("THANK")] == ["thanks", "refund", "bye"]
    assert [r.shortcut for r in canned().search("mom")] == ["hold"]       # in the title
    assert [r.shortcut for r in canned().search("")] == ["thanks", "hold", "refund", "bye"]
    assert canned().search("nothing like it") == []


def test_given_a_medium_when_searching_then_only_its_responses() -> None:
    assert [r.shortcut for r in canned().search("", Medium.CHAT)] == ["thanks", "hold", "bye"]
    assert [r.shortcut for r in canned().search("thanks", Medium.EMAIL)] == [
        "thanks", "refund", "bye"]
    assert canned().search("", Medium.VOICE) == []


def test_given_embedded_defaults_when_loaded_then_valid_examples() -> None:
    raw = load_config(None, env={}).raw["canned_responses"]
    assert 2 <= len(CannedResponses.from_config(raw, "defaults").responses) <= 3
    assert CannedResponses.from_config(None, "engine.yaml").responses == ()


def item(**changes: Any) -> dict[str, Any]:
    return {"shortcut": "x", "title": "X", "text": "x", **changes}


@pytest.mark.parametrize(("value", "key", "why"), [
    ({"thanks": "Thank you"}, "canned_responses", "must be a list"),
    (["thanks"], "canned_responses[0]", "must be a mapping"),
    ([item(shortcut="Thanks!")], "canned_responses[0].shortcut", "not a shortcut"),
    ([item(shortcut="a" * 33)], "canned_responses[0].shortcut", "not a shortcut"),
    ([item(), item(title="Y")], "canned_responses[1].shortcut", "used twice"),
    ([item(text="")], "canned_responses[0].text", "1-5000 characters"),
    ([item(text="x" * 5001)], "canned_responses[0].text", "1-5000 characters"),
    ([item(title=None)], "canned_responses[0].title", "1-100 characters"),
    ([item(media=["voice"])], "canned_responses[0].media[0]", "not a desk medium"),
    ([item(media=["chat", "chat"])], "canned_responses[0].media[1]", "listed twice"),
    ([item(media=[])], "canned_responses[0].media", "non-empty list"),
    ([item(lang="fr")], "canned_responses[0].lang", "unknown key"),
])
def test_given_bad_responses_when_loaded_then_error_names_file_and_key(
        value: Any, key: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as err:
        CannedResponses.from_config(value, "engine.yaml:9")
    assert (err.value.where, err.value.key) == ("engine.yaml:9", key)
