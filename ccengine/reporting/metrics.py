"""What ``GET /metrics`` exposes (docs/metrics.md), in the Prometheus text format through
prometheus-client, from a registry of the engine's own (several engines may share a
process).

Counters and the wait histogram come from the dispatcher's events
(``interaction_counts.py``); the gauges are read from live state and the health checks at
each scrape, so none goes stale. No label carries a phone number, an address, a customer,
an interaction or an agent: queues, media, states, outcomes and reasons from fixed sets.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from ccengine.core.agent_state import AgentLive, Presence, SlotState
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.interaction_counts import KINDS, OUTCOMES, InteractionCounts

log = logging.getLogger(__name__)

STATE_SECONDS = 2.0   # how long a scrape waits for live state
AGENT_STATES = ("logged_out", "available", "not_ready", "offered", "busy", "wrap_up")
# health check part (api/health.py) -> the gauge that says it is up
HEALTH_GAUGES = {"asterisk": "ccengine_asterisk_up", "ari": "ccengine_ari_up",
                 "ami": "ccengine_ami_up", "store": "ccengine_store_up",
                 "live_state": "ccengine_state_up"}
HEALTH_HELP = {"asterisk": "Asterisk is running and not in an outage (1) or not (0)",
               "ari": "The ARI event stream is connected (1) or not (0)",
               "ami": "The AMI connection is logged in (1) or not (0)",
               "store": "The SQL store answers a trivial query (1) or not (0)",
               "live_state": "The live-state backend answers (1) or not (0)"}
COUNTER_HELP = {
    "queued": "Interactions put in a queue (each once, at its first queueing)",
    "offered": "Offers of work to an agent (a re-offer after a RONA counts again)",
    "answered": "Interactions answered by an agent (each once, at its first answer)",
    "abandoned": "Interactions whose customer left after queueing, never answered",
    "exited": "Interactions that ended otherwise after queueing, never answered "
              "(a callback or voicemail instead, the maximum wait, the engine ending it)",
}

# the parts of /api/health (run_checks' "parts"), given at each scrape
Health = Mapping[str, Mapping[str, Any]]


def engine_version() -> str:
    try:
        return version("ccengine")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class LiveView:
    """What the gauges show, read at one scrape."""

    queues: Mapping[str, QueueConfig]
    agent_ids: tuple[str, ...]
    agents: Mapping[str, AgentLive] | None        # None: live state could not be read
    waiting: tuple[Interaction, ...] | None
    now: float
    health: Health | None = None
    version: str = field(default_factory=engine_version)


class EngineMetrics:
    """One engine's metrics: subscribe to its dispatcher, then ``exposition()`` per scrape."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.counts = InteractionCounts(q.sl_seconds for q in dispatcher.queues.values())
        self.registry = CollectorRegistry()
        self._unsubscribe = dispatcher.subscribe(self.counts.on_event)
        self._view: LiveView | None = None
        self.version = engine_version()
        self.registry.register(_Collector(self))

    def close(self) -> None:
        self._unsubscribe()

    def reconfigure(self, queues: Mapping[str, QueueConfig]) -> None:
        """A reload: every queue's threshold becomes a bucket of the wait histogram (a new
        one clears its series, logged)."""
        thresholds = [q.sl_seconds for q in queues.values()]
        if self.counts.waits.add_bounds(thresholds):
            log.info("metrics: ccengine_queue_wait_seconds now has a bucket at each "
                     "service-level threshold (%s s): its series start again from zero",
                     ", ".join(sorted({f"{t:g}" for t in thresholds})))

    async def live_view(self) -> LiveView:
        """Live state now; if it cannot be read within STATE_SECONDS (Redis down) the
        queue and agent gauges are left out, the rest is still served."""
        d = self.dispatcher
        agents: Mapping[str, AgentLive] | None = None
        waiting: tuple[Interaction, ...] | None = None
        try:
            async with asyncio.timeout(STATE_SECONDS):
                agents, listed = await asyncio.gather(d.state.agents(), d.state.waiting())
            waiting = tuple(listed)
        except Exception as e:   # TimeoutError included: the scrape goes on without them
            log.debug("metrics: live state not read (%s)", str(e) or type(e).__name__)
        return LiveView(queues=dict(d.queues), agent_ids=tuple(d.profiles), agents=agents,
                        waiting=waiting, now=d.clock(), version=self.version)

    async def exposition(self, health: Callable[[], Awaitable[Health]] | None = None
                         ) -> bytes:
        """The text format, with the gauges read now (``health``: the health checks'
        parts, run at the same time as live state is read)."""
        if health is None:
            view = await self.live_view()
        else:
            view, parts = await asyncio.gather(self.live_view(), health())
            view = replace(view, health=parts)
        self._view = view          # read by the collector in this same synchronous step
        try:
            return generate_latest(self.registry)
        finally:
            self._view = None


class _Collector:
    """prometheus-client's view of EngineMetrics (``collect`` runs inside generate_latest)."""

    def __init__(self, metrics: EngineMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        view = self.metrics._view
        if view is None:   # collected outside a scrape: live state cannot be read here
            return
        yield from counters(self.metrics.counts, view)
        yield wait_histogram(self.metrics.counts, view)
        yield from queue_gauges(view)
        yield from agent_gauges(view)
        yield from health_metrics(view)
        info = GaugeMetricFamily("ccengine_build_info", "The engine's version (always 1)",
                                 labels=["version"])
        info.add_metric([view.version], 1)
        yield info


def _queue_media(view: LiveView) -> list[tuple[str, str]]:
    """Every configured queue with each medium it takes: series shown from the start."""
    return [(name, m.value) for name, q in view.queues.items()
            for m in sorted(q.media, key=lambda m: m.value)]


def counters(counts: InteractionCounts, view: LiveView) -> Iterator[Metric]:
    known = _queue_media(view)
    for kind in KINDS:
        family = CounterMetricFamily(f"ccengine_interactions_{kind}", COUNTER_HELP[kind],
                                     labels=["queue", "medium"])
        seen = counts.counts[kind]
        for labels in sorted(set(known) | set(seen)):
            family.add_metric(list(labels), seen.get(labels, 0))
        yield family
    requeued = CounterMetricFamily(
        "ccengine_interactions_requeued",
        "Work put back in its queue, by reason (no_answer, rejected, unreachable, "
        "transfer_failed, disconnected, withdrawn, other)",
        labels=["queue", "medium", "reason"])
    for labels, n in sorted(counts.requeued.items()):
        requeued.add_metric(list(labels), n)
    yield requeued


def wait_histogram(counts: InteractionCounts, view: LiveView) -> Metric:
    waits = counts.waits
    family = HistogramMetricFamily(
        "ccengine_queue_wait_seconds",
        "Wait from queueing to the answer (email: the first reply) or, never answered, to "
        "the end; le buckets include every queue's service-level threshold",
        labels=["queue", "medium", "outcome"])
    known = [(*qm, outcome) for qm in _queue_media(view) for outcome in OUTCOMES]
    for labels in sorted(set(known) | set(waits.series)):
        buckets = [(floatToGoString(bound), n) for bound, n in waits.buckets(labels)]
        family.add_metric(list(labels), buckets, waits.total(labels))
    return family


def queue_gauges(view: LiveView) -> Iterator[Metric]:
    yield from _waiting_gauges(view)
    threshold = GaugeMetricFamily("ccengine_queue_service_level_seconds",
                                  "The queue's service-level threshold (sl_seconds)",
                                  labels=["queue"])
    target = GaugeMetricFamily("ccengine_queue_service_level_target_ratio",
                               "The share to answer within the threshold (sl_percent / 100)",
                               labels=["queue"])
    for name, q in sorted(view.queues.items()):
        threshold.add_metric([name], q.sl_seconds)
        target.add_metric([name], q.sl_percent / 100)
    yield threshold
    yield target


def _waiting_gauges(view: LiveView) -> Iterator[Metric]:
    if view.waiting is None:
        return
    waiting = GaugeMetricFamily("ccengine_queue_waiting",
                                "Interactions waiting for an agent (not being offered)",
                                labels=["queue", "medium"])
    oldest = GaugeMetricFamily("ccengine_queue_oldest_wait_seconds",
                               "How long the longest-waiting interaction has waited (0: none)",
                               labels=["queue", "medium"])
    count: Counter[tuple[str, str]] = Counter()
    longest: dict[tuple[str, str], float] = {}
    for i in view.waiting:
        key = (i.queue or "", i.medium.value)
        count[key] += 1
        wait = max(0.0, view.now - (i.enqueued_at or view.now))
        longest[key] = max(longest.get(key, 0.0), wait)
    for key in sorted(set(_queue_media(view)) | set(count)):
        waiting.add_metric(list(key), count.get(key, 0))
        oldest.add_metric(list(key), round(longest.get(key, 0.0), 3))
    yield waiting
    yield oldest


def agent_gauges(view: LiveView) -> Iterator[Metric]:
    if view.agents is None:
        return
    states: Counter[str] = Counter()
    slots: Counter[tuple[str, str]] = Counter()
    logged_in = 0
    for agent_id in view.agent_ids:
        live = view.agents.get(agent_id) or AgentLive(agent_id)
        states[live.display()] += 1
        logged_in += live.presence != Presence.LOGGED_OUT
        for slot in live.slots:
            slots[(slot.medium.value, slot.state.value)] += 1
    by_state = GaugeMetricFamily("ccengine_agents", "Configured agents by state",
                                 labels=["state"])
    for state in sorted(set(AGENT_STATES) | set(states)):
        by_state.add_metric([state], states.get(state, 0))
    yield by_state
    yield GaugeMetricFamily("ccengine_agents_logged_in", "Agents logged in (in any state)",
                            value=logged_in)
    by_slot = GaugeMetricFamily("ccengine_agent_slots",
                                "Work in agents' hands by medium and slot state",
                                labels=["medium", "state"])
    known = {(m.value, s.value) for m in Medium for s in SlotState}
    for key in sorted(known | set(slots)):
        by_slot.add_metric(list(key), slots.get(key, 0))
    yield by_slot


def health_metrics(view: LiveView) -> Iterator[Metric]:
    """The /api/health parts as gauges (none when the engine has no health checks)."""
    if view.health is None:
        return
    parts = view.health
    for part, name in HEALTH_GAUGES.items():
        if part in parts:
            yield GaugeMetricFamily(name, HEALTH_HELP[part],
                                    value=1 if parts[part].get("ok") else 0)
    admission = parts.get("admission")
    if admission is not None:
        yield GaugeMetricFamily(
            "ccengine_admission_refusing",
            "New callers are refused (SIP 503) while the engine runs late (1) or not (0)",
            value=1 if admission.get("refusing_callers") else 0)
        episodes = admission.get("episodes")
        if isinstance(episodes, int):
            yield CounterMetricFamily("ccengine_admission_episodes",
                                      "Overload episodes (new callers refused) so far",
                                      value=episodes)
    outages = parts.get("asterisk", {}).get("outages")
    if isinstance(outages, int):
        yield CounterMetricFamily("ccengine_asterisk_outages",
                                  "Asterisk outages (lost, then started again) so far",
                                  value=outages)
