"""Records the repositories take: an InteractionData, a dict, or any object with the same
attributes (such as the core's interaction) becomes an InteractionData; bad fields are named."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pytest

from ccengine.store.errors import InvalidRecord
from ccengine.store.records import EventData, InteractionData, to_interaction


class Medium(StrEnum):
    VOICE = "voice"


@dataclass
class Event:
    kind: str
    at: float
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ForeignInteraction:  # shaped like the core's, which the store does not import
    id: str
    medium: Medium
    queue: str | None = None
    priority: int = 0
    customer_id: str | None = None
    agent_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def test_given_object_with_enum_medium_when_converted_then_plain_values() -> None:
    record = to_interaction(ForeignInteraction("i1", Medium.VOICE, queue="sales", events=[
        Event("entered", 1.0), Event("answered", 3, {"agent_id": "alice"})]))
    assert record == InteractionData(
        id="i1", medium="voice", queue="sales",
        events=[EventData("entered", 1.0, {}), EventData("answered", 3.0,
                                                          {"agent_id": "alice"})])
    assert type(record.medium) is str


def test_given_dict_when_converted_then_same_as_dataclass() -> None:
    as_dict = {"id": "i2", "medium": "chat", "priority": 2,
               "events": [{"kind": "entered", "at": 5.5}]}
    assert to_interaction(as_dict) == InteractionData(
        "i2", "chat", priority=2, events=[EventData("entered", 5.5)])


@pytest.mark.parametrize(("record", "field_name"), [
    ({"medium": "voice"}, "id"),
    ({"id": "x"}, "medium"),
    ({"id": 5, "medium": "voice"}, "id"),
    ({"id": "x", "medium": "voice", "priority": "high"}, "priority"),
    ({"id": "x", "medium": "voice", "attributes": []}, "attributes"),
    ({"id": "x", "medium": "voice", "events": [{"at": 1.0}]}, "events[0].kind"),
    ({"id": "x", "medium": "voice", "events": [{"kind": "a", "at": "soon"}]}, "events[0].at"),
    ({"id": "x", "medium": "voice", "events": [{"kind": "a", "at": float("nan")}]},
     "events[0].at"),
    ({"id": "x" * 65, "medium": "voice"}, "id"),
])
def test_given_bad_record_when_converted_then_invalid_record_naming_field(
        record: dict[str, Any], field_name: str) -> None:
    with pytest.raises(InvalidRecord) as err:
        to_interaction(record)
    assert err.value.code == "record_invalid"
    assert str(err.value).startswith(field_name)
