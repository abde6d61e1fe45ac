"""Reports from stored events: the known morning of ``morning.py`` (stored on SQLite and
PostgreSQL by the real recorders), and ``GET /api/reports`` must give, figure for figure,
what the test counts by hand."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.integration.store.morning import Morning, get


def row(body: dict[str, Any], **key: str) -> dict[str, Any]:
    found = [r for r in body["rows"] if all(r.get(k) == v for k, v in key.items())]
    assert len(found) == 1, (key, body["rows"])
    return found[0]


async def test_given_a_known_morning_when_reported_by_the_hour_then_every_figure_as_counted(
        morning: Morning) -> None:
    status, body = await get(morning, "sam", **{"from": "2026-12-07", "interval": "60"})
    assert status == 200, body
    assert body["tz"] == "Europe/Paris" and body["service_level_variant"] == "abandons_against"
    sales = row(body, interval_start="2026-12-07T09:00:00+01:00", queue="sales",
                medium="voice")
    # counted by hand from play_morning: c1..c6 queued between 09:00 and 10:00
    assert {k: sales[k] for k in ("offered", "answered", "abandoned", "short_abandoned",
                                  "other_exits", "waiting", "met", "transfers",
                                  "callbacks")} == {
        "offered": 6, "answered": 3, "abandoned": 2, "short_abandoned": 1,
        "other_exits": 1, "waiting": 0, "met": 2, "transfers": 1, "callbacks": 1}
    assert sales["service_level"] == {"abandons_ignored": 66.67,      # 2 of 3 answered
                                      "abandons_against": 40.0,       # 2 of 3 + 2
                                      "abandons_within_met": 60.0}    # 2 + c2, of 5
    assert sales["asa_seconds"] == 65.0                 # (8 + 182 + 5) / 3
    assert sales["talk_seconds"] == 80.0                # (60 + 120 + 60) / 3
    assert sales["wrapup_seconds"] == 8.0               # (10 + 4 + 10) / 3
    assert sales["aht_seconds"] == 88.0
    mail = row(body, queue="mail", medium="email")
    assert (mail["offered"], mail["answered"], mail["met"]) == (1, 1, 1)
    assert mail["first_response_seconds"] == 1200.0     # 09:30 -> 09:50
    assert mail["asa_seconds"] == 60.0 and mail["aht_seconds"] == 1270.0   # 1260 + 10
    assert len(body["rows"]) == 2                      # nothing else happened that day


async def test_given_quarter_hours_when_reported_then_work_counts_where_it_was_queued(
        morning: Morning) -> None:
    _, body = await get(morning, "sam", **{"from": "2026-12-07T09:00", "to":
                                           "2026-12-07T10:00", "interval": "15"})
    offered = {(r["interval_start"][11:16], r["queue"]): r["offered"] for r in body["rows"]}
    assert offered == {("09:00", "sales"): 4, ("09:15", "sales"): 1,
                       ("09:30", "sales"): 1, ("09:30", "mail"): 1}


async def test_given_the_day_by_agent_then_each_agents_work_and_occupancy(
        morning: Morning) -> None:
    _, body = await get(morning, "sam", **{"from": "2026-12-07", "by": "agent"})
    alice, bob = row(body, agent="alice"), row(body, agent="bob")
    assert (alice["offered"], alice["answered"], alice["aht_seconds"]) == (2, 2, 97.0)
    # alice staffed 08:55-09:02 and 09:10-09:19 (not ready from then), occupied 70 + 124 s
    assert alice["staffed_seconds"] == 420 + 540
    assert alice["occupancy"] == round(100 * 194 / 960, 2)
    # bob: staffed 09:19-09:52:10 (from 09:31 not ready, but busy with e1 until 09:52:10),
    # occupied by c5 (60 s talk + 10 s wrap-up) and e1 (1260 + 10)
    assert bob["staffed_seconds"] == 1990
    assert bob["occupancy"] == round(100 * (60 + 10 + 1260 + 10) / 1990, 2)


async def test_given_an_agent_when_asking_then_only_their_own_figures(
        morning: Morning) -> None:
    status, body = await get(morning, "alice", **{"from": "2026-12-07", "by": "agent"})
    assert status == 200 and [r["agent"] for r in body["rows"]] == ["alice"]
    status, body = await get(morning, "alice", **{"from": "2026-12-07", "by": "queue"})
    assert row(body, queue="sales")["offered"] == 2         # only c1 and c4 are hers
    status, body = await get(morning, "alice", **{"from": "2026-12-07", "agent": "bob"})
    assert (status, body["error"]) == (403, "forbidden")


async def test_given_csv_when_exported_then_the_same_figures_in_columns(
        morning: Morning) -> None:
    status, text = await get(morning, "sam", **{"from": "2026-12-07", "format": "csv",
                                                "by": "queue"})
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    sales = next(r for r in rows if r["queue"] == "sales")
    assert (sales["offered"], sales["abandoned"], sales["sl_abandons_against"],
            sales["aht_seconds"]) == ("6", "2", "40.0", "88.0")


@pytest.mark.parametrize(("query", "status", "code"), [
    ({}, 400, "bad_range"),
    ({"from": "yesterday"}, 400, "bad_range"),
    ({"from": "2026-12-07", "to": "2026-12-06"}, 400, "bad_range"),
    ({"from": "2026-01-01", "to": "2026-12-31", "interval": "15"}, 400,
     "too_many_intervals"),
    ({"from": "2020-01-01", "to": "2026-01-01"}, 400, "bad_range"),
    ({"from": "2026-12-07", "queue": "nope"}, 404, "queue_not_found"),
    ({"from": "2026-12-07", "tz": "Mars/Olympus"}, 400, "bad_timezone"),
    ({"from": "2026-12-07", "interval": "7"}, 400, "bad_interval"),
    ({"from": "2026-12-07", "by": "customer"}, 400, "bad_by"),
    ({"from": "2026-12-07", "medium": "fax"}, 400, "bad_medium"),
    ({"from": "2026-12-07", "format": "xlsx"}, 400, "bad_format"),
])
async def test_given_bad_input_when_asking_then_a_clear_4xx(
        morning: Morning, query: dict[str, str], status: int, code: str) -> None:
    got, body = await get(morning, "sam", **query)
    assert (got, body["error"]) == (status, code), body
    assert body["message"]
