"""The staffing API (Erlang C) over a real aiohttp server and a real SQLite store:
supervisors and admins only, bad parameters answered 400 with a stable code, and the
queues' figures checked against an independent count of what the test stored."""

from __future__ import annotations

import math
import random
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.api.staffing import add_routes
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.records import EventData, InteractionData

TOKENS = {"alice": "tok-alice", "sam": "tok-sam", "admin": "tok-admin"}
NOW = 1_780_000_000.0         # the dispatcher's clock, fixed
HALF_HOUR = 1800.0
SINCE = NOW - 3 * HALF_HOUR   # three intervals of traffic
CALC = "/api/staffing/erlang-c"
EXAMPLE = "contacts=100&interval_minutes=30&aht_seconds=180&sl_percent=80&sl_seconds=20"

QUEUES = {
    "sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 5}, wrapup_seconds=10,
                         sl_seconds=20, sl_percent=80),
    "web": QueueConfig("web", frozenset({Medium.CHAT}), {"chat": 1}, wrapup_seconds=0,
                       sl_seconds=60, sl_percent=90),
    "quiet": QueueConfig("quiet", frozenset({Medium.VOICE}), {"sales": 1}),
}
AGENTS = {
    "alice": AgentProfile("alice", "Alice", {"sales": 7, "chat": 1},
                          {Medium.VOICE: 1, Medium.CHAT: 3}),
    "bob": AgentProfile("bob", "Bob", {"sales": 5}, {Medium.VOICE: 1}),
    "carol": AgentProfile("carol", "Carol", {"sales": 3}, {Medium.VOICE: 1}),  # too junior
    "dave": AgentProfile("dave", "Dave", {"chat": 2}, {Medium.CHAT: 2}),
    "erin": AgentProfile("erin", "Erin", {"sales": 9}, {Medium.VOICE: 1}),     # logged out
}


@dataclass(frozen=True)
class Stored:
    """What the test stored for one contact, to count independently."""

    id: str
    medium: str
    queue: str | None
    queued: float | None
    answered: float | None = None
    ended: float | None = None

    def data(self) -> InteractionData:
        entered = (self.queued or NOW - 100) - 5
        events = [EventData("entered", entered)]
        if self.queued is not None:
            events.append(EventData("queued", self.queued))
        if self.answered is not None:
            events += [EventData("offered", self.answered - 1, {"agent_id": "alice"}),
                       EventData("answered", self.answered, {"agent_id": "alice"})]
        if self.ended is not None:
            events.append(EventData("ended", self.ended, {"hung_up_by": "caller"}))
        return InteractionData(self.id, self.medium, queue=self.queue, events=events)


def traffic(seed: int) -> list[Stored]:
    """Calls to sales and chats to web over three half hours, some abandoned, some still
    going; and contacts that must not count (before since, another queue, never queued)."""
    rng = random.Random(seed)
    out: list[Stored] = []
    for n in range(60):
        queued = SINCE + 10 + rng.uniform(0, 3 * HALF_HOUR - 400)
        answered = queued + rng.uniform(0, 40)
        kind = n % 6
        if kind == 0:      # abandoned
            out.append(Stored(f"v{n}", "voice", "sales", queued, None, queued + 30))
        elif kind == 1:    # still talking
            out.append(Stored(f"v{n}", "voice", "sales", queued, answered))
        else:
            out.append(Stored(f"v{n}", "voice", "sales", queued, answered,
                              answered + rng.uniform(60, 400)))
    for n in range(12):  # a burst in the first interval
        queued = SINCE + 100 + 60 * n
        out.append(Stored(f"b{n}", "voice", "sales", queued, queued + 5, queued + 200))
    for n in range(25):
        queued = SINCE + 30 + rng.uniform(0, 3 * HALF_HOUR - 900)
        answered = queued + rng.uniform(0, 90)
        out.append(Stored(f"c{n}", "chat", "web", queued, answered,
                          answered + rng.uniform(120, 900)))
    out += [Stored("old", "voice", "sales", SINCE - 600, SINCE - 590, SINCE - 400),
            Stored("ivr-only", "voice", "sales", None),
            Stored("elsewhere", "voice", None, SINCE + 50, SINCE + 55, SINCE + 90)]
    return out


@pytest.fixture
async def rig(tmp_path: Path, request: pytest.FixtureRequest
              ) -> AsyncIterator[tuple[TestClient, list[Stored]]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'staffing.db'}")
    await db.migrate()
    dispatcher = Dispatcher(MemoryState(), QUEUES, AGENTS, clock=lambda: NOW)
    await dispatcher.start()
    for agent in ("alice", "bob", "carol", "dave"):
        await dispatcher.login(agent)
    await dispatcher.set_not_ready("bob", "coaching")
    repo = InteractionRepository(db)
    stored = traffic(16)
    for s in stored:
        await repo.save(s.data())
    users = {"alice": User("alice", "agent"), "sam": User("sam", "supervisor"),
             "admin": User("admin", "admin")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, ScreenPopFeed(), repo)
    zone = getattr(request, "param", None)   # the reports' time zone, if the test gives one
    add_routes(app, (lambda: zone) if zone else None)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c, stored
    await dispatcher.stop()
    await db.close()


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


# ---------------------------------------------------------------- the textbook formula
def textbook_agents(contacts: float, interval: float, aht: float, sl_percent: float,
                    sl_seconds: float, concurrency: float = 1.0) -> int:
    """The smallest N meeting the target, by the factorial form of Erlang C (fine for
    the small figures here; the engine uses the Erlang B recursion)."""
    a = contacts * aht / interval / concurrency
    n = math.floor(a) + 1
    while True:
        top = a ** n / math.factorial(n) * n / (n - a)
        wait = top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)
        level = 1 - wait * math.exp(-(n - a) * sl_seconds / (aht / concurrency))
        if level >= sl_percent / 100:
            return n
        n += 1


# ---------------------------------------------------------------- access
@pytest.mark.parametrize("path", [f"{CALC}?{EXAMPLE}", "/api/staffing/queues"])
async def test_given_no_token_then_401(rig: tuple[TestClient, list[Stored]], path: str) -> None:
    client, _ = rig
    r = await client.get(path)
    assert (r.status, (await r.json())["error"]) == (401, "unauthenticated")


@pytest.mark.parametrize("path", [f"{CALC}?{EXAMPLE}", "/api/staffing/queues"])
async def test_given_agent_then_403_with_standard_error(rig: tuple[TestClient, list[Stored]],
                                                        path: str) -> None:
    client, _ = rig
    r = await client.get(path, headers=bearer("alice"))
    body = await r.json()
    assert (r.status, body["error"]) == (403, "forbidden")
    assert set(body) == {"error", "message"}


# ---------------------------------------------------------------- the calculator
async def test_given_published_example_then_published_figures(
        rig: tuple[TestClient, list[Stored]]) -> None:
    client, _ = rig
    r = await client.get(f"{CALC}?{EXAMPLE}&shrinkage=0.3&concurrency=1&agents=13",
                         headers=bearer("sam"))
    assert r.status == 200
    body = await r.json()
    needed, thirteen = body["needed"], body["with_agents"]
    assert body["traffic_erlangs"] == 10.0
    assert (needed["agents"], needed["agents_scheduled"]) == (14, 20)
    assert round(needed["service_level"], 4) == 0.8884
    assert round(needed["wait_probability"], 4) == 0.1741
    assert round(needed["occupancy"], 4) == 0.7143
    assert round(needed["asa_seconds"], 2) == 7.84
    assert needed["meets_target"] is True
    assert (thirteen["agents"], round(thirteen["service_level"], 4)) == (13, 0.7956)
    assert thirteen["meets_target"] is False
    assert body["input"]["shrinkage"] == 0.3 and body["input"]["max_occupancy"] is None


async def test_given_admin_and_chat_concurrency_then_traffic_divided(
        rig: tuple[TestClient, list[Stored]]) -> None:
    client, _ = rig
    r = await client.get(f"{CALC}?{EXAMPLE}&concurrency=2", headers=bearer("admin"))
    body = await r.json()
    assert r.status == 200 and body["traffic_erlangs"] == 5.0
    assert body["needed"]["agents"] == textbook_agents(100, 1800, 180, 80, 20, 2)
    assert "with_agents" not in body


async def test_given_too_few_agents_then_unstable_without_asa(
        rig: tuple[TestClient, list[Stored]]) -> None:
    client, _ = rig
    r = await client.get(f"{CALC}?{EXAMPLE}&agents=9", headers=bearer("sam"))
    with_nine = (await r.json())["with_agents"]
    assert (with_nine["stable"], with_nine["asa_seconds"], with_nine["service_level"]) == \
        (False, None, 0)


@pytest.mark.parametrize(("query", "code"), [
    ("interval_minutes=30&aht_seconds=180&sl_percent=80&sl_seconds=20", "bad_contacts"),
    (EXAMPLE.replace("contacts=100", "contacts=nan"), "bad_contacts"),
    (EXAMPLE.replace("contacts=100", "contacts=inf"), "bad_contacts"),
    (EXAMPLE.replace("contacts=100", "contacts=-1"), "bad_contacts"),
    (EXAMPLE.replace("contacts=100", "contacts=lots"), "bad_contacts"),
    (EXAMPLE.replace("contacts=100", "contacts=1e12"), "bad_contacts"),
    (EXAMPLE.replace("contacts=100", "contacts=1000000").replace(
        "aht_seconds=180", "aht_seconds=86400"), "bad_contacts"),  # traffic too large
    (EXAMPLE.replace("interval_minutes=30", "interval_minutes=0"), "bad_interval_minutes"),
    (EXAMPLE.replace("interval_minutes=30&", ""), "bad_interval_minutes"),
    (EXAMPLE.replace("aht_seconds=180", "aht_seconds=0"), "bad_aht_seconds"),
    (EXAMPLE.replace("aht_seconds=180", "aht_seconds=-inf"), "bad_aht_seconds"),
    (EXAMPLE.replace("sl_percent=80", "sl_percent=100"), "bad_sl_percent"),
    (EXAMPLE.replace("sl_percent=80", "sl_percent=0"), "bad_sl_percent"),
    (EXAMPLE.replace("sl_seconds=20", "sl_seconds=-1"), "bad_sl_seconds"),
    (EXAMPLE.replace("&sl_seconds=20", ""), "bad_sl_seconds"),
    (f"{EXAMPLE}&shrinkage=1", "bad_shrinkage"),
    (f"{EXAMPLE}&shrinkage=-0.1", "bad_shrinkage"),
    (f"{EXAMPLE}&shrinkage=NaN", "bad_shrinkage"),
    (f"{EXAMPLE}&concurrency=0.5", "bad_concurrency"),
    (f"{EXAMPLE}&concurrency=1000", "bad_concurrency"),
    (f"{EXAMPLE}&max_occupancy=2", "bad_max_occupancy"),
    (f"{EXAMPLE}&agents=13.5", "bad_agents"),
    (f"{EXAMPLE}&agents=-1", "bad_agents"),
    (f"{EXAMPLE}&agents=99999999", "bad_agents"),
])
async def test_given_bad_parameter_then_400_naming_it(rig: tuple[TestClient, list[Stored]],
                                                      query: str, code: str) -> None:
    client, _ = rig
    r = await client.get(f"{CALC}?{query}", headers=bearer("sam"))
    body = await r.json()
    assert (r.status, body["error"]) == (400, code)
    assert code.removeprefix("bad_") in body["message"]


# ---------------------------------------------------------------- measured, per queue
def expected_medium(stored: list[Stored], queue: QueueConfig, medium: str,
                    concurrency: float) -> dict:
    mine = [s for s in stored if s.queue == queue.name and s.medium == medium
            and s.queued is not None and SINCE <= s.queued <= NOW]
    handled = [s.ended - s.answered for s in mine
               if s.answered is not None and s.ended is not None]
    aht = sum(handled) / len(handled) + queue.wrapup_seconds
    per_interval = len(mine) / 3
    buckets = [sum(1 for s in mine if SINCE + k * HALF_HOUR <= s.queued
                   < SINCE + (k + 1) * HALF_HOUR) for k in range(3)]
    busiest = max(range(3), key=lambda k: (buckets[k], -k))
    return {"contacts": len(mine), "handled": len(handled), "aht": aht,
            "per_interval": per_interval,
            "needed": textbook_agents(per_interval, HALF_HOUR, aht, queue.sl_percent,
                                      queue.sl_seconds, concurrency),
            "busiest_start": SINCE + busiest * HALF_HOUR, "busiest": buckets[busiest],
            "busiest_needed": textbook_agents(buckets[busiest], HALF_HOUR, aht,
                                              queue.sl_percent, queue.sl_seconds,
                                              concurrency)}


async def test_given_stored_traffic_then_queues_figures_match_independent_count(
        rig: tuple[TestClient, list[Stored]]) -> None:
    client, stored = rig
    r = await client.get(f"/api/staffing/queues?interval_minutes=30&since={SINCE}",
                         headers=bearer("sam"))
    assert r.status == 200
    body = await r.json()
    assert (body["since"], body["now"], body["interval_minutes"]) == (SINCE, NOW, 30)
    assert (body["elapsed_intervals"], body["truncated"]) == (3, False)
    queues = {q["queue"]: q for q in body["queues"]}
    assert list(queues) == ["sales", "web", "quiet"]

    [voice] = queues["sales"]["media"]
    want = expected_medium(stored, QUEUES["sales"], "voice", 1.0)
    assert voice["medium"] == "voice"
    assert (voice["contacts"], voice["handled"]) == (want["contacts"], want["handled"])
    assert voice["aht_seconds"] == pytest.approx(want["aht"], abs=1e-3)
    assert voice["contacts_per_interval"] == pytest.approx(want["per_interval"], abs=1e-3)
    assert voice["concurrency"] == 1
    assert voice["agents_needed"] == want["needed"] == voice["erlang_c"]["agents"]
    assert voice["erlang_c"]["meets_target"] is True
    assert voice["busiest_interval"] == {"start": want["busiest_start"],
                                         "contacts": want["busiest"],
                                         "agents_needed": want["busiest_needed"]}
    # alice and bob qualify and are logged in; erin qualifies but is logged out
    assert (voice["agents_staffed"], voice["agents_eligible"]) == (2, 3)
    assert voice["agents_by_state"] == {"available": 1, "not_ready": 1}

    [chat] = queues["web"]["media"]
    want = expected_medium(stored, QUEUES["web"], "chat", (3 + 2) / 2)
    assert (chat["contacts"], chat["handled"]) == (want["contacts"], want["handled"])
    assert chat["concurrency"] == 2.5          # alice's 3 chats and dave's 2
    assert chat["aht_seconds"] == pytest.approx(want["aht"], abs=1e-3)
    assert chat["agents_needed"] == want["needed"]
    assert chat["erlang_c"]["traffic_erlangs"] == pytest.approx(
        want["per_interval"] * want["aht"] / HALF_HOUR / 2.5, abs=1e-5)
    assert (chat["agents_staffed"], chat["agents_eligible"]) == (2, 2)

    [quiet] = queues["quiet"]["media"]
    assert (quiet["contacts"], quiet["agents_needed"], quiet["erlang_c"]) == (0, 0, None)
    assert quiet["aht_seconds"] is None and quiet["not_computed"] == "no contacts"
    assert quiet["agents_staffed"] == 3        # alice, bob, carol: sales >= 1, voice


async def test_given_no_since_then_counted_from_local_midnight(
        rig: tuple[TestClient, list[Stored]]) -> None:
    client, _ = rig
    r = await client.get("/api/staffing/queues", headers=bearer("admin"))
    body = await r.json()
    midnight = time.mktime(time.localtime(NOW)[:3] + (0, 0, 0, 0, 0, -1))
    assert r.status == 200
    assert (body["since"], body["interval_minutes"]) == (midnight, 30)
    assert body["elapsed_intervals"] == pytest.approx(max(1, (NOW - midnight) / HALF_HOUR),
                                                      abs=1e-3)


@pytest.mark.parametrize("rig", ["Pacific/Kiritimati"], indirect=True)
async def test_given_the_reports_time_zone_then_today_starts_at_its_midnight(
        rig: tuple[TestClient, list[Stored]]) -> None:
    client, _ = rig
    body = await (await client.get("/api/staffing/queues", headers=bearer("admin"))).json()
    zone = ZoneInfo("Pacific/Kiritimati")                      # UTC+14
    day = datetime.fromtimestamp(NOW, zone).date()
    assert body["since"] == datetime.combine(day, datetime.min.time(), zone).timestamp()


@pytest.mark.parametrize(("query", "code"), [
    ("since=yesterday", "bad_since"), (f"since={NOW + 10}", "bad_since"),
    (f"since={NOW - 40 * 86400}", "bad_since"), ("since=nan", "bad_since"),
    ("interval_minutes=0", "bad_interval_minutes"),
    ("interval_minutes=100000", "bad_interval_minutes"),
])
async def test_given_bad_queues_parameter_then_400(rig: tuple[TestClient, list[Stored]],
                                                   query: str, code: str) -> None:
    client, _ = rig
    r = await client.get(f"/api/staffing/queues?{query}", headers=bearer("sam"))
    body = await r.json()
    assert (r.status, body["error"]) == (400, code)
    assert code.removeprefix("bad_") in body["message"]
