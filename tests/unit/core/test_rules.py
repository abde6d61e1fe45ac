"""Business rules (overflow, key accounts, escalation, hours): examples at the boundaries,
config errors that name the key, and router properties that hold with rules on."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence
from ccengine.core.errors import ConfigError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.router import (
    RoutingSnapshot,
    effective_priority,
    order_waiting,
    queue_order,
    route,
)
from ccengine.core.rules import (
    ESCALATED,
    Escalation,
    EscalationKind,
    escalations,
    is_open,
    validate_references,
)

WEEKDAYS = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def queue(**doc: Any) -> QueueConfig:
    return QueueConfig.from_mapping({"name": "sales", "required_skills": {"sales": 5},
                                     "aging_per_minute": 0, **doc}, "queues.yaml: queues[0]")


def agent(agent_id: str, skills: dict[str, int], idle: float = 0.0
          ) -> tuple[AgentProfile, AgentLive]:
    profile = AgentProfile(agent_id, agent_id, skills, {Medium.VOICE: 1})
    return profile, sm.login(AgentLive(agent_id), idle)[0]


def item(iid: str, at: float, priority: int = 0, queue_name: str = "sales",
         tier: str | None = None) -> Interaction:
    attributes = {"customer_tier": tier} if tier else {}
    return Interaction(iid, Medium.VOICE, queue=queue_name, priority=priority, enqueued_at=at,
                       attributes=attributes)


def snap(agents: list[tuple[AgentProfile, AgentLive]], waiting: list[Interaction],
         *queues: QueueConfig) -> RoutingSnapshot:
    by_name = {q.name: q for q in queues}
    return RoutingSnapshot({p.id: p for p, _ in agents}, {p.id: live for p, live in agents},
                           by_name, order_waiting(waiting, by_name))


def routed(s: RoutingSnapshot, now: float) -> list[tuple[str, str]]:
    return [(a.interaction_id, a.agent_id) for a in route(s, now)]


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0,
       tz: str = "UTC") -> float:
    return dt.datetime(year, month, day, hour, minute, second,
                       tzinfo=ZoneInfo(tz)).timestamp()


# ------------------------------------------------------------------ config
EXAMPLE = {
    "name": "sales", "media": ["voice", "chat"], "required_skills": {"sales": 5},
    "overflow": [{"after_seconds": 120, "add_queue_agents": "support"},
                 {"after_seconds": 60, "widen_skills": 2},
                 {"after_seconds": 180, "raise_priority": 5}],
    "key_account_boost": 10,
    "escalate_after_seconds": 300, "escalate_to": {"queue": "support"},
    "hours": {"timezone": "Europe/London", "open": {**WEEKDAYS, "sat": ["09:00-13:00"],
                                                    "sun": []},
              "holidays": ["2026-12-25", dt.date(2026, 12, 26)]},
}


def test_given_full_example_when_loaded_then_every_rule_is_data() -> None:
    q = QueueConfig.from_mapping(EXAMPLE, "queues.yaml: queues[0]")
    assert [r.after_seconds for r in q.overflow] == [60, 120, 180]  # sorted
    assert (q.overflow[0].widen_skills, q.overflow[1].add_queue_agents,
            q.overflow[2].raise_priority) == (2, "support", 5)
    assert q.key_account_boost == 10
    assert q.escalate_after_seconds == 300
    assert q.escalate_to is not None and q.escalate_to.kind == EscalationKind.TRANSFER
    assert q.hours is not None and q.hours.timezone == "Europe/London"
    assert q.hours.open[5] == ((9 * 60, 13 * 60),) and q.hours.open[6] == ()
    assert q.hours.holidays == {dt.date(2026, 12, 25), dt.date(2026, 12, 26)}


@pytest.mark.parametrize(("change", "key"), [
    ({"overflow": {"after_seconds": 1}}, "overflow"),
    ({"overflow": [{"widen_skills": 1}]}, "overflow[0].after_seconds"),
    ({"overflow": [{"after_seconds": -1, "widen_skills": 1}]}, "overflow[0].after_seconds"),
    ({"overflow": [{"after_seconds": 5}]}, "overflow[0]"),
    ({"overflow": ["widen"]}, "overflow[0]"),
    ({"overflow": [{"after_seconds": 5, "widen": 1}]}, "overflow[0].widen"),
    ({"overflow": [{"after_seconds": 5, "widen_skills": 10}]}, "overflow[0].widen_skills"),
    ({"overflow": [{"after_seconds": 5, "widen_skills": 1},
                   {"after_seconds": 9, "add_queue_agents": "sales"}]},
     "overflow[1].add_queue_agents"),
    ({"overflow": [{"after_seconds": 5, "raise_priority": "x"}]},
     "overflow[0].raise_priority"),
    ({"key_account_boost": -1}, "key_account_boost"),
    ({"escalate_after_seconds": 60, "escalate_to": None}, "escalate_to"),
    ({"escalate_after_seconds": None}, "escalate_after_seconds"),
    ({"escalate_after_seconds": 60, "escalate_to": "boss"}, "escalate_to"),
    ({"escalate_after_seconds": 60, "escalate_to": {"queue": "sales"}}, "escalate_to.queue"),
    ({"escalate_after_seconds": 60, "escalate_to": {"raise_priority": 0}},
     "escalate_to.raise_priority"),
    ({"escalate_after_seconds": -5, "escalate_to": "supervisor"}, "escalate_after_seconds"),
    ({"hours": {"open": WEEKDAYS}}, "hours.timezone"),
    ({"hours": {"timezone": "Europe/Londres"}}, "hours.timezone"),
    ({"hours": {"timezone": "UTC", "open": {"funday": []}}}, "hours.open.funday"),
    ({"hours": {"timezone": "UTC", "open": {"mon": ["8-18"]}}}, "hours.open.mon[0]"),
    ({"hours": {"timezone": "UTC", "open": {"mon": ["09:00-17:00", "18:00-08:00"]}}},
     "hours.open.mon[1]"),
    ({"hours": {"timezone": "UTC", "open": {"mon": ["09:00-24:30"]}}}, "hours.open.mon[0]"),
    ({"hours": {"timezone": "UTC", "holidays": ["25/12/2026"]}}, "hours.holidays[0]"),
    ({"hours": {"timezone": "UTC", "closed": []}}, "hours.closed"),
])
def test_given_bad_rule_config_when_loaded_then_error_names_the_key(
        change: dict[str, Any], key: str) -> None:
    doc = {k: v for k, v in {**EXAMPLE, **change}.items() if v is not None}  # None: left out
    with pytest.raises(ConfigError) as e:
        QueueConfig.from_mapping(doc, "queues.yaml: queues[0]")
    assert e.value.key == key
    assert e.value.where == "queues.yaml: queues[0]"
    assert key in str(e.value)


def test_given_unknown_queue_in_rules_when_references_checked_then_error_names_it() -> None:
    sales = QueueConfig.from_mapping(EXAMPLE, "q")
    support = queue(name="support")
    validate_references({"sales": sales, "support": support})  # fine
    with pytest.raises(ConfigError) as e:
        validate_references({"sales": sales}, "queues.yaml")
    assert (e.value.where, e.value.key) == ("queues.yaml: sales", "overflow[1].add_queue_agents")
    assert "'support'" in e.value.message
    only_escalation = QueueConfig.from_mapping(
        {"name": "sales", "escalate_after_seconds": 1, "escalate_to": {"queue": "vip"}}, "q")
    with pytest.raises(ConfigError) as e:
        validate_references({"sales": only_escalation, "support": support})
    assert e.value.key == "escalate_to.queue"


# ------------------------------------------------------------------ overflow
def test_given_widen_skills_when_threshold_reached_then_lower_skilled_agent_takes_it() -> None:
    q = queue(overflow=[{"after_seconds": 60, "widen_skills": 2}])
    s = snap([agent("junior", {"sales": 3})], [item("x", 1000)], q)
    assert routed(s, 1059.999) == []
    assert routed(s, 1060) == [("x", "junior")]
    s = snap([agent("novice", {"sales": 2})], [item("x", 1000)], q)
    assert routed(s, 5000) == []   # 5 - 2 = 3: still above the novice


def test_given_widen_skills_when_minimum_low_then_never_below_one() -> None:
    q = queue(required_skills={"sales": 2, "french": 1},
              overflow=[{"after_seconds": 0, "widen_skills": 5}])
    assert routed(snap([agent("none", {"sales": 1})], [item("x", 0)], q), 10) == []
    assert routed(snap([agent("ok", {"sales": 1, "french": 1})], [item("x", 0)], q),
                  10) == [("x", "ok")]


def test_given_widen_rules_when_several_fired_then_they_add_up() -> None:
    q = queue(overflow=[{"after_seconds": 60, "widen_skills": 1},
                        {"after_seconds": 120, "widen_skills": 2}])
    s = snap([agent("junior", {"sales": 2})], [item("x", 0)], q)
    assert routed(s, 119) == []          # 5 - 1 = 4
    assert routed(s, 120) == [("x", "junior")]  # 5 - 3 = 2


def test_given_interaction_skill_when_widened_then_it_is_lowered_too() -> None:
    q = queue(required_skills={}, overflow=[{"after_seconds": 30, "widen_skills": 1}])
    x = Interaction("x", Medium.VOICE, queue="sales", enqueued_at=0,
                    required_skills={"german": 4})
    s = snap([agent("a", {"german": 3})], [x], q)
    assert routed(s, 29) == []
    assert routed(s, 30) == [("x", "a")]


def test_given_add_queue_agents_when_threshold_reached_then_other_queue_agent_takes_it(
        ) -> None:
    sales = queue(overflow=[{"after_seconds": 120, "add_queue_agents": "support"}])
    support = queue(name="support", required_skills={"support": 3})
    s = snap([agent("bob", {"support": 3})], [item("x", 0)], sales, support)
    assert routed(s, 119.5) == []
    assert routed(s, 120) == [("x", "bob")]
    weak = snap([agent("bob", {"support": 2})], [item("x", 0)], sales, support)
    assert routed(weak, 500) == []


def test_given_add_queue_agents_when_own_agent_also_free_then_own_skills_still_count(
        ) -> None:
    sales = queue(overflow=[{"after_seconds": 10, "add_queue_agents": "support"}])
    support = queue(name="support", required_skills={"support": 1})
    s = snap([agent("own", {"sales": 5}, idle=1), agent("other", {"support": 1}, idle=2)],
             [item("x", 0), item("y", 5)], sales, support)
    assert sorted(routed(s, 20)) == [("x", "own"), ("y", "other")]


def test_given_raise_priority_when_threshold_crossed_then_order_changes_at_threshold() -> None:
    q = queue(overflow=[{"after_seconds": 180, "raise_priority": 5}])
    waiting = [item("old", 0, priority=0), item("vip", 100, priority=3)]
    s = snap([agent("alice", {"sales": 5})], waiting, q)
    assert [i.id for i in s.waiting["sales"]] == ["vip", "old"]  # the precomputed order
    assert routed(s, 179.9) == [("vip", "alice")]
    assert routed(s, 180) == [("old", "alice")]  # 0 + 5 > 3, though listed second


def test_given_raise_priority_when_several_thresholds_then_every_run_is_merged() -> None:
    q = queue(overflow=[{"after_seconds": 60, "raise_priority": 2},
                        {"after_seconds": 120, "raise_priority": 2}])
    waiting = [item("a", 0, priority=0), item("b", 50, priority=3),
               item("c", 100, priority=1), item("d", 139, priority=4)]
    now = 160.0   # waits 160, 110, 60, 21 -> 4, 5, 3, 4
    agents = [agent(f"ag{n}", {"sales": 5}, idle=n) for n in range(4)]
    out = route(snap(agents, waiting, q), now)
    assert [a.interaction_id for a in out] == ["b", "a", "d", "c"]
    assert [effective_priority(i, q, now) for i in waiting] == [4, 5, 3, 4]


def test_given_raise_priority_when_across_queues_then_heap_uses_raised_value() -> None:
    sales = queue(overflow=[{"after_seconds": 60, "raise_priority": 10}],
                  required_skills={"x": 1})
    support = queue(name="support", required_skills={"x": 1})
    waiting = [item("s", 0), item("t", 30, priority=5, queue_name="support")]
    s = snap([agent("a", {"x": 1})], waiting, sales, support)
    assert routed(s, 59) == [("t", "a")]
    assert routed(s, 60) == [("s", "a")]


# ------------------------------------------------------------------ key accounts
def test_given_key_account_when_queued_then_boost_counts_in_order_and_heap() -> None:
    q = queue(key_account_boost=5)
    waiting = [item("vip", 10, priority=3), item("key", 20, priority=0, tier="key_account"),
               item("plain", 0, priority=0, tier="gold")]
    s = snap([agent("alice", {"sales": 5})], waiting, q)
    assert [i.id for i in s.waiting["sales"]] == ["key", "vip", "plain"]
    assert queue_order(waiting[1], q)[0] == -5
    assert effective_priority(waiting[1], q, 30) == 5
    assert routed(s, 30) == [("key", "alice")]
    other = queue(name="other")  # no boost there
    s = snap([agent("alice", {"sales": 5})],
             [item("key", 20, tier="key_account", queue_name="other"),
              item("vip", 10, priority=3)], q, other)
    assert routed(s, 30) == [("vip", "alice")]


def test_given_key_account_boost_with_aging_when_waiting_then_order_matches_effective(
        ) -> None:
    q = queue(key_account_boost=2, aging_per_minute=1)
    waiting = [item("k", 120, tier="key_account"), item("p", 0), item("m", 60, priority=1)]
    now = 300.0
    ordered = order_waiting(waiting, {"sales": q})["sales"]
    values = [effective_priority(i, q, now) for i in ordered]
    assert values == sorted(values, reverse=True)


# ------------------------------------------------------------------ escalation
def test_given_escalation_when_agreed_time_passes_then_reported_once_per_queue() -> None:
    q = queue(escalate_after_seconds=60, escalate_to={"raise_priority": 10})
    x, y = item("x", 0), item("y", 30)
    s = snap([], [x, y], q)
    assert escalations(s, 59.99) == []
    assert escalations(s, 60) == [Escalation("x", EscalationKind.RAISE_PRIORITY, 10,
                                             "sales", 60)]
    assert [e.interaction_id for e in escalations(s, 95)] == ["x", "y"]  # longest first
    x.record(ESCALATED, 60, queue="sales")
    assert [e.interaction_id for e in escalations(s, 95)] == ["y"]


def test_given_escalation_targets_when_due_then_kind_and_detail_follow_config() -> None:
    sup = queue(escalate_after_seconds=10, escalate_to="supervisor")
    (e,) = escalations(snap([], [item("x", 0)], sup), 12)
    assert e.kind == EscalationKind.ALERT and "x" in str(e.detail) and "sales" in str(e.detail)
    msg = queue(escalate_after_seconds=10, escalate_to={"supervisor": "key account waiting"})
    assert escalations(snap([], [item("x", 0)], msg), 12)[0].detail == "key account waiting"
    move = queue(escalate_after_seconds=10, escalate_to={"queue": "support"})
    (e,) = escalations(snap([], [item("x", 0)], move), 10)
    assert (e.kind, e.detail, e.queue) == (EscalationKind.TRANSFER, "support", "sales")


def test_given_escalated_before_requeue_when_queued_again_then_escalates_again() -> None:
    q = queue(escalate_after_seconds=10, escalate_to="supervisor")
    x = item("x", 100)
    x.record(ESCALATED, 50, queue="sales")  # a previous stay in the queue
    assert [e.interaction_id for e in escalations(snap([], [x], q), 110)] == ["x"]


# ------------------------------------------------------------------ business hours
LONDON = {"timezone": "Europe/London",
          "open": {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                "sun")},
          "holidays": ["2026-12-25"]}


def test_given_london_hours_when_spring_dst_day_then_opening_follows_local_time() -> None:
    q = queue(hours=LONDON)
    # Saturday 28 March 2026: GMT, local = UTC
    assert not is_open(q, at(2026, 3, 28, 7, 59, 59))
    assert is_open(q, at(2026, 3, 28, 8, 0))
    # Sunday 29 March 2026: clocks went forward at 01:00 UTC, local = UTC + 1
    assert not is_open(q, at(2026, 3, 29, 6, 59, 59))
    assert is_open(q, at(2026, 3, 29, 7, 0))
    assert is_open(q, at(2026, 3, 29, 16, 59, 59))
    assert not is_open(q, at(2026, 3, 29, 17, 0))


def test_given_london_hours_when_autumn_dst_day_then_opening_follows_local_time() -> None:
    q = queue(hours=LONDON)
    assert is_open(q, at(2026, 10, 24, 7, 0))      # Saturday, BST: 08:00 local
    assert not is_open(q, at(2026, 10, 25, 7, 0))  # Sunday, GMT again: 07:00 local
    assert is_open(q, at(2026, 10, 25, 8, 0))
    assert not is_open(q, at(2026, 10, 25, 18, 0))


def test_given_holiday_when_in_opening_hours_then_closed_all_local_day() -> None:
    q = queue(hours=LONDON)
    assert is_open(q, at(2026, 12, 24, 12, 0, tz="Europe/London"))
    assert not is_open(q, at(2026, 12, 25, 12, 0, tz="Europe/London"))
    assert not is_open(q, at(2026, 12, 25, 8, 0, tz="Europe/London"))
    assert is_open(q, at(2026, 12, 26, 8, 0, tz="Europe/London"))


def test_given_days_left_out_or_empty_when_checked_then_closed_and_24_00_ends_day() -> None:
    q = queue(hours={"timezone": "UTC", "open": {"mon": ["00:00-24:00"], "tue": []}})
    assert is_open(q, at(2026, 1, 5, 0, 0))        # Monday
    assert is_open(q, at(2026, 1, 5, 23, 59, 59))
    assert not is_open(q, at(2026, 1, 6, 0, 0))    # Tuesday: empty list
    assert not is_open(q, at(2026, 1, 7, 12, 0))   # Wednesday: not listed
    assert is_open(queue(), 0)                     # no hours: always open


def test_given_closed_queue_when_routing_then_nothing_is_offered() -> None:
    q = queue(hours={"timezone": "Europe/London", "open": WEEKDAYS})
    s = snap([agent("alice", {"sales": 5})], [item("x", 0)], q)
    assert routed(s, at(2026, 1, 5, 12, 0)) == [("x", "alice")]   # Monday noon
    assert routed(s, at(2026, 1, 4, 12, 0)) == []                 # Sunday
    assert routed(s, at(2026, 1, 5, 18, 0)) == []                 # Monday 18:00


def test_given_follow_the_sun_when_one_site_closed_then_work_goes_to_the_open_site() -> None:
    weekdays = {"open": WEEKDAYS}
    london = queue(name="london", required_skills={"london": 1},
                   hours={"timezone": "Europe/London", **weekdays},
                   overflow=[{"after_seconds": 0, "add_queue_agents": "sydney"}])
    sydney = queue(name="sydney", required_skills={"sydney": 1},
                   hours={"timezone": "Australia/Sydney", **weekdays},
                   overflow=[{"after_seconds": 0, "add_queue_agents": "london"}])
    agents = [agent("lon", {"london": 1}), agent("syd", {"sydney": 1})]
    from_london = item("L", 0, queue_name="london")
    from_sydney = item("S", 0, queue_name="sydney")
    london_noon = at(2026, 1, 6, 12, 0)       # Tue 12:00 London, 23:00 Sydney
    sydney_noon = at(2026, 1, 6, 1, 0)        # Tue 01:00 London, 12:00 Sydney
    assert routed(snap(agents, [from_sydney], london, sydney), london_noon) == [("S", "lon")]
    assert routed(snap(agents, [from_london], london, sydney), sydney_noon) == [("L", "syd")]
    both_closed = at(2026, 1, 4, 12, 0)       # Sunday in both
    assert routed(snap(agents, [from_london, from_sydney], london, sydney), both_closed) == []


# ------------------------------------------------------------------ properties
RULES = st.lists(st.one_of(
    st.builds(lambda t, n: {"after_seconds": t, "widen_skills": n},
              st.integers(0, 150), st.integers(1, 4)),
    st.builds(lambda t: {"after_seconds": t, "add_queue_agents": "support"},
              st.integers(0, 150)),
    st.builds(lambda t, n: {"after_seconds": t, "raise_priority": n},
              st.integers(0, 150), st.sampled_from([-3, -1, 1, 2, 6]))), max_size=4)
HOURS = st.sampled_from([None, "open", "closed"])


def hours_doc(kind: str | None) -> dict[str, Any] | None:
    if kind is None:
        return None
    day = ["00:00-24:00"] if kind == "open" else []
    return {"timezone": "Europe/London", "open": {"mon": day, "tue": day}}


agent_specs = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10), st.integers(0, 10),
                                 st.integers(0, 2)), max_size=8)
item_specs = st.lists(st.tuples(st.sampled_from(["sales", "support"]), st.integers(0, 5),
                                st.integers(0, 200), st.sampled_from([Medium.VOICE,
                                                                      Medium.CHAT]),
                                st.booleans()), max_size=15)
NOW = at(2026, 1, 5, 12, 0)  # a Monday


def build(agent_spec, item_spec, rules, boost, sales_hours, support_hours):  # type: ignore[no-untyped-def]
    sales = QueueConfig.from_mapping(
        {"name": "sales", "media": ["voice", "chat"], "required_skills": {"sales": 6},
         "overflow": rules, "key_account_boost": boost, "aging_per_minute": 0.5,
         **({"hours": hours_doc(sales_hours)} if sales_hours else {})}, "sales")
    support = QueueConfig.from_mapping(
        {"name": "support", "required_skills": {"support": 3},
         **({"hours": hours_doc(support_hours)} if support_hours else {})}, "support")
    agents = []
    for n, (presence, s1, s2, chats) in enumerate(agent_spec):
        profile = AgentProfile(f"a{n}", f"a{n}",
                               {k: v for k, v in (("sales", s1), ("support", s2)) if v},
                               {Medium.VOICE: 1, Medium.CHAT: chats})
        live = AgentLive(f"a{n}")
        if presence >= 1:
            live = sm.login(live, float(n))[0]
        if presence == 2:
            live = sm.set_not_ready(live, 1.0, "break")[0]
        if presence == 3:
            live = sm.offer(live, profile, f"busy{n}", Medium.VOICE, 0, 9)[0]
        agents.append((profile, live))
    waiting = [Interaction(f"i{k}", m, queue=q, priority=p, enqueued_at=NOW - wait,
                           attributes={"customer_tier": "key_account"} if key else {})
               for k, (q, p, wait, m, key) in enumerate(item_spec)]
    return snap(agents, waiting, sales, support)


def allowed(s: RoutingSnapshot, i: Interaction) -> list[dict[str, int]]:
    """The rules restated independently of the router: who may take ``i`` at NOW."""
    q = s.queues[str(i.queue)]
    wait = NOW - (i.enqueued_at or NOW)
    fired = [r for r in q.overflow if wait >= r.after_seconds]
    levels = sum(r.widen_skills for r in fired)
    options = [dict(q.required_skills)] if is_open(q, NOW) else []
    options += [dict(s.queues[r.add_queue_agents].required_skills) for r in fired
                if r.add_queue_agents and is_open(s.queues[r.add_queue_agents], NOW)]
    return [{k: max(1, v - levels) for k, v in o.items()} for o in options]


def urgency(s: RoutingSnapshot, i: Interaction) -> tuple[float, float]:
    q = s.queues[str(i.queue)]
    wait = NOW - (i.enqueued_at or NOW)
    value = i.priority + q.aging_per_minute * wait / 60
    value += sum(r.raise_priority for r in q.overflow if wait >= r.after_seconds)
    if i.attributes.get("customer_tier") == "key_account":
        value += q.key_account_boost
    return (-value, i.enqueued_at or 0)


rule_args = (agent_specs, item_specs, RULES, st.integers(0, 5), HOURS, HOURS)


@settings(max_examples=300, deadline=None)
@given(*rule_args)
def test_property_with_rules_router_keeps_capacity_presence_and_widened_minimums(
        agent_spec, item_spec, rules, boost, sales_hours, support_hours
        ) -> None:  # type: ignore[no-untyped-def]
    s = build(agent_spec, item_spec, rules, boost, sales_hours, support_hours)
    out = route(s, NOW)
    by_id = {i.id: i for items in s.waiting.values() for i in items}
    assert len({a.interaction_id for a in out}) == len(out)
    for agent_id in {a.agent_id for a in out}:
        profile, live = s.profiles[agent_id], s.agents[agent_id]
        assert live.presence == Presence.AVAILABLE
        for medium in Medium:
            new = sum(1 for a in out if a.agent_id == agent_id
                      and by_id[a.interaction_id].medium == medium)
            assert live.load(medium) + new <= profile.capacity.get(medium, 0)
    for a in out:
        i = by_id[a.interaction_id]
        assert i.medium in s.queues[a.queue].media
        options = allowed(s, i)
        assert options, "a closed queue without an open overflow routed something"
        assert any(s.profiles[a.agent_id].has_skills(o) for o in options)


@settings(max_examples=300, deadline=None)
@given(*rule_args)
def test_property_with_rules_router_never_skips_a_more_urgent_eligible_interaction(
        agent_spec, item_spec, rules, boost, sales_hours, support_hours
        ) -> None:  # type: ignore[no-untyped-def]
    """Among interactions any agent may take on the same terms (queue, medium, skill
    options), one left waiting is never more urgent than one routed."""
    s = build(agent_spec, item_spec, rules, boost, sales_hours, support_hours)
    out = route(s, NOW)
    taken = {a.interaction_id for a in out}
    everything = [i for items in s.waiting.values() for i in items]
    for left in (i for i in everything if i.id not in taken):
        for done in (i for i in everything if i.id in taken):
            if ((done.queue, done.medium) == (left.queue, left.medium)
                    and allowed(s, done) == allowed(s, left)):
                assert urgency(s, done) <= urgency(s, left)
