"""The JSON frames of chat: what visitors send (parsed and checked here) and what visitors
and agents receive. Message text travels as plain ``text`` plus an escaped ``html``."""

from __future__ import annotations

import json
import re
from typing import Any

from ccengine.channels.chat.text import as_html
from ccengine.core.errors import CoreError
from ccengine.store.messages import MessageView

VISITOR_TYPES = ("message", "end", "callback")
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")   # the whole id (fullmatch)


class BadFrame(CoreError):
    """A visitor frame that is not a JSON object of a known type."""

    code = "bad_frame"


class UnknownFrameType(CoreError):
    code = "unknown_type"


def parse_visitor_frame(data: str) -> tuple[str, dict[str, Any]]:
    """(type, frame) of a visitor's text frame; BadFrame / UnknownFrameType otherwise."""
    try:
        frame = json.loads(data)
    except ValueError as e:
        raise BadFrame(f"frame is not JSON: {e}") from e
    except RecursionError as e:   # "[[[[..." deeper than the parser goes
        raise BadFrame("frame is not JSON: nested too deeply") from e
    if not isinstance(frame, dict):
        raise BadFrame("frame must be a JSON object with a \"type\"")
    kind = frame.get("type")
    if kind not in VISITOR_TYPES:
        raise UnknownFrameType(f"unknown frame type {kind!r}; known: "
                               f"{', '.join(VISITOR_TYPES)}")
    client_id = frame.get("client_id")
    if client_id is not None and (not isinstance(client_id, str)
                                  or not CLIENT_ID.fullmatch(client_id)):
        raise BadFrame("client_id must be 1-64 letters, digits or _ . : -")
    return kind, frame


def message_payload(m: MessageView) -> dict[str, Any]:
    """A stored chat message as visitors and agents receive it."""
    return {"id": m["id"], "interaction_id": m["interaction_id"],
            "from": "visitor" if m["direction"] == "in" else "agent",
            "direction": m["direction"], "sender": m["sender"], "text": m["body"],
            "html": as_html(m["body"]), "client_id": m["meta"].get("client_id"),
            "at": m["created_at"]}


def error_frame(code: str, message: str, client_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "error": code, "message": message}
    if client_id is not None:
        frame["client_id"] = client_id
    return frame
