"""Erlang C: the published figures, monotonic properties, chat concurrency, shrinkage,
input validation and a large case."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccengine.reporting.erlang_c import (
    MAX_AGENTS,
    StaffingInputError,
    Workload,
    agents_needed,
    erlang_b,
    evaluate,
    scheduled,
)

# pyworkforce's example, recomputed: 100 calls per 30 min, AHT 180 s, 80 % in 20 s
EXAMPLE = Workload(contacts=100, interval_seconds=1800, aht_seconds=180, sl_percent=80,
                   sl_seconds=20)


def test_given_published_example_then_fourteen_agents_with_published_figures() -> None:
    result = agents_needed(EXAMPLE)
    assert result.traffic_erlangs == pytest.approx(10.0)
    assert result.agents == 14
    assert round(result.service_level, 4) == 0.8884
    assert round(result.wait_probability, 4) == 0.1741
    assert round(result.occupancy, 4) == 0.7143
    assert round(result.asa_seconds, 2) == 7.84
    assert result.meets_target and result.stable


def test_given_thirteen_agents_then_service_level_below_target() -> None:
    result = evaluate(EXAMPLE, 13)
    assert round(result.service_level, 4) == 0.7956
    assert not result.meets_target


def test_given_thirty_percent_shrinkage_then_twenty_agents_scheduled() -> None:
    result = agents_needed(Workload(100, 1800, 180, 80, 20, shrinkage=0.3))
    assert (result.agents, result.agents_scheduled) == (14, 20)
    assert agents_needed(EXAMPLE).agents_scheduled == 14


@pytest.mark.parametrize(("agents", "shrinkage", "expected"), [
    (14, 0.3, 20), (7, 0.3, 10), (21, 0.3, 30), (10, 0.0, 10), (10, 0.5, 20), (0, 0.5, 0),
    (11, 0.3, 16)])
def test_scheduled_is_not_pushed_up_by_float_error(agents: int, shrinkage: float,
                                                   expected: int) -> None:
    assert scheduled(agents, shrinkage) == expected


def test_given_chat_concurrency_then_traffic_divided_and_fewer_agents() -> None:
    chat = Workload(100, 1800, 180, 80, 20, concurrency=2)
    assert chat.traffic == pytest.approx(5.0)
    result = agents_needed(chat)
    # the same as voice work taking half as long
    same = agents_needed(Workload(100, 1800, 90, 80, 20))
    assert result.agents == same.agents < 14
    assert result.service_level == pytest.approx(same.service_level)
    assert result.asa_seconds == pytest.approx(same.asa_seconds)


def test_given_max_occupancy_then_agents_keep_occupancy_below_it() -> None:
    result = agents_needed(Workload(5000, 1800, 180, 80, 20, max_occupancy=0.85))
    assert result.occupancy <= 0.85
    assert evaluate(Workload(5000, 1800, 180, 80, 20), result.agents - 1).occupancy > 0.85


def test_given_large_traffic_then_no_overflow() -> None:
    result = agents_needed(Workload(5000, 1800, 180, 80, 20))
    assert result.traffic_erlangs == pytest.approx(500.0)
    assert 500 < result.agents < 530
    assert result.service_level >= 0.8
    assert not evaluate(Workload(5000, 1800, 180, 80, 20), result.agents - 1).meets_target
    for value in (result.service_level, result.asa_seconds, result.wait_probability):
        assert math.isfinite(value)
    huge = agents_needed(Workload(200_000, 1800, 180, 90, 10))   # 20 000 Erlangs
    assert 20_000 < huge.agents < 20_200 and huge.meets_target


def test_given_no_contacts_then_no_agents() -> None:
    result = agents_needed(Workload(0, 1800, 180, 80, 20, shrinkage=0.3))
    assert (result.agents, result.agents_scheduled, result.service_level) == (0, 0, 1.0)
    assert result.meets_target


def test_given_agents_not_above_traffic_then_unstable() -> None:
    result = evaluate(EXAMPLE, 10)
    assert (result.service_level, result.wait_probability, result.occupancy) == (0, 1, 1)
    assert not result.stable and not result.meets_target
    assert result.to_dict()["asa_seconds"] is None


def test_erlang_b_known_value() -> None:
    # 10 Erlangs on 10 servers: 0.2146 (standard Erlang B tables)
    assert round(erlang_b(10, 10.0), 4) == 0.2146
    assert erlang_b(0, 10.0) == 1.0
    assert 0 < erlang_b(5000, 4900.0) < 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"contacts": -1}, "contacts"), ({"contacts": math.nan}, "contacts"),
    ({"contacts": math.inf}, "contacts"), ({"interval_seconds": 0}, "interval_seconds"),
    ({"aht_seconds": 0}, "aht_seconds"), ({"aht_seconds": -5}, "aht_seconds"),
    ({"sl_percent": 100}, "sl_percent"), ({"sl_percent": 0}, "sl_percent"),
    ({"sl_seconds": -1}, "sl_seconds"), ({"shrinkage": 1}, "shrinkage"),
    ({"shrinkage": -0.1}, "shrinkage"), ({"concurrency": 0.5}, "concurrency"),
    ({"max_occupancy": 0.2}, "max_occupancy"), ({"max_occupancy": 1.1}, "max_occupancy"),
    ({"contacts": True}, "contacts"), ({"contacts": "100"}, "contacts"),
    ({"contacts": 1e9}, "contacts"),   # traffic above what the calculator handles
])
def test_given_bad_input_then_domain_error_names_the_field(changes: dict, field: str) -> None:
    values = {"contacts": 100, "interval_seconds": 1800, "aht_seconds": 180,
              "sl_percent": 80, "sl_seconds": 20, **changes}
    with pytest.raises(StaffingInputError) as caught:
        Workload(**values)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "bad_staffing_input"
    assert field in str(caught.value)


@pytest.mark.parametrize("agents", [-1, 1.5, True, MAX_AGENTS + 1])
def test_given_bad_agent_count_then_domain_error(agents: object) -> None:
    with pytest.raises(StaffingInputError) as caught:
        evaluate(EXAMPLE, agents)  # type: ignore[arg-type]
    assert caught.value.field == "agents"


workloads = st.builds(
    Workload,
    contacts=st.floats(0.5, 3000), interval_seconds=st.sampled_from([900.0, 1800.0, 3600.0]),
    aht_seconds=st.floats(10, 1200), sl_percent=st.floats(50, 99),
    sl_seconds=st.floats(0, 120), shrinkage=st.floats(0, 0.6),
    concurrency=st.sampled_from([1.0, 2.0, 3.5]))


@given(work=workloads, extra=st.integers(0, 60))
def test_more_agents_never_lower_service_level(work: Workload, extra: int) -> None:
    n = math.floor(work.traffic) + extra
    fewer, more = evaluate(work, n), evaluate(work, n + 1)
    assert more.service_level >= fewer.service_level - 1e-12
    assert more.wait_probability <= fewer.wait_probability + 1e-12
    assert more.asa_seconds <= fewer.asa_seconds


@given(work=workloads)
def test_agents_needed_meet_target_and_one_fewer_do_not(work: Workload) -> None:
    result = agents_needed(work)
    assert result.agents > work.traffic
    assert result.service_level >= work.sl_percent / 100 - 1e-9
    assert result == evaluate(work, result.agents)
    assert not evaluate(work, result.agents - 1).meets_target
    assert result.agents_scheduled >= result.agents
