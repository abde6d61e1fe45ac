"""The supervisors' wallboard feed and API (docs/supervisors.md "The wallboard";
docs/integrators.md "The wallboard feed").

``GET /ws/wall`` (supervisors and admins) sends a ``hello`` with every tile, every agent
and the open alerts, then, within a second of a change and without any polling:
``tiles`` (queue tiles that changed), ``agents`` (agent rows that changed) — each with
``changed_at``, when the oldest change it carries happened — ``alert`` (an escalation, kept
until acknowledged) and ``ack``. ``GET /api/wall`` is the same snapshot
for integrators; ``POST /api/wall/alerts/{id}/ack`` acknowledges an alert. A supervisor
sees the tiles of their queues (``"*"``: all), an admin every tile."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from ccengine.api.auth import User
from ccengine.api.http import current_user, error, received
from ccengine.core.agent_state import AgentLive
from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionChange,
    InteractionEscalated,
)
from ccengine.core.supervision import SupervisorProfile
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.live_tiles import Key, LiveTiles

log = logging.getLogger(__name__)

WALL_DIR = Path(__file__).resolve().parents[2] / "agents" / "wall"
FLUSH_SECONDS = 0.25     # changes are gathered this long, then sent (well within 1 s)
ALERTS_KEPT = 200
CustomerName = Callable[[str], Any]   # customer id -> awaitable name (or None)


class WallFeed:
    def __init__(self, dispatcher: Dispatcher, tiles: LiveTiles,
                 supervisors: Callable[[], Mapping[str, SupervisorProfile]],
                 customer_name: CustomerName | None = None) -> None:
        self.dispatcher, self.tiles = dispatcher, tiles
        self.supervisors, self.customer_name = supervisors, customer_name
        self.sockets: dict[web.WebSocketResponse, User] = {}
        self.alerts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._ids = itertools.count(1)
        self._tiles_due: set[Key] = set()
        self._agents_due: set[str] = set()
        self._names: OrderedDict[str, str | None] = OrderedDict()
        self._wake = asyncio.Event()
        self._due_since: float | None = None   # the oldest change not sent yet

    # ------------------------------------------------------------------ events in
    async def on_event(self, event: Event) -> None:
        key = self.tiles.on_event(event)
        if key is not None:
            self._tiles_due.add(key)
        if isinstance(event, AgentStateChanged):
            self._agents_due.add(event.agent_id)
            self._tiles_due.update(k for k in self.tiles.keys())  # agents by state
        elif isinstance(event, InteractionChange) and event.interaction.agent_id:
            self._agents_due.add(event.interaction.agent_id)
        if isinstance(event, InteractionEscalated):
            await self._alert(event)
        if self._tiles_due or self._agents_due:
            if self._due_since is None:
                self._due_since = event.at
            self._wake.set()

    async def _alert(self, event: InteractionEscalated) -> None:
        alert = {"id": str(next(self._ids)), "at": event.at, "queue": event.queue,
                 "interaction_id": event.interaction.id, "medium": str(event.interaction.medium),
                 "kind": event.kind, "detail": event.detail, "acknowledged_by": None,
                 "acknowledged_at": None}
        self.alerts[alert["id"]] = alert
        while len(self.alerts) > ALERTS_KEPT:
            self.alerts.popitem(last=False)
        await self.broadcast({"type": "alert", "alert": alert}, queue=event.queue)

    def acknowledge(self, alert_id: str, by: str) -> dict[str, Any]:
        alert = self.alerts.get(alert_id)
        if alert is None:
            raise error(404, "alert_not_found", f"no alert {alert_id!r}")
        if alert["acknowledged_by"] is None:
            alert["acknowledged_by"], alert["acknowledged_at"] = by, self.dispatcher.clock()
        return alert

    # ------------------------------------------------------------------ views
    def _queues_of(self, user: User) -> set[str]:
        if user.role == "admin":
            return set(self.dispatcher.queues)
        profile = self.supervisors().get(user.id)
        if profile is None:
            return set()
        return set(self.dispatcher.queues) if "*" in profile.queues else \
            set(profile.queues) & set(self.dispatcher.queues)

    async def _tiles(self, keys: list[Key]) -> list[dict[str, Any]]:
        waiting = await self.dispatcher.state.waiting()
        lives = await self.dispatcher.state.agents()
        tiles = []
        for key in keys:
            if key[0] not in self.dispatcher.queues:
                continue   # removed by a reload meanwhile
            states = Counter(self.dispatcher.queue_agent_states(key[0], lives).values())
            tiles.append(self.tiles.tile(key, waiting, states))
        return tiles

    async def _agent_rows(self, agent_ids: list[str]) -> list[dict[str, Any]]:
        lives = await self.dispatcher.state.agents()

        async def row(agent_id: str) -> dict[str, Any] | None:
            profile = self.dispatcher.profiles.get(agent_id)
            if profile is None:
                return None
            live = lives.get(agent_id) or AgentLive(agent_id)
            slots = await asyncio.gather(*(self._slot(s.interaction_id, s.medium.value,
                                                      s.state.value, s.since)
                                           for s in live.slots))
            return {"id": agent_id, "name": profile.name, "state": live.display(),
                    "presence": live.presence.value, "reason": live.reason,
                    "since": live.since, "slots": list(slots),
                    "capacity": {m.value: n for m, n in profile.capacity.items()}}
        # the slots' lookups (live state, a customer's name) at once, not one after another
        rows = await asyncio.gather(*(row(a) for a in agent_ids))
        return [r for r in rows if r is not None]

    async def _slot(self, interaction_id: str, medium: str, state: str,
                    since: float) -> dict[str, Any]:
        interaction = await self.dispatcher.state.get_interaction(interaction_id)
        slot: dict[str, Any] = {"interaction_id": interaction_id, "medium": medium,
                                "state": state, "since": since, "queue": None,
                                "customer": None}
        if interaction is None:
            return slot
        attrs = interaction.attributes
        slot["queue"] = interaction.queue
        slot["customer"] = {
            "id": interaction.customer_id,
            "name": await self._name(interaction.customer_id) or attrs.get("caller_name"),
            "contact": attrs.get("caller_number") or attrs.get("from_address")
            or attrs.get("from")}
        return slot

    async def _name(self, customer_id: str | None) -> str | None:
        if customer_id is None or self.customer_name is None:
            return None
        if customer_id not in self._names:
            try:
                self._names[customer_id] = await self.customer_name(customer_id)
            except Exception:  # a store hiccup: no name this time, the row still goes out
                log.warning("customer %s: name not read", customer_id, exc_info=True)
                return None
            while len(self._names) > 5000:
                self._names.popitem(last=False)
        return self._names[customer_id]

    async def snapshot(self, user: User) -> dict[str, Any]:
        queues = self._queues_of(user)
        return {"type": "hello", "now": self.dispatcher.clock(),
                "tiles": await self._tiles([k for k in self.tiles.keys() if k[0] in queues]),
                "agents": await self._agent_rows(list(self.dispatcher.profiles)),
                "alerts": [a for a in self.alerts.values()
                           if a["acknowledged_by"] is None and a["queue"] in queues]}

    # ------------------------------------------------------------------ out
    async def run(self) -> None:
        """Send what changed, gathered over FLUSH_SECONDS (a task of the engine's)."""
        while True:
            await self._wake.wait()
            await asyncio.sleep(FLUSH_SECONDS)
            self._wake.clear()
            keys, agents = sorted(self._tiles_due), sorted(self._agents_due)
            self._tiles_due, self._agents_due = set(), set()
            since, self._due_since = self._due_since, None
            if not self.sockets:
                continue
            try:
                if keys:
                    await self._send_tiles(await self._tiles(keys), since)
                if agents:
                    await self.broadcast({"type": "agents", "changed_at": since,
                                          "agents": await self._agent_rows(agents)})
            except Exception:
                log.exception("wallboard update failed")

    async def _send_tiles(self, tiles: list[dict[str, Any]], since: float | None) -> None:
        """One ``tiles`` message per board with the changed tiles of its queues (encoded
        once per set of queues)."""
        texts: dict[frozenset[str], str | None] = {}
        for ws, user in list(self.sockets.items()):
            queues = frozenset(self._queues_of(user))
            if queues not in texts:
                mine = [t for t in tiles if t["queue"] in queues]
                texts[queues] = json.dumps({"type": "tiles", "tiles": mine,
                                            "changed_at": since}) if mine else None
            text = texts[queues]
            if text is not None:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_str(text)

    async def broadcast(self, message: dict[str, Any], queue: str | None = None) -> None:
        """Send ``message`` to every open board (those that see ``queue``), encoded once."""
        text = json.dumps(message)
        for ws, user in list(self.sockets.items()):
            if queue is not None and queue not in self._queues_of(user):
                continue
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_str(text)

    async def close_all(self) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):
                await ws.close()


WALL = web.AppKey("wall", WallFeed)


def _supervisor(request: web.Request) -> User:
    user = current_user(request)
    if user.role not in ("supervisor", "admin"):
        raise error(403, "forbidden", "the wallboard is for supervisors and admins")
    return user


async def wall_feed(request: web.Request) -> web.WebSocketResponse:
    user = _supervisor(request)
    feed = request.app[WALL]
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    feed.sockets[ws] = user
    try:
        await ws.send_json(await feed.snapshot(user))
        async for _msg in received(ws):
            pass  # one-way: actions go through the REST API
    finally:
        feed.sockets.pop(ws, None)
    return ws


async def wall_snapshot(request: web.Request) -> web.Response:
    return web.json_response(await request.app[WALL].snapshot(_supervisor(request)))


async def acknowledge(request: web.Request) -> web.Response:
    user = _supervisor(request)
    feed = request.app[WALL]
    alert = feed.acknowledge(request.match_info["alert_id"], user.id)
    await feed.broadcast({"type": "ack", "alert": alert}, queue=alert["queue"])
    return web.json_response(alert)


def add_routes(app: web.Application, feed: WallFeed) -> None:
    app[WALL] = feed

    async def close(_app: web.Application) -> None:
        await feed.close_all()
    app.on_shutdown.append(close)
    app.router.add_get("/ws/wall", wall_feed)
    app.router.add_get("/api/wall", wall_snapshot)
    app.router.add_post("/api/wall/alerts/{alert_id}/ack", acknowledge)
