"""One-line summaries of stored interactions for a customer's timeline: for email and chat
the subject and first message; for voice and callbacks the IVR path, the wait, the talk time
and who hung up. Pure functions of the stored views (no I/O)."""

from __future__ import annotations

from typing import Any, TypedDict

from ccengine.store.records import InteractionView

SNIPPET = 200  # characters of a first message shown in a timeline
SUMMARY = 240


class FirstMessage(TypedDict):
    subject: str | None
    body: str       # at most SNIPPET characters
    sender: str | None
    direction: str
    count: int      # messages in the conversation


def duration(seconds: float) -> str:
    """``seconds`` as "45s", "2m05s" or "1h02m"."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def _between(times: dict[str, float | None], start: str, end: str) -> float | None:
    a, b = times.get(start), times.get(end)
    return round(b - a, 3) if a is not None and b is not None and b >= a else None


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _call_parts(view: InteractionView, details: dict[str, Any]) -> list[str]:
    parts = []
    if details["ivr_path"]:
        parts.append("IVR " + " > ".join(str(p) for p in details["ivr_path"]))
    answered = view["timestamps"].get("answered") is not None
    if answered:
        who = f" by {view['agent_id']}" if view["agent_id"] else ""
        wait = details["wait_seconds"]
        parts.append(f"answered{who}" + (f" after {duration(wait)}" if wait else ""))
        if details["talk_seconds"] is not None:
            parts.append(f"talked {duration(details['talk_seconds'])}")
    elif view["timestamps"].get("ended") is not None:
        waited = _between(view["timestamps"], "queued", "ended")
        parts.append("not answered" + (f", waited {duration(waited)}" if waited else ""))
    if details["hung_up_by"]:
        parts.append(f"{details['hung_up_by']} hung up")
    return parts


def summarise(view: InteractionView,
              first: FirstMessage | None = None) -> tuple[str, dict[str, Any]]:
    """A one-line summary and the details it is made of, for any medium."""
    medium = view["medium"]
    times = view["timestamps"]
    details: dict[str, Any] = {
        "wait_seconds": _between(times, "queued", "answered"),
        "duration_seconds": _between(times, "entered", "ended"),
    }
    if medium in ("email", "chat") or first is not None:
        details.update({"subject": first["subject"] if first else None,
                        "first_message": first["body"] if first else None,
                        "messages": first["count"] if first else 0})
        label = "Email" if medium == "email" else medium.capitalize()
        bits = [b for b in (details["subject"], details["first_message"]) if b]
        text = f"{label}: " + " — ".join(bits) if bits else f"{label} (no message stored)"
        return _clip(text, SUMMARY), details
    details.update({"ivr_path": list(view["ivr_path"]), "hung_up_by": view["hung_up_by"],
                    "talk_seconds": _between(times, "answered", "ended")})
    number = view["from_address"] or "an unknown number"
    head = f"Callback to {number}" if medium == "callback" else \
        f"Call from {number}" if medium == "voice" else f"{medium.capitalize()} from {number}"
    return _clip("; ".join([head, *_call_parts(view, details)]), SUMMARY), details
