"""One-line summaries of interactions of every medium for the customer timeline."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.store.summaries import FirstMessage, duration, summarise


def view(medium: str, **over: Any) -> Any:
    times = {"entered": 100.0, "ivr_done": 104.0, "queued": 104.0, "offered": 110.0,
             "answered": 112.0, "ended": 237.0}
    times.update(over.pop("times", {}))
    return {"id": "i1", "medium": medium, "queue": "sales", "agent_id": "alice",
            "from_address": "+447700900123", "hung_up_by": "agent",
            "ivr_path": ["main:7:invalid", "main:1"], "timestamps": times, **over}


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (45.4, "45s"), (125, "2m05s"),
                                               (3720, "1h02m"), (-3, "0s")])
def test_given_seconds_when_formatted_then_compact(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_given_answered_call_when_summarised_then_path_wait_talk_and_who_hung_up() -> None:
    summary, details = summarise(view("voice"))
    assert summary == ("Call from +447700900123; IVR main:7:invalid > main:1; answered by "
                       "alice after 8s; talked 2m05s; agent hung up")
    assert details == {"wait_seconds": 8.0, "duration_seconds": 137.0,
                       "ivr_path": ["main:7:invalid", "main:1"], "hung_up_by": "agent",
                       "talk_seconds": 125.0}


def test_given_abandoned_call_when_summarised_then_wait_and_caller() -> None:
    summary, details = summarise(view("voice", agent_id=None, hung_up_by="caller",
                                      from_address=None, ivr_path=[],
                                      times={"offered": None, "answered": None}))
    assert summary == "Call from an unknown number; not answered, waited 2m13s; caller hung up"
    assert details["talk_seconds"] is None and details["wait_seconds"] is None


def test_given_callback_when_summarised_then_number_called() -> None:
    summary, _ = summarise(view("callback", ivr_path=[]))
    assert summary.startswith("Callback to +447700900123; answered by alice")


def test_given_email_with_messages_when_summarised_then_subject_and_first_message() -> None:
    first: FirstMessage = {"subject": "Parcel missing", "body": "Hello,\n\nwhere is it?",
                           "sender": "jane@example.org", "direction": "in", "count": 3}
    summary, details = summarise(view("email"), first)
    assert summary == "Email: Parcel missing — Hello, where is it?"
    assert details["subject"] == "Parcel missing"
    assert details["first_message"] == "Hello,\n\nwhere is it?"  # as stored
    assert details["messages"] == 3


def test_given_chat_without_stored_messages_when_summarised_then_said_so() -> None:
    summary, details = summarise(view("chat"))
    assert summary == "Chat (no message stored)"
    assert details["messages"] == 0


def test_given_long_first_message_when_summarised_then_clipped() -> None:
    first: FirstMessage = {"subject": None, "body": "word " * 100, "sender": None,
                           "direction": "in", "count": 1}
    summary, _ = summarise(view("chat"), first)
    assert len(summary) == 240 and summary.endswith("…")
