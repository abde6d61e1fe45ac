"""What the engine does, as app_queue's queue log tells it (docs/queue_log.md).

A dispatcher subscriber. Calls (and chats, emails, callbacks) are read from each
interaction's own history, which the dispatcher and the channels record in order under the
dispatcher's lock (``queued``, ``offered``, ``answered``, ``requeued``, ``ended``,
``cancelled``, the waiting room's ``wait_action`` and ``queue_changed``, the transfers'
``transfer_started`` / ``transfer_completed``, ...): each event of an interaction hands
over its whole history, and the entries not read yet are turned into lines in their order,
whatever order the events arrive in. Agents' login, logoff and pauses come from
``AgentStateChanged``.

History older than ``since`` (an engine before this one wrote it) is read without writing,
so that a call taken over at a restart goes on in the log where it was. With several engine
nodes, a call is written by the node whose Asterisk carries it (its ``node`` attribute).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ccengine.core.agent import AgentProfile
from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionCancelled,
    InteractionChange,
    InteractionEnded,
)
from ccengine.core.interaction import Interaction, InteractionEvent
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.router import queue_order
from ccengine.reporting import queue_log as q

Sink = Callable[[str], None]
# the channel id (Asterisk uniqueid) of the agent's leg of a live call, if known
AgentLeg = Callable[[str], str | None]

OUT, WAITING, CONNECTED = "out", "waiting", "connected"
FINISHED_KEPT = 10_000   # interactions over, remembered so that a late event adds nothing
CALLID_PREFIX = {Medium.CHAT: "chat-", Medium.EMAIL: "email-", Medium.CALLBACK: "callback-"}
# the history entries that show a caller waiting again (after a key's action gave up)
WAITING_AGAIN = frozenset({"offered", "wait_announced", "wait_key", "wait_action_failed",
                           "callback_not_requested"})


def callid(interaction: Interaction) -> str:
    """A call's Asterisk uniqueid (its caller's channel); other media: the interaction id
    after the medium's prefix (``chat-``, ``email-``, ``callback-``)."""
    if interaction.medium == Medium.VOICE:
        return str(interaction.attributes.get("caller_channel") or interaction.id)
    return CALLID_PREFIX.get(interaction.medium, f"{interaction.medium}-") + interaction.id


def caller_of(interaction: Interaction) -> str:
    """ENTERQUEUE's caller id: the number, else (email, chat) the address."""
    attrs = interaction.attributes
    return str(attrs.get("caller_number") or attrs.get("from_address") or "")


@dataclass
class _Call:
    """One interaction's life in the queue log."""

    callid: str
    state: str = OUT            # OUT: not in a queue (yet, or any more: a transfer)
    queue: str = ""
    entered_at: float = 0.0
    opos: int = 0               # 0: not known (it entered before this log's engine)
    order: tuple[Any, ...] = ()
    ringing: tuple[str, float] | None = None   # (agent, since): offered, not settled
    agent: str = ""
    connected_at: float = 0.0
    leaving: tuple[str, str] | None = None      # a key's or the maximum wait's action runs
    seen: int = 0               # history entries read
    writes: bool = True         # False: a call another engine node carries (its log's)


@dataclass
class _Presence:
    paused: bool = False
    reason: str = ""
    login_at: float | None = None


class QueueLogFeed:
    """Turns the dispatcher's events into queue log lines handed to ``sink``."""

    def __init__(self, sink: Sink, *, queues: Callable[[], Mapping[str, QueueConfig]],
                 profiles: Callable[[], Mapping[str, AgentProfile]],
                 agent_leg: AgentLeg | None = None, since: float = 0.0,
                 node: str | None = None) -> None:
        self.sink, self.queues, self.profiles = sink, queues, profiles
        self.agent_leg, self.since, self.node = agent_leg, since, node
        self._calls: dict[str, _Call] = {}
        self._finished: set[str] = set()
        self._finished_order: deque[str] = deque()
        self._agents: dict[str, _Presence] = {}

    def on_event(self, event: Event) -> None:
        """Dispatcher subscriber (synchronous: lines leave in the order they are made)."""
        if isinstance(event, AgentStateChanged):
            self._agent(event)
        elif isinstance(event, InteractionChange):
            self._interaction(event)

    # ------------------------------------------------------------------ interactions
    def _interaction(self, event: InteractionChange) -> None:
        i = event.interaction
        if i.id in self._finished:
            return
        call = self._calls.get(i.id)
        if call is None:
            if not any(e.kind == "queued" for e in i.events):
                return   # never queued (an agent's outbound call): not the queue's
            call = self._calls[i.id] = _Call(callid(i))
            # a call is written by the engine node its Asterisk is with (another node may
            # route it: that node follows it without writing)
            call.writes = self.node is None or i.attributes.get("node") in (None, self.node)
        for entry in i.events[call.seen:]:
            self._apply(call, i, entry, call.writes and entry.at >= self.since)
        call.seen = len(i.events)
        if isinstance(event, (InteractionEnded, InteractionCancelled)):
            self._calls.pop(i.id, None)
            self._finished.add(i.id)
            self._finished_order.append(i.id)
            if len(self._finished_order) > FINISHED_KEPT:
                self._finished.discard(self._finished_order.popleft())

    def _apply(self, call: _Call, i: Interaction, e: InteractionEvent, write: bool) -> None:
        out: Sink = self.sink if write else _nowhere
        kind, d, at = e.kind, e.data, e.at
        if kind in WAITING_AGAIN:
            call.leaving = None
        if kind == "queued":
            queue = str(d.get("queue") or i.queue or "")
            if call.state == WAITING and call.queue == queue:
                return   # queued again where it waits (restored after a restart)
            if call.state == CONNECTED:   # a callback's next attempt
                self._complete(call, at, "COMPLETEAGENT", out)
            self._enter(call, i, queue, at, out, write)
        elif kind == "offered" and call.state == WAITING:
            call.ringing = (str(d.get("agent_id") or ""), at)
        elif kind == "offer_withdrawn" and call.ringing \
                and call.ringing[0] == d.get("agent_id"):
            call.ringing = None
        elif kind == "requeued":
            if call.state == WAITING:
                self._ring_failed(call, str(d.get("agent_id") or ""), at, out)
            else:   # its agent is gone (connected), or a transfer's target failed (out)
                if call.state == CONNECTED:
                    self._complete(call, at, "COMPLETEAGENT", out)
                self._enter(call, i, i.queue or call.queue, at, out, write)
        elif kind == "answered" and call.state == WAITING:
            self._connect(call, i, str(d.get("agent_id") or ""), at, out)
        elif kind == "ended":
            if call.state == CONNECTED:
                self._complete(call, at, "COMPLETECALLER" if d.get("hung_up_by") == "caller"
                               else "COMPLETEAGENT", out)
            elif call.state == WAITING:
                self._leave(call, at, out)
        elif kind == "cancelled":
            if call.state == WAITING:
                self._leave(call, at, out)
            elif call.state == CONNECTED:
                self._complete(call, at, "COMPLETECALLER", out)
        elif kind == "wait_action" and call.state == WAITING:
            call.leaving = _leaving(str(d.get("why") or ""))
        elif kind == "queue_changed" and call.state == WAITING:
            call.leaving = _leaving(str(d.get("why") or ""))
            self._leave(call, at, out)
            self._enter(call, i, str(d.get("to_queue") or i.queue or ""), at, out, write)
        elif kind == "escalated" and call.state == WAITING:
            if d.get("action") == "transfer":   # the queue's rule moved it: its time is up
                call.leaving = ("timeout", "")
                self._leave(call, at, out)
                self._enter(call, i, str(d.get("detail") or i.queue or ""), at, out, write)
            elif d.get("action") == "raise_priority":   # a new place in the queue
                call.order = self._order(i, call.queue, call.entered_at)
        elif kind == "transfer_started" and call.state == CONNECTED \
                and d.get("mode") == "blind":
            to = d.get("to") if isinstance(d.get("to"), dict) else {}
            context, extension = next(iter(to.items()), ("", ""))
            out(q.blind_transfer(at, call.callid, call.queue, call.agent, str(extension),
                                 str(context), *self._times(call, at)))
            call.state = OUT
        elif kind == "transfer_completed" and call.state == CONNECTED \
                and d.get("mode") == "attended":
            out(q.attended_transfer(at, call.callid, call.queue, call.agent, f"bridge-{i.id}",
                                    *self._times(call, at)))
            call.state = OUT
        elif kind == "callback_attempt" and call.state == CONNECTED:
            self._complete(call, at, "COMPLETEAGENT", out)   # the customer was not reached

    # ------------------------------------------------------------------ steps of a call
    def _enter(self, call: _Call, i: Interaction, queue: str, at: float, out: Sink,
               write: bool) -> None:
        call.state, call.queue, call.entered_at = WAITING, queue, at
        call.ringing = call.leaving = None
        call.agent = ""
        call.order = self._order(i, queue, at)
        call.opos = self._position(call) if write else 0
        url = "" if i.medium == Medium.VOICE else str(i.medium)
        out(q.enter_queue(at, call.callid, queue, url, caller_of(i), call.opos))

    def _connect(self, call: _Call, i: Interaction, agent: str, at: float, out: Sink) -> None:
        offered_at = call.ringing[1] if call.ringing and call.ringing[0] == agent else at
        leg = (self.agent_leg(i.id) if self.agent_leg is not None else None) or i.id
        # hold time as app_queue counts it (whole epoch seconds apart), ring time as it
        # does too (the milliseconds rung, in whole seconds)
        out(q.connect(at, call.callid, call.queue, agent, _secs(at, call.entered_at), leg,
                      _ms(at, offered_at) // 1000))
        call.state, call.agent, call.connected_at = CONNECTED, agent, at
        call.ringing = call.leaving = None

    def _complete(self, call: _Call, at: float, event: str, out: Sink) -> None:
        made = q.complete_caller if event == "COMPLETECALLER" else q.complete_agent
        out(made(at, call.callid, call.queue, call.agent, *self._times(call, at)))
        call.state = OUT

    def _leave(self, call: _Call, at: float, out: Sink) -> None:
        """The caller leaves the queue unanswered: a key, the maximum wait, or gone."""
        if call.ringing is not None:
            agent, since = call.ringing
            out(q.ring_canceled(at, call.callid, call.queue, agent, _ms(at, since)))
        place, wait = self._position(call), _secs(at, call.entered_at)
        if call.leaving is not None and call.leaving[0] == "key":
            out(q.exit_with_key(at, call.callid, call.queue, call.leaving[1], place,
                                call.opos, wait))
        elif call.leaving is not None:
            out(q.exit_with_timeout(at, call.callid, call.queue, place, call.opos, wait))
        else:
            out(q.abandon(at, call.callid, call.queue, place, call.opos, wait))
        call.state, call.ringing, call.leaving = OUT, None, None

    def _ring_failed(self, call: _Call, agent: str, at: float, out: Sink) -> None:
        if call.ringing is not None and call.ringing[0] == agent:
            out(q.ring_no_answer(at, call.callid, call.queue, agent, _ms(at, call.ringing[1])))
            call.ringing = None

    @staticmethod
    def _times(call: _Call, at: float) -> tuple[int, int, int]:
        """(holdtime, calltime, origposition) of a connected call."""
        return (_secs(call.connected_at, call.entered_at), _secs(at, call.connected_at),
                call.opos)

    def _order(self, i: Interaction, queue: str, at: float) -> tuple[Any, ...]:
        config = self.queues().get(queue)
        if config is None:
            return (0.0, i.enqueued_at or at, i.id)
        return queue_order(i, config)

    def _position(self, call: _Call) -> int:
        """1-based place among the calls in its queue (those ringing an agent too, as in
        app_queue), in the router's order."""
        return 1 + sum(1 for other in self._calls.values()
                       if other is not call and other.state == WAITING
                       and other.queue == call.queue and other.order < call.order)

    # ------------------------------------------------------------------ agents
    def _agent(self, event: AgentStateChanged) -> None:
        at, agent, cause = event.at, event.agent_id, event.cause
        if cause == "rona":   # RINGNOANSWER before the pause, as app_queue writes them
            call = self._calls.get(str(event.data.get("interaction_id") or ""))
            if call is not None and call.state == WAITING:
                self._ring_failed(call, agent, at, self.sink)
        was = self._agents.get(agent)
        came_in = cause == "login" or (cause == "forced" and event.old == "logged_out"
                                       and event.new != "logged_out")
        went_out = cause == "logout" or (cause == "forced" and event.new == "logged_out"
                                         and event.old != "logged_out")
        if came_in:
            self.sink(q.agent_login(at, agent, f"PJSIP/{agent}"))
            self._agents[agent] = now = _Presence(login_at=at)
            if event.reason:
                self._pause(agent, at, event.reason, now)
        elif went_out:
            login_at = was.login_at if was is not None else None
            self.sink(q.agent_logoff(at, agent, f"PJSIP/{agent}",
                                     0 if login_at is None else _secs(at, login_at)))
            self._agents.pop(agent, None)
        elif cause in ("not_ready", "rona") or (cause == "forced" and event.reason):
            presence = was if was is not None else self._agents.setdefault(agent, _Presence())
            if not (presence.paused and presence.reason == event.reason):
                self._pause(agent, at, event.reason, presence)
        elif cause == "ready" or (cause == "forced" and not event.reason):
            if (was is not None and was.paused) or (was is None and (
                    cause == "ready" or event.old == "not_ready")):
                reason = was.reason if was is not None else ""
                self.sink(q.unpause_all(at, agent, reason))
                for queue in self._member_queues(agent):
                    self.sink(q.unpause(at, queue, agent, reason))
                presence = was if was is not None else self._agents.setdefault(agent,
                                                                               _Presence())
                presence.paused, presence.reason = False, ""

    def _pause(self, agent: str, at: float, reason: str, presence: _Presence) -> None:
        self.sink(q.pause_all(at, agent, reason))
        for queue in self._member_queues(agent):
            self.sink(q.pause(at, queue, agent, reason))
        presence.paused, presence.reason = True, reason

    def _member_queues(self, agent: str) -> list[str]:
        """The queues the agent serves (has their skills), in config order."""
        profile = self.profiles().get(agent)
        if profile is None:
            return []
        return [name for name, queue in self.queues().items()
                if profile.has_skills(queue.required_skills)]


def _leaving(why: str) -> tuple[str, str] | None:
    """A waiting room action's cause: ("key", digit) or ("timeout", "")."""
    if why.startswith("key "):
        return "key", why[4:]
    if why == "max_wait":
        return "timeout", ""
    return None


def _secs(later: float, earlier: float) -> int:
    """Whole seconds between two times, as app_queue counts them (time() - time())."""
    return max(0, int(later) - int(earlier))


def _ms(later: float, earlier: float) -> int:
    return max(0, int((later - earlier) * 1000))


def _nowhere(_line: str) -> None:
    """Lines of history an engine before this one wrote."""
