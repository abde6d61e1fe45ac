"""Shared pieces of the IVR unit tests: a private sounds tree, a flow with every
construct, a scripted caller and scripted services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccengine.telephony.ivr.flow import load_flow
from ccengine.telephony.ivr.lookups import HttpAnswer, HttpRequest
from ccengine.telephony.ivr.model import Flow
from ccengine.telephony.ivr.runner import IntentAnswer

QUEUES = {"sales", "support"}
EXTENSIONS = {"alice", "reception"}
URLS = {"crm": "http://127.0.0.1:9"}
PACKAGED = ("hello", "pm-invalid-option", "vm-press", "digits/1", "digits/2", "vm-goodbye",
            "vm-youhave", "vm-password", "auth-thankyou", "queue-thankyou")


def make_sounds(root: Path, languages: tuple[str, ...] = ("en", "fr")) -> tuple[Path, Path]:
    """(packaged, custom) sound dirs with empty .gsm files for the test prompts."""
    packaged, custom = root / "sounds", root / "prompts"
    for language in languages:
        for name in PACKAGED:
            touch(packaged / language / f"{name}.gsm")
        touch(custom / language / "welcome.wav")
    return packaged, custom


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


RICH = """\
start: lang
languages: {en: null, fr: {skills: {french: 2}}}
menus:
  lang:
    prompt: [welcome]
    timeout: 3
    options:
      "1": {action: language, language: en, then: {action: hours, hours: office}}
      "2": {action: language, language: fr, then: {action: hours, hours: office}}
    on_timeout: {action: hours, hours: office}
    on_max_invalid: {action: hangup, prompt: [vm-goodbye]}
  main:
    prompt: [hello]
    options:
      "1": {action: input, input: account}
      "2": {action: queue, queue: sales, priority: 3, skills: {sales: 4}}
      "0": {action: transfer, extension: alice, timeout: 5, prompt: [hello],
            on_failure: {action: queue, queue: support}}
    on_timeout: {action: queue, queue: sales}
    on_max_invalid: {action: queue, queue: support}
hours:
  office:
    timezone: Europe/Paris
    open: {mon: ["09:00-17:00"], tue: ["09:00-17:00"]}
    holidays: ["2030-01-01"]
    on_open: {action: menu, menu: main}
    on_closed: {action: hangup, prompt: [vm-goodbye]}
    on_holiday: {action: queue, queue: support}
inputs:
  account:
    prompt: [vm-password]
    min_digits: 6
    max_digits: 8
    digit_timeout: 2
    then: {action: input, input: pin}
    on_timeout: {action: menu, menu: main}
    on_max_invalid: {action: queue, queue: support}
  pin:
    prompt: [vm-password]
    max_digits: 4
    min_digits: 4
    terminator: null
    pattern: "[0-9]{4}"
    sensitive: true
    then: {action: lookup, lookup: verify}
    on_timeout: {action: menu, menu: main}
    on_max_invalid: {action: queue, queue: support}
lookups:
  verify:
    method: POST
    url: "{{ urls.crm }}/accounts/{{ vars.account | urlencode }}/verify"
    body: {caller: "{{ caller }}", pin: "{{ vars.pin }}", n: 1}
    timeout: 2
    save: {tier: customer.tier}
    branch:
      field: status
      cases:
        active: {action: lookup, lookup: balance}
        blocked: {action: queue, queue: support, priority: 9}
    on_failure: {action: queue, queue: support}
  balance:
    url: "{{ urls.crm }}/accounts/{{ vars.account }}/balance?tier={{ vars.tier }}"
    say:
      - prompt: [vm-youhave]
      - number: balance
      - digits: reference
      - prompt_by: trend
        prompts: {up: [auth-thankyou], down: [queue-thankyou]}
    then: {action: menu, menu: main}
    on_failure: {action: queue, queue: support}
"""


def load(tmp_path: Path, text: str = RICH, **kw: Any) -> Flow:
    packaged, custom = make_sounds(tmp_path)
    path = tmp_path / "flow.yaml"
    path.write_text(text)
    args: dict[str, Any] = {"sounds_dir": packaged, "queues": QUEUES,
                            "custom_sounds": custom, "extensions": EXTENSIONS, "urls": URLS}
    args.update(kw)
    return load_flow(path, **args)


class Caller:
    """A caller pressing ``presses`` in order: each get_digit takes the next (None: a
    pause). ``barge`` maps a prompt to the digit pressed while it plays."""

    def __init__(self, presses: list[str | None], barge: dict[str, str] | None = None
                 ) -> None:
        self.presses = list(presses)
        self.barge = dict(barge or {})
        self.played: list[tuple[tuple[str, ...], str | None]] = []

    async def play(self, prompts: tuple[str, ...], language: str | None = None
                   ) -> str | None:
        self.played.append((prompts, language))
        for p in prompts:
            if p in self.barge:
                return self.barge.pop(p)
        return None

    async def get_digit(self, timeout: float) -> str | None:
        return self.presses.pop(0) if self.presses else None


class Services:
    """Scripted outside world: fixed clock, HTTP answers in order, transfer outcomes, the
    caller's recent intents in order."""

    def __init__(self, now: float = 0.0, answers: list[HttpAnswer] | None = None,
                 transfers: list[str] | None = None,
                 intents: list[IntentAnswer] | None = None) -> None:
        self.clock = now
        self.answers = list(answers or [])
        self.transfers = list(transfers or [])
        self.intents = list(intents or [])
        self.requests: list[HttpRequest] = []
        self.dialled: list[tuple[str, float]] = []
        self.intent_windows: list[float] = []

    def now(self) -> float:
        return self.clock

    async def http(self, request: HttpRequest) -> HttpAnswer:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else HttpAnswer("unreachable")

    async def transfer(self, extension: str, timeout: float) -> str:
        self.dialled.append((extension, timeout))
        return self.transfers.pop(0) if self.transfers else "unavailable"

    async def recent_intent(self, within: float) -> IntentAnswer:
        self.intent_windows.append(within)
        return self.intents.pop(0) if self.intents else IntentAnswer("none")
