"""The one agent state machine: transitions, capacity as data, refusals that change nothing."""

from __future__ import annotations

import pytest

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive, Presence
from ccengine.core.errors import ConfigError, InvalidTransition, NotInWrapUp
from ccengine.core.media import Medium

PROFILE = AgentProfile(id="a", name="A", skills={"sales": 5},
                       capacity={Medium.VOICE: 1, Medium.CHAT: 2, Medium.EMAIL: 1},
                       blocks={Medium.VOICE: frozenset({Medium.CHAT})})


def available() -> AgentLive:
    return sm.login(AgentLive("a"), 1.0)[0]


def test_given_logged_out_when_login_then_available_with_event() -> None:
    live, event = sm.login(AgentLive("a"), 5.0)
    assert live.display() == "available"
    assert (event.old, event.new, event.at, event.cause) == ("logged_out", "available", 5.0,
                                                             "login")


def test_given_voice_call_when_offered_accepted_ended_then_wrap_up_then_released() -> None:
    live, _ = sm.offer(available(), PROFILE, "i1", Medium.VOICE, 2.0, 22.0)
    assert live.display() == "offered"
    assert not live.can_take(PROFILE, Medium.VOICE)
    live, _ = sm.accept(live, "i1", 3.0)
    assert live.display() == "busy"
    live, event = sm.end(live, "i1", 10.0, wrapup_seconds=5)
    assert live.display() == "wrap_up" and live.slot("i1").until == 15.0
    assert not live.can_take(PROFILE, Medium.VOICE)  # no new call during wrap-up
    live, _ = sm.release(live, "i1", 15.0)
    assert live.display() == "available" and live.idle_since == 15.0
    assert live.can_take(PROFILE, Medium.VOICE)


def test_given_ring_no_answer_when_offer_fails_then_not_ready_rona() -> None:
    live, _ = sm.offer(available(), PROFILE, "i1", Medium.VOICE, 2.0, 22.0)
    live, event = sm.fail_offer(live, "i1", 22.0, "no_answer")
    assert live.presence == Presence.NOT_READY and live.reason == sm.RONA
    assert live.slots == () and event.new == "not_ready"


def test_given_capacity_as_data_when_offering_chats_then_limit_and_blocking_rules_hold() -> None:
    live = available()
    live, _ = sm.offer(live, PROFILE, "c1", Medium.CHAT, 1, 9)
    live, _ = sm.offer(live, PROFILE, "c2", Medium.CHAT, 1, 9)
    assert not live.can_take(PROFILE, Medium.CHAT)  # two chats at most
    assert live.can_take(PROFILE, Medium.EMAIL)
    live, _ = sm.offer(live, PROFILE, "v1", Medium.VOICE, 1, 9)
    live, _ = sm.withdraw_offer(live, "c1", 2)
    assert not live.can_take(PROFILE, Medium.CHAT)  # "no new chat while on a call"


@pytest.mark.parametrize("change", [
    lambda a: sm.login(a, 2.0),                         # already logged in
    lambda a: sm.set_available(a, 2.0),                 # only from not ready
    lambda a: sm.accept(a, "nothing", 2.0),             # nothing offered
    lambda a: sm.end(a, "nothing", 2.0, 5),
    lambda a: sm.set_not_ready(a, 2.0, ""),             # a reason is required
])
def test_given_an_invalid_transition_when_applied_then_error_and_nothing_changes(
        change) -> None:  # type: ignore[no-untyped-def]
    before = available()
    with pytest.raises(InvalidTransition):
        change(before)
    assert before == available()


def test_given_busy_agent_when_logging_out_then_refused() -> None:
    live, _ = sm.offer(available(), PROFILE, "i1", Medium.VOICE, 2.0, 22.0)
    with pytest.raises(InvalidTransition, match="in progress"):
        sm.logout(live, 3.0)


def test_given_unreachable_phone_when_asking_then_no_voice_but_chat_ok() -> None:
    live = sm.set_reachable(available(), Medium.VOICE, False)
    assert not live.can_take(PROFILE, Medium.VOICE)
    assert live.can_take(PROFILE, Medium.CHAT)


def test_given_supervisor_when_forcing_not_ready_then_reason_and_who_recorded() -> None:
    live, event = sm.force(available(), 3.0, Presence.NOT_READY, "meeting", by="sam")
    assert live.reason == "meeting" and event.data == {"by": "sam"}


def test_given_live_state_when_round_tripped_through_dict_then_equal() -> None:
    live, _ = sm.offer(available(), PROFILE, "i1", Medium.VOICE, 2.0, 22.0)
    assert AgentLive.from_dict(live.to_dict()) == live


@pytest.mark.parametrize(("data", "key"), [
    ({"id": "a", "skills": {"sales": 11}}, "skills.sales"),
    ({"id": "a", "capacity": {"fax": 1}}, "capacity"),
    ({"id": "a b"}, "id"),
    ({"id": "a", "colour": "red"}, "colour"),
])
def test_given_bad_agent_config_when_building_then_error_names_key(data, key) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as e:
        AgentProfile.from_mapping(data, "engine.yaml: agents[0]")
    assert e.value.key == key and e.value.where == "engine.yaml: agents[0]"


def wrapping_up() -> AgentLive:
    live, _ = sm.offer(available(), PROFILE, "i1", Medium.VOICE, 2.0, 22.0)
    live, _ = sm.accept(live, "i1", 3.0)
    live, _ = sm.offer(live, PROFILE, "e1", Medium.EMAIL, 3.0, 23.0)
    live, _ = sm.accept(live, "e1", 4.0)
    return sm.end(live, "i1", 10.0, wrapup_seconds=60)[0]


def test_given_wrap_up_when_ended_early_then_slot_freed_now_and_who_recorded() -> None:
    live, event = sm.end_wrap_up(wrapping_up(), "i1", 12.0, by="sam")
    assert live.slot("i1") is None and live.display() == "busy"  # the email goes on
    assert live.can_take(PROFILE, Medium.VOICE)
    assert (event.cause, event.old, event.new, event.data) == (
        "wrap_up_ended", "busy", "busy", {"interaction_id": "i1", "by": "sam"})
    live, _ = sm.end(live, "e1", 13.0, wrapup_seconds=60)
    live, event = sm.end_wrap_up(live, "e1", 14.0)
    assert (live.display(), live.idle_since, event.data) == ("available", 14.0,
                                                             {"interaction_id": "e1"})


@pytest.mark.parametrize("interaction_id", ["e1", "nothing"])  # busy; not held at all
def test_given_no_wrap_up_when_ending_it_then_not_in_wrap_up_and_nothing_changes(
        interaction_id: str) -> None:
    live = wrapping_up()
    with pytest.raises(NotInWrapUp) as err:
        sm.end_wrap_up(live, interaction_id, 12.0)
    assert err.value.code == "not_in_wrap_up" and isinstance(err.value, InvalidTransition)
    assert live == wrapping_up()
