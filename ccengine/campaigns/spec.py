"""A campaign's definition, checked (docs/campaigns.md, "Campaigns"): its steps in order
(email from a template, then calls if there is no response, ...), the queue whose agents
take its calls, the frequency cap and the dialer's settings. Pure: the names it may refer
to (queues, templates, trunks) are given; every problem names the key, e.g.
``steps[1].attempts: must be a whole number from 1 to 10``."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

CHANNELS = ("email", "phone")
PURPOSES = ("marketing", "service")
MODES = ("preview", "progressive", "predictive")
# what a wrap-up disposition of a campaign call does next (docs/campaigns.md, "Dispositions")
ACTIONS = ("done", "do_not_call", "callback", "retry")
WINDOWS = ("24h", "30d")
MAX_STEPS = 10
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


class BadCampaign(ValueError):
    """A definition that cannot run; ``key`` names where."""

    code = "bad_campaign"

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key}: {message}")


@dataclass(frozen=True)
class Step:
    channel: str                 # email | phone
    after_hours: float = 0.0     # after the previous step (the first: after the start)
    template: str | None = None  # email: the template's name
    attempts: int = 3            # phone: calls at most (no answer, busy)
    retry_minutes: float = 60.0  # phone: between attempts


@dataclass(frozen=True)
class Dialer:
    mode: str = "progressive"
    max_dial_ratio: float = 3.0
    abandon_limit: float = 0.03
    ring_seconds: float = 25.0         # an unanswered call rings at least 15 s
    abandon_lockout_hours: float = 72.0
    abandon_seconds: float = 2.0       # a live answer with no agent within this: abandoned
    window: str = "24h"                # the abandon rate's rolling window: 24h or 30d


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    queue: str
    steps: tuple[Step, ...]
    purpose: str = "marketing"
    cap_contacts: int = 3              # contacts per customer across every campaign ...
    cap_days: float = 7.0              # ... within this many days
    dialer: Dialer = field(default_factory=Dialer)
    trunk: str | None = None
    # a disposition agents choose in wrap-up -> what follows (ACTIONS); without one, an
    # answered call completes the customer's campaign
    dispositions: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["steps"] = [{k: v for k, v in asdict(s).items() if v is not None}
                        for s in self.steps]
        out["dispositions"] = dict(self.dispositions)
        return out


class _Reader:
    def __init__(self, data: Any, where: str, allowed: Collection[str]) -> None:
        if not isinstance(data, Mapping):
            raise BadCampaign(where or "(campaign)", "must be an object")
        unknown = sorted(str(k) for k in data if k not in allowed)
        if unknown:
            raise BadCampaign(self._key(where, unknown[0]),
                              f"unknown key (known: {', '.join(sorted(allowed))})")
        self.data, self.where = data, where

    @staticmethod
    def _key(where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def error(self, key: str, message: str) -> BadCampaign:
        return BadCampaign(self._key(self.where, key), message)

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.data.get(key, default)
        if (not isinstance(value, int | float) or isinstance(value, bool)
                or not low <= value <= high):
            raise self.error(key, f"must be a number from {low:g} to {high:g}")
        return float(value)

    def integer(self, key: str, default: int, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise self.error(key, f"must be a whole number from {low} to {high}")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key, default)
        if value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}")
        return str(value)

    def name(self, key: str, known: Collection[str] | None, what: str,
             required: bool = True) -> str | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise self.error(key, f"is required: the name of a {what}")
        if known is not None and value not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise self.error(key, f"no {what} {value!r} (known: {listed})")
        return value


def parse_spec(data: Any, *, queues: Collection[str], templates: Collection[str],
               trunks: Collection[str], call_queues: Collection[str] | None = None,
               dispositions: Callable[[str], Collection[str] | None] | None = None,
               abandon_message: bool = True,
               voice_queues: Collection[str] | None = None) -> CampaignSpec:
    """The definition (as the API receives it) checked; BadCampaign names the key.
    ``call_queues``: the queues that take the engine's own calls (callbacks), which a
    campaign with a phone step needs (None: not checked). ``dispositions``: those agents
    may choose for a queue's work (None: any short text). ``abandon_message``: whether
    one is configured, which predictive dialling needs. ``voice_queues``: the queues that
    take calls, which a predictive campaign's queue must be (None: not checked)."""
    r = _Reader(data, "", ("name", "queue", "purpose", "steps", "frequency_cap", "dialer",
                           "trunk", "dispositions"))
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise r.error("name", "is required: lower-case letters, digits, '_', '.', '-' (up "
                              "to 100, starting with a letter or digit)")
    queue = r.name("queue", queues, "queue")
    steps_data = data.get("steps")
    if not isinstance(steps_data, list) or not 1 <= len(steps_data) <= MAX_STEPS:
        raise r.error("steps", f"must be a list of 1 to {MAX_STEPS} steps")
    steps = tuple(_step(s, f"steps[{i}]", templates) for i, s in enumerate(steps_data))
    cap = _Reader(data.get("frequency_cap", {}), "frequency_cap", ("contacts", "days"))
    dialer = _Reader(data.get("dialer", {}), "dialer",
                     ("mode", "max_dial_ratio", "abandon_limit", "ring_seconds",
                      "abandon_lockout_hours", "abandon_seconds", "window"))
    mode = _mode(dialer, abandon_message)
    phoned = any(s.channel == "phone" for s in steps)
    if (call_queues is not None and queue not in call_queues and phoned
            and mode != "predictive"):
        raise r.error("queue", f"queue {queue!r} takes no callbacks: a phone step's calls "
                               "are the engine's own (add callback to the queue's media)")
    if voice_queues is not None and queue not in voice_queues and phoned \
            and mode == "predictive":
        raise r.error("queue", f"queue {queue!r} takes no calls: a predictive campaign's "
                               "answered calls wait in it (add voice to its media)")
    trunk = r.name("trunk", trunks, "trunk", required=False)
    if trunk is None and any(s.channel == "phone" for s in steps) and not trunks:
        raise r.error("trunk", "a phone step needs a trunk, and none is configured")
    return CampaignSpec(
        name=name, queue=str(queue), steps=steps,
        purpose=r.choice("purpose", PURPOSES, "marketing"),
        cap_contacts=cap.integer("contacts", 3, 1, 100),
        cap_days=cap.number("days", 7.0, 0.01, 365.0),
        dialer=Dialer(mode=mode,
                      max_dial_ratio=dialer.number("max_dial_ratio", 3.0, 1.0, 5.0),
                      abandon_limit=dialer.number("abandon_limit", 0.03, 0.0, 0.1),
                      ring_seconds=dialer.number("ring_seconds", 25.0, 15.0, 120.0),
                      abandon_lockout_hours=dialer.number("abandon_lockout_hours", 72.0,
                                                          0.0, 720.0),
                      abandon_seconds=dialer.number("abandon_seconds", 2.0, 0.0, 10.0),
                      window=dialer.choice("window", WINDOWS, "24h")),
        trunk=trunk,
        dispositions=_dispositions(data.get("dispositions", {}),
                                   dispositions(str(queue)) if dispositions else None))


def _dispositions(data: Any, allowed: Collection[str] | None) -> dict[str, str]:
    """``{disposition: action}``; each a disposition agents can choose for the queue."""
    if not isinstance(data, Mapping):
        raise BadCampaign("dispositions", "must map dispositions to what follows: "
                                          + ", ".join(ACTIONS))
    out = {}
    for name, action in data.items():
        key = f"dispositions.{name}"
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise BadCampaign("dispositions", "names must be texts of 1-100 characters")
        if allowed is not None and name not in allowed:
            raise BadCampaign(key, "is not a disposition of the campaign's queue (known: "
                                   f"{', '.join(allowed)})")
        if action not in ACTIONS:
            raise BadCampaign(key, f"must be one of {', '.join(ACTIONS)}")
        out[name] = str(action)
    return out


def _mode(dialer: _Reader, abandon_message: bool) -> str:
    mode = dialer.choice("mode", MODES, "progressive")
    if mode == "predictive" and not abandon_message:
        raise dialer.error("mode", "predictive dialling needs campaigns.abandon_message in "
                                   "the engine config: a short recording naming the "
                                   "company, played to a person who answers and gets no "
                                   "agent in time")
    return mode


def _step(data: Any, where: str, templates: Collection[str]) -> Step:
    r = _Reader(data, where, ("channel", "after_hours", "template", "attempts",
                              "retry_minutes"))
    channel = r.choice("channel", CHANNELS, "")
    after = r.number("after_hours", 0.0, 0.0, 24.0 * 90)
    if channel == "email":
        for key in ("attempts", "retry_minutes"):
            if key in data:
                raise r.error(key, "is for phone steps")
        return Step("email", after, template=r.name("template", templates, "template"))
    if "template" in data:
        raise r.error("template", "is for email steps")
    return Step("phone", after, attempts=r.integer("attempts", 3, 1, 10),
                retry_minutes=r.number("retry_minutes", 60.0, 0.05, 24.0 * 60))
