"""The wallboard's tiles agree with the reports: the known morning of test_reports_api is
played through the real dispatcher with the wall feed subscribed; each tile's figures for
today are the day report's, live and after a restart (tiles seeded from the store)."""

from __future__ import annotations

from typing import Any

from ccengine.api.wall import WallFeed
from ccengine.reporting.live_tiles import LiveTiles
from ccengine.store.work_intervals import queued_between
from tests.integration.store.morning import Morning, at, get


def tiles_of(morning: Morning, clock: Any) -> LiveTiles:
    return LiveTiles(morning.dispatcher.queues, timezone="Europe/Paris",
                     short_abandon_seconds=5.0, clock=clock)


async def test_given_the_morning_when_tiles_follow_the_events_then_they_match_the_report(
        morning: Morning) -> None:
    _, report = await get(morning, "sam", **{"from": "2026-12-07", "interval": "day"})
    wall = morning.wall
    hello = await wall.snapshot(morning.users["sam"])
    tiles = {(t["queue"], t["medium"]): t for t in hello["tiles"]}
    for row in report["rows"]:
        today = tiles[(row["queue"], row["medium"])]["today"]
        for figure in ("offered", "answered", "abandoned", "short_abandoned", "other_exits",
                       "met", "service_level", "asa_seconds", "aht_seconds", "talk_seconds",
                       "wrapup_seconds", "transfers", "callbacks", "first_response_seconds"):
            assert today[figure] == row[figure], (row["queue"], figure)
    sales = tiles[("sales", "voice")]
    assert (sales["waiting"], sales["longest_wait_seconds"]) == (0, 0.0)
    assert sales["agents"] == {"logged_out": 2}
    assert sales["window"]["offered"] == 0          # 12:00: the morning is out of the hour


async def test_given_a_restart_when_seeded_from_the_store_then_the_same_tiles(
        morning: Morning) -> None:
    live = await morning.wall.snapshot(morning.users["sam"])
    tiles = tiles_of(morning, morning.dispatcher.clock)
    finished = [w for w in await queued_between(morning.db, tiles.day_start, at(12, 0))
                if w.ended_at is not None]
    tiles.seed(finished, [])
    again = WallFeed(morning.dispatcher, tiles, lambda: {})
    seeded = await again.snapshot(morning.users["admin"])
    assert [t["today"] for t in seeded["tiles"]] == [t["today"] for t in live["tiles"]]


async def test_given_a_call_waiting_when_the_tile_is_made_then_waiting_and_its_age(
        morning: Morning) -> None:
    from ccengine.core.interaction import Interaction
    from ccengine.core.media import Medium
    d = morning.dispatcher
    d.clock.now = at(12, 0)  # type: ignore[attr-defined]
    await d.enqueue(Interaction("late", Medium.VOICE, queue="sales", created_at=at(12, 0)))
    d.clock.now = at(12, 0, 42)  # type: ignore[attr-defined]
    hello = await morning.wall.snapshot(morning.users["sam"])
    sales = next(t for t in hello["tiles"] if t["queue"] == "sales")
    assert (sales["waiting"], sales["longest_wait_seconds"]) == (1, 42.0)
    assert (sales["today"]["offered"], sales["today"]["waiting"]) == (7, 1)
    assert sales["window"]["offered"] == 1
    assert sales["breaches"] == ["service_level"]    # 40 % today, below the 80 % target
