"""The queue log feed over a real dispatcher (memory state, channels that only record their
offers): the lines of each kind of call and of agents' login, pauses and logoff, in
app_queue's events and parameter counts. Against Asterisk's own app_queue:
tests/e2e/test_queue_log.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import Presence
from ccengine.core.events import Event, InteractionAnswered, InteractionQueued
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.reporting import queue_log as q
from ccengine.reporting.queue_log_feed import QueueLogFeed
from ccengine.state.memory import MemoryState

ALL_MEDIA = frozenset(Medium)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Channel:
    medium: Medium
    offers: list[tuple[str, str]] = field(default_factory=list)

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        self.offers.append((interaction.id, agent_id))


@dataclass
class Rig:
    d: Dispatcher
    clock: Clock
    lines: list[str]
    feed: QueueLogFeed

    def at(self, now: float) -> None:
        self.clock.now = now

    def events(self) -> list[tuple[str, ...]]:
        """Each line as (event, agent, queue, *params), without time and call id."""
        return [(x.event, x.agent, x.queue, *x.params) for x in map(q.parse, self.lines)]

    def take(self) -> list[str]:
        taken, self.lines[:] = list(self.lines), []
        return taken


@pytest.fixture
async def rig():  # type: ignore[no-untyped-def]
    clock = Clock()
    queues = {"sales": QueueConfig("sales", ALL_MEDIA, {"sales": 1}, wrapup_seconds=5),
              "support": QueueConfig("support", ALL_MEDIA, {"support": 1}, wrapup_seconds=5)}
    every = {m: 1 for m in Medium}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}, capacity=every),
              "bob": AgentProfile("bob", "Bob", {"sales": 2, "support": 5}, capacity=every),
              "carol": AgentProfile("carol", "Carol", {"support": 9}, capacity=every)}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=20,
                   tick_seconds=3600)
    for medium in Medium:
        d.register_channel(Channel(medium))
    lines: list[str] = []
    legs = {"c1": "agent-leg-1"}
    feed = QueueLogFeed(lines.append, queues=lambda: d.queues, profiles=lambda: d.profiles,
                        agent_leg=legs.get)
    d.subscribe(feed.on_event)
    await d.start()
    yield Rig(d, clock, lines, feed)
    await d.stop()


def call(iid: str = "c1", queue: str = "sales", number: str = "07700900123") -> Interaction:
    return Interaction(iid, Medium.VOICE, queue=queue, created_at=1000.0,
                       attributes={"caller_number": number,
                                   "caller_channel": f"1700000000.{iid}"})


async def logged_in(r: Rig, *agents: str) -> None:
    for agent in agents:
        await r.d.login(agent)
    r.take()


def check_counts(lines: list[str]) -> None:
    for text in lines:
        line = q.parse(text)
        assert len(line.params) == len(q.PARAMETERS[line.event]), text


# ---------------------------------------------------------------------------- calls
async def test_given_answered_call_when_caller_hangs_up_then_enter_connect_completecaller(
        rig: Rig) -> None:
    await logged_in(rig, "alice")
    await rig.d.enqueue(call())
    rig.at(1003.5)
    await rig.d.offer_accepted("c1", "alice")
    rig.at(1020.2)
    await rig.d.interaction_ended("c1", "alice", hung_up_by="caller")
    assert rig.lines == [
        "1000|1700000000.c1|sales|NONE|ENTERQUEUE||07700900123|1",
        "1003|1700000000.c1|sales|alice|CONNECT|3|agent-leg-1|3",
        "1020|1700000000.c1|sales|alice|COMPLETECALLER|3|17|1",
    ]


async def test_given_answered_call_when_agent_or_system_ends_it_then_completeagent(
        rig: Rig) -> None:
    await logged_in(rig, "alice")
    await rig.d.enqueue(call("c2"))
    await rig.d.offer_accepted("c2", "alice")
    rig.at(1010)
    await rig.d.interaction_ended("c2", "alice", hung_up_by="agent")
    assert [e[0] for e in rig.events()] == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT"]
    assert rig.events()[1][4] == "c2"   # no agent leg known: the interaction id


async def test_given_callers_waiting_when_they_hang_up_then_abandon_with_place_and_wait(
        rig: Rig) -> None:
    for n, at in ((1, 1000.0), (2, 1001.0), (3, 1002.0)):
        rig.at(at)
        await rig.d.enqueue(call(f"w{n}", number=f"0770090000{n}"))
    rig.at(1010.0)
    await rig.d.cancel("w2", "abandoned")
    await rig.d.cancel("w1", "abandoned")
    rig.at(1012.0)
    await rig.d.cancel("w3", "abandoned")
    assert [e for e in rig.events() if e[0] == "ENTERQUEUE"] == [
        ("ENTERQUEUE", "NONE", "sales", "", f"0770090000{n}", str(n)) for n in (1, 2, 3)]
    assert [e for e in rig.events() if e[0] == "ABANDON"] == [
        ("ABANDON", "NONE", "sales", "2", "2", "9"),   # place, place at entry, wait
        ("ABANDON", "NONE", "sales", "1", "1", "10"),
        ("ABANDON", "NONE", "sales", "1", "3", "10")]


async def test_given_agent_not_answering_then_ringnoanswer_before_the_pause_then_connect(
        rig: Rig) -> None:
    await logged_in(rig, "bob")
    await rig.d.enqueue(call())
    rig.at(1004.25)
    await rig.d.offer_failed("c1", "bob", "no_answer")
    assert rig.events()[1:] == [
        ("RINGNOANSWER", "bob", "sales", "4250"),
        ("PAUSEALL", "bob", "NONE", "rona"),
        ("PAUSE", "bob", "sales", "rona"),      # bob serves both queues (has the skills)
        ("PAUSE", "bob", "support", "rona")]
    await rig.d.login("alice")
    rig.at(1006.0)
    await rig.d.offer_accepted("c1", "alice")
    assert rig.events()[-1] == ("CONNECT", "alice", "sales", "6", "agent-leg-1", "1")


async def test_given_caller_leaves_while_agent_rings_then_ringcanceled_and_abandon(
        rig: Rig) -> None:
    await logged_in(rig, "alice")
    await rig.d.enqueue(call())
    rig.at(1002.0)
    await rig.d.cancel("c1", "abandoned")
    assert rig.events()[1:] == [("RINGCANCELED", "alice", "sales", "2000"),
                                ("ABANDON", "NONE", "sales", "1", "1", "2")]


async def test_given_a_key_whose_action_takes_the_call_out_then_exitwithkey(rig: Rig) -> None:
    await rig.d.enqueue(call())
    rig.at(1040.0)
    await rig.d.hold_waiting("c1")
    await rig.d.record("c1", "wait_action", queue="sales", action="voicemail",
                       target="sales", why="key 2")
    await rig.d.cancel("c1", "voicemail", voicemail_queue="sales")
    assert rig.events()[1:] == [("EXITWITHKEY", "NONE", "sales", "2", "1", "1", "40")]


async def test_given_a_key_whose_action_gives_up_then_a_hang_up_is_an_abandon(
        rig: Rig) -> None:
    await rig.d.enqueue(call())
    await rig.d.record("c1", "wait_action", queue="sales", action="callback",
                       target="sales", why="key 1")
    await rig.d.record("c1", "callback_not_requested")
    rig.at(1030.0)
    await rig.d.cancel("c1", "abandoned", hung_up_by="caller")
    assert rig.events()[-1] == ("ABANDON", "NONE", "sales", "1", "1", "30")


async def test_given_max_wait_or_key_moving_the_call_then_exit_and_enter_the_other_queue(
        rig: Rig) -> None:
    await rig.d.enqueue(call())
    rig.at(1300.0)
    await rig.d.move_waiting("c1", "support", kind="queue_changed", from_queue="sales",
                             to_queue="support", why="max_wait")
    rig.at(1310.0)
    await rig.d.move_waiting("c1", "sales", kind="queue_changed", from_queue="support",
                             to_queue="sales", why="key 9")
    assert rig.events()[1:] == [
        ("EXITWITHTIMEOUT", "NONE", "sales", "1", "1", "300"),
        ("ENTERQUEUE", "NONE", "support", "", "07700900123", "1"),
        ("EXITWITHKEY", "NONE", "support", "9", "1", "1", "10"),
        ("ENTERQUEUE", "NONE", "sales", "", "07700900123", "1")]
    assert len({q.parse(x).callid for x in rig.lines}) == 1


async def test_given_blind_transfer_to_agent_then_blindtransfer_and_nothing_after(
        rig: Rig) -> None:
    await logged_in(rig, "alice", "bob")
    await rig.d.enqueue(call())
    rig.at(1002.0)
    await rig.d.offer_accepted("c1", "alice")
    rig.at(1010.0)
    await rig.d.reserve_agent("c1", "bob", take_over=True)
    await rig.d.record("c1", "transfer_started", by="alice", agent_id="alice",
                       to={"agent": "bob"}, mode="blind")
    await rig.d.agent_left("c1", "alice")
    rig.at(1012.0)
    await rig.d.offer_accepted("c1", "bob")
    await rig.d.record("c1", "transfer_completed", by="alice", to={"agent": "bob"},
                       agent_id="bob", mode="blind")
    rig.at(1030.0)
    await rig.d.interaction_ended("c1", "bob", hung_up_by="caller")
    assert rig.events() == [
        ("ENTERQUEUE", "NONE", "sales", "", "07700900123", "1"),
        ("CONNECT", "alice", "sales", "2", "agent-leg-1", "2"),
        ("BLINDTRANSFER", "alice", "sales", "bob", "agent", "2", "8", "1")]


async def test_given_blind_transfer_target_not_answering_then_the_call_enters_again(
        rig: Rig) -> None:
    await logged_in(rig, "alice", "bob")
    await rig.d.enqueue(call())
    await rig.d.offer_accepted("c1", "alice")
    await rig.d.reserve_agent("c1", "bob", take_over=True)
    await rig.d.record("c1", "transfer_started", by="alice", agent_id="alice",
                       to={"agent": "bob"}, mode="blind")
    await rig.d.agent_left("c1", "alice")
    rig.at(1008.0)
    await rig.d.offer_failed("c1", "bob", "no_answer")
    assert [e[0] for e in rig.events()] == [
        "ENTERQUEUE", "CONNECT", "BLINDTRANSFER", "PAUSEALL", "PAUSE", "PAUSE", "ENTERQUEUE"]


async def test_given_attended_transfer_completed_then_attendedtransfer_bridge_form(
        rig: Rig) -> None:
    await logged_in(rig, "alice", "bob")
    await rig.d.enqueue(call())
    await rig.d.offer_accepted("c1", "alice")
    rig.at(1005.0)
    await rig.d.record("c1", "transfer_started", by="alice", agent_id="alice",
                       to={"agent": "bob"}, mode="attended")
    await rig.d.reserve_agent("c1", "bob", take_over=False)
    await rig.d.agent_joined("c1", "bob")
    rig.at(1020.0)
    await rig.d.record("c1", "transfer_completed", by="alice", to={"agent": "bob"},
                       agent_id="bob", mode="attended")
    await rig.d.take_over("c1", "bob", via="transfer", from_agent="alice")
    await rig.d.agent_left("c1", "alice")
    await rig.d.interaction_ended("c1", "bob", hung_up_by="caller")
    assert rig.events()[2:] == [
        ("ATTENDEDTRANSFER", "alice", "sales", "BRIDGE", "bridge-c1", "0", "20", "1")]


async def test_given_transfer_to_queue_then_blindtransfer_and_same_call_enters_new_queue(
        rig: Rig) -> None:
    await logged_in(rig, "alice")
    old = call()
    await rig.d.enqueue(old)
    await rig.d.offer_accepted("c1", "alice")
    rig.at(1010.0)
    new = Interaction("c1b", Medium.VOICE, queue="support", created_at=1010.0,
                      attributes={**old.attributes, "transferred_from": "c1"})
    await rig.d.record("c1", "transfer_started", by="alice", agent_id="alice",
                       to={"queue": "support"}, mode="blind")
    await rig.d.record("c1", "transfer_completed", by="alice", to={"queue": "support"},
                       new_interaction="c1b")
    await rig.d.interaction_ended("c1", "alice", reason="transferred", transferred_to="c1b")
    await rig.d.enqueue(new)
    assert rig.events()[2:] == [
        ("BLINDTRANSFER", "alice", "sales", "support", "queue", "0", "10", "1"),
        ("ENTERQUEUE", "NONE", "support", "", "07700900123", "1")]
    assert {q.parse(x).callid for x in rig.lines} == {"1700000000.c1"}


async def test_given_chat_email_and_callback_then_same_format_told_apart_by_call_id(
        rig: Rig) -> None:
    work = [Interaction("h1", Medium.CHAT, queue="sales",
                        attributes={"caller_name": "Eve", "from_address": "eve@example.com"}),
            Interaction("m1", Medium.EMAIL, queue="support",
                        attributes={"from_address": "dan@example.com"}),
            Interaction("k1", Medium.CALLBACK, queue="sales",
                        attributes={"caller_number": "+447700900123"})]
    for interaction in work:
        await rig.d.enqueue(interaction)
    assert rig.lines == [
        "1000|chat-h1|sales|NONE|ENTERQUEUE|chat|eve@example.com|1",
        "1000|email-m1|support|NONE|ENTERQUEUE|email|dan@example.com|1",
        "1000|callback-k1|sales|NONE|ENTERQUEUE|callback|+447700900123|2"]
    await logged_in(rig, "carol")     # takes the email (support)
    rig.at(1060.0)
    await rig.d.offer_accepted("m1", "carol")
    rig.at(1300.0)
    await rig.d.interaction_ended("m1", "carol")
    assert rig.events() == [("CONNECT", "carol", "support", "60", "m1", "60"),
                            ("COMPLETEAGENT", "carol", "support", "60", "240", "1")]


async def test_given_callback_attempt_failing_then_its_part_completes_and_it_enters_again(
        rig: Rig) -> None:
    await logged_in(rig, "alice")
    await rig.d.enqueue(Interaction("k1", Medium.CALLBACK, queue="sales",
                                    attributes={"caller_number": "+447700900123"}))
    rig.at(1001.0)
    await rig.d.offer_accepted("k1", "alice")
    await rig.d.record("k1", "callback_dialling", attempt=1, number="+447700900123",
                       agent_id="alice")
    rig.at(1031.0)
    await rig.d.record("k1", "callback_attempt", attempt=1, outcome="no_answer",
                       agent_id="alice", number="+447700900123", retry_at=1331.0)
    await rig.d.agent_left("k1", "alice")
    rig.at(1331.0)
    await rig.d.enqueue(await rig.d.live_interaction("k1"))
    assert [e[0] for e in rig.events()] == ["ENTERQUEUE", "CONNECT", "COMPLETEAGENT",
                                            "ENTERQUEUE"]
    assert rig.events()[2][3:] == ("1", "30", "1")


async def test_given_an_agents_own_outbound_call_then_no_lines(rig: Rig) -> None:
    await logged_in(rig, "alice")
    outbound = Interaction("o1", Medium.VOICE, queue="sales",
                           attributes={"direction": "outbound"})
    await rig.d.assign(outbound, "alice")
    await rig.d.offer_accepted("o1", "alice")
    await rig.d.interaction_ended("o1", "alice", hung_up_by="agent")
    assert rig.lines == []


async def test_given_events_delivered_out_of_order_then_lines_follow_the_history(
        rig: Rig) -> None:
    i = call("x1")
    i.record("queued", 1000.0, queue="sales")
    i.record("offered", 1001.0, agent_id="alice")
    i.record("answered", 1003.0, agent_id="alice")
    rig.feed.on_event(InteractionAnswered(1003.0, i, "alice"))   # first, though later
    rig.feed.on_event(InteractionQueued(1000.0, i))
    assert [e[0] for e in rig.events()] == ["ENTERQUEUE", "CONNECT"]


async def test_given_a_call_from_before_the_start_then_it_goes_on_without_its_past(
        ) -> None:
    lines: list[str] = []
    feed = QueueLogFeed(lines.append, queues=dict, profiles=dict, since=2000.0)
    i = call("r1")
    i.record("queued", 1900.0, queue="sales")
    i.record("offered", 1905.0, agent_id="alice")
    i.record("answered", 1910.0, agent_id="alice")
    i.record("ended", 2030.0, agent_id="alice", hung_up_by="caller")
    feed.on_event(InteractionAnswered(2030.0, i, "alice"))
    assert lines == ["2030|1700000000.r1|sales|alice|COMPLETECALLER|10|120|0"]


async def test_given_escalation_moving_the_call_then_exitwithtimeout_and_enter(rig: Rig
                                                                                ) -> None:
    from ccengine.core.events import InteractionEscalated
    i = call("e1")
    i.record("queued", 1000.0, queue="sales")
    rig.feed.on_event(InteractionQueued(1000.0, i))
    i.record("escalated", 1300.0, queue="sales", action="transfer", detail="support")
    i.queue = "support"
    rig.feed.on_event(InteractionEscalated(1300.0, i, "sales", "transfer", "support"))
    assert rig.events() == [("ENTERQUEUE", "NONE", "sales", "", "07700900123", "1"),
                            ("EXITWITHTIMEOUT", "NONE", "sales", "1", "1", "300"),
                            ("ENTERQUEUE", "NONE", "support", "", "07700900123", "1")]


# ---------------------------------------------------------------------------- agents
async def test_given_agent_login_pauses_and_logoff_then_app_queue_agent_lines(rig: Rig
                                                                              ) -> None:
    await rig.d.login("bob")
    rig.at(1100.0)
    await rig.d.set_not_ready("bob", "lunch")
    rig.at(1150.0)
    await rig.d.set_not_ready("bob", "break")
    rig.at(1200.0)
    await rig.d.set_available("bob")
    await rig.d.force_state("bob", Presence.NOT_READY, "meeting", by="sam")
    await rig.d.force_state("bob", Presence.AVAILABLE, "", by="sam")
    rig.at(4600.0)
    await rig.d.logout("bob")
    await rig.d.force_state("bob", Presence.AVAILABLE, "", by="sam")
    assert rig.lines == [
        "1000|NONE|NONE|bob|AGENTLOGIN|PJSIP/bob",
        "1100|NONE|NONE|bob|PAUSEALL|lunch",
        "1100|NONE|sales|bob|PAUSE|lunch",
        "1100|NONE|support|bob|PAUSE|lunch",
        "1150|NONE|NONE|bob|PAUSEALL|break",
        "1150|NONE|sales|bob|PAUSE|break",
        "1150|NONE|support|bob|PAUSE|break",
        "1200|NONE|NONE|bob|UNPAUSEALL|break",
        "1200|NONE|sales|bob|UNPAUSE|break",
        "1200|NONE|support|bob|UNPAUSE|break",
        "1200|NONE|NONE|bob|PAUSEALL|meeting",
        "1200|NONE|sales|bob|PAUSE|meeting",
        "1200|NONE|support|bob|PAUSE|meeting",
        "1200|NONE|NONE|bob|UNPAUSEALL|meeting",
        "1200|NONE|sales|bob|UNPAUSE|meeting",
        "1200|NONE|support|bob|UNPAUSE|meeting",
        "4600|NONE|NONE|bob|AGENTLOGOFF|PJSIP/bob|3600",
        "4600|NONE|NONE|bob|AGENTLOGIN|PJSIP/bob",       # a supervisor logged him in
    ]
    check_counts(rig.lines)


async def test_given_agent_state_known_only_after_a_restart_then_lines_still_sensible(
        rig: Rig) -> None:
    await rig.d.login("alice")
    await rig.d.set_not_ready("alice", "lunch")
    fresh: list[str] = []   # a log started after alice paused
    rig.feed.sink = fresh.append
    rig.feed._agents.clear()
    await rig.d.set_available("alice")
    await rig.d.logout("alice")
    assert [q.parse(x).event for x in fresh] == ["UNPAUSEALL", "UNPAUSE", "AGENTLOGOFF"]
    assert q.parse(fresh[-1]).params == ("PJSIP/alice", "0")   # login time not known


async def test_every_line_of_a_busy_day_has_app_queues_parameter_count(rig: Rig) -> None:
    events: list[Event] = []
    rig.d.subscribe(events.append)
    await logged_in(rig, "alice", "bob", "carol")
    for n in range(6):
        rig.at(1000.0 + n)
        await rig.d.enqueue(call(f"b{n}", queue=("sales", "support")[n % 2]))
    for iid, agent in rig.d.channel(Medium.VOICE).offers[:]:   # type: ignore[attr-defined]
        await rig.d.offer_accepted(iid, agent)
        await rig.d.interaction_ended(iid, agent, hung_up_by="caller")
    for interaction in await rig.d.state.interactions():
        await rig.d.cancel(interaction.id, "abandoned")
    assert len(rig.lines) >= 12
    check_counts(rig.lines)


async def test_given_a_call_another_engine_node_carries_then_followed_not_written() -> None:
    lines: list[str] = []
    feed = QueueLogFeed(lines.append, queues=dict, profiles=dict, node="host:/srv/a")
    theirs, ours = call("n1"), call("n2")
    theirs.attributes["node"], ours.attributes["node"] = "host:/srv/b", "host:/srv/a"
    for i in (theirs, ours):
        i.record("queued", 1000.0, queue="sales")
        feed.on_event(InteractionQueued(1000.0, i))
    assert [q.parse(x).callid for x in lines] == ["1700000000.n2"]
