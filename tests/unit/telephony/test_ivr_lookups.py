"""Lookups at call time: the request rendered from the caller and the variables, fields
read from the answer, and what can and cannot be said."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.telephony.ivr.lookups import (
    LookupFailed,
    field_value,
    render_request,
    say_media,
    text_of,
)
from ccengine.telephony.ivr.model import Say
from tests.unit.telephony.ivr_fixtures import RICH, load

CONTEXT = {"caller": "+44 7700", "service_number": "5001", "language": "fr",
           "interaction_id": "i1", "vars": {"account": "12 34&x", "pin": "1234", "tier": "gold"},
           "urls": {"crm": "http://127.0.0.1:9"}}


def test_given_variables_when_rendering_then_url_body_and_headers_are_filled(
        tmp_path: Path) -> None:
    flow = load(tmp_path, RICH.replace("timeout: 2\n    save", "timeout: 2\n    headers: "
                                       "{X-Caller: '{{ caller }}'}\n    save"))
    request = render_request(flow.lookups["verify"], CONTEXT)
    assert request.url == "http://127.0.0.1:9/accounts/12%2034%26x/verify"   # urlencode
    assert request.body == '{"caller": "+44 7700", "pin": "1234", "n": 1}'
    assert request.headers == {"X-Caller": "+44 7700", "Content-Type": "application/json"}


def test_given_a_variable_not_set_yet_when_rendering_then_template_error(
        tmp_path: Path) -> None:
    flow = load(tmp_path)
    with pytest.raises(LookupFailed) as e:
        render_request(flow.lookups["balance"], {**CONTEXT, "vars": {"account": "1"}})
    assert e.value.outcome == "template_error"


def test_given_a_base_url_that_is_not_http_when_rendering_then_bad_url(
        tmp_path: Path) -> None:
    flow = load(tmp_path)
    with pytest.raises(LookupFailed) as e:
        render_request(flow.lookups["verify"], {**CONTEXT, "urls": {"crm": "file:///etc"}})
    assert e.value.outcome == "bad_url"


@pytest.mark.parametrize(("data", "path", "value"), [
    ({"a": {"b": 3}}, "a.b", 3),
    ({"items": [{"id": "x"}, {"id": "y"}]}, "items.1.id", "y"),
    ({"ok": True}, "ok", True),
])
def test_given_an_answer_when_reading_a_field_then_nested_paths_work(
        data: object, path: str, value: object) -> None:
    assert field_value(data, path) == value


@pytest.mark.parametrize(("data", "path"), [({"a": 1}, "b"), ({"a": 1}, "a.b"),
                                            ([1, 2], "5"), ("text", "a")])
def test_given_an_answer_without_the_field_when_reading_then_no_field(
        data: object, path: str) -> None:
    with pytest.raises(LookupFailed) as e:
        field_value(data, path)
    assert e.value.outcome == "no_field"


def test_given_scalars_when_comparing_then_json_and_yaml_spellings_agree() -> None:
    assert [text_of(v) for v in (True, None, 2.0, 2.5, 7, "x")] == [
        "true", "null", "2", "2.5", "7", "x"]


@pytest.mark.parametrize(("kind", "value", "ok"), [
    ("digits", "0123*#", True), ("digits", "12a", False),
    ("number", -42, True), ("number", 4.5, False), ("number", "1e9", False),
    ("characters", "AB12", True), ("characters", "A B", False),
])
def test_given_a_value_when_saying_it_then_only_speakable_values_pass(
        kind: str, value: object, ok: bool) -> None:
    say = (Say(kind, key="v"),)
    if ok:
        assert say_media(say, {"v": value}) == (f"{kind}:{text_of(value)}",)
    else:
        with pytest.raises(LookupFailed) as e:
            say_media(say, {"v": value})
        assert e.value.outcome == "bad_value"
