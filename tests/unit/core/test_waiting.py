"""The waiting experience's pure parts: expected wait, place in the router's order, agents
staffed, recent handle times, and the ``waiting`` config with errors naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccengine.config import load_config
from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.errors import ConfigError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.router import order_waiting
from ccengine.core.waiting import (
    HandleTimes,
    WaitAction,
    WaitingConfig,
    check_executors,
    expected_wait,
    parse_waiting,
    position,
    staffed,
    whole_minutes,
)

REPO = Path(__file__).resolve().parents[3]
QUEUES = {
    "sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1}),
    "support": QueueConfig("support", frozenset({Medium.VOICE}), {"support": 1}),
    "mail": QueueConfig("mail", frozenset({Medium.EMAIL})),
}


# ---------------------------------------------------------------------------- expected wait


@pytest.mark.parametrize(("place", "agents", "handle", "expected"), [
    (1, 1, 120.0, 120.0),     # next in line, one agent: one call's time
    (2, 1, 120.0, 240.0),
    (1, 2, 120.0, 60.0),      # two agents free up twice as often
    (3, 2, 100.0, 150.0),
    (5, 4, 200.0, 250.0),
])
def test_given_place_agents_and_handle_time_when_estimating_then_wait_is_place_share(
        place: int, agents: int, handle: float, expected: float) -> None:
    assert expected_wait(place, agents, handle) == pytest.approx(expected)


def test_given_nobody_staffed_when_estimating_then_wait_is_unknown() -> None:
    assert expected_wait(1, 0, 120.0) is None
    assert expected_wait(3, 2, 0.0) is None


def test_given_a_place_below_one_when_estimating_then_refused() -> None:
    with pytest.raises(ValueError, match="starts at 1"):
        expected_wait(0, 1, 60.0)


@given(place=st.integers(1, 500), agents=st.integers(1, 200),
       handle=st.floats(1.0, 3600.0))
def test_given_any_queue_then_later_places_wait_longer_and_more_agents_shorter(
        place: int, agents: int, handle: float) -> None:
    now = expected_wait(place, agents, handle)
    assert now is not None and now > 0
    assert expected_wait(place + 1, agents, handle) > now  # type: ignore[operator]
    assert expected_wait(place, agents + 1, handle) < now  # type: ignore[operator]


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (59.9, 1), (60, 1), (60.5, 2),
                                                  (120, 2), (121, 3), (600, 10)])
def test_given_seconds_when_said_as_minutes_then_rounded_up(seconds: float,
                                                            minutes: int) -> None:
    assert whole_minutes(seconds) == minutes


# ---------------------------------------------------------------------------- place


def waiting(iid: str, queue: str, enqueued_at: float, priority: int = 0) -> Interaction:
    return Interaction(iid, Medium.VOICE, queue=queue, priority=priority,
                       enqueued_at=enqueued_at)


def test_given_callers_in_two_queues_when_placing_then_router_order_within_own_queue(
        ) -> None:
    items = [waiting("late", "sales", 30.0), waiting("early", "sales", 10.0),
             waiting("vip", "sales", 40.0, priority=5), waiting("other", "support", 1.0)]
    ordered = order_waiting(items, QUEUES)["sales"]
    assert [position(i, ordered) for i in ("vip", "early", "late")] == [1, 2, 3]
    assert position("other", ordered) is None       # waiting elsewhere
    assert position("gone", ordered) is None        # not waiting (offered, held, ended)


# ---------------------------------------------------------------------------- staffed


def agent(agent_id: str, **skills: int) -> AgentProfile:
    return AgentProfile(agent_id, agent_id, skills)


def test_given_agents_in_every_state_when_counting_staffed_then_ready_skilled_reachable(
        ) -> None:
    profiles = {"ready": agent("ready", sales=3), "busy": agent("busy", sales=1),
                "pause": agent("pause", sales=5), "out": agent("out", sales=5),
                "deaf": agent("deaf", sales=5), "other": agent("other", support=5),
                "chat": AgentProfile("chat", "chat", {"sales": 5}, {Medium.CHAT: 3})}
    ready = sm.login(AgentLive("x"), 1.0)[0]
    busy_live = sm.offer(sm.login(AgentLive("busy"), 1.0)[0], profiles["busy"], "c1",
                         Medium.VOICE, 2.0, 30.0)[0]
    agents = {
        "ready": ready, "busy": sm.accept(busy_live, "c1", 3.0)[0],
        "pause": sm.set_not_ready(ready, 2.0, "break")[0], "out": AgentLive("out"),
        "deaf": sm.set_reachable(ready, Medium.VOICE, False),
        "other": ready, "chat": ready,
    }
    assert staffed(profiles, agents, QUEUES["sales"]) == 2     # ready and busy
    assert staffed(profiles, agents, QUEUES["support"]) == 1


# ---------------------------------------------------------------------------- handle times


def test_given_handled_calls_when_averaging_then_recent_ones_only_per_queue() -> None:
    times = HandleTimes(keep=3)
    assert times.average("sales", 180.0) == 180.0               # nothing handled yet
    for seconds in (1000.0, 60.0, 120.0, 180.0):
        times.add("sales", seconds)
    times.add("support", 30.0)
    assert times.average("sales", 180.0) == pytest.approx(120.0)  # the last three
    assert times.average("support", 180.0) == 30.0


# ---------------------------------------------------------------------------- config


FULL = {"sales": {"announce": ["position", "expected_wait"], "announce_every": 30,
                  "announce_first_after": 5, "handle_seconds": 240, "max_wait": 300,
                  "on_max_wait": {"action": "queue", "queue": "support"},
                  "keys": {"1": {"action": "callback"}, 2: {"action": "voicemail"},
                           "#": {"action": "queue", "queue": "support"}}}}


def test_given_a_full_section_when_parsing_then_every_setting_is_kept() -> None:
    config = parse_waiting(FULL, "engine.yaml", QUEUES)["sales"]
    assert config == WaitingConfig(
        queue="sales", announce=("position", "expected_wait"), announce_every=30.0,
        announce_first_after=5.0, handle_seconds=240.0, max_wait=300.0,
        on_max_wait=WaitAction("queue", "support"),
        keys={"1": WaitAction("callback"), "2": WaitAction("voicemail"),
              "#": WaitAction("queue", "support")})
    assert config.first_announcement() == 5.0


def test_given_a_queue_with_no_settings_when_parsing_then_quiet_defaults() -> None:
    config = parse_waiting({"sales": None}, "engine.yaml", QUEUES)["sales"]
    assert (config.announce_every, config.max_wait, dict(config.keys)) == (None, None, {})
    assert config.first_announcement() is None
    assert parse_waiting(None, "engine.yaml", QUEUES) == {}
    every = parse_waiting({"sales": {"announce_every": 45}}, "e", QUEUES)["sales"]
    assert every.first_announcement() == 45.0


@pytest.mark.parametrize(("doc", "key", "message"), [
    (["sales"], "waiting", "must map queue names"),
    ({"nosuch": {}}, "waiting.nosuch", "no queue 'nosuch'"),
    ({"mail": {}}, "waiting.mail", "takes no voice calls"),
    ({"sales": {"announce_evry": 30}}, "announce_evry", "unknown key"),
    ({"sales": {"announce": ["position", "weather"]}}, "announce", "non-empty list"),
    ({"sales": {"announce": []}}, "announce", "non-empty list"),
    ({"sales": {"announce_every": 0}}, "announce_every", ">= 1"),
    ({"sales": {"announce_every": "often"}}, "announce_every", "number of seconds"),
    ({"sales": {"announce_first_after": 5}}, "announce_first_after", "needs announce_every"),
    ({"sales": {"handle_seconds": 0}}, "handle_seconds", ">= 1"),
    ({"sales": {"max_wait": 60}}, "on_max_wait", "is required with max_wait"),
    ({"sales": {"on_max_wait": {"action": "voicemail"}}}, "max_wait",
     "is required with on_max_wait"),
    ({"sales": {"max_wait": -1, "on_max_wait": {"action": "voicemail"}}}, "max_wait",
     ">= 1"),
    ({"sales": {"max_wait": 60, "on_max_wait": "voicemail"}}, "(item)", "must be a mapping"),
    ({"sales": {"max_wait": 60, "on_max_wait": {"action": "queue"}}}, "queue",
     "is required"),
    ({"sales": {"max_wait": 60, "on_max_wait": {"action": "queue", "queue": "sales"}}},
     "queue", "already waiting for"),
    ({"sales": {"max_wait": 60, "on_max_wait": {"action": "queue", "queue": "mail"}}},
     "queue", "takes no voice calls"),
    ({"sales": {"keys": {"1": {"action": "queue", "queue": "nowhere"}}}}, "queue",
     "no queue 'nowhere'"),
    ({"sales": {"keys": {"1": {"queue": "support"}}}}, "action", "is required"),
    ({"sales": {"keys": {"1": {"action": "queue", "queue": "support", "x": 1}}}}, "x",
     "unknown key"),
    ({"sales": {"keys": {"12": {"action": "voicemail"}}}}, "keys.12", "one DTMF key"),
    ({"sales": {"keys": {"A": {"action": "voicemail"}}}}, "keys.A", "one DTMF key"),
    ({"sales": {"keys": ["1"]}}, "keys", "must map a key"),
])
def test_given_a_bad_section_when_parsing_then_error_names_the_key(
        doc: Any, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_waiting(doc, "engine.yaml", QUEUES)
    assert e.value.key == key
    assert message in e.value.message
    assert e.value.where.startswith("engine.yaml")


def test_given_a_bad_action_when_parsing_then_where_names_the_queue_and_key() -> None:
    with pytest.raises(ConfigError) as e:
        parse_waiting({"sales": {"keys": {"3": {"action": ""}}}}, "engine.yaml", QUEUES)
    assert str(e.value).startswith("engine.yaml: waiting.sales.keys.3: action:")


def test_given_actions_without_executors_when_checked_at_start_then_key_named() -> None:
    configs = parse_waiting(FULL, "engine.yaml", QUEUES)
    check_executors(configs, {"callback", "voicemail"}, "engine.yaml")  # all there
    with pytest.raises(ConfigError) as e:
        check_executors(configs, {"callback"}, "engine.yaml")
    assert e.value.key == "waiting.sales.keys.2.action"
    assert "'voicemail'" in e.value.message
    moving = parse_waiting({"sales": {"max_wait": 9, "on_max_wait": {
        "action": "queue", "queue": "support"}}}, "e", QUEUES)
    check_executors(moving, set(), "e")             # moving to a queue needs nothing
    on_max = parse_waiting({"sales": {"max_wait": 9, "on_max_wait": {
        "action": "callback"}}}, "e", QUEUES)
    with pytest.raises(ConfigError) as e:
        check_executors(on_max, {"voicemail"}, "e")
    assert e.value.key == "waiting.sales.on_max_wait.action"


def test_given_an_engine_config_file_when_waiting_is_wrong_then_engine_refuses_at_load(
        tmp_path: Path) -> None:
    from ccengine.engine import Engine
    path = tmp_path / "engine.yaml"
    path.write_text(f"ivr: {{dir: {REPO / 'ivr'}, entry: main}}\n"
                    "waiting:\n  sales: {max_wait: 30}\n")
    with pytest.raises(ConfigError) as e:
        Engine(load_config(path, env={}))
    assert str(e.value) == (f"{path}: waiting.sales: on_max_wait: is required with "
                            "max_wait")
    path.write_text(f"ivr: {{dir: {REPO / 'ivr'}, entry: main}}\n"
                    "waiting:\n  sales: {announce_every: 30, keys: {'9': {action: queue, "
                    "queue: support}}}\n")
    assert Engine(load_config(path, env={})).waiting["sales"].keys["9"] == WaitAction(
        "queue", "support")
