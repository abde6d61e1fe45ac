"""The voice benchmark's verdicts from its steps (bench/voice_load_bench.py): the sustained
rate, the knee and the overload figures, with one turn per rate and with --repeat's
several (judged by the median turn)."""

from __future__ import annotations

from bench.voice_load_bench import Step, overload_lines, past_knee, sustained


def step(rate: float, connected_pct: float) -> Step:
    return Step(rate=rate, placed=1000, connected=round(10 * connected_pct))


def test_one_turn_per_rate_keeps_the_old_verdicts() -> None:
    steps = [step(32, 100), step(36, 99.5), step(40, 90), step(44, 70)]
    assert sustained(steps) == 36
    assert past_knee(steps)
    assert not past_knee(steps[:3])


def test_the_median_turn_decides_the_sustained_rate() -> None:
    # at 40 one turn of three went badly: the median passes; at 44 two of three failed
    steps = [step(36, 100), step(36, 100), step(36, 100),
             step(40, 100), step(40, 80), step(40, 99.8),
             step(44, 99.9), step(44, 70), step(44, 60)]
    assert sustained(steps) == 40


def test_the_knee_goes_by_the_median_turn_of_each_rate() -> None:
    # 40: one bad turn of three (median 99.5 % connected) is not past the knee
    steps = [step(40, 99.5), step(40, 80), step(40, 99.8), step(44, 60), step(44, 65)]
    assert not past_knee(steps)
    assert past_knee(steps + [step(48, 50), step(48, 55)])


def test_overload_lines_give_each_turn_the_median_and_the_verdict() -> None:
    results = {
        "engine": [step(36, 100), step(36, 100), step(40, 70), step(40, 90),
                   step(40, 88), step(44, 60), step(44, 62), step(44, 50)],
        "app_queue": [step(36, 99), step(36, 98), step(40, 93), step(40, 95),
                      step(40, 80), step(44, 85), step(44, 86), step(44, 84)],
    }
    first, second = overload_lines(results)
    assert first.startswith("overload +1 step (40 calls/s)")
    assert "engine median 88.0 % (turns: 70.0 % (70.0 % without a failure) / 90.0 %" in first
    assert "app_queue median 93.0 %" in first
    assert first.endswith("engine >= app_queue: no")
    assert second.startswith("overload +2 step (44 calls/s)")
    assert second.endswith("engine >= app_queue: no")


def test_overload_verdict_yes_when_the_engine_connects_as_many() -> None:
    results = {"engine": [step(36, 100), step(40, 95), step(44, 90)],
               "app_queue": [step(36, 100), step(40, 95), step(44, 80)]}
    first, second = overload_lines(results)
    assert first == ("overload +1 step (40 calls/s): connected engine 95.0 % (95.0 % "
                     "without a failure), app_queue 95.0 % (95.0 % without a failure); "
                     "engine >= app_queue: yes")
    assert second.endswith("engine >= app_queue: yes")


def test_a_rate_one_mode_did_not_run_has_no_verdict() -> None:
    results = {"engine": [step(36, 100), step(40, 60), step(44, 50)],
               "app_queue": [step(36, 100), step(40, 96), step(44, 94), step(48, 80)]}
    lines = overload_lines(results)
    assert lines[0].endswith("engine >= app_queue: no")
    assert lines[1].startswith("overload +2 step (44 calls/s): connected engine 50.0 %")
    results["engine"] = results["engine"][:2]
    assert overload_lines(results)[1] == (
        "overload +2 step (44 calls/s): connected engine not run, app_queue 94.0 % "
        "(94.0 % without a failure)")
