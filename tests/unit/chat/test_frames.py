"""Visitor frames are parsed strictly; what agents and visitors receive is plain text plus
an inert HTML copy; the widget never builds HTML from text."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.channels.chat.frames import (
    BadFrame,
    UnknownFrameType,
    message_payload,
    parse_visitor_frame,
)

WIDGET = Path(__file__).resolve().parents[3] / "agents" / "widget" / "chat-widget.js"


def test_given_known_frames_then_parsed() -> None:
    assert parse_visitor_frame('{"type": "message", "text": "hi", "client_id": "a-1"}') == (
        "message", {"type": "message", "text": "hi", "client_id": "a-1"})
    assert parse_visitor_frame('{"type": "end"}')[0] == "end"


@pytest.mark.parametrize(("data", "error"), [
    ("", BadFrame), ("nope", BadFrame), ("[]", BadFrame), ('"text"', BadFrame),
    ('{"text": "no type"}', UnknownFrameType), ('{"type": "hello"}', UnknownFrameType),
    ('{"type": "message", "client_id": 5}', BadFrame),
    ('{"type": "message", "client_id": "' + "x" * 65 + '"}', BadFrame),
])
def test_given_bad_frames_then_refused(data: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_visitor_frame(data)


def test_given_stored_message_then_payload_has_text_and_inert_html() -> None:
    payload = message_payload({
        "id": 7, "medium": "chat", "direction": "in", "external_id": "c:1",
        "interaction_id": "c", "thread_key": None, "sender": "Ann", "recipients": [],
        "subject": None, "body": "<i>hi</i>", "meta": {"client_id": "1"}, "state": "received",
        "error": None, "created_at": 5.0})
    assert payload == {"id": 7, "interaction_id": "c", "from": "visitor", "direction": "in",
                       "sender": "Ann", "text": "<i>hi</i>", "html": "&lt;i&gt;hi&lt;/i&gt;",
                       "client_id": "1", "at": 5.0}


def test_given_widget_source_then_no_html_sinks() -> None:
    source = WIDGET.read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                 "new Function"):
        assert sink not in source, sink
    assert "textContent" in source
