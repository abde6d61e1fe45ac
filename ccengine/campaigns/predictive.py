"""Customer-first (predictive) dialling of campaign calls (docs/campaigns.md, "Predictive
dialling").

A predictive campaign's phone step does not ring an agent first: when the step is due (the
runner's checks and the calling window passed), the customer joins the campaign's pool,
and once a second the pacing (ccengine/campaigns/pacing.py, a pure function of a snapshot)
says how many of the pool to dial now, from the campaign queue's free and busy agents, the
calls ringing or answered and waiting, the recent answer rate and the abandon rate over
the window. Just before each dial the customer is checked again (consent, the do-not-call
list, the frequency cap, the lockout after an abandoned call, the calling window).

The call goes out through the trunk and the dialling policy. When a person answers, the
call is queued in the campaign's queue ahead of other work (the same router, reservation
and screen pop as inbound calls) and must reach an agent within ``abandon_seconds``
(default 2 s): an agent reserved for it by then (their phone ringing) counts, and the
call goes on as any answered call. Otherwise the call is **abandoned**: it leaves the
queue, the customer hears ``campaigns.abandon_message`` (a short recording naming the
company) and the engine hangs up; their number is not called again within the campaign's
``abandon_lockout_hours``. A customer who hangs up before an agent is found counts as
abandoned too. Unanswered, busy and failed calls are retried as the step says, like
progressive ones.

The abandon rate is kept per campaign over its window (24 hours or 30 days), rebuilt at
start from the stored contacts (``answered`` and ``abandoned``). Pacing decides per
engine node: two nodes dialling one predictive campaign each pace on their own view.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ccengine.campaigns.calls import CampaignCalls
from ccengine.campaigns.checks import Verdict
from ccengine.campaigns.pacing import (
    AbandonTracker,
    Decision,
    Mode,
    PacingSettings,
    RecentDials,
    Snapshot,
    Window,
    decide,
    expected_remaining,
    handle_shape,
)
from ccengine.campaigns.settings import CampaignSettings
from ccengine.core.agent_state import Presence, Slot, SlotState
from ccengine.core.errors import UnknownInteraction
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.store.campaigns import CampaignRepository, CampaignView
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.router import HANGUP_EVENTS
from ccengine.telephony.outbound.callbacks import CAMPAIGN
from ccengine.telephony.outbound.calls import OutboundCalls
from ccengine.telephony.outbound.legs import ANSWERED, ring
from ccengine.telephony.outbound.numbers import BadNumber, NumberRefused
from ccengine.telephony.voice import CallerGone, CallerLeg, VoiceCall, VoiceChannel

log = logging.getLogger(__name__)

APP = "campaign"          # the Stasis argument of a customer-first call's leg
PRIORITY = 1000           # an answered customer is served before anyone else waiting
POOL_SLACK = 5            # customers kept ready beyond what the pacing may dial at once
ABANDONED = "abandoned"
DEFAULT_HANDLE = 120.0    # talk + wrap-up seconds assumed while nothing is measured
HANDLE_KEPT = 100         # the handle times the mean is taken over
MIN_HANDLES = 10          # ... once there are this many (the shape needs as many)
HISTORY_SECONDS = 86_400  # how far back the queue's own calls seed the mean handle time

# the stored interactions of a queue since a time (InteractionRepository.list)
History = Callable[..., Awaitable[list[dict[str, Any]]]]

Check = Callable[[Mapping[str, Any], Mapping[str, Any], str, float], Awaitable[Verdict]]


@dataclass
class Line:
    """One predictive campaign's live figures on this node."""

    recent: RecentDials = field(default_factory=RecentDials)
    abandon: AbandonTracker = field(default_factory=AbandonTracker)
    pool: deque[dict[str, Any]] = field(default_factory=deque)
    ringing: int = 0
    waiting: int = 0
    last: Decision | None = None
    # the talk + wrap-up seconds of the campaign's latest calls (the first from the
    # queue's history): the pacing's mean handle time
    handle: deque[float] = field(default_factory=lambda: deque(maxlen=HANDLE_KEPT))

    def mean_handle(self) -> float:
        """The mean of the handle times, once there are MIN_HANDLES of them (a mean of a
        few, the first calls to end, is too short and would make it overdial)."""
        if len(self.handle) < MIN_HANDLES:
            return DEFAULT_HANDLE
        return sum(self.handle) / len(self.handle)

    def shape(self) -> int:
        return handle_shape(list(self.handle))


@dataclass
class Dial:
    """How far one customer-first call went."""

    ringing: bool = True            # counted in its campaign's line.ringing
    channel: str | None = None      # the customer's leg while it rings
    answered: bool = False          # a person answered: its end reaches the campaign


def pacing_settings(spec: Mapping[str, Any]) -> PacingSettings:
    """A campaign's pacing; an abandon limit of 0 allows no abandoned call: progressive."""
    dialer = spec.get("dialer") or {}
    limit = float(dialer.get("abandon_limit", 0.03))
    mode = Mode(dialer.get("mode", "progressive")) if limit > 0 else Mode.PROGRESSIVE
    return PacingSettings(mode=mode,
                          max_dial_ratio=float(dialer.get("max_dial_ratio", 3.0)),
                          abandon_limit=limit if limit > 0 else 0.03,
                          abandon_seconds=float(dialer.get("abandon_seconds", 2.0)),
                          window=Window(dialer.get("window", "24h")))


def remaining(slots: Sequence[Slot], now: float, mean_handle: float,
              wrapup: float, shape: int = 2) -> float | None:
    """A busy agent's expected seconds until free: the latest end among their work (a
    wrap-up's end is known; a talk has its expected remaining talk, then the wrap-up);
    None when no slot says (the pacing then takes the mean handle time)."""
    ends: list[float] = []
    for slot in slots:
        if slot.state == SlotState.WRAP_UP and slot.until is not None:
            ends.append(max(0.0, slot.until - now))
        elif slot.state == SlotState.BUSY:
            talk = max(1.0, mean_handle - wrapup)
            ends.append(expected_remaining(now - slot.since, talk, shape) + wrapup)
    return max(ends) if ends else None


class PredictiveDialer:
    def __init__(self, voice: VoiceChannel, dispatcher: Dispatcher, outbound: OutboundCalls,
                 campaigns: CampaignRepository, calls: CampaignCalls,
                 settings: Callable[[], CampaignSettings], check: Check, *,
                 history: History | None = None,
                 clock: Callable[[], float] = time.time, tick_seconds: float = 1.0) -> None:
        self.voice, self.ari, self.dispatcher = voice, voice.ari, dispatcher
        self.outbound, self.campaigns, self.calls = outbound, campaigns, calls
        self.settings, self.check, self.clock = settings, check, clock
        self.tick_seconds, self.history = tick_seconds, history
        self.lines: dict[int, Line] = {}
        self._wake = asyncio.Event()

    def status(self, campaign_id: int) -> dict[str, Any] | None:
        """What supervisors see of a predictive campaign's dialling on this node: the
        last pacing decision, the abandon rate over the window, the calls in progress."""
        line = self.lines.get(campaign_id)
        if line is None:
            return None
        abandon = line.abandon.status(self.clock())
        last = line.last
        return {"mode": last.mode.value if last else None,
                "reason": last.reason if last else "nothing to dial yet",
                "dial_level": round(last.dial_level, 3) if last else None,
                "ringing": line.ringing, "answered_waiting": line.waiting,
                "ready_to_dial": len(line.pool),
                "mean_handle_seconds": round(line.mean_handle(), 1),
                "handle_shape": line.shape(),
                "handle_times": len(line.handle),
                "live_answers": abandon.live_answers, "abandoned": abandon.abandoned,
                "abandon_rate": round(abandon.rate, 4)}

    # ------------------------------------------------------------------ the pool
    def full(self) -> set[int]:
        """The campaigns whose pool holds enough customers for now (the runner takes no
        more of them)."""
        out = set()
        for cid, line in self.lines.items():
            ceiling = line.last.ceiling if line.last is not None else 1
            if len(line.pool) >= ceiling + POOL_SLACK:
                out.add(cid)
        return out

    async def add(self, campaign: CampaignView, target: Mapping[str, Any],
                  now: float) -> None:
        """A customer whose call step is due: dialled when the pacing says so."""
        line = await self._line(campaign)
        line.pool.append(dict(target))
        await self.campaigns.settle_active(campaign["id"], target["customer_id"], now,
                                           outcome="waiting to be dialled (predictive)")
        self._wake.set()

    async def _line(self, campaign: CampaignView) -> Line:
        line = self.lines.get(campaign["id"])
        if line is None:
            settings = pacing_settings(campaign["spec"])
            line = Line(abandon=AbandonTracker(settings.window))
            since = self.clock() - settings.window.seconds
            for at, outcome in await self.campaigns.live_answers(campaign["id"], since):
                if outcome == ABANDONED:
                    line.abandon.abandoned(at)
                else:
                    line.abandon.connected(at)
            line.handle.extend(await self._queue_handle_times(campaign["spec"]["queue"]))
            self.lines[campaign["id"]] = line
        return line

    async def _queue_handle_times(self, queue_name: str) -> list[float]:
        """The talk + wrap-up seconds of the queue's latest handled calls (the last day):
        the first calls of a campaign to end are the short ones, so its own figures start
        from the queue's."""
        queue = self.dispatcher.queues.get(queue_name)
        if self.history is None or queue is None:
            return []
        now = self.clock()
        try:
            views = await self.history(queue=queue_name, medium=Medium.VOICE.value,
                                       since=now - HISTORY_SECONDS, until=now,
                                       limit=HANDLE_KEPT)
        except Exception:
            log.exception("predictive dialling: the queue's handle times were not read")
            return []
        out = []
        for view in views:
            ts = view.get("timestamps") or {}
            answered, ended = ts.get("answered"), ts.get("ended")
            if answered is not None and ended is not None and ended >= answered:
                out.append(ended - answered + queue.wrapup_seconds)
        return out

    # ------------------------------------------------------------------ pacing
    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("predictive dialling: a round failed; trying again")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.tick_seconds):
                    await self._wake.wait()

    async def tick(self) -> int:
        """Dial what the pacing says for each campaign with customers in its pool."""
        dialled = 0
        for cid, line in list(self.lines.items()):
            if not line.pool:
                continue
            campaign = await self.campaigns.get(cid)
            if campaign["state"] != "running":
                if campaign["state"] == "finished":
                    line.pool.clear()   # (their targets were cancelled with it)
                continue
            decision = await self.decide(campaign, line)
            for _ in range(min(decision.dial, len(line.pool))):
                target = line.pool.popleft()
                line.ringing += 1
                self.voice.router.spawn(self._dial(campaign, target, line),
                                        f"campaign-dial-{cid}-{target['customer_id']}")
                dialled += 1
        return dialled

    async def decide(self, campaign: CampaignView, line: Line) -> Decision:
        settings = pacing_settings(campaign["spec"])
        free, busy = await self._agents(campaign["spec"]["queue"], line.mean_handle(),
                                        line.shape())
        now = self.clock()
        snapshot = Snapshot(free_agents=free, busy_agents=busy, ringing=line.ringing,
                            answered_waiting=line.waiting,
                            stats=line.recent.stats(line.mean_handle(),
                                                    line.abandon.status(now),
                                                    handle_shape=line.shape()))
        decision = decide(snapshot, settings)
        if line.last is None or (line.last.mode, line.last.reason.split(":")[0]) != (
                decision.mode, decision.reason.split(":")[0]):
            log.info("campaign %s: %s", campaign["name"], decision.reason)
        line.last = decision
        return decision

    async def _agents(self, queue_name: str, mean_handle: float, shape: int = 2
                      ) -> tuple[int, list[float | None]]:
        """The queue's agents able to take a call now (free), and those on a call or in
        its wrap-up (busy) with their expected remaining seconds: a wrap-up's end is
        known; a talk's remaining time follows from how long it has lasted."""
        queue = self.dispatcher.queues.get(queue_name)
        if queue is None:
            return 0, []
        lives = await self.dispatcher.state.agents()
        now = self.clock()
        wrapup = queue.wrapup_seconds
        free, busy = 0, []
        for agent_id, profile in self.dispatcher.profiles.items():
            live = lives.get(agent_id)
            if live is None or live.presence == Presence.LOGGED_OUT \
                    or not profile.has_skills(queue.required_skills) \
                    or profile.capacity.get(Medium.VOICE, 0) <= 0:
                continue
            if live.can_take(profile, Medium.VOICE):
                free += 1
            elif live.presence == Presence.AVAILABLE and live.slots:
                busy.append(remaining(live.slots, now, mean_handle, wrapup, shape))
        return free, busy

    # ------------------------------------------------------------------ one call
    async def _dial(self, campaign: CampaignView, target: Mapping[str, Any],
                    line: Line) -> None:
        dial = Dial()
        try:
            await self._place(campaign, target, line, dial)
        except asyncio.CancelledError:
            # cut short (Asterisk lost, the engine stopping): a customer still ringing is
            # hung up (answering later, they would find nobody) and due again; an answered
            # call's end reaches the campaign as any call's
            if not dial.answered:
                await asyncio.shield(self._cut_short(campaign, target, dial))
            raise
        except Exception:
            log.exception("campaign %s: the call to %s failed", campaign["name"],
                          target["customer_id"])
            if not dial.answered:
                with contextlib.suppress(Exception):
                    await self.campaigns.settle(campaign["id"], target["customer_id"],
                                                self.clock(), state="pending",
                                                next_at=self.clock() + 60,
                                                outcome="error while dialling: due again")
        finally:
            if dial.ringing:
                line.ringing -= 1
            self._wake.set()

    async def _cut_short(self, campaign: CampaignView, target: Mapping[str, Any],
                         dial: Dial) -> None:
        if dial.channel is not None:
            with contextlib.suppress(AriError):
                await self.ari.hangup(dial.channel)
        with contextlib.suppress(Exception):
            await self.campaigns.settle(campaign["id"], target["customer_id"], self.clock(),
                                        state="pending", next_at=self.clock() + 60,
                                        outcome="the call was cut short before an answer: "
                                                "due again")

    async def _place(self, campaign: CampaignView, target: Mapping[str, Any],
                     line: Line, dial: Dial) -> None:
        """Dial one customer (``dial`` says how far it went)."""
        cid, customer = campaign["id"], target["customer_id"]
        spec, now = campaign["spec"], self.clock()
        index = int(target["step"])
        info = {"id": cid, "name": campaign["name"], "step": index,
                "customer_id": customer, "mode": "predictive"}
        current = await self.campaigns.target(cid, customer)
        if current is None or current["state"] != "active":
            return               # they responded meanwhile, or the campaign finished
        # checked again just before the dial: consent, lists, cap, lockout, window
        verdict = await self.check(spec, current, "phone", now)
        closed = await self.calls.closed(current, now)
        if not verdict.allowed or closed:
            await self.campaigns.settle(cid, customer, now, state="pending", next_at=now,
                                        outcome=f"checked again before dialling: "
                                                f"{closed or verdict.reason}")
            return
        try:
            destination = self.outbound.policy.check(str(current["phone"]))
        except (BadNumber, NumberRefused) as e:
            await self.calls.failed(info, "refused", None, now, detail=str(e))
            return
        ring_seconds = int(float(spec["dialer"].get("ring_seconds", 25)))
        channel = dial.channel = f"{APP}-{uuid.uuid4().hex}"
        started = self.clock()
        with self.voice.router.listen(channel) as events:
            outcome = await ring(self.ari, events,
                                 self.outbound.settings.trunk.endpoint(destination.dial),
                                 app_args=[APP, str(cid)],
                                 caller_id=self.outbound.settings.caller_id_header,
                                 timeout=ring_seconds)
            line.ringing, dial.ringing = line.ringing - 1, False
            if outcome != ANSWERED:
                dial.channel = None
                line.recent.record(None)
                await self.calls.failed(info, outcome, None, self.clock())
                return
            answered = self.clock()
            dial.answered = True
            line.recent.record(answered - started)
            interaction = Interaction(
                id=uuid.uuid4().hex, medium=Medium.VOICE, queue=spec["queue"],
                priority=PRIORITY, required_skills={}, customer_id=customer,
                attributes={"caller_number": destination.e164, "direction": "outbound",
                            "caller_channel": channel, "node": self.voice.node,
                            CAMPAIGN: info,
                            "pop": {"number": destination.e164,
                                    "reason": "a campaign's call (the customer did not "
                                              "ask for it)",
                                    "note": f"Campaign {campaign['name']}, step "
                                            f"{index + 1}"}},
                created_at=started, enqueued_at=None, sl_target_seconds=None)
            interaction.record("entered", started)
            interaction.record("dialling", started, number=destination.e164,
                               trunk=self.outbound.settings.trunk.name)
            interaction.record("connected", answered, number=destination.e164)
            await self._serve(campaign, interaction, channel, events, line)

    async def _serve(self, campaign: CampaignView, interaction: Interaction, channel: str,
                     events: Any, line: Line) -> None:
        """The customer answered: an agent within abandon_seconds, or the abandon
        message; then the call goes on (or ends) as any call."""
        line.waiting += 1
        waiting = True
        try:
            async with self.voice.following(VoiceCall(interaction, channel, events)) as call:
                await self.dispatcher.enqueue(interaction)
                seconds = float(campaign["spec"]["dialer"].get("abandon_seconds", 2.0))
                found = await self._agent_within(call, seconds)
                line.waiting, waiting = line.waiting - 1, False
                if not found:
                    await self._abandon(campaign, call, line)
                    return
                talking = self.clock()
                line.abandon.connected(talking)
                await self.voice.follow_caller(call)
                queue = self.dispatcher.queues.get(interaction.queue or "")
                line.handle.append(self.clock() - talking
                                   + (queue.wrapup_seconds if queue else 0.0))
        finally:
            if waiting:
                line.waiting -= 1

    async def _agent_within(self, call: VoiceCall, seconds: float) -> bool:
        """Whether an agent took the call: bridged, or their phone ringing for it, at
        ``seconds`` after the answer (a ringing agent who then does not answer does not
        count). False when the customer hangs up first, or nobody took it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        iid = call.interaction.id
        while True:
            if call.agent_id is not None:
                return True
            if call.done.is_set():
                return False
            left = deadline - loop.time()
            if left <= 0:
                ringing = self.voice.ringing.get(iid)
                if ringing is not None:
                    await ringing.over.wait()
                    await asyncio.sleep(0)      # the bridge (call.agent_id) comes next
                    continue
                try:
                    if await self.dispatcher.hold_waiting(iid):
                        return False           # out of routing: nobody will get it now
                except UnknownInteraction:
                    return False               # (no longer live: nothing to wait for)
                # an offer is being made this instant: its ring (or its failure) is next
            event = await call.events.next(min(left, 0.05) if left > 0 else 0.05)
            if event is not None and event.type in HANGUP_EVENTS:
                call.hung_up_by = call.hung_up_by or "caller"
                call.done.set()
                return False

    async def _abandon(self, campaign: CampaignView, call: VoiceCall, line: Line) -> None:
        """Nobody took the answered call in time: the message, then the engine hangs up;
        the contact is recorded and the number locked out."""
        now = self.clock()
        line.abandon.abandoned(now)
        info = call.interaction.attributes[CAMPAIGN]
        heard = "hung up before an agent was found"
        if not call.done.is_set():
            call.end_reason, call.hung_up_by = "abandoned_by_dialer", "system"
            played: list[dict[str, Any]] = []
            message = tuple(self.settings().abandon_message)
            try:
                if message:
                    await CallerLeg(self.voice, call, played.append).play(message)
            except (CallerGone, Exception) as e:   # noqa: BLE001 (the call ends anyway)
                if not isinstance(e, CallerGone):
                    log.warning("campaign %s: the abandon message failed: %s",
                                campaign["name"], e)
            media = [m for p in played for m in p.get("media", [])]
            heard = f"message played: {', '.join(media)}" if media else "no message played"
            with contextlib.suppress(UnknownInteraction):
                await self.dispatcher.record(call.interaction.id, "abandon_message",
                                             media=media, configured=list(message))
        lockout = float(campaign["spec"]["dialer"].get("abandon_lockout_hours", 72.0)) * 3600
        await self.calls.failed(info, ABANDONED, call.interaction.id, self.clock(),
                                detail=heard, not_before=now + lockout)
