"""``GET /api/reports``: interval reports per queue, medium and agent, as JSON or CSV
(the figures: ``ccengine.reporting.intervals``; docs/supervisors.md "Reports").

Query: ``from`` (a date or date-time, required), ``to`` (exclusive; default one day after
``from``), ``tz`` (an IANA zone; default ``reporting.timezone``), ``interval`` (15, 30,
60, day or range; default day), ``by`` (comma-separated: queue, medium, agent; default
queue,medium), filters ``queue``, ``medium``, ``agent``, and ``format`` (json or csv).
Supervisors and admins see everything; an agent sees their own figures only."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from ccengine.api.http import DISPATCHER, current_user, error
from ccengine.core.errors import UnknownQueue
from ccengine.core.media import Medium
from ccengine.reporting.intervals import (
    GROUPS,
    INTERVALS,
    SL_VARIANTS,
    ReportOptions,
    buckets_of,
    build_report,
    local_range,
    periods,
)
from ccengine.reporting.repeats import GROUPS as REPEAT_GROUPS
from ccengine.reporting.repeats import REPEAT_DAYS, Contact, repeat_report
from ccengine.reporting.settings import ReportingSettings
from ccengine.store.agent_events import AgentEventRepository
from ccengine.store.db import Database
from ccengine.store.intent_labels import IntentLabels
from ccengine.store.work_intervals import counted_sums, uncounted

MAX_PERIODS = 5000          # a year of hours; a year of 15 minutes is refused
MAX_DAYS = 400
FIGURES = ("offered", "answered", "abandoned", "short_abandoned", "other_exits", "waiting",
           "met", "asa_seconds", "aht_seconds", "talk_seconds", "wrapup_seconds",
           "transfers", "callbacks", "first_response_seconds")


@dataclass
class ReportsApi:
    db: Database
    agent_events: AgentEventRepository
    settings: Callable[[], ReportingSettings]


REPORTS = web.AppKey("reports", ReportsApi)


def _zone(request: web.Request, default: str) -> ZoneInfo:
    name = request.query.get("tz", default)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise error(400, "bad_timezone", f"tz: {name!r} is not a time zone name "
                                         "(e.g. Europe/London)") from None


def _range(request: web.Request, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """``from`` and ``to`` (see the module's docstring)."""
    if "from" not in request.query:
        raise error(400, "bad_range", "from is required: a date or date-time (ISO 8601)")
    try:
        start, end = local_range(request.query["from"], request.query.get("to"), tz)
    except ValueError:
        raise error(400, "bad_range", "from and to must be dates or date-times (ISO 8601, "
                                      "e.g. 2026-12-06 or 2026-12-06T09:00)") from None
    if end <= start:
        raise error(400, "bad_range", "to must be after from")
    if (end - start).total_seconds() > MAX_DAYS * 86400:
        raise error(400, "bad_range", f"a report covers at most {MAX_DAYS} days")
    return start, end


def _choice(request: web.Request, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.query.get(key, default)
    if value not in allowed:
        raise error(400, f"bad_{key}", f"{key} must be one of {', '.join(allowed)}")
    return value


def _groups(request: web.Request, groups: tuple[str, ...] = GROUPS,
            default: str = "queue,medium") -> tuple[str, ...]:
    asked = [g.strip() for g in request.query.get("by", default).split(",") if g.strip()]
    if any(g not in groups for g in asked) or len(set(asked)) != len(asked):
        raise error(400, "bad_by", f"by must list some of {', '.join(groups)}, once each")
    return tuple(g for g in groups if g in asked)


async def report(request: web.Request) -> web.Response:
    """The report asked for (see the module's docstring)."""
    user = current_user(request)
    if user.role not in ("agent", "supervisor", "admin"):
        raise error(403, "forbidden", "no access to reports")
    api = request.app[REPORTS]
    dispatcher = request.app[DISPATCHER]
    settings = api.settings()
    tz = _zone(request, settings.timezone)
    interval = _choice(request, "interval", INTERVALS, "day")
    fmt = _choice(request, "format", ("json", "csv"), "json")
    by = _groups(request)
    start, end = _range(request, tz)
    queue = request.query.get("queue")
    if queue is not None and queue not in dispatcher.queues:
        raise UnknownQueue(queue)
    medium = request.query.get("medium")
    if medium is not None and medium not in {m.value for m in Medium}:
        raise error(400, "bad_medium", f"medium must be one of {[m.value for m in Medium]}")
    agent = request.query.get("agent")
    if user.role == "agent":
        if agent not in (None, user.id):
            raise error(403, "forbidden", "agents see their own figures only")
        agent = user.id
    report_periods = periods(start, end, interval)
    if len(report_periods) > MAX_PERIODS:
        raise error(400, "too_many_intervals",
                    f"{len(report_periods)} intervals of {interval} minutes: at most "
                    f"{MAX_PERIODS}; choose a longer interval or a shorter range")
    since, until = start.timestamp(), end.timestamp()
    thresholds = {name: q.sl_seconds for name, q in dispatcher.queues.items()}
    now = dispatcher.clock()
    options = ReportOptions(by=by, thresholds=thresholds,
                            short_abandon_seconds=settings.short_abandon_seconds, now=now)
    # ended work's sums as the store keeps them, and the work not counted into them yet
    buckets = [*await counted_sums(api.db, since, until, by=by, queue=queue, medium=medium,
                                   agent_id=agent),
               *buckets_of(await uncounted(api.db, since, until, queue=queue, medium=medium,
                                           agent_id=agent), by, options)]
    agent_time, held = [], []
    if "agent" in by:
        agent_time = await api.agent_events.time_between(since, until, agent_id=agent)
        held = await api.agent_events.held_at(now + 1, agent_id=agent)
    rows = build_report(buckets, report_periods, options, agent_time, held)
    if fmt == "csv":
        return _csv(rows, by, tz, interval)
    return web.json_response({
        "from": start.isoformat(), "to": end.isoformat(), "tz": str(tz),
        "interval": interval, "by": list(by), "queue": queue, "medium": medium,
        "agent": agent, "service_level_variant": settings.service_level,
        "short_abandon_seconds": settings.short_abandon_seconds,
        "thresholds": thresholds, "rows": rows})


def _csv(rows: list[dict[str, Any]], by: tuple[str, ...], tz: ZoneInfo,
         interval: str) -> web.Response:
    """One line per row; service levels as ``sl_<variant>`` columns."""
    out = io.StringIO()
    columns = ["interval_start", *by, *FIGURES, *(f"sl_{v}" for v in SL_VARIANTS)]
    if "agent" in by:
        columns += ["occupancy", "staffed_seconds"]
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        flat = {**row, **{f"sl_{k}": v for k, v in row["service_level"].items()}}
        writer.writerow(["" if flat.get(c) is None else _inert(flat[c]) for c in columns])
    name = f"report-{interval}-{str(tz).replace('/', '_')}.csv"
    return web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _inert(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (queue and agent names are the
    admin's, but a leading =, +, - or @ is made text all the same)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


async def repeat_contacts(request: web.Request) -> web.Response:
    """GET /api/reports/repeat-contacts?from=&to=&tz=&by=&queue=&agent=&intent=: repeat
    contacts and first-contact resolution (ccengine/reporting/repeats.py) of the work that
    came in within the range; agents see their own figures only."""
    user = current_user(request)
    api = request.app[REPORTS]
    dispatcher = request.app[DISPATCHER]
    tz = _zone(request, api.settings().timezone)
    start, end = _range(request, tz)
    by = _groups(request, REPEAT_GROUPS, "intent")
    wanted = {k: request.query.get(k) for k in REPEAT_GROUPS}
    if user.role == "agent":
        if wanted["agent"] not in (None, user.id):
            raise error(403, "forbidden", "agents see their own figures only")
        wanted["agent"] = user.id
    since, until = start.timestamp(), end.timestamp()
    window = REPEAT_DAYS * 86400
    rows = await IntentLabels(api.db).contacts(since - window, until + window)
    filters = {k: v for k, v in wanted.items() if v is not None}
    report_rows = repeat_report(
        [Contact(**row) for row in rows], since, until, dispatcher.clock(), by, window,
        counted=lambda c: all(getattr(c, k) == v for k, v in filters.items()))
    return web.json_response({
        "from": start.isoformat(), "to": end.isoformat(), "tz": str(tz), "by": list(by),
        **wanted, "repeat_days": REPEAT_DAYS, "rows": report_rows})


def add_routes(app: web.Application, api: ReportsApi) -> None:
    app[REPORTS] = api
    app.router.add_get("/api/reports", report)
    app.router.add_get("/api/reports/repeat-contacts", repeat_contacts)
