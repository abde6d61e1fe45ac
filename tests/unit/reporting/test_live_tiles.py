"""Live tiles on their own: a new local day starts them again, a wrap-up that ends adds its
time to the work it followed, and a queue's thresholds name what is breached."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ccengine.core.events import (
    AgentStateChanged,
    InteractionAnswered,
    InteractionEnded,
    InteractionQueued,
)
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.reporting.live_tiles import LiveTiles

NY = ZoneInfo("America/New_York")
QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), sl_seconds=20,
                               thresholds={"waiting": 1, "service_level": 80})}


class Clock:
    def __init__(self, t: float) -> None:
        self.now = t

    def __call__(self) -> float:
        return self.now


def ny(day: int, hh: int, mm: int, ss: int = 0) -> float:
    return datetime(2026, 12, day, hh, mm, ss, tzinfo=NY).timestamp()


def handled(tiles: LiveTiles, clock: Clock, iid: str, start: float) -> None:
    """A call queued at ``start``, answered 5 s later, ended 60 s after, 7 s wrap-up."""
    call = Interaction(iid, Medium.VOICE, queue="sales", created_at=start)
    call.record("queued", start)
    for event in (InteractionQueued(start, call),):
        tiles.on_event(event)
    call.agent_id = "alice"
    call.record("answered", start + 5)
    tiles.on_event(InteractionAnswered(start + 5, call, "alice"))
    call.record("ended", start + 65)
    clock.now = start + 65
    tiles.on_event(InteractionEnded(start + 65, call, "alice"))
    tiles.on_event(AgentStateChanged(start + 65, "alice", "busy", "wrap_up", "", "wrap_up",
                                     {"interaction_id": iid}))
    clock.now = start + 72
    tiles.on_event(AgentStateChanged(start + 72, "alice", "wrap_up", "available", "",
                                     "released", {"interaction_id": iid}))


def test_given_handled_calls_then_aht_counts_the_wrap_up_and_midnight_starts_again() -> None:
    clock = Clock(ny(7, 23, 50))
    tiles = LiveTiles(QUEUES, timezone="America/New_York", short_abandon_seconds=5,
                      clock=clock)
    handled(tiles, clock, "c1", ny(7, 23, 50))
    today = tiles.tile(("sales", "voice"), [], {})["today"]
    assert (today["offered"], today["aht_seconds"], today["asa_seconds"]) == (1, 67.0, 5.0)
    handled(tiles, clock, "c2", ny(8, 0, 5))        # after local midnight: a new day
    tile = tiles.tile(("sales", "voice"), [], {})
    assert tile["today"]["offered"] == 1
    assert tile["window"]["offered"] == 2           # the last hour spans midnight


def test_given_thresholds_when_passed_then_the_tile_names_them() -> None:
    clock = Clock(ny(7, 9, 0))
    tiles = LiveTiles(QUEUES, timezone="America/New_York", short_abandon_seconds=5,
                      clock=clock)
    waiting = []
    for n in range(2):
        call = Interaction(f"w{n}", Medium.VOICE, queue="sales", created_at=clock.now,
                           enqueued_at=clock.now - 30)
        call.record("queued", clock.now - 30)
        tiles.on_event(InteractionQueued(clock.now, call))
        waiting.append(call)
    tile = tiles.tile(("sales", "voice"), waiting, {"available": 0})
    assert (tile["waiting"], tile["longest_wait_seconds"]) == (2, 30.0)
    assert tile["breaches"] == ["waiting"]          # no service level to judge yet
