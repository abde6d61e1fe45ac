"""A known morning of traffic for the reports' and the wallboard's tests: played through
the real dispatcher (a clock of the test's), stored by the real recorders, with the
reports API on a real aiohttp server and the wallboard's feed following the same events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.api.reports import ReportsApi, add_routes
from ccengine.api.wall import WallFeed
from ccengine.core.agent import AgentProfile
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.core.supervision import SupervisorProfile
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.intervals import ReportOptions, sums_of
from ccengine.reporting.live_tiles import LiveTiles
from ccengine.reporting.settings import ReportingSettings
from ccengine.state.memory import MemoryState
from ccengine.store.agent_events import AgentEventRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

PARIS = ZoneInfo("Europe/Paris")
TOKENS = {"alice": "t-alice", "bob": "t-bob", "sam": "t-sam", "admin": "t-admin"}


def at(hh: int, mm: int, ss: int = 0) -> float:
    """Epoch seconds of a wall-clock time in Paris on 2026-12-07."""
    return datetime(2026, 12, 7, hh, mm, ss, tzinfo=PARIS).timestamp()


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


class Channel:
    """Takes offers and does nothing: the test answers for the agents."""

    def __init__(self, medium: Medium) -> None:
        self.medium = medium
        self.offers: list[tuple[str, str]] = []

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        self.offers.append((interaction.id, agent_id))


@dataclass
class Morning:
    client: TestClient
    dispatcher: Dispatcher
    db: Database
    agent_events: AgentEventRepository
    wall: WallFeed                   # the wallboard's feed, fed the same events
    users: dict[str, User]


async def play_morning(d: Dispatcher, clock: Clock) -> None:
    """The traffic the expected figures below are counted from (Paris time)."""
    async def when(t: float) -> None:
        clock.now = t
        await d.tick()

    def voice(iid: str) -> Interaction:
        return Interaction(iid, Medium.VOICE, queue="sales", created_at=clock.now)

    await when(at(8, 55))
    await d.login("alice")
    # c1: answered after 8 s, 60 s talk, 10 s wrap-up (the queue's)
    await when(at(9, 0))
    await d.enqueue(voice("c1"))
    await when(at(9, 0, 8))
    await d.offer_accepted("c1", "alice")
    await when(at(9, 1, 8))
    await d.interaction_ended("c1", "alice", hung_up_by="caller")
    await when(at(9, 1, 18))                          # the tick ends the wrap-up
    await when(at(9, 2))
    await d.set_not_ready("alice", "break")
    # c2: the caller leaves after 3 s (a short abandon, within the threshold)
    await when(at(9, 5))
    await d.enqueue(voice("c2"))
    await when(at(9, 5, 3))
    await d.cancel("c2", "abandoned", hung_up_by="caller")
    # c3: leaves after 30 s (past the 20 s threshold)
    await when(at(9, 6))
    await d.enqueue(voice("c3"))
    await when(at(9, 6, 30))
    await d.cancel("c3", "abandoned", hung_up_by="caller")
    # c4: waits 182 s, 120 s talk, wrap-up ended by alice after 4 s
    await when(at(9, 7))
    await d.enqueue(voice("c4"))
    await when(at(9, 10))
    await d.set_available("alice")                   # offered c4 at once
    await when(at(9, 10, 2))
    await d.offer_accepted("c4", "alice")
    await when(at(9, 12, 2))
    await d.interaction_ended("c4", "alice", hung_up_by="agent")
    await when(at(9, 12, 6))
    await d.end_wrap_up("c4", "alice")
    # c5 (09:20, so the 09:15 quarter): bob answers after 5 s, transfers it, 60 s talk
    await when(at(9, 19))
    await d.login("bob")
    await d.set_not_ready("alice", "lunch")
    await when(at(9, 20))
    await d.enqueue(voice("c5"))
    await when(at(9, 20, 5))
    await d.offer_accepted("c5", "bob")
    await d.record("c5", "transfer_completed", by="bob")
    await when(at(9, 21, 5))
    await d.interaction_ended("c5", "bob", hung_up_by="caller")
    await when(at(9, 21, 15))
    await when(at(9, 30))
    await d.logout("alice")
    # e1: an email, bob accepts it after 60 s, first reply 20 minutes after it came
    await d.enqueue(Interaction("e1", Medium.EMAIL, queue="mail", created_at=clock.now))
    await when(at(9, 31))
    await d.offer_accepted("e1", "bob")
    await d.set_not_ready("bob", "meeting")          # nothing more for him meanwhile
    # c6: asks for a callback instead of waiting (a callback, not an abandon)
    await when(at(9, 40))
    await d.enqueue(voice("c6"))
    await d.record("c6", "callback_requested")
    await when(at(9, 41))
    await d.cancel("c6", "callback_requested")
    await when(at(9, 50))
    await d.record("e1", "first_response")
    await when(at(9, 52))
    await d.interaction_ended("e1", "bob")
    await when(at(9, 52, 10))
    await when(at(10, 0))
    await d.logout("bob")


async def open_morning(db: Database, counted: bool = True) -> AsyncIterator[Morning]:
    """The morning played, then the API serving it (the ``morning`` fixture). ``counted``:
    the recorder keeps the quarter hours' sums as work ends, as the engine's does; else
    reports count every interaction from its row (work stored before they were kept)."""
    clock = Clock()
    queues = {"sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1},
                                   wrapup_seconds=10, sl_seconds=20),
              "mail": QueueConfig("mail", frozenset({Medium.EMAIL}), {"sales": 1},
                                  wrapup_seconds=10, sl_seconds=3600)}
    capacity = {Medium.VOICE: 1, Medium.EMAIL: 1}
    agents = {"alice": AgentProfile("alice", "Alice", {"sales": 5}, capacity),
              "bob": AgentProfile("bob", "Bob", {"sales": 2}, capacity)}
    d = Dispatcher(MemoryState(), queues, agents, clock=clock, offer_timeout=3600,
                   tick_seconds=3600)
    for medium in (Medium.VOICE, Medium.EMAIL):
        d.register_channel(Channel(medium))
    options = ReportOptions(by=(), thresholds={n: q.sl_seconds for n, q in queues.items()},
                            short_abandon_seconds=5.0)
    recorder = InteractionRepository(db, counter=(lambda w: sums_of(w, options))
                                     if counted else None)
    agent_events = AgentEventRepository(db)
    d.subscribe(recorder.on_event)
    d.subscribe(agent_events.on_event)
    wall = WallFeed(d, LiveTiles(queues, timezone="Europe/Paris", short_abandon_seconds=5.0,
                                 clock=clock), lambda: {"sam": SupervisorProfile(
                                     "sam", "Sam", frozenset({"*"}))})
    d.subscribe(wall.on_event)
    await d.start()
    clock.now = at(8, 0)
    wall.tiles.day_start = wall.tiles._midnight(clock.now)
    await play_morning(d, clock)
    clock.now = at(12, 0)
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor"), "admin": User("admin", "admin")}
    app = build_api(TokenAuth(users, TOKENS), d, ScreenPopFeed(), recorder)
    add_routes(app, ReportsApi(db, agent_events, lambda: ReportingSettings(
        timezone="Europe/Paris")))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Morning(client, d, db, agent_events, wall, users)
    await d.stop()


async def get(m: Morning, user: str, **query: str) -> tuple[int, Any]:
    r = await m.client.get("/api/reports", params=query,
                           headers={"Authorization": f"Bearer {TOKENS[user]}"})
    return r.status, (await r.json() if r.content_type == "application/json"
                      else await r.text())
