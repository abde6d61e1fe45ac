"""Wiring of trunks, outbound calls and callbacks into a starting engine."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import fields, is_dataclass
from typing import TYPE_CHECKING, Any

from ccengine.config import ConfigError
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.customers import CustomerContext
from ccengine.store.callbacks import CallbackRepository
from ccengine.telephony.ivr.flow import SECTIONS, Action, Flow
from ccengine.telephony.outbound.callbacks import CallbackChannel
from ccengine.telephony.outbound.calls import OutboundCalls
from ccengine.telephony.outbound.ivr_callback import IvrCallback
from ccengine.telephony.outbound.registrations import TrunkStatus
from ccengine.telephony.outbound.requests import CallbackRequests
from ccengine.telephony.outbound.scheduler import CallbackScheduler
from ccengine.telephony.outbound.settings import Settings

if TYPE_CHECKING:
    from ccengine.engine import Engine

log = logging.getLogger(__name__)


def callback_actions(flows: Mapping[str, Flow]) -> list[tuple[str, Action]]:
    """(where, action) of every IVR ``callback`` action, in any node of any flow."""
    out: list[tuple[str, Action]] = []
    for flow in flows.values():
        for section in SECTIONS:    # every kind of node (menus, ..., recent_intents)
            for name, node in getattr(flow, section).items():
                for where, action in _actions(node, f"{section}.{name}"):
                    if action.kind == "callback":
                        out.append((f"{flow.source}: {where}", action))
    return out


def _actions(value: object, where: str) -> Iterator[tuple[str, Action]]:
    """Every action reachable from a node (options, branches, then/on_failure chains)."""
    if isinstance(value, Action):
        yield where, value
        for name in ("then", "on_failure"):
            nested = getattr(value, name)
            if nested is not None:
                yield from _actions(nested, f"{where}.{name}")
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            yield from _actions(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _actions(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _actions(item, f"{where}[{i}]")


def check_callback_setup(flows: Mapping[str, Flow], queues: Mapping[str, QueueConfig],
                         agents: Mapping[str, AgentProfile], settings: Settings) -> None:
    """IVR callback actions need the outbound trunk and a queue that takes callbacks."""
    for where, action in callback_actions(flows):
        if settings.outbound is None:
            raise ConfigError(where, "action", "callback needs an outbound trunk "
                                               "(outbound: in the engine config)")
        queue = queues[action.target]
        if Medium.CALLBACK not in queue.media:
            raise ConfigError(where, "queue", f"queue {queue.name!r} takes no callbacks: add "
                                              "callback to its media")
    for queue in queues.values():
        if Medium.CALLBACK in queue.media and settings.outbound is not None and not any(
                a.capacity.get(Medium.CALLBACK, 0) > 0 and a.has_skills(queue.required_skills)
                for a in agents.values()):
            log.warning("queue %s takes callbacks but no agent with its skills has callback "
                        "capacity (agents: capacity: {callback: 1})", queue.name)


def check_waiting_callbacks(waiting: Mapping[str, Any], queues: Mapping[str, QueueConfig],
                            source: str) -> None:
    """A waiting room's ``callback`` key (or maximum wait) needs a queue that takes
    callbacks (the one named, else the queue the caller waits for)."""
    for name, config in waiting.items():
        actions = [(f"keys.{k}", a) for k, a in config.keys.items()]
        if config.on_max_wait is not None:
            actions.append(("on_max_wait", config.on_max_wait))
        for where, action in actions:
            target = queues.get(action.queue or name)
            if action.kind == "callback" and target is not None \
                    and Medium.CALLBACK not in target.media:
                raise ConfigError(source, f"waiting.{name}.{where}",
                                  f"queue {target.name!r} takes no callbacks: add callback "
                                  "to its media")


async def start_outbound(engine: Engine, settings: Settings
                         ) -> Callable[[], Awaitable[None]] | None:
    """Outbound calls, the transfers' dialler, the callback channel, the IVR callback
    action, the callback scheduler and their API routes; returns what stops them."""
    from ccengine.api.outbound import OutboundApi, add_routes
    voice, dispatcher = engine.voice, engine.dispatcher
    if voice is None or dispatcher is None or engine.recorder is None \
            or engine.customers is None or engine.db is None:
        raise RuntimeError("the outbound part starts after voice, dispatcher and store")
    status = TrunkStatus(engine.ami, settings.trunks)
    if settings.outbound is None:
        engine.api_routes.append(lambda app: add_routes(app, OutboundApi(
            None, None, status, time.time)))
        return None
    check_waiting_callbacks(getattr(engine, "waiting", None) or {}, engine.queues,
                            engine.config.source)
    link = CustomerContext(engine.customers).link
    calls = OutboundCalls(voice, dispatcher, settings.outbound, link=link,
                          persist=engine.recorder.save, clock=time.time)
    if engine.transfers is not None:
        engine.transfers.dial_number = calls.dial_number
    repo = CallbackRepository(engine.db)
    requests = CallbackRequests(repo, engine.recorder, dispatcher, settings.outbound.policy,
                                link=link, clock=time.time)
    dispatcher.register_channel(CallbackChannel(voice, dispatcher, calls, requests,
                                                settings.callbacks, clock=time.time))
    voice.ivr_actions["callback"] = IvrCallback(voice, dispatcher, requests,
                                                settings.callbacks, clock=time.time)
    scheduler = CallbackScheduler(repo, requests, dispatcher, clock=time.time,
                                  poll_seconds=settings.callbacks.poll_seconds)
    await scheduler.start()
    engine.outbound = calls
    engine.callback_requests = requests
    channel = dispatcher.channel(Medium.CALLBACK)
    ivr_callback = voice.ivr_actions["callback"]

    def reconfigure(new: Any) -> None:
        """A reload: trunks, the dialling policy and callback settings for what comes
        next (whether outbound calling exists at all changes at a start only)."""
        parts: Settings = new.outbound
        if parts.outbound is None:
            return
        calls.settings, calls.policy = parts.outbound, parts.outbound.policy
        requests.policy = parts.outbound.policy
        channel.settings = ivr_callback.settings = parts.callbacks  # type: ignore[attr-defined]
        status.trunks = tuple(parts.trunks)
    engine.reloaders.append(reconfigure)
    engine.api_routes.append(lambda app: add_routes(app, OutboundApi(
        calls, requests, status, time.time)))
    return scheduler.stop
