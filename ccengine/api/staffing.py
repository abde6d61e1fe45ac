"""Staffing with Erlang C (``ccengine.reporting.erlang_c``), for supervisors and admins.

- ``GET /api/staffing/erlang-c?contacts=100&interval_minutes=30&aht_seconds=180&sl_percent=80
  &sl_seconds=20[&shrinkage=0.3][&concurrency=1][&max_occupancy=0.85][&agents=13]``: the
  agents a workload needs, and with ``agents`` what that many would give.
- ``GET /api/staffing/queues[?interval_minutes=30][&since=<epoch>]``: per queue and
  medium, the traffic measured from the stored interactions since local midnight (or
  ``since``; midnight in ``reporting.timezone``), the agents Erlang C says it needs and
  the agents staffed now.

A bad or missing parameter is a 400 ``bad_<parameter>`` naming it (docs/staffing.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from ccengine.api.http import DISPATCHER, INTERACTIONS, current_user, error
from ccengine.core.agent import AgentProfile
from ccengine.core.errors import UnknownQueue
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.reporting.erlang_c import (
    MAX_AGENTS,
    StaffingInputError,
    Workload,
    agents_needed,
    evaluate,
)
from ccengine.reporting.traffic import Contact, Traffic, elapsed_intervals, measure

STAFFING_ZONE = web.AppKey("staffing_zone", object)   # () -> zone name, or None
MAX_ITEMS = 100_000          # stored interactions read per queue (as the service level)
MAX_SINCE_DAYS = 31
# media an agent works several of at once: their traffic is divided by the agents'
# capacity for them (the measured handle time runs in parallel with the others')
PARALLEL_MEDIA = frozenset({Medium.CHAT, Medium.EMAIL})
KNOWN_MEDIA = frozenset(m.value for m in Medium)


@dataclass(frozen=True)
class Param:
    """A numeric query parameter and its bounds (``*_open``: the bound is excluded)."""

    name: str
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    whole: bool = False

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        lo, hi = _plain(self.low), _plain(self.high)
        if not self.low_open and not self.high_open:
            return f"{kind} from {lo} to {hi}"
        low = f"above {lo}" if self.low_open else f"at least {lo}"
        high = f"below {hi}" if self.high_open else f"at most {hi}"
        return f"{kind} {low} and {high}"

    def fits(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return math.isfinite(value) and above and below


CONTACTS = Param("contacts", 0, 1_000_000)
INTERVAL_MINUTES = Param("interval_minutes", 0, 1440, low_open=True)
AHT_SECONDS = Param("aht_seconds", 0, 86_400, low_open=True)
SL_PERCENT = Param("sl_percent", 0, 100, low_open=True, high_open=True)
SL_SECONDS = Param("sl_seconds", 0, 7 * 86_400)
SHRINKAGE = Param("shrinkage", 0, 1, high_open=True)
CONCURRENCY = Param("concurrency", 1, 100)
MAX_OCCUPANCY = Param("max_occupancy", 0.5, 1)
AGENTS = Param("agents", 0, MAX_AGENTS, whole=True)
# the calculator's field -> the query parameter a client gave it as
PARAMETER_OF = {"interval_seconds": INTERVAL_MINUTES.name}


def optional_number(query: Mapping[str, str], param: Param) -> float | None:
    """The parameter's value, None when absent; 400 ``bad_<name>`` if it is not a finite
    number within its bounds."""
    raw = query.get(param.name, "").strip()
    if not raw:
        return None
    try:
        value = float(int(raw)) if param.whole else float(raw)
    except ValueError:
        value = math.nan
    if not param.fits(value):
        raise error(400, f"bad_{param.name}",
                    f"{param.name} must be {param.describe()}, not {raw[:40]!r}")
    return value


def number(query: Mapping[str, str], param: Param, default: float | None = None) -> float:
    """The parameter's value, or ``default`` when absent (400 ``bad_<name>`` saying it is
    required when there is no default)."""
    value = optional_number(query, param)
    if value is not None:
        return value
    if default is None:
        raise error(400, f"bad_{param.name}", f"{param.name} is required: {param.describe()}")
    return default


def require_supervisor(request: web.Request) -> None:
    user = current_user(request)
    if user.role not in ("supervisor", "admin"):
        raise error(403, "forbidden", "staffing is for supervisors and admins")


def workload(contacts: float, interval_seconds: float, aht_seconds: float,
             sl_percent: float, sl_seconds: float, **options: Any) -> Workload:
    """A Workload; a domain error becomes a 400 naming the query parameter."""
    try:
        return Workload(contacts, interval_seconds, aht_seconds, sl_percent, sl_seconds,
                        **options)
    except StaffingInputError as e:
        raise error(400, f"bad_{PARAMETER_OF.get(e.field, e.field)}", str(e)) from e


# ---------------------------------------------------------------- the calculator
async def calculate(request: web.Request) -> web.Response:
    """The agents a workload needs (and, with ``agents``, what that many give)."""
    require_supervisor(request)
    q = request.query
    values = {p.name: number(q, p) for p in (CONTACTS, INTERVAL_MINUTES, AHT_SECONDS,
                                              SL_PERCENT, SL_SECONDS)}
    options = {"shrinkage": number(q, SHRINKAGE, 0.0),
               "concurrency": number(q, CONCURRENCY, 1.0),
               "max_occupancy": optional_number(q, MAX_OCCUPANCY)}
    agents = optional_number(q, AGENTS)
    work = workload(values["contacts"], values["interval_minutes"] * 60,
                    values["aht_seconds"], values["sl_percent"], values["sl_seconds"],
                    **options)
    try:
        fewest = agents_needed(work)
    except StaffingInputError as e:
        raise error(400, f"bad_{e.field}", str(e)) from e
    body: dict[str, Any] = {"input": {**values, **options},
                            "traffic_erlangs": work.traffic,
                            "needed": fewest.to_dict()}
    if agents is not None:
        body["with_agents"] = evaluate(work, int(agents)).to_dict()
    return web.json_response(body)


# ---------------------------------------------------------------- measured, per queue
def local_midnight(now: float, zone: str | None = None) -> float:
    """The start of ``now``'s day in ``zone`` (the reports' ``reporting.timezone``; None:
    the process's: TZ, or the host's /etc/localtime)."""
    tz = ZoneInfo(zone) if zone else None
    day = dt.datetime.fromtimestamp(now, tz).date()
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp()


def since_of(query: Mapping[str, str], now: float, zone: str | None = None) -> float:
    """``since`` (epoch seconds, within the last MAX_SINCE_DAYS days and not after now),
    by default midnight in ``zone``."""
    raw = query.get("since", "").strip()
    if not raw:
        return local_midnight(now, zone)
    try:
        since = float(raw)
    except ValueError:
        since = math.nan
    if not (math.isfinite(since) and now - MAX_SINCE_DAYS * 86_400 <= since <= now):
        raise error(400, "bad_since", f"since must be epoch seconds within the last "
                                      f"{MAX_SINCE_DAYS} days and not after now, "
                                      f"not {raw[:40]!r}")
    return since


def contact_of(view: Mapping[str, Any]) -> Contact | None:
    """A stored interaction as a Contact (None if it never reached a queue)."""
    ts = view["timestamps"]
    if ts.get("queued") is None:
        return None
    return Contact(ts["queued"], ts.get("answered"), ts.get("ended"))


def concurrency_of(medium: Medium, staffed: list[AgentProfile],
                   eligible: list[AgentProfile]) -> float:
    """How many contacts of ``medium`` an agent works at once: for chat and email the mean
    capacity of the staffed agents (of every eligible agent if none is staffed); else 1."""
    if medium not in PARALLEL_MEDIA:
        return 1.0
    capacities = [p.capacity.get(medium, 0) for p in staffed or eligible]
    capacities = [c for c in capacities if c > 0]
    return max(1.0, sum(capacities) / len(capacities)) if capacities else 1.0


def needed(queue: QueueConfig, contacts: float, interval_seconds: float,
           aht_seconds: float | None, concurrency: float) -> tuple[dict[str, Any] | None,
                                                                   str | None]:
    """Erlang C for the queue's target: (the figures, None) or (None, why not)."""
    if contacts == 0:
        return None, "no contacts"
    if aht_seconds is None:
        return None, "no contact answered and ended yet: no handle time measured"
    try:
        work = Workload(contacts, interval_seconds, aht_seconds, queue.sl_percent,
                        queue.sl_seconds, concurrency=concurrency)
        return agents_needed(work).to_dict(), None
    except StaffingInputError as e:
        return None, str(e)


def medium_entry(medium: Medium, queue: QueueConfig, traffic: Traffic,
                 interval_seconds: float, states: Mapping[str, str],
                 profiles: Mapping[str, AgentProfile]) -> dict[str, Any]:
    """One medium of one queue: measured traffic, agents needed, agents staffed."""
    eligible = [profiles[a] for a in states
                if a in profiles and profiles[a].capacity.get(medium, 0) > 0]
    staffed = [p for p in eligible if states[p.id] != "logged_out"]
    by_state: dict[str, int] = {}
    for p in staffed:
        by_state[states[p.id]] = by_state.get(states[p.id], 0) + 1
    concurrency = concurrency_of(medium, staffed, eligible)
    aht = None if traffic.handle_seconds is None \
        else traffic.handle_seconds + queue.wrapup_seconds
    average, why = needed(queue, traffic.contacts_per_interval, interval_seconds, aht,
                          concurrency)
    busiest, _ = needed(queue, traffic.busiest_contacts, interval_seconds, aht, concurrency)
    return {
        "medium": medium.value, "contacts": traffic.contacts, "handled": traffic.handled,
        "handle_seconds": _round(traffic.handle_seconds),
        "wrapup_seconds": queue.wrapup_seconds, "aht_seconds": _round(aht),
        "concurrency": round(concurrency, 3),
        "contacts_per_interval": round(traffic.contacts_per_interval, 3),
        "agents_needed": 0 if traffic.contacts == 0 else
        (average["agents"] if average else None),
        "erlang_c": average, "not_computed": why,
        "busiest_interval": {"start": traffic.busiest_start,
                             "contacts": traffic.busiest_contacts,
                             "agents_needed": 0 if traffic.busiest_contacts == 0 else
                             (busiest["agents"] if busiest else None)},
        "agents_staffed": len(staffed), "agents_by_state": by_state,
        "agents_eligible": len(eligible),
    }


async def queues_staffing(request: web.Request) -> web.Response:
    """Per queue and medium: today's traffic, the agents it needs, the agents staffed."""
    require_supervisor(request)
    interval = number(request.query, INTERVAL_MINUTES, 30.0) * 60
    dispatcher = request.app[DISPATCHER]
    now = dispatcher.clock()
    zone = request.app[STAFFING_ZONE]
    since = since_of(request.query, now, zone() if zone else None)
    repo: Any = request.app[INTERACTIONS]
    queues, truncated = [], False
    for name, queue in list(dispatcher.queues.items()):
        try:
            states = (await dispatcher.queue_view(name))["agents"]  # who qualifies
        except UnknownQueue:
            continue   # a reload removed it meanwhile
        views = await repo.list(queue=name, since=since, until=now, limit=MAX_ITEMS)
        truncated = truncated or len(views) >= MAX_ITEMS
        by_medium: dict[str, list[Contact]] = {m.value: [] for m in queue.media}
        for view in views:
            contact = contact_of(view)
            if contact is not None and view["medium"] in KNOWN_MEDIA:
                by_medium.setdefault(view["medium"], []).append(contact)
        media = [medium_entry(Medium(m), queue, measure(contacts, since, now, interval),
                              interval, states, dispatcher.profiles)
                 for m, contacts in sorted(by_medium.items())]
        queues.append({"queue": name, "sl_seconds": queue.sl_seconds,
                       "sl_percent": queue.sl_percent, "media": media})
    return web.json_response({
        "since": since, "now": now, "interval_minutes": interval / 60,
        "elapsed_intervals": round(elapsed_intervals(since, now, interval), 3),
        "truncated": truncated, "queues": queues})


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def add_routes(app: web.Application, zone: Callable[[], str] | None = None) -> None:
    """``zone``: the time zone whose midnight starts "today" (the reports' own)."""
    app[STAFFING_ZONE] = zone
    app.router.add_get("/api/staffing/erlang-c", calculate)
    app.router.add_get("/api/staffing/queues", queues_staffing)
