"""Run an IVR flow against a caller: play prompts, collect digits, follow branches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ccengine.telephony.ivr.flow import Action, Flow


class CallerMedia(Protocol):
    """What the runner needs from a call (the voice adapter implements it over ARI)."""

    async def play(self, prompts: tuple[str, ...]) -> str | None:
        """Play prompts; return the first digit pressed during them (barge-in), if any."""

    async def get_digit(self, timeout: float) -> str | None:
        """Wait up to ``timeout`` seconds for one digit."""


@dataclass
class IvrResult:
    action: Action
    path: list[str] = field(default_factory=list)  # e.g. ["main:9:invalid", "main:1"]


MAX_MENU_HOPS = 100  # a flow whose menus loop forever still ends


async def run_flow(flow: Flow, media: CallerMedia) -> IvrResult:
    """Walk ``flow`` from its start menu to a terminal action (queue or hangup)."""
    path: list[str] = []
    menu = flow.menus[flow.start]
    invalid = 0
    early: str | None = None  # a digit pressed during the invalid prompt answers the menu
    for _ in range(MAX_MENU_HOPS):
        digit, early = early, None
        if digit is None:
            digit = await media.play(menu.prompt)
        if digit is None:
            digit = await media.get_digit(menu.timeout)
        if digit is None:
            path.append(f"{menu.name}:timeout")
            action = menu.on_timeout
        elif digit in menu.options:
            path.append(f"{menu.name}:{digit}")
            action = menu.options[digit]
        else:
            invalid += 1
            path.append(f"{menu.name}:{digit}:invalid")
            if invalid <= menu.max_invalid:
                early = await media.play(menu.invalid_prompt)
                continue
            action = menu.on_max_invalid
        if action.kind != "menu":
            return IvrResult(action, path)
        menu, invalid = flow.menus[action.target], 0
    return IvrResult(Action("hangup"), [*path, "loop-limit"])
