"""The metrics collector: the dispatcher's events in, the Prometheus text out (read back
with prometheus-client's parser); names and labels kept to the house rules; the service
level derived from the wait histogram equals the report's."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.core.agent import AgentProfile
from ccengine.core.events import (
    InteractionAnswered,
    InteractionCancelled,
    InteractionEnded,
    InteractionQueued,
    InteractionUpdated,
)
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.interaction_counts import InteractionCounts
from ccengine.reporting.metrics import EngineMetrics
from ccengine.reporting.service_level import Item, service_level
from ccengine.reporting.wait_histogram import LADDER, WaitHistogram
from ccengine.state.memory import MemoryState
from tests.prom import Exposition

PHONE = "+447700900123"
EMAIL = "jane.doe@example.com"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Channel:
    def __init__(self, medium: Medium) -> None:
        self.medium = medium

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        pass


@pytest.fixture
async def engine():  # type: ignore[no-untyped-def]
    clock = Clock()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.VOICE, Medium.EMAIL}),
                                   {"sales": 1}, sl_seconds=25, sl_percent=80),
              "support": QueueConfig("support", frozenset({Medium.VOICE}), {"support": 1})}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}),
              "bob": AgentProfile("bob", "Bob", {"sales": 5, "support": 5}),
              "carol": AgentProfile("carol", "Carol", {"support": 5})}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    d.register_channel(Channel(Medium.VOICE))
    d.register_channel(Channel(Medium.EMAIL))
    metrics = EngineMetrics(d)
    await d.start()
    yield d, clock, metrics
    await d.stop()
    metrics.close()


def call(iid: str, queue: str = "sales", medium: Medium = Medium.VOICE) -> Interaction:
    """Work that carries what must never reach a label: a number, an address, a customer."""
    return Interaction(iid, medium, queue=queue, created_at=1000.0, customer_id=f"cust-{iid}",
                       attributes={"caller_number": PHONE, "from_address": EMAIL})


async def scrape(metrics: EngineMetrics, **parts: dict) -> Exposition:  # type: ignore[type-arg]
    async def health() -> dict:  # type: ignore[type-arg]
        return parts
    text = (await metrics.exposition(health if parts else None)).decode()
    return Exposition.parse(text)


async def test_given_calls_answered_abandoned_and_requeued_then_counters_say_so(engine) -> None:  # type: ignore[no-untyped-def]
    d, clock, metrics = engine
    for iid in ("c1", "c2", "c3"):
        await d.enqueue(call(iid))
    await d.login("alice")                      # c1 offered to alice
    clock.now += 5
    await d.offer_failed("c1", "alice", "no_answer")   # RONA: c1 back in its queue
    await d.login("bob")                         # c1 offered to bob
    clock.now += 3
    await d.offer_accepted("c1", "bob")
    clock.now += 30
    await d.cancel("c2", "abandoned", hung_up_by="caller")   # the caller left after 38 s
    await d.interaction_ended("c1", "bob")
    await d.set_available("alice")               # c3 offered to alice after 38 s
    await d.offer_accepted("c3", "alice")
    await d.take_over("c3", "alice")             # a second answer is not counted again
    await d.enqueue(call("s1", queue="support"))
    await d.offer_failed("c3", "alice", "weird reason")   # not offered: nothing changes
    await d.enqueue(call("s2", queue="support"))
    await d.cancel("s2", "callback_requested")   # a callback instead: not abandoned

    m = await scrape(metrics)
    sales = {"queue": "sales", "medium": "voice"}
    assert m.value("ccengine_interactions_queued_total", **sales) == 3
    assert m.value("ccengine_interactions_offered_total", **sales) == 3
    assert m.value("ccengine_interactions_answered_total", **sales) == 2
    assert m.value("ccengine_interactions_abandoned_total", **sales) == 1
    assert m.value("ccengine_interactions_exited_total", **sales) == 0
    support = {"queue": "support", "medium": "voice"}
    assert m.value("ccengine_interactions_abandoned_total", **support) == 0
    assert m.value("ccengine_interactions_exited_total", **support) == 1
    assert m.value("ccengine_interactions_requeued_total", reason="no_answer", **sales) == 1
    assert m.value("ccengine_interactions_queued_total", queue="support") == 2
    # every configured queue and medium is there from the start, at zero
    assert m.value("ccengine_interactions_answered_total", queue="sales", medium="email") == 0
    # c1 answered 8 s after queueing, c3 at 38 s; c2 abandoned at 38 s
    wait = "ccengine_queue_wait_seconds"
    assert m.value(f"{wait}_count", outcome="answered", **sales) == 2
    assert m.value(f"{wait}_sum", outcome="answered", **sales) == 8 + 38
    assert m.value(f"{wait}_bucket", outcome="answered", le="10.0", **sales) == 1
    assert m.value(f"{wait}_bucket", outcome="answered", le="25.0", **sales) == 1
    assert m.value(f"{wait}_bucket", outcome="answered", le="45.0", **sales) == 2
    assert m.value(f"{wait}_bucket", outcome="abandoned", le="30.0", **sales) == 0
    assert m.value(f"{wait}_count", outcome="abandoned", **sales) == 1
    # the report's variant: 1 met of 2 answered and 1 abandoned past the threshold
    assert m.service_level("sales", 25, "voice") == pytest.approx(100 / 3)


async def test_given_live_work_then_gauges_read_it_at_scrape_time(engine) -> None:  # type: ignore[no-untyped-def]
    d, clock, metrics = engine
    await d.enqueue(call("c1"))
    clock.now += 10
    await d.enqueue(call("c2"))
    await d.enqueue(call("e1", medium=Medium.EMAIL))
    await d.login("carol")
    await d.login("bob")                          # c1 offered to bob
    clock.now += 2
    await d.set_not_ready("carol", "lunch")
    m = await scrape(metrics, asterisk={"ok": True, "outages": 2}, ari={"ok": True},
                     ami={"ok": False, "error": "down"}, store={"ok": True},
                     live_state={"ok": True},
                     admission={"ok": False, "refusing_callers": True, "episodes": 1})
    assert m.value("ccengine_queue_waiting", queue="sales", medium="voice") == 1
    assert m.value("ccengine_queue_oldest_wait_seconds", queue="sales", medium="voice") == 2
    assert m.value("ccengine_queue_waiting", queue="sales", medium="email") == 1
    assert m.value("ccengine_queue_waiting", queue="support", medium="voice") == 0
    assert m.value("ccengine_queue_oldest_wait_seconds", queue="support") == 0
    assert m.value("ccengine_agents", state="offered") == 1
    assert m.value("ccengine_agents", state="not_ready") == 1
    assert m.value("ccengine_agents", state="logged_out") == 1
    assert m.value("ccengine_agents", state="available") == 0
    assert m.value("ccengine_agents_logged_in") == 2
    assert m.value("ccengine_agent_slots", medium="voice", state="offered") == 1
    assert m.value("ccengine_queue_service_level_seconds", queue="sales") == 25
    assert m.value("ccengine_queue_service_level_target_ratio", queue="sales") == 0.8
    assert (m.value("ccengine_asterisk_up"), m.value("ccengine_ami_up"),
            m.value("ccengine_state_up")) == (1, 0, 1)
    assert m.value("ccengine_admission_refusing") == 1
    assert m.value("ccengine_admission_episodes_total") == 1
    assert m.value("ccengine_asterisk_outages_total") == 2
    assert m.families["ccengine_build_info"][1][0].labels["version"]
    # nothing goes stale: once c2 is answered and c1 abandoned, the gauges say so
    await d.offer_accepted("c1", "bob")
    await d.cancel("c2", "caller_hung_up")
    again = await scrape(metrics)
    assert again.value("ccengine_queue_waiting", queue="sales", medium="voice") == 0
    assert again.value("ccengine_agents", state="busy") == 1
    assert "ccengine_ami_up" not in again.families   # no health checks given this time


async def test_given_live_state_unreadable_then_the_rest_is_still_served(engine) -> None:  # type: ignore[no-untyped-def]
    d, clock, metrics = engine
    await d.enqueue(call("c1"))

    async def broken() -> list[Interaction]:
        raise ConnectionError("Redis is gone")
    d.state.waiting = broken
    m = await scrape(metrics, live_state={"ok": False, "error": "Redis is gone"})
    assert m.value("ccengine_state_up") == 0
    assert m.value("ccengine_interactions_queued_total", queue="sales", medium="voice") == 1
    assert "ccengine_queue_waiting" not in m.families       # unknown, not zero
    assert "ccengine_agents" not in m.families
    assert m.value("ccengine_queue_service_level_seconds", queue="sales") == 25


ALLOWED_LABELS = {"queue", "medium", "outcome", "reason", "state", "version", "le"}
LOOKS_PERSONAL = (re.compile(r"\+?\d[\d ().-]{5,}\d"),           # a phone number
                  re.compile(r"[^@\s]+@[^@\s]+"),                  # an address
                  re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?"
                             r"[0-9a-f]{12}", re.I),               # a uuid
                  re.compile(r"cust-|^c\d$|^e\d$|alice|bob|carol"))  # ids of this test


async def test_every_exposed_metric_follows_the_naming_and_label_rules(engine) -> None:  # type: ignore[no-untyped-def]
    d, clock, metrics = engine
    await d.enqueue(call("c1"))
    await d.enqueue(call("e1", medium=Medium.EMAIL))
    await d.login("alice")
    await d.offer_failed("c1", "alice", "rejected")
    await d.login("bob")
    await d.offer_accepted("c1", "bob")
    await d.cancel("e1", "closed")
    m = await scrape(metrics, asterisk={"ok": True, "outages": 0}, ari={"ok": True},
                     ami={"ok": True}, store={"ok": True}, live_state={"ok": True},
                     admission={"ok": True, "refusing_callers": False, "episodes": 0})
    assert len(m.families) >= 20
    for name, (kind, samples) in m.families.items():
        assert name.startswith("ccengine_"), name
        for s in samples:
            if kind == "counter":
                assert s.name.endswith("_total"), s.name
            assert set(s.labels) <= ALLOWED_LABELS, (s.name, s.labels)
            for label, value in s.labels.items():
                if label == "le":   # a bucket's bound: a number by design
                    assert float(value) > 0, (s.name, value)
                    continue
                if label == "version":   # the package's version, digits and dots
                    assert re.fullmatch(r"[0-9][0-9a-z.+-]*|unknown", value), value
                    continue
                assert not any(p.search(value) for p in LOOKS_PERSONAL), (s.name, value)
    assert m.families["ccengine_queue_wait_seconds"][0] == "histogram"


async def test_given_two_engines_in_one_process_then_each_has_its_own_registry() -> None:
    one = Dispatcher(MemoryState(), {"q": QueueConfig("q", frozenset({Medium.VOICE}))}, {})
    two = Dispatcher(MemoryState(), {"q": QueueConfig("q", frozenset({Medium.VOICE}))}, {})
    for d in (one, two):
        d.register_channel(Channel(Medium.VOICE))
    m1, m2 = EngineMetrics(one), EngineMetrics(two)
    await one.enqueue(Interaction("x", Medium.VOICE, queue="q"))
    assert (await scrape(m1)).value("ccengine_interactions_queued_total") == 1
    assert (await scrape(m2)).value("ccengine_interactions_queued_total") == 0


async def test_given_a_reload_with_a_new_threshold_then_it_becomes_a_bucket(engine) -> None:  # type: ignore[no-untyped-def]
    d, clock, metrics = engine
    await d.enqueue(call("c1"))
    await d.login("alice")
    clock.now += 3
    await d.offer_accepted("c1", "alice")
    queues = {**d.queues, "vip": QueueConfig("vip", frozenset({Medium.VOICE}), sl_seconds=7)}
    metrics.reconfigure(d.queues)                # the thresholds it has: nothing changes
    assert (await scrape(metrics)).value("ccengine_queue_wait_seconds_count",
                                         outcome="answered") == 1
    await d.reconfigure(queues, d.profiles, 20)
    metrics.reconfigure(queues)                  # 7 s is new: the series start again
    m = await scrape(metrics)
    assert m.value("ccengine_queue_wait_seconds_count", outcome="answered") == 0
    await d.enqueue(call("v1", queue="vip"))
    clock.now += 7
    await d.cancel("v1", "caller_hung_up")     # abandoned after exactly 7 s: within
    m = await scrape(metrics)
    assert m.value("ccengine_queue_wait_seconds_bucket", queue="vip", outcome="abandoned",
                   le="7.0") == 1


async def test_given_email_then_its_wait_ends_at_the_first_reply_as_the_report_counts() -> None:
    counts = InteractionCounts([3600])
    mail = Interaction("e1", Medium.EMAIL, queue="sales")
    mail.record("queued", 0.0)
    counts.on_event(InteractionQueued(0.0, mail))
    mail.record("answered", 60.0)
    counts.on_event(InteractionAnswered(60.0, mail, "alice"))
    assert counts.waits.count(("sales", "email", "answered")) == 0   # accepted, no reply yet
    mail.record("first_response", 4000.0)
    counts.on_event(InteractionUpdated(4000.0, mail, "first_response"))
    mail.record("ended", 4100.0)
    counts.on_event(InteractionEnded(4100.0, mail, "alice"))
    assert counts.waits.buckets(("sales", "email", "answered"))[-1] == (float("inf"), 1)
    assert counts.waits.within(("sales", "email", "answered"), 3600) == 0
    assert counts.counts["answered"][("sales", "email")] == 1
    assert counts.waits.count(("sales", "email", "abandoned")) == 0


def test_given_bounds_then_a_wait_on_a_bound_is_within_it() -> None:
    h = WaitHistogram.with_thresholds([20, 42.5])
    assert 42.5 in h.bounds and h.bounds == tuple(sorted(h.bounds))
    for seconds in (0, 20, 20.001, 42.5, -1, 10**6):
        h.observe(("q",), seconds)
    assert h.within(("q",), 20) == 3            # 0, 20 and the clock step
    assert h.within(("q",), 42.5) == 5
    assert h.buckets(("q",))[-1][1] == h.count(("q",)) == 6
    assert h.add_bounds([20, 1.0]) is False and h.count(("q",)) == 6
    assert len(LADDER) < len(h.bounds)


OUTCOME = st.sampled_from(["answered", "abandoned"])


@settings(max_examples=200, deadline=None)
@given(threshold=st.sampled_from([5.0, 20.0, 30.0, 37.5, 14400.0]),
       work=st.lists(st.tuples(st.floats(0, 30000, allow_nan=False), OUTCOME,
                               st.floats(0, 10**9, allow_nan=False)), max_size=40))
def test_the_service_level_derived_from_the_histogram_is_the_reports(
        threshold: float, work: list[tuple[float, str, float]]) -> None:
    counts = InteractionCounts([threshold])
    items = []
    for n, (wait, outcome, arrived) in enumerate(work):
        i = Interaction(f"i{n}", Medium.VOICE, queue="q")
        i.record("queued", arrived)
        counts.on_event(InteractionQueued(arrived, i))
        end = arrived + wait
        if outcome == "answered":
            i.record("answered", end)
            counts.on_event(InteractionAnswered(end, i, "a"))
            i.record("ended", end + 1)
            counts.on_event(InteractionEnded(end + 1, i, "a"))
            items.append(Item(arrived, responded_at=end, ended_at=end + 1))
        else:
            i.record("cancelled", end)
            counts.on_event(InteractionCancelled(end, i, "caller_hung_up"))
            items.append(Item(arrived, ended_at=end))
    report = service_level(items, threshold, 80, now=2 * 10**9).percent
    a_le = counts.waits.within(("q", "voice", "answered"), threshold)
    a = counts.waits.count(("q", "voice", "answered"))
    b_le = counts.waits.within(("q", "voice", "abandoned"), threshold)
    b = counts.waits.count(("q", "voice", "abandoned"))
    derived = 100 * a_le / (a + b - b_le) if a + b - b_le else None
    if report is None:
        assert derived is None
    else:
        assert derived is not None and abs(derived - report) < 0.1
