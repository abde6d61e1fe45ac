"""Dialer pacing: settings, the modes, the predictive rules, the bounds (as properties over
random snapshots), the abandon tracker's rolling window and the recent dials' figures."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccengine.campaigns.pacing import (
    MIN_DIALS,
    AbandonStatus,
    AbandonTracker,
    DialStats,
    Mode,
    PacingSettings,
    RecentDials,
    Snapshot,
    Window,
    decide,
    expected_excess,
    expected_remaining,
    free_chance,
    handle_shape,
)
from ccengine.campaigns.predictive import remaining
from ccengine.core.agent_state import Slot, SlotState
from ccengine.core.errors import ConfigError
from ccengine.core.media import Medium
from tests.unit.campaigns.pacing_sim import erlang2_by

PREDICTIVE = PacingSettings(mode=Mode.PREDICTIVE)
DAY = 86_400.0


def stats(answer_rate: float = 0.33, abandoned: int = 0, answers: int = 1000,
          dials: int = 300, **kw: float) -> DialStats:
    return DialStats(dials=dials, live_answers=round(dials * answer_rate),
                     abandon=AbandonStatus(answers, abandoned), **kw)


def busy(n: int) -> list[float | None]:
    return [None] * n


# settings


def test_given_empty_pacing_block_then_the_defaults() -> None:
    s = PacingSettings.from_mapping({}, "campaigns[0].pacing")
    assert s == PacingSettings(Mode.PROGRESSIVE, 3.0, 0.03, 2.0, Window.DAY)
    assert s == PacingSettings()
    assert (Window.DAY.seconds, Window.MONTH.seconds) == (DAY, 30 * DAY)


def test_given_every_key_then_read() -> None:
    s = PacingSettings.from_mapping({"mode": "predictive", "max_dial_ratio": 2,
                                     "abandon_limit": 0.01, "abandon_seconds": 3,
                                     "window": "30d"}, "x")
    assert s == PacingSettings(Mode.PREDICTIVE, 2.0, 0.01, 3.0, Window.MONTH)
    shared = PacingSettings.from_mapping({"mode": "preview", "ring_seconds": 25}, "x",
                                         other_keys={"ring_seconds"})
    assert shared == PacingSettings(Mode.PREVIEW)


@pytest.mark.parametrize(("data", "key", "says"), [
    ({"mode": "turbo"}, "mode", "preview, progressive, predictive"),
    ({"max_dial_ratio": 0.5}, "max_dial_ratio", ">= 1"),
    ({"max_dial_ratio": True}, "max_dial_ratio", "number"),
    ({"abandon_limit": 0}, "abandon_limit", "fraction"),
    ({"abandon_limit": 3}, "abandon_limit", "0.03 is 3 %"),
    ({"abandon_limit": "3%"}, "abandon_limit", "number"),
    ({"abandon_seconds": -1}, "abandon_seconds", ">= 0"),
    ({"window": "7d"}, "window", "24h, 30d"),
    ({"ratio": 2}, "ratio", "unknown key"),
])
def test_given_a_bad_value_then_config_error_names_the_key(data: dict[str, object], key: str,
                                                           says: str) -> None:
    with pytest.raises(ConfigError) as e:
        PacingSettings.from_mapping(data, "campaigns[2].pacing")
    assert (e.value.where, e.value.key) == ("campaigns[2].pacing", key)
    assert says in e.value.message


def test_given_impossible_values_in_code_then_value_error() -> None:
    for bad in ({"max_dial_ratio": 0.9}, {"abandon_limit": 0.0}, {"abandon_seconds": -0.1}):
        with pytest.raises(ValueError):
            PacingSettings(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Snapshot(free_agents=-1)
    with pytest.raises(ValueError):
        DialStats(dials=3, live_answers=4)
    with pytest.raises(ValueError):
        AbandonStatus(live_answers=2, abandoned=3)


# the modes


def test_given_preview_then_nothing_dialled_whatever_the_agents() -> None:
    d = decide(Snapshot(free_agents=20, busy_agents=busy(5), stats=stats()),
               PacingSettings(mode=Mode.PREVIEW))
    assert (d.dial, d.mode) == (0, Mode.PREVIEW)


@pytest.mark.parametrize(("free", "ringing", "waiting", "dial"),
                         [(5, 0, 0, 5), (5, 2, 0, 3), (5, 2, 1, 2), (2, 5, 0, 0), (0, 0, 0, 0)])
def test_progressive_dials_free_agents_less_calls_in_progress(free: int, ringing: int,
                                                              waiting: int, dial: int) -> None:
    d = decide(Snapshot(free, busy(4), ringing, waiting, stats()),
               PacingSettings(mode=Mode.PROGRESSIVE))
    assert (d.dial, d.mode, d.progressive) == (dial, Mode.PROGRESSIVE, dial)


@pytest.mark.parametrize("mode", list(Mode))
def test_given_no_agent_logged_in_then_nothing_dialled(mode: Mode) -> None:
    d = decide(Snapshot(free_agents=0, ringing=3, stats=stats()), PacingSettings(mode=mode))
    assert (d.dial, d.dial_level, d.reason) == (0, 0.0, "no agents logged in")


def test_predictive_dials_more_than_free_agents() -> None:
    d = decide(Snapshot(free_agents=10, busy_agents=busy(20), stats=stats(0.33)), PREDICTIVE)
    assert d.mode is Mode.PREDICTIVE
    assert 10 < d.dial <= d.ceiling
    assert d.dial_level == pytest.approx(d.dial / d.agents_available)
    assert "predictive: answer rate 33%" in d.reason


def test_given_rate_at_the_limit_then_progressive_and_says_why() -> None:
    d = decide(Snapshot(10, busy(20), 4, 0, stats(abandoned=30, answers=1000)), PREDICTIVE)
    assert (d.mode, d.dial) == (Mode.PROGRESSIVE, 6)
    assert d.reason.startswith("abandon rate 3.00% over 24h is at or above the limit 3.00%")
    assert "30 of 1000 live answers" in d.reason
    below = decide(Snapshot(10, busy(20), 4, 0, stats(abandoned=29, answers=1000)), PREDICTIVE)
    assert below.mode is Mode.PREDICTIVE


def test_given_few_dials_then_progressive_while_learning_the_answer_rate() -> None:
    d = decide(Snapshot(10, busy(20), 0, 0, stats(dials=MIN_DIALS - 1)), PREDICTIVE)
    assert (d.mode, d.dial) == (Mode.PROGRESSIVE, 10)
    assert d.reason.startswith(f"learning the answer rate ({MIN_DIALS - 1} of {MIN_DIALS}")
    assert decide(Snapshot(10, busy(20), 0, 0, stats(dials=MIN_DIALS)),
                  PREDICTIVE).mode is Mode.PREDICTIVE


def test_predictive_dials_less_as_the_abandon_rate_nears_the_limit() -> None:
    dials = [decide(Snapshot(10, busy(40), stats=stats(abandoned=a, answers=1000)),
                    PREDICTIVE).dial for a in (0, 10, 20, 28)]
    assert dials == sorted(dials, reverse=True)
    assert dials[0] > dials[-1] >= 10


def test_predictive_dials_less_when_more_people_answer() -> None:
    dials = [decide(Snapshot(10, busy(40), stats=stats(rate)), PREDICTIVE).dial
             for rate in (0.2, 0.3, 0.5, 0.8)]
    assert dials == sorted(dials, reverse=True) and dials[0] > dials[-1]


def test_answered_calls_waiting_for_an_agent_hold_back_dialling() -> None:
    calm = decide(Snapshot(10, busy(40), 0, 0, stats()), PREDICTIVE)
    waiting = decide(Snapshot(10, busy(40), 0, 5, stats()), PREDICTIVE)
    assert waiting.dial < calm.dial


def test_agents_about_to_finish_count_and_long_calls_hardly() -> None:
    soon = decide(Snapshot(2, [3.0] * 10, stats=stats()), PREDICTIVE)
    later = decide(Snapshot(2, [600.0] * 10, stats=stats()), PREDICTIVE)
    assert soon.agents_available == pytest.approx(2 + 10 * free_chance(3.0, 17.0))
    assert soon.agents_available > 11 and later.agents_available < 2.1
    assert soon.dial > later.dial


def test_given_hardly_anyone_answers_then_the_ratio_caps_the_dialling() -> None:
    d = decide(Snapshot(10, stats=stats(0.01)), PREDICTIVE)
    assert d.dial == d.ceiling == 30 and d.dial_level == pytest.approx(3.0)
    two = decide(Snapshot(10, stats=stats(0.01)), PacingSettings(Mode.PREDICTIVE, max_dial_ratio=2))
    assert two.dial == 20


def test_free_chance_is_erlang_two() -> None:
    assert free_chance(10.0, 10.0) == pytest.approx(1 - 3 * math.exp(-2))
    assert free_chance(0.0, 5.0) == 1.0
    assert free_chance(100.0, 0.0) == 0.0
    rnd = random.Random(5)  # sampled: two exponential halves of the mean
    draws = [rnd.expovariate(2 / 30) + rnd.expovariate(2 / 30) for _ in range(40_000)]
    assert free_chance(30.0, 12.0) == pytest.approx(sum(d <= 12 for d in draws) / len(draws),
                                                    abs=0.01)


def test_expected_excess_of_a_normal() -> None:
    assert expected_excess(0.0, 1.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert expected_excess(-3.0, 0.0) == 0.0 and expected_excess(2.5, 0.0) == 2.5
    assert expected_excess(50.0, 4.0) == pytest.approx(50.0)
    rnd = random.Random(7)
    draws = [max(0.0, rnd.gauss(-1.0, 2.0)) for _ in range(100_000)]
    assert expected_excess(-1.0, 4.0) == pytest.approx(sum(draws) / len(draws), rel=0.02)


# the bounds, over random snapshots

snapshots = st.builds(
    Snapshot,
    free_agents=st.integers(0, 60),
    busy_agents=st.lists(st.one_of(st.none(), st.floats(0, 900)), max_size=60),
    ringing=st.integers(0, 150),
    answered_waiting=st.integers(0, 10),
    stats=st.builds(
        lambda dials, share, answer_s, handle_s, answers, abandoned: DialStats(
            dials, round(dials * share), answer_s, handle_s,
            AbandonStatus(answers, min(answers, abandoned))),
        st.integers(0, 500), st.floats(0, 1), st.floats(0, 60), st.floats(0, 600),
        st.integers(0, 5000), st.integers(0, 300)))
pacing_settings = st.builds(PacingSettings, mode=st.sampled_from(list(Mode)),
                            max_dial_ratio=st.floats(1, 5),
                            abandon_limit=st.floats(0.001, 0.2),
                            abandon_seconds=st.floats(0, 10),
                            window=st.sampled_from(list(Window)))


@settings(max_examples=400, deadline=None)
@given(snapshots, pacing_settings)
def test_dialling_stays_within_the_ratio_and_never_below_progressive(
        snap: Snapshot, s: PacingSettings) -> None:
    d = decide(snap, s)
    in_progress = snap.ringing + snap.answered_waiting
    free, n_busy = snap.free_agents, len(snap.busy_agents)
    progressive = max(0, free - in_progress)
    horizon = snap.stats.mean_answer_seconds + s.abandon_seconds
    soon = sum(erlang2_by(snap.stats.mean_handle_seconds if r is None else r, horizon)
               for r in snap.busy_agents)
    assert d.dial >= 0
    assert in_progress + d.dial <= max(in_progress,
                                       math.floor(s.max_dial_ratio * (free + soon) + 1e-6))
    assert in_progress + d.dial <= max(in_progress, s.max_dial_ratio * (free + n_busy))
    if d.dial:
        assert d.dial_level <= s.max_dial_ratio + 1e-9
    if free == 0 and n_busy == 0 or s.mode is Mode.PREVIEW:
        assert d.dial == 0
    else:
        assert d.dial >= progressive
    if s.mode is Mode.PROGRESSIVE:
        assert (d.dial, d.mode) == (progressive, Mode.PROGRESSIVE)
    if s.mode is Mode.PREDICTIVE and (free or n_busy):
        if snap.stats.abandon.rate >= s.abandon_limit:
            assert (d.mode, d.dial) == (Mode.PROGRESSIVE, progressive)
            assert "at or above the limit" in d.reason
        assert d.mode in (Mode.PREDICTIVE, Mode.PROGRESSIVE)


@settings(max_examples=200, deadline=None)
@given(snapshots, st.integers(0, 30))
def test_more_abandoned_calls_never_mean_more_dialling(snap: Snapshot, more: int) -> None:
    a = snap.stats.abandon
    worse = Snapshot(snap.free_agents, snap.busy_agents, snap.ringing, snap.answered_waiting,
                     DialStats(snap.stats.dials, snap.stats.live_answers,
                               snap.stats.mean_answer_seconds,
                               snap.stats.mean_handle_seconds,
                               AbandonStatus(a.live_answers + more, a.abandoned + more)))
    assert decide(worse, PREDICTIVE).dial <= decide(snap, PREDICTIVE).dial


# the abandon tracker


def test_tracker_rate_is_abandoned_over_live_answers() -> None:
    t = AbandonTracker()
    assert t.status(0.0) == AbandonStatus(0, 0) and t.status(0.0).rate == 0.0
    for i in range(97):
        t.connected(float(i))
    for i in range(3):
        t.abandoned(100.0 + i)
    assert t.status(200.0) == AbandonStatus(100, 3)
    assert t.status(200.0).rate == pytest.approx(0.03)


def test_tracker_forgets_after_24_hours_to_the_minute() -> None:
    t = AbandonTracker(Window.DAY)
    t.abandoned(30.0)        # in the minute [0, 60)
    t.connected(3_600.0)
    assert t.status(DAY + 59.9) == AbandonStatus(2, 1)   # the minute ends inside the window
    assert t.status(DAY + 60.0) == AbandonStatus(1, 0)
    assert t.status(DAY + 3_660.0) == AbandonStatus(0, 0)


def test_tracker_keeps_30_days_to_the_hour() -> None:
    t = AbandonTracker(Window.MONTH)
    t.abandoned(10.0)
    t.connected(20 * DAY)
    assert t.status(30 * DAY + 3_599.0) == AbandonStatus(2, 1)
    assert t.status(30 * DAY + 3_600.0) == AbandonStatus(1, 0)


def test_tracker_takes_late_reports_in_their_bucket_and_drops_expired_ones() -> None:
    t = AbandonTracker(Window.DAY)
    t.connected(1_000.0)
    t.connected(5_000.0)
    t.abandoned(3_000.0)     # reported late: between the two
    t.abandoned(10.0)        # before the first bucket kept
    t.abandoned(5_010.0)     # the newest bucket again
    assert t.status(5_100.0) == AbandonStatus(5, 3)
    assert t.status(DAY + 1_000.0) == AbandonStatus(4, 2)   # the first minute has gone
    assert t.status(DAY + 3_060.0) == AbandonStatus(2, 1)
    t.connected(10.0)        # older than the window now: ignored
    assert t.status(DAY + 3_060.0) == AbandonStatus(2, 1)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 4 * DAY), st.booleans()), max_size=300),
       st.floats(0, 5 * DAY))
def test_tracker_counts_the_window_and_at_most_one_minute_more(
        events: list[tuple[float, bool]], now: float) -> None:
    t = AbandonTracker(Window.DAY)
    events.sort()
    for at, abandoned in events:
        if at <= now:
            (t.abandoned if abandoned else t.connected)(at)
    got = t.status(now)

    def count(start: float) -> tuple[int, int]:
        inside = [a for at, a in events if start < at <= now]
        return len(inside), sum(inside)
    exact, widest = count(now - DAY), count(now - DAY - 60)
    assert exact[0] <= got.live_answers <= widest[0]
    assert exact[1] <= got.abandoned <= widest[1]


def test_tracker_stays_small_over_a_month() -> None:
    t = AbandonTracker(Window.DAY)
    for i in range(30 * 24 * 60):
        t.connected(i * 60.0)
    assert t.status(30 * DAY) == AbandonStatus(1440, 0)
    assert len(t._buckets) <= 1441


# the recent dials


def test_recent_dials_give_answer_rate_and_mean_time_to_answer() -> None:
    r = RecentDials(size=4)
    assert r.stats(100.0, AbandonStatus()).answer_rate == 0.0
    for outcome in (10.0, None, 20.0, None):
        r.record(outcome)
    s = r.stats(100.0, AbandonStatus(10, 1))
    assert (s.dials, s.live_answers, s.mean_answer_seconds) == (4, 2, 15.0)
    assert (s.answer_rate, s.mean_handle_seconds, s.abandon.rate) == (0.5, 100.0, 0.1)
    r.record(None)   # the 10 s answer leaves
    r.record(6.0)    # the no-answer leaves
    s = r.stats(100.0, AbandonStatus())
    assert (s.dials, s.live_answers, s.mean_answer_seconds) == (4, 2, 13.0)


def test_given_a_talk_under_way_then_its_expected_remaining_time_falls_to_half_the_mean(
        ) -> None:
    assert expected_remaining(0.0, 100.0) == pytest.approx(100.0)
    # Erlang-2 with mean 100 s (rate 0.02/s): after 50 s, (2 + 1) / (0.02 * 2) = 75 s
    assert expected_remaining(50.0, 100.0) == pytest.approx(75.0)
    assert expected_remaining(10_000.0, 100.0) == pytest.approx(50.0, rel=0.01)
    assert expected_remaining(5.0, 0.0) == 0.0


def test_given_busy_agents_slots_then_wrapup_end_known_and_talk_from_its_start() -> None:
    now = 1000.0
    wrapping = Slot("i1", Medium.VOICE, SlotState.WRAP_UP, since=990.0, until=1004.0)
    talking = Slot("i2", Medium.VOICE, SlotState.BUSY, since=950.0)
    assert remaining([wrapping], now, 110.0, 10.0) == pytest.approx(4.0)
    # 100 s of talk expected (110 - 10 of wrap-up), 50 s done: 75 s more, then 10 s
    assert remaining([talking], now, 110.0, 10.0) == pytest.approx(85.0)
    assert remaining([wrapping, talking], now, 110.0, 10.0) == pytest.approx(85.0)
    offered = Slot("i3", Medium.VOICE, SlotState.OFFERED, since=999.0, until=1020.0)
    assert remaining([offered], now, 110.0, 10.0) is None


def test_given_handle_times_then_their_shape_and_the_chance_of_a_busy_agent_freeing_up(
        ) -> None:
    # shape 2 is the formula the pacing always had: 1 - e^-x (1 + x)
    x = 2 * 10 / 60
    assert free_chance(60, 10) == pytest.approx(1 - math.exp(-x) * (1 + x))
    assert free_chance(60, 10, 1) == pytest.approx(1 - math.exp(-10 / 60))
    # calls that all last about 3 s: a call just begun is hardly ever over within 2.3 s
    alike = [3.0 + 0.1 * (i % 3) for i in range(30)]
    shape = handle_shape(alike)
    assert shape == 30
    assert free_chance(3.0, 2.3, shape) < 0.15 < free_chance(3.0, 2.3) == pytest.approx(
        0.46, abs=0.01)
    draw = random.Random(7)
    spread = [draw.expovariate(1 / 100) for _ in range(2000)]
    assert handle_shape(spread) == 1          # exponential: CV 1
    assert handle_shape([5.0] * 9) == 2       # too few to go by
    assert handle_shape([5.0] * 10) == 30     # all alike
    # a long talk's expected remaining time falls to mean / shape
    assert expected_remaining(0.0, 3.0, 30) == pytest.approx(3.0)
    assert expected_remaining(1e6, 3.0, 30) == pytest.approx(0.1, rel=0.01)
