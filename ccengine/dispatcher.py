"""The dispatcher runs the core over live state: it applies agent transitions, runs the
router, reserves agents atomically, and hands offers to the channel adapter of each medium.
Channel adapters report back (accepted, failed, ended, cancelled) through its methods."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence, SlotState
from ccengine.core.channel import Channel
from ccengine.core.errors import (
    AgentUnavailable,
    CustomerConflict,
    NoChannel,
    UnknownAgent,
    UnknownInteraction,
    UnknownQueue,
)
from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionAnswered,
    InteractionCancelled,
    InteractionEnded,
    InteractionEscalated,
    InteractionOffered,
    InteractionQueued,
    InteractionRequeued,
    InteractionUpdated,
)
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.preferences import PREFERRED, Preference, window_end
from ccengine.core.queue import QueueConfig
from ccengine.core.router import (
    RoutingSnapshot,
    free_agents,
    index_queues,
    order_waiting,
    route,
)
from ccengine.core.rules import EscalationKind, escalations
from ccengine.state.base import LiveState

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], Awaitable[None] | None]
# a customer's preferred agents for work queued in a queue that prefers some
PreferenceSource = Callable[[Interaction, QueueConfig], Awaitable[list[Preference]]]


class Dispatcher:
    def __init__(self, state: LiveState, queues: Mapping[str, QueueConfig],
                 agents: Mapping[str, AgentProfile], *, clock: Callable[[], float] = time.time,
                 offer_timeout: float = 20.0, tick_seconds: float = 0.25) -> None:
        self.state, self.queues, self.profiles = state, dict(queues), dict(agents)
        self.clock, self.offer_timeout, self.tick_seconds = clock, offer_timeout, tick_seconds
        self._channels: dict[Medium, Channel] = {}
        self._subscribers: list[Subscriber] = []
        self._lock = asyncio.Lock()
        self._rr: dict[str, str] = {}
        self._ticker: asyncio.Task[None] | None = None
        self._offers: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._route_due = False   # work put back in a queue without routing: at next tick
        # named-contact routing (core/preferences.py): finds a customer's preferred agents
        # when their work is queued (None: nobody is preferred); and when the earliest
        # preference time of the waiting work ends (a pass is due then)
        self.preference_source: PreferenceSource | None = None
        self._prefer_due: float | None = None
        self._queue_index = index_queues(self.queues)
        self.draining: set[str] = set()   # queues a reload removed, with work still in them
        self.retired: set[str] = set()    # agents a reload removed, with work still in hand

    # ------------------------------------------------------------------ reconfiguring
    async def reconfigure(self, queues: Mapping[str, QueueConfig],
                          agents: Mapping[str, AgentProfile], offer_timeout: float) -> None:
        """New queues and agents (a reload): they take effect for what is routed next.
        A queue the reload removes keeps its waiting and live work, routed with its old
        settings, and goes once nothing refers to it any more (``draining``); an agent
        removed keeps the work in hand, is offered nothing more and goes once free
        (``retired``). New agents start logged out."""
        async with self._lock:
            live = await self.state.interactions()
            self.draining = {name for name in self.queues if name not in queues
                             and any(i.queue == name for i in live)}
            kept = {name: self.queues[name] for name in self.draining}
            self.queues = {**kept, **dict(queues)}
            self._queue_index = index_queues(self.queues)
            holding = {a.agent_id for a in (await self.state.agents()).values() if a.slots}
            self.retired = {a for a in self.profiles if a not in agents and a in holding}
            self.profiles = {**{a: replace(self.profiles[a], capacity={})
                                for a in self.retired}, **dict(agents)}
            self.offer_timeout = offer_timeout
            for agent_id in self.profiles:
                if await self.state.get_agent(agent_id) is None:
                    await self.state.put_agent(AgentLive(agent_id, since=self.clock()))
        await self.route()

    async def _forget_retired(self) -> None:
        """A removed agent with no work left, and a removed queue nothing refers to, go."""
        if not self.retired and not self.draining:
            return
        async with self._lock:
            agents = await self.state.agents()
            for agent_id in list(self.retired):
                live = agents.get(agent_id)
                if live is None or not live.slots:
                    self.retired.discard(agent_id)
                    self.profiles.pop(agent_id, None)
                    log.info("agent %s left the config: gone now that their work is done",
                             agent_id)
            live_queues = {i.queue for i in await self.state.interactions()}
            for name in list(self.draining):
                if name not in live_queues:
                    self.draining.discard(name)
                    self.queues.pop(name, None)
                    self._queue_index = index_queues(self.queues)
                    log.info("queue %s left the config: gone now that nothing waits in it",
                             name)

    # ------------------------------------------------------------------ wiring
    def register_channel(self, channel: Channel) -> None:
        self._channels[channel.medium] = channel

    def channel(self, medium: Medium) -> Channel:
        """The channel adapter registered for ``medium`` (NoChannel if none)."""
        try:
            return self._channels[medium]
        except KeyError:
            raise NoChannel(f"no channel adapter for {medium.value}") from None

    def registered_channel(self, medium: str | None) -> Channel | None:
        """The adapter registered for a medium given by name, or None."""
        try:
            return self._channels.get(Medium(medium)) if medium else None
        except ValueError:
            return None

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    async def start(self) -> None:
        for agent_id in self.profiles:
            if await self.state.get_agent(agent_id) is None:
                await self.state.put_agent(AgentLive(agent_id, since=self.clock()))
        self._ticker = asyncio.ensure_future(self._tick_forever())
        self._ticker.set_name("dispatcher-ticker")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t for t in (self._ticker, *self._offers) if t is not None]
        for t in tasks:
            t.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=10)
            if pending:
                log.error("%d dispatcher task(s) did not stop within 10 s", len(pending))

    async def _emit(self, *events: Event) -> None:
        for event in events:
            for callback in list(self._subscribers):
                try:
                    result = callback(event)
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("event subscriber failed on %s", type(event).__name__)

    # ------------------------------------------------------------------ agents
    def _profile(self, agent_id: str) -> AgentProfile:
        try:
            return self.profiles[agent_id]
        except KeyError:
            raise UnknownAgent(agent_id) from None

    async def _live(self, agent_id: str) -> AgentLive:
        self._profile(agent_id)
        live = await self.state.get_agent(agent_id)
        return live if live is not None else AgentLive(agent_id)

    async def _change(self, agent_id: str,
                      change: Callable[[AgentLive], tuple[AgentLive, AgentStateChanged]]
                      ) -> AgentStateChanged:
        """Apply one state-machine transition atomically in live state."""
        self._profile(agent_id)
        return await self.state.update_agent(agent_id, change)

    async def _transition(self, agent_id: str,
                          change: Callable[[AgentLive], tuple[AgentLive, AgentStateChanged]]
                          ) -> None:
        async with self._lock:
            event = await self._change(agent_id, change)
        await self._emit(event)
        await self.route()

    async def login(self, agent_id: str) -> None:
        await self._transition(agent_id, lambda a: sm.login(a, self.clock()))

    async def logout(self, agent_id: str) -> None:
        await self._transition(agent_id, lambda a: sm.logout(a, self.clock()))

    async def set_not_ready(self, agent_id: str, reason: str) -> None:
        await self._transition(agent_id, lambda a: sm.set_not_ready(a, self.clock(), reason))

    async def set_available(self, agent_id: str) -> None:
        await self._transition(agent_id, lambda a: sm.set_available(a, self.clock()))

    async def force_state(self, agent_id: str, presence: Presence, reason: str,
                          by: str) -> None:
        await self._transition(agent_id,
                               lambda a: sm.force(a, self.clock(), presence, reason, by))

    async def end_wrap_up(self, interaction_id: str, agent_id: str, by: str = "") -> None:
        """The agent's wrap-up of ``interaction_id`` ends now rather than at its time
        (NotInWrapUp if the agent is not wrapping it up); the freed capacity is routed."""
        await self._transition(agent_id, lambda a: sm.end_wrap_up(a, interaction_id,
                                                                  self.clock(), by))

    async def set_device_reachable(self, agent_id: str, medium: Medium | Iterable[Medium],
                                   reachable: bool) -> None:
        """From AMI contact status: an unreachable phone is not offered that medium (or
        those media: a phone takes calls and callbacks, which change together)."""
        media = (medium,) if isinstance(medium, Medium) else tuple(medium)

        def change(a: AgentLive) -> tuple[AgentLive, None]:
            for m in media:
                a = sm.set_reachable(a, m, reachable)
            return a, None
        async with self._lock:
            await self._change(agent_id, change)
        if reachable:
            await self.route()

    # ------------------------------------------------------------------ interactions
    async def enqueue(self, interaction: Interaction) -> None:
        """Queue an interaction (it keeps an earlier enqueued_at) and route at once."""
        if interaction.queue not in self.queues:
            raise UnknownQueue(interaction.queue)
        if interaction.medium not in self._channels:
            raise NoChannel(f"no channel adapter for {interaction.medium.value}")
        now = self.clock()
        if interaction.enqueued_at is None:
            interaction.enqueued_at = now
        await self._find_preferred(interaction)
        interaction.record("queued", now, queue=interaction.queue)
        async with self._lock:
            await self.state.put_interaction(interaction)
            await self.state.enqueue(interaction.id)
        await self._emit(InteractionQueued(now, interaction))
        await self.route()

    async def _find_preferred(self, interaction: Interaction) -> None:
        """Keep the customer's preferred agents on the work, if its queue prefers any."""
        queue = self.queues[interaction.queue or ""]
        if (not queue.prefer or self.preference_source is None
                or not interaction.customer_id or PREFERRED in interaction.attributes):
            return
        try:
            found = await self.preference_source(interaction, queue)
        except Exception:   # no preference is better than no queueing
            log.exception("finding the preferred agents of %s failed", interaction.id)
            return
        interaction.attributes[PREFERRED] = [p.to_dict() for p in found]

    async def live_interaction(self, interaction_id: str) -> Interaction:
        """A live (queued, offered or in progress) interaction; UnknownInteraction if none."""
        return await self._interaction(interaction_id)

    async def _interaction(self, interaction_id: str) -> Interaction:
        interaction = await self.state.get_interaction(interaction_id)
        if interaction is None:
            raise UnknownInteraction(interaction_id)
        return interaction

    async def cancel(self, interaction_id: str, reason: str, **data: Any
                     ) -> Interaction | None:
        """The customer left while waiting or while being offered: nothing is owed to anyone.
        Returns the interaction as it ended (None if it was not live)."""
        now = self.clock()
        events: list[Event] = []
        async with self._lock:
            interaction = await self.state.get_interaction(interaction_id)
            if interaction is None:
                return None
            await self.state.claim(interaction_id)
            if interaction.agent_id:
                def withdraw(a: AgentLive) -> tuple[AgentLive, AgentStateChanged | None]:
                    slot = a.slot(interaction_id)
                    if slot is None or slot.state != SlotState.OFFERED:
                        return a, None
                    return sm.withdraw_offer(a, interaction_id, now)
                changed = await self._change(interaction.agent_id, withdraw)
                if changed is not None:
                    events.append(changed)
            interaction.record("cancelled", now, reason=reason, **data)
            await self.state.remove_interaction(interaction_id)
        events.append(InteractionCancelled(now, interaction, reason))
        await self._emit(*events)
        await self.route()
        return interaction

    async def offer_accepted(self, interaction_id: str, agent_id: str) -> None:
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            changed = await self._change(agent_id, lambda a: sm.accept(a, interaction_id, now))
            interaction.record("answered", now, agent_id=agent_id)
            await self.state.put_interaction(interaction)
        await self._emit(changed, InteractionAnswered(now, interaction, agent_id))

    async def offer_failed(self, interaction_id: str, agent_id: str, reason: str,
                           offered_at: float | None = None) -> None:
        """No answer, rejected or unreachable: the agent goes not ready (RONA) and the
        interaction goes back to the head of its queue (it keeps its original wait).
        With ``offered_at``, only that offer (an earlier one, withdrawn, may report late
        while the same work is offered to the same agent again)."""
        now = self.clock()
        def fail(a: AgentLive) -> tuple[AgentLive, AgentStateChanged | None]:
            slot = a.slot(interaction_id)
            if slot is None or slot.state != SlotState.OFFERED or \
                    offered_at not in (None, slot.since):
                return a, None  # already settled (e.g. the offer timed out first)
            return sm.fail_offer(a, interaction_id, now, reason)

        async with self._lock:
            changed = await self._change(agent_id, fail)
            if changed is None:
                return
            interaction = await self.state.get_interaction(interaction_id)
            if interaction is not None and interaction.agent_id not in (None, agent_id):
                # a named agent asked to join work another agent holds (consult,
                # conference) did not answer: the work stays where it is
                interaction.record("join_failed", now, agent_id=agent_id, reason=reason)
                await self.state.put_interaction(interaction)
                interaction = None
            elif interaction is not None:
                interaction.agent_id = None
                interaction.record("requeued", now, agent_id=agent_id, reason=reason)
                await self.state.put_interaction(interaction)
                await self.state.enqueue(interaction_id)
        events: list[Event] = [changed]
        if interaction is not None:
            events.append(InteractionRequeued(now, interaction, agent_id, reason))
        await self._emit(*events)
        await self.route()

    async def interaction_ended(self, interaction_id: str, agent_id: str,
                                **data: Any) -> None:
        """The work is over: the agent's slot goes to wrap-up for the queue's wrap-up time."""
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            queue = self.queues.get(interaction.queue or "")
            wrapup = queue.wrapup_seconds if queue else 0.0
            changed = await self._change(agent_id,
                                         lambda a: sm.end(a, interaction_id, now, wrapup))
            interaction.record("ended", now, agent_id=agent_id, **data)
            await self.state.remove_interaction(interaction_id)
        await self._emit(changed, InteractionEnded(now, interaction, agent_id))
        await self.route()

    async def offered_at(self, interaction_id: str, agent_id: str) -> float | None:
        """When the agent's standing offer of this work was made (None: no such offer,
        taken back or settled): it tells one offer from a later one of the same work."""
        live = await self.state.get_agent(agent_id)
        slot = live.slot(interaction_id) if live is not None else None
        return slot.since if slot is not None and slot.state == SlotState.OFFERED else None

    # ------------------------------------------------------------------ no one's fault
    async def withdraw(self, interaction_id: str, agent_id: str, reason: str) -> None:
        """Take back an offer that can no longer be answered through no fault of the agent
        (the engine restarted while the phone rang, Asterisk was unreachable, the engine
        was too late to end the offer itself): the agent is free again, no RONA, and the
        interaction waits again in its old place (routed at the next tick)."""
        now = self.clock()

        def take_back(a: AgentLive) -> tuple[AgentLive, AgentStateChanged | None]:
            slot = a.slot(interaction_id)
            if slot is None or slot.state != SlotState.OFFERED:
                return a, None
            return sm.withdraw_offer(a, interaction_id, now)
        async with self._lock:
            changed = await self._change(agent_id, take_back)
            interaction = await self.state.get_interaction(interaction_id)
            if interaction is not None and interaction.agent_id in (None, agent_id):
                interaction.agent_id = None
                interaction.record("offer_withdrawn", now, agent_id=agent_id, reason=reason)
                await self.state.put_interaction(interaction)
                await self.state.enqueue(interaction_id)
        events: list[Event] = [changed] if changed is not None else []
        if interaction is not None:
            events.append(InteractionUpdated(now, interaction, "offer_withdrawn"))
            self._route_due = True
        await self._emit(*events)

    async def lost(self, interaction_id: str, reason: str = "lost") -> None:
        """Live work with nothing behind it any more (its call ended while no engine
        watched): it ends with ``reason``; an agent holding it goes to wrap-up, an offer of
        it is withdrawn."""
        interaction = await self.state.get_interaction(interaction_id)
        if interaction is None:
            return
        live = await self.state.get_agent(interaction.agent_id) \
            if interaction.agent_id else None
        slot = live.slot(interaction_id) if live is not None else None
        if slot is not None and slot.state == SlotState.BUSY and interaction.agent_id:
            await self.interaction_ended(interaction_id, interaction.agent_id, reason=reason)
        else:
            await self.cancel(interaction_id, reason)

    async def forget_stale_slots(self, reason: str) -> int:
        """Slots of work that is no longer live (ended while no engine watched): offers are
        withdrawn, work in hand goes to wrap-up; how many were settled."""
        now = self.clock()
        settled: list[Event] = []
        async with self._lock:
            for live in (await self.state.agents()).values():
                for slot in live.slots:
                    if slot.state == SlotState.WRAP_UP or \
                            await self.state.get_interaction(slot.interaction_id) is not None:
                        continue
                    iid = slot.interaction_id

                    def settle(a: AgentLive, iid: str = iid
                               ) -> tuple[AgentLive, AgentStateChanged | None]:
                        s = a.slot(iid)
                        if s is None or s.state == SlotState.WRAP_UP:
                            return a, None
                        if s.state == SlotState.OFFERED:
                            return sm.withdraw_offer(a, iid, now)
                        return sm.end(a, iid, now, 0.0)
                    changed = await self._change(live.agent_id, settle)
                    if changed is not None:
                        settled.append(changed)
                        log.info("agent %s: %s slot of %s settled (%s)", live.agent_id,
                                 slot.state.value, iid, reason)
        await self._emit(*settled)
        return len(settled)

    # ------------------------------------------------------------------ named agents
    # Transfers and conferences bring a named agent into live work, outside routing.
    async def reserve_agent(self, interaction_id: str, agent_id: str, *,
                            take_over: bool) -> Interaction:
        """Offer a live interaction to one named agent, with the same atomic reservation
        routing uses (AgentUnavailable if the agent cannot take it now). With
        ``take_over`` the interaction becomes that agent's (a blind transfer: a failed
        offer then requeues it); otherwise the agent joins the current agent's work
        (consult, conference: a failed offer leaves it where it is). The agent's screen
        pops either way."""
        profile = self._profile(agent_id)
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            live = await self.state.get_agent(agent_id)
            if live is not None and live.slot(interaction_id) is not None:
                raise AgentUnavailable(agent_id, "already on this interaction")
            reserved = await self.state.reserve(profile, interaction_id, interaction.medium,
                                                now, now + self.offer_timeout)
            if reserved is None:
                raise AgentUnavailable(agent_id)
            if take_over:
                interaction.agent_id = agent_id
                interaction.record("offered", now, agent_id=agent_id)
                await self.state.put_interaction(interaction)
        await self._emit(AgentStateChanged(now, agent_id, live.display() if live else
                                           "logged_out", reserved.display(), reserved.reason,
                                           "offered", {"interaction_id": interaction_id}),
                         InteractionOffered(now, interaction, agent_id))
        return interaction

    async def assign(self, interaction: Interaction, agent_id: str) -> Interaction:
        """Start work with one named agent, outside routing (an outbound call the agent
        places): the interaction becomes live without being queued and the agent is
        reserved for it atomically, as routing does (offered; the screen pops). If the
        agent cannot take it, AgentUnavailable and nothing is kept."""
        async with self._lock:
            await self.state.put_interaction(interaction)
        try:
            return await self.reserve_agent(interaction.id, agent_id, take_over=True)
        except BaseException:
            async with self._lock:
                await self.state.remove_interaction(interaction.id)
            raise

    async def agent_joined(self, interaction_id: str, agent_id: str) -> None:
        """A named agent who is not the interaction's agent answered (offered -> busy)."""
        now = self.clock()
        async with self._lock:
            changed = await self._change(agent_id, lambda a: sm.accept(a, interaction_id, now))
        await self._emit(changed)

    async def agent_left(self, interaction_id: str, agent_id: str,
                         queue: str | None = None) -> None:
        """An agent leaves work that goes on without them (transferred, left a conference,
        ended a consult): a busy slot goes to wrap-up (the queue's time), an offered one is
        withdrawn. Works after the interaction itself is over too (``queue`` then names
        the wrap-up time to use)."""
        now = self.clock()
        async with self._lock:
            interaction = await self.state.get_interaction(interaction_id)
            name = interaction.queue if interaction is not None else queue
            config = self.queues.get(name or "")
            wrapup = config.wrapup_seconds if config else 0.0

            def leave(a: AgentLive) -> tuple[AgentLive, AgentStateChanged | None]:
                slot = a.slot(interaction_id)
                if slot is None or slot.state == SlotState.WRAP_UP:
                    return a, None
                if slot.state == SlotState.OFFERED:
                    return sm.withdraw_offer(a, interaction_id, now)
                return sm.end(a, interaction_id, now, wrapup)
            changed = await self._change(agent_id, leave)
        if changed is not None:
            await self._emit(changed)
        await self.route()

    async def take_over(self, interaction_id: str, agent_id: str, **data: Any) -> None:
        """``agent_id`` (already busy on it) becomes the interaction's agent: recorded as
        their answer, so the stored record names them."""
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            interaction.agent_id = agent_id
            interaction.record("answered", now, agent_id=agent_id, **data)
            await self.state.put_interaction(interaction)
        await self._emit(InteractionAnswered(now, interaction, agent_id))

    async def requeue(self, interaction_id: str, agent_id: str, reason: str) -> None:
        """Live work whose agent is gone (e.g. hung up during a consult that then failed)
        goes back to its queue, keeping its place; the agent's slot goes to wrap-up."""
        await self.agent_left(interaction_id, agent_id)
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            interaction.agent_id = None
            interaction.record("requeued", now, agent_id=agent_id, reason=reason)
            await self.state.put_interaction(interaction)
            await self.state.enqueue(interaction_id)
        await self._emit(InteractionRequeued(now, interaction, agent_id, reason))
        await self.route()

    async def record(self, interaction_id: str, kind: str,
                     attributes: Mapping[str, Any] | None = None, **data: Any) -> Interaction:
        """Append an event to a live interaction's history (stored by the recorder), and
        set ``attributes`` on it."""
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            interaction.attributes.update(attributes or {})
            interaction.record(kind, now, **data)
            await self.state.put_interaction(interaction)
        await self._emit(InteractionUpdated(now, interaction, kind))
        return interaction

    async def link_customer(self, interaction_id: str, customer_id: str, by: str
                            ) -> Interaction:
        """A live interaction whose contact was unknown now belongs to a customer (an
        agent saved them as new); CustomerConflict if it already belongs to another."""
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            if interaction.customer_id not in (None, customer_id):
                raise CustomerConflict(f"interaction {interaction_id} belongs to customer "
                                       f"{interaction.customer_id}: merge the two instead")
            interaction.customer_id = customer_id
            interaction.record("customer_linked", now, customer_id=customer_id, by=by)
            await self.state.put_interaction(interaction)
        await self._emit(InteractionUpdated(now, interaction, "customer_linked"))
        return interaction

    # ------------------------------------------------------------------ waiting work
    # A waiting caller's own choices (keys, maximum wait) act only on work nobody is being
    # offered: each returns None/False while an offer is out, and the caller tries again.
    async def move_waiting(self, interaction_id: str, queue: str, *, kind: str,
                           attributes: Mapping[str, Any] | None = None,
                           **data: Any) -> Interaction | None:
        """Waiting work waits for ``queue`` from now on, keeping its ``enqueued_at`` (its
        wait so far); ``kind`` is recorded with ``data``. None when it is being offered."""
        if queue not in self.queues:
            raise UnknownQueue(queue)
        now = self.clock()
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            if interaction.agent_id is not None:
                return None
            interaction.queue = queue
            interaction.attributes.update(attributes or {})
            interaction.record(kind, now, **data)
            await self.state.put_interaction(interaction)
        await self._emit(InteractionUpdated(now, interaction, kind))
        await self.route()
        return interaction

    async def classify_live(self, interaction_id: str,
                            classify: Callable[[Interaction], None]) -> Interaction | None:
        """Let ``classify`` read live work once its text arrives (a chat's first message)
        and change it: its intent, and while it waits its queue or required skills (it
        keeps its wait). Work already offered or taken keeps where it is. None: no such
        live work."""
        now = self.clock()
        async with self._lock:
            interaction = await self.state.get_interaction(interaction_id)
            if interaction is None:
                return None
            waiting = interaction.agent_id is None
            before = (interaction.queue, dict(interaction.required_skills))
            classify(interaction)
            if not waiting or interaction.queue not in self.queues:
                interaction.queue, interaction.required_skills = before[0], before[1]
            await self.state.put_interaction(interaction)
        await self._emit(InteractionUpdated(now, interaction, "classified"))
        if waiting:
            await self.route()
        return interaction

    async def hold_waiting(self, interaction_id: str) -> bool:
        """Take waiting work out of routing (it stays live, keeping its place) while the
        caller does something else; False when it is being offered or not waiting."""
        async with self._lock:
            interaction = await self._interaction(interaction_id)
            if interaction.agent_id is not None:
                return False
            return await self.state.claim(interaction_id)

    async def unhold_waiting(self, interaction_id: str) -> None:
        """Held work waits again, in its old place."""
        async with self._lock:
            await self._interaction(interaction_id)
            await self.state.enqueue(interaction_id)
        await self.route()

    # ------------------------------------------------------------------ routing
    async def route(self) -> int:
        """One routing pass; returns how many offers were made."""
        now = self.clock()
        offers: list[tuple[Interaction, str]] = []
        events: list[Event] = []
        async with self._lock:
            # nobody with room: nothing to place, however many wait (past the knee every
            # agent is busy while hundreds wait, and a pass is made at each event)
            agents = await self.state.agents()
            free = free_agents(self.profiles, agents)
            if not free:
                return 0
            waiting = await self.state.waiting()
            if not waiting:
                return 0
            snapshot = RoutingSnapshot(self.profiles, agents, self.queues,
                                       order_waiting(waiting, self.queues), self._rr,
                                       available=tuple(free), queue_index=self._queue_index)
            self._prefer_due = min((end for i in waiting if i.queue in self.queues
                                    and (end := window_end(i, self.queues[i.queue]))
                                    is not None and end > now), default=None)
            for a in route(snapshot, now):
                if not await self.state.claim(a.interaction_id):
                    continue
                interaction = await self._interaction(a.interaction_id)
                live = await self.state.reserve(self.profiles[a.agent_id], interaction.id,
                                                interaction.medium, now,
                                                now + self.offer_timeout)
                if live is None:
                    await self.state.enqueue(interaction.id)
                    continue
                self._rr[a.queue] = a.agent_id
                interaction.agent_id = a.agent_id
                interaction.record("offered", now, agent_id=a.agent_id)
                await self.state.put_interaction(interaction)
                events += [AgentStateChanged(now, a.agent_id, "available", live.display(),
                                             live.reason, "offered",
                                             {"interaction_id": interaction.id}),
                           InteractionOffered(now, interaction, a.agent_id)]
                offers.append((interaction, a.agent_id))
        await self._emit(*events)
        for interaction, agent_id in offers:
            await self._channels[interaction.medium].offer(interaction, agent_id)
        return len(offers)

    async def tick(self) -> None:
        """Expire offers past their deadline and finish wrap-ups that are due.

        An offer past the deadline is RONA (the agent goes not ready), unless its channel
        ends its offers itself (``offer_seconds``: a phone rings that long, well within
        the deadline). Then the deadline passing means the engine or Asterisk is late, not
        the agent: the offer is withdrawn without blame and the channel takes it back."""
        now = self.clock()
        expired: list[tuple[str, str, Medium]] = []
        released: list[Event] = []
        async with self._lock:
            for live in (await self.state.agents()).values():
                for slot in live.slots:
                    if slot.until is None or slot.until > now:
                        continue
                    if slot.state == SlotState.OFFERED:
                        expired.append((slot.interaction_id, live.agent_id, slot.medium))
                    elif slot.state == SlotState.WRAP_UP:
                        iid = slot.interaction_id

                        def done(a: AgentLive, iid: str = iid
                                 ) -> tuple[AgentLive, AgentStateChanged | None]:
                            s = a.slot(iid)
                            if s is None or s.state != SlotState.WRAP_UP:
                                return a, None  # another node released it already
                            return sm.release(a, iid, now)
                        changed = await self._change(live.agent_id, done)
                        if changed is not None:
                            released.append(changed)
        await self._emit(*released)
        for interaction_id, agent_id, medium in expired:
            channel = self._channels.get(medium)
            if getattr(channel, "offer_seconds", None) is None:
                await self.offer_failed(interaction_id, agent_id, "no_answer")
                continue
            log.warning("offer of %s to %s overdue (the engine is late): withdrawn, "
                        "no RONA", interaction_id, agent_id)
            await self.withdraw(interaction_id, agent_id, "overdue")
            take_back = getattr(channel, "take_back", None)
            if take_back is not None:
                await take_back(interaction_id, agent_id)
        escalated = await self.escalate()
        prefer_over = self._prefer_due is not None and now >= self._prefer_due
        if released or escalated or self._route_due or prefer_over:
            self._route_due = False
            await self.route()
        await self._forget_retired()

    async def escalate(self) -> int:
        """Apply the queues' escalation rules to interactions waiting past the agreed time."""
        now = self.clock()
        events: list[Event] = []
        async with self._lock:
            waiting = await self.state.waiting()
            if not waiting:
                return 0
            snapshot = RoutingSnapshot(self.profiles, {}, self.queues,
                                       order_waiting(waiting, self.queues))
            for e in escalations(snapshot, now):
                interaction = await self.state.get_interaction(e.interaction_id)
                if interaction is None or interaction.queue != e.queue:
                    continue
                if e.kind == EscalationKind.RAISE_PRIORITY:
                    interaction.priority += int(e.detail)
                elif e.kind == EscalationKind.TRANSFER:
                    interaction.queue = str(e.detail)
                interaction.record("escalated", now, queue=e.queue, action=e.kind.value,
                                   detail=e.detail)
                await self.state.put_interaction(interaction)
                events.append(InteractionEscalated(now, interaction, e.queue, e.kind.value,
                                                   e.detail))
        await self._emit(*events)
        return len(events)

    async def _tick_forever(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.tick_seconds)
            try:
                await self.tick()
            except Exception:
                log.exception("dispatcher tick failed")

    # ------------------------------------------------------------------ views
    def offer_expires_at(self, medium: Medium, offered_at: float) -> float:
        """When an offer of ``medium`` made at ``offered_at`` is taken back if nobody takes
        it: the dispatcher's deadline (its tick expires it then), or sooner when the
        medium's adapter gives up first (a channel's optional ``offer_seconds``: how long
        a phone rings)."""
        deadline = offered_at + self.offer_timeout
        ring = getattr(self._channels.get(medium), "offer_seconds", None)
        return deadline if ring is None else min(deadline, offered_at + float(ring))

    async def holders(self, interaction_id: str) -> dict[str, sm.Slot]:
        """Every agent holding a slot (offered, busy or wrap-up) on an interaction; wrap-up
        slots outlive the live interaction."""
        return {a.agent_id: slot for a in (await self.state.agents()).values()
                if (slot := a.slot(interaction_id)) is not None}

    async def agents_view(self) -> list[dict[str, Any]]:
        """Every configured agent's state, in config order (the pickers' list)."""
        lives = await self.state.agents()
        out = []
        for agent_id, profile in self.profiles.items():
            live = lives.get(agent_id) or AgentLive(agent_id)
            out.append({"id": agent_id, "name": profile.name, "state": live.display(),
                        "presence": live.presence.value, "reason": live.reason,
                        "since": live.since,
                        "capacity": {m.value: n for m, n in profile.capacity.items()},
                        "reachable": sorted(m.value for m in live.reachable)})
        return out

    async def queues_view(self) -> list[dict[str, Any]]:
        """Every queue with its media and how many interactions wait in it."""
        waiting: dict[str, int] = {}
        for i in await self.state.waiting():
            waiting[i.queue or ""] = waiting.get(i.queue or "", 0) + 1
        return [{"name": name, "media": sorted(m.value for m in q.media),
                 "waiting": waiting.get(name, 0)} for name, q in self.queues.items()]

    async def agent_view(self, agent_id: str) -> dict[str, Any]:
        live = await self._live(agent_id)
        return {"id": agent_id, "name": self._profile(agent_id).name, "state": live.display(),
                **live.to_dict()}

    async def queue_view(self, name: str) -> dict[str, Any]:
        if name not in self.queues:
            raise UnknownQueue(name)
        queue, now = self.queues[name], self.clock()
        waiting = sorted((i for i in await self.state.waiting() if i.queue == name),
                         key=lambda i: i.enqueued_at or now)
        return {
            "name": name, "media": sorted(m.value for m in queue.media),
            "waiting": len(waiting),
            "interactions": [{"id": i.id, "medium": i.medium.value, "priority": i.priority,
                              "wait_seconds": round(now - (i.enqueued_at or now), 3)}
                             for i in waiting],
            "agents": self.queue_agent_states(name, await self.state.agents()),
        }

    def queue_agent_states(self, name: str, lives: Mapping[str, AgentLive]) -> dict[str, str]:
        """Each agent with the queue's skills and their state now, from ``lives`` (the
        live state's agents, read once by a caller making several queues' views)."""
        queue = self.queues[name]
        return {a: lives[a].display() if a in lives else "logged_out"
                for a, p in self.profiles.items() if p.has_skills(queue.required_skills)}

