"""Not-ready reasons as data: codes or {code, label}, the default reason, and bad config
refused naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.config import load_config
from ccengine.core.errors import ConfigError
from ccengine.core.not_ready import DEFAULT_CODES, InvalidReason, NotReadyReasons


def test_given_codes_and_mappings_when_loaded_then_labels_and_default() -> None:
    reasons = NotReadyReasons.from_config(
        ["lunch", {"code": "break", "label": "Short break"}, "team_meeting"], "e.yaml")
    assert reasons.to_list() == [{"code": "lunch", "label": "Lunch"},
                                 {"code": "break", "label": "Short break"},
                                 {"code": "team_meeting", "label": "Team meeting"}]
    assert reasons.default == "break"                      # break when listed
    assert NotReadyReasons.from_config(["lunch", "meeting"], "e.yaml").default == "lunch"


def test_given_a_reason_when_checked_then_listed_ones_pass_and_others_name_the_list() -> None:
    reasons = NotReadyReasons.from_config(["break", "lunch"], "e.yaml")
    assert reasons.check("lunch") == "lunch"
    for bad in ("nap", "", "rona", 7, None):
        with pytest.raises(InvalidReason, match="one of break, lunch") as err:
            reasons.check(bad)
        assert err.value.code == "bad_reason"


def test_given_embedded_defaults_when_loaded_then_the_documented_list() -> None:
    raw = load_config(None, env={}).raw["not_ready_reasons"]
    assert NotReadyReasons.from_config(raw, "defaults").codes == DEFAULT_CODES
    assert NotReadyReasons.defaults().default == "break"


@pytest.mark.parametrize(("value", "key", "why"), [
    ("break", "not_ready_reasons", "non-empty list"),
    ([], "not_ready_reasons", "non-empty list"),
    (None, "not_ready_reasons", "non-empty list"),
    (["break", "Lunch"], "not_ready_reasons[1]", "not a reason code"),
    (["break", "with space"], "not_ready_reasons[1]", "not a reason code"),
    (["x" * 33], "not_ready_reasons[0]", "not a reason code"),
    (["break", "break"], "not_ready_reasons[1]", "listed twice"),
    (["break", {"code": "break", "label": "B"}], "not_ready_reasons[1]", "listed twice"),
    (["rona"], "not_ready_reasons[0]", "the engine sets itself"),
    ([{"code": "lunch", "label": ""}], "not_ready_reasons[0].label", "1-60 characters"),
    ([{"code": "lunch", "icon": "x"}], "not_ready_reasons[0].icon", "unknown key"),
    ([{"label": "Lunch"}], "not_ready_reasons[0]", "not a reason code"),
])
def test_given_bad_reasons_when_loaded_then_error_names_file_and_key(
        value: Any, key: str, why: str) -> None:
    with pytest.raises(ConfigError, match=why) as err:
        NotReadyReasons.from_config(value, "engine.yaml:7")
    assert (err.value.where, err.value.key) == ("engine.yaml:7", key)
