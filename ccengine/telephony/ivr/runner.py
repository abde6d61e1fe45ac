"""Run an IVR flow against a caller: play prompts, collect digits, call lookups, check
hours and the caller's recent intent, follow branches, until an action ends the IVR (queue,
hangup, an answered transfer, or a kind another part carries out).

The runner knows no telephony: the caller is a ``CallerMedia`` and the outside world
(clock, HTTP, dialling an extension, the customer's records) an ``IvrServices``; every
step is told to the session's ``on_step`` so the voice channel records it on the
interaction as it happens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ccengine.telephony.ivr.lookups import (
    HttpAnswer,
    HttpRequest,
    LookupFailed,
    field_value,
    next_action,
    render_request,
    say_media,
    text_of,
)
from ccengine.telephony.ivr.model import (
    Action,
    Flow,
    HoursCheck,
    Input,
    Lookup,
    Menu,
    RecentIntentCheck,
)

MAX_MENU_HOPS = 100  # a flow whose nodes loop forever still ends
TRANSFER_ANSWERED = "answered"


class CallerMedia(Protocol):
    """What the runner needs from a call (the voice adapter implements it over ARI)."""

    async def play(self, prompts: tuple[str, ...], language: str | None = None
                   ) -> str | None:
        """Play sound names / media URIs; return the first digit pressed during them."""

    async def get_digit(self, timeout: float) -> str | None:
        """Wait up to ``timeout`` seconds for one digit."""


@dataclass(frozen=True)
class IntentAnswer:
    """The caller's newest recent intent (outcome ``found``), or why there is none:
    ``none`` (nothing recent), ``unknown_caller`` (no customer record) or ``unavailable``
    (the store failed or was too slow)."""

    outcome: str
    name: str = ""
    confidence: float | None = None
    medium: str = ""                # of the work it was read from
    interaction_id: str = ""        # that work


class IvrServices(Protocol):
    """The outside world as the runner sees it."""

    def now(self) -> float:
        """UNIX time (business hours are checked against it)."""

    async def http(self, request: HttpRequest) -> HttpAnswer:
        """Send a lookup's request; never raises (failures are outcomes)."""

    async def transfer(self, extension: str, timeout: float) -> str:
        """Ring ``extension`` and bridge it with the caller: "answered", or why not
        (no_answer, busy, unavailable)."""

    async def recent_intent(self, within: float) -> IntentAnswer:
        """The caller's customer's newest intent of the last ``within`` seconds, on any
        medium; never raises (failures are outcomes)."""


class NoServices:
    """Services of a runner with no network or telephony: lookups and transfers fail."""

    def now(self) -> float:
        return time.time()

    async def http(self, request: HttpRequest) -> HttpAnswer:
        return HttpAnswer("unavailable")

    async def transfer(self, extension: str, timeout: float) -> str:
        return "unavailable"

    async def recent_intent(self, within: float) -> IntentAnswer:
        return IntentAnswer("unavailable")


StepListener = Callable[[str | None, dict[str, Any]], None]


def mask(value: str) -> str:
    return "*" * len(value)


@dataclass
class IvrSession:
    """One caller's pass through a flow: who, the language, the variables, the path."""

    caller: str = ""
    service_number: str = ""
    interaction_id: str = ""
    language: str = ""
    variables: dict[str, str] = field(default_factory=dict)   # real values (lookups)
    sensitive: frozenset[str] = frozenset()
    path: list[str] = field(default_factory=list)  # e.g. ["main:9:invalid", "main:1"]
    # the intent a recent-intent check branched on: {"name", "confidence",
    # "from_interaction", "from_medium"} (None: none did)
    intent: dict[str, Any] | None = None
    # told of every step: an event kind to record (None: the path only changed) and data
    on_step: StepListener | None = None

    def shown(self) -> dict[str, str]:
        """The variables as records and screen pops show them (sensitive ones masked)."""
        return {k: mask(v) if k in self.sensitive else v for k, v in self.variables.items()}

    def attributes(self) -> dict[str, Any]:
        """The interaction attributes that carry the IVR's outcome so far (with ``intent``
        once a recent-intent check branched on one)."""
        out: dict[str, Any] = {"ivr_path": list(self.path), "ivr_language": self.language,
                               "ivr_vars": self.shown()}
        if self.intent is not None:
            out["intent"] = dict(self.intent)
        return out


@dataclass
class IvrResult:
    action: Action
    path: list[str] = field(default_factory=list)
    language: str = ""
    variables: dict[str, str] = field(default_factory=dict)   # as shown (masked)
    skills: dict[str, int] = field(default_factory=dict)      # queue: action + language


async def run_flow(flow: Flow, media: CallerMedia, services: IvrServices | None = None,
                   session: IvrSession | None = None) -> IvrResult:
    """Walk ``flow`` from its start node to an action that ends the IVR."""
    return await _Run(flow, media, services or NoServices(), session or IvrSession()).run()


class _Run:
    def __init__(self, flow: Flow, media: CallerMedia, services: IvrServices,
                 session: IvrSession) -> None:
        self.flow, self.media, self.services, self.session = flow, media, services, session
        if session.language not in flow.languages:
            session.language = flow.languages[0]
        session.sensitive = session.sensitive | flow.sensitive
        self.pending: str | None = None  # a digit pressed during the last prompt

    async def run(self) -> IvrResult:
        start = self.flow.start
        action = Action(self.flow.kind_of(start), start)
        for _ in range(MAX_MENU_HOPS):
            kind = action.kind
            if kind == "menu":
                action = await self.menu(self.flow.menus[action.target])
            elif kind == "input":
                action = await self.input(self.flow.inputs[action.target])
            elif kind == "lookup":
                action = await self.lookup(self.flow.lookups[action.target])
            elif kind == "hours":
                action = self.hours(self.flow.hours[action.target])
            elif kind == "recent_intent":
                action = await self.recent_intent(self.flow.recent_intents[action.target])
            elif kind == "language":
                self.session.language = action.target
                self.step("ivr_language", f"language:{action.target}",
                          language=action.target)
                action = action.then or Action("hangup")
            elif kind == "transfer":
                await self.play(action.prompt)
                outcome = await self.services.transfer(action.target, action.timeout)
                self.step("ivr_transfer", f"transfer:{action.target}:{outcome}",
                          extension=action.target, outcome=outcome)
                if outcome == TRANSFER_ANSWERED:
                    return self.result(action)
                action = action.on_failure or Action("hangup")
            elif kind == "hangup":
                await self.play(action.prompt)
                return self.result(action)
            else:  # queue, and kinds another part carries out (voicemail, callback, ...)
                return self.result(action)
        self.step(None, "loop-limit")
        return self.result(Action("hangup"))

    def result(self, action: Action) -> IvrResult:
        skills = dict(action.skills)
        for name, level in self.flow.language_skills.get(self.session.language, {}).items():
            skills[name] = max(level, skills.get(name, 0))
        return IvrResult(action, list(self.session.path), self.session.language,
                         self.session.shown(), skills)

    def step(self, kind: str | None, entry: str, **data: Any) -> None:
        self.session.path.append(entry)
        if self.session.on_step is not None:
            self.session.on_step(kind, data)

    async def play(self, prompts: tuple[str, ...]) -> str | None:
        if not prompts:
            return None
        language = self.session.language
        return await self.media.play(self.flow.media_of(prompts, language), language)

    def take_pending(self) -> str | None:
        digit, self.pending = self.pending, None
        return digit

    # ------------------------------------------------------------------ nodes
    async def menu(self, menu: Menu) -> Action:
        invalid = 0
        while True:
            digit = self.take_pending() or await self.play(menu.prompt)
            if digit is None:
                digit = await self.media.get_digit(menu.timeout)
            if digit is None:
                self.step(None, f"{menu.name}:timeout")
                return menu.on_timeout
            if digit in menu.options:
                self.step(None, f"{menu.name}:{digit}")
                return menu.options[digit]
            invalid += 1
            self.step(None, f"{menu.name}:{digit}:invalid")
            if invalid > menu.max_invalid:
                return menu.on_max_invalid
            self.pending = await self.play(menu.invalid_prompt)

    async def input(self, node: Input) -> Action:
        invalid = 0
        while True:
            digit = self.take_pending() or await self.play(node.prompt)
            if digit is None:
                digit = await self.media.get_digit(node.timeout)
            if digit is None:
                self.step("ivr_input", f"{node.name}:timeout", node=node.name,
                          variable=node.variable, outcome="timeout")
                return node.on_timeout
            value = await self._digits(node, digit)
            shown = mask(value) if node.sensitive else value
            if node.accepts(value):
                self.session.variables[node.variable] = value
                self.step("ivr_input", f"{node.name}:{shown}", node=node.name,
                          variable=node.variable, value=shown, outcome="valid")
                return node.then
            invalid += 1
            self.step("ivr_input", f"{node.name}:{shown}:invalid", node=node.name,
                      variable=node.variable, value=shown, outcome="invalid")
            if invalid > node.max_invalid:
                return node.on_max_invalid
            self.pending = await self.play(node.invalid_prompt)

    async def _digits(self, node: Input, digit: str | None) -> str:
        """Digits from ``digit`` on, until the terminator, the maximum or a pause."""
        value = ""
        while digit is not None and digit != node.terminator:
            value += digit
            if len(value) >= node.max_digits:
                break
            digit = await self.media.get_digit(node.digit_timeout)
        return value

    async def lookup(self, node: Lookup) -> Action:
        s = self.session
        context: Mapping[str, Any] = {
            "caller": s.caller, "service_number": s.service_number, "language": s.language,
            "interaction_id": s.interaction_id, "vars": dict(s.variables),
            "urls": dict(self.flow.urls)}
        try:
            answer = await self.services.http(render_request(node, context))
            if answer.outcome != "ok":
                raise LookupFailed(answer.outcome)
            saved = {v: text_of(field_value(answer.data, f)) for v, f in node.save.items()}
            speech = say_media(node.say, answer.data)
            action, value = next_action(node, answer.data)
        except LookupFailed as e:
            self.step("ivr_lookup", f"{node.name}:{e.outcome}", node=node.name,
                      outcome=e.outcome, detail=e.detail[:200])
            return node.on_failure
        s.variables.update(saved)
        entry = f"{node.name}:ok" if value is None else f"{node.name}:ok:{value}"
        self.step("ivr_lookup", entry, node=node.name, outcome="ok", branch=value,
                  saved={k: s.shown()[k] for k in saved})
        if speech:
            self.pending = await self.play(speech)
        return action

    def hours(self, node: HoursCheck) -> Action:
        now = self.services.now()
        if node.hours.is_holiday(now):
            state, action = "holiday", node.on_holiday
        elif node.hours.is_open(now):
            state, action = "open", node.on_open
        else:
            state, action = "closed", node.on_closed
        self.step("ivr_hours", f"{node.name}:{state}", node=node.name, state=state,
                  timezone=node.hours.timezone)
        return action

    async def recent_intent(self, node: RecentIntentCheck) -> Action:
        """The case of the caller's newest recent intent; ``otherwise`` when there is no
        customer, no recent intent, no case for it, or the store cannot say."""
        answer = await self.services.recent_intent(node.within)
        action = node.intents.get(answer.name) if answer.outcome == "found" else None
        if action is not None:
            outcome, entry = "matched", f"{node.name}:{answer.name}"
            # an agent's label has no classifier's confidence: it is certain
            confidence = 1.0 if answer.confidence is None else answer.confidence
            self.session.intent = {"name": answer.name, "confidence": confidence,
                                   "from_interaction": answer.interaction_id,
                                   "from_medium": answer.medium}
        else:
            outcome = "not_listed" if answer.outcome == "found" else answer.outcome
            entry, action = f"{node.name}:otherwise:{outcome}", node.otherwise
        self.step("ivr_recent_intent", entry, node=node.name, outcome=outcome,
                  intent=answer.name or None, from_interaction=answer.interaction_id or None,
                  medium=answer.medium or None)
        return action
