"""Interval reports: the figures a contact centre is run by, per interval (15, 30 or 60
minutes, a day, or the whole range) and per queue, medium and agent, from the stored
interactions and agents' state changes. Pure: the caller reads the store.

Work counts in the interval it was first queued in. Definitions (docs/supervisors.md "Reports"):

- offered: queued; answered: an agent took it; abandoned: the customer left unanswered;
  short abandons: abandoned within ``short_abandon_seconds``.
- responded: answered (voice, chat, callbacks) or first replied to (email).
- service level, threshold T (the queue's ``sl_seconds``), met = responded within T:
  ``abandons_ignored`` met / responded; ``abandons_against`` met / (responded + abandoned);
  ``abandons_within_met`` (met + abandoned within T) / (responded + abandoned).
- ASA: mean time from queued to answered. AHT: mean of talk (answered to ended; a hold
  on the phone is part of it) plus wrap-up (the agents' wrap-up of it), over answered
  work that has ended.
- occupancy (agent rows): time busy or wrapping up / time logged in and not in not-ready
  (available, offered, busy, wrap-up), within the interval.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ccengine.core.interaction import Interaction
from ccengine.store.agent_events import OCCUPIED, STAFFED

INTERVALS = ("15", "30", "60", "day", "range")
GROUPS = ("queue", "medium", "agent")
SL_VARIANTS = ("abandons_ignored", "abandons_against", "abandons_within_met")


class Work(Protocol):
    id: str
    medium: str
    queue: str
    agent_id: str | None
    queued_at: float
    answered_at: float | None
    ended_at: float | None
    left_by_customer: bool
    transfers: int
    callback_requested: bool
    first_response_at: float | None


class StateChange(Protocol):
    agent_id: str
    at: float
    new: str
    cause: str
    interaction_id: str | None


@dataclass
class LiveWork:
    """One live interaction as reports see it (the ``Work`` protocol), from the core's
    (the wallboard's tiles and the metrics count it; the store's rows are ``EndedWork``)."""

    id: str
    medium: str
    queue: str
    agent_id: str | None
    queued_at: float
    answered_at: float | None = None
    ended_at: float | None = None
    left_by_customer: bool = False
    transfers: int = 0
    callback_requested: bool = False
    first_response_at: float | None = None

    @classmethod
    def of(cls, interaction: Interaction) -> LiveWork | None:
        """None for work that never reached a queue."""
        def first(kind: str) -> float | None:
            return next((e.at for e in interaction.events if e.kind == kind), None)
        queued = first("queued") or interaction.enqueued_at
        if queued is None or interaction.queue is None:
            return None
        ended = first("ended") or first("cancelled")
        cancelled = [e for e in interaction.events if e.kind == "cancelled"]
        answered = first("answered")
        return cls(interaction.id, str(interaction.medium), interaction.queue,
                   interaction.agent_id, queued, answered, ended,
                   left_by_customer=answered is None and bool(cancelled)
                   and cancelled[-1].data.get("hung_up_by") == "caller",
                   transfers=sum(e.kind == "transfer_completed" for e in interaction.events),
                   callback_requested=first("callback_requested") is not None,
                   first_response_at=first("first_response"))


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    label: str      # local time of its start, ISO 8601 with offset


def periods(start: datetime, end: datetime, interval: str) -> list[Period]:
    """The report's intervals from ``start`` to ``end`` (aware datetimes in the report's
    time zone). Minute intervals follow the clock (a DST change makes none longer);
    days run from local midnight to local midnight (23 or 25 hours on DST days)."""
    if interval == "range":
        return [Period(start.timestamp(), end.timestamp(), start.isoformat())]
    tz = start.tzinfo
    found: list[Period] = []
    if interval == "day":
        day = start.replace(hour=0, minute=0, second=0, microsecond=0)
        while day.timestamp() < end.timestamp():
            nxt = datetime.combine(day.date() + timedelta(days=1), day.time(), tzinfo=tz)
            found.append(Period(max(day, start).timestamp(), min(nxt, end).timestamp(),
                                day.isoformat()))
            day = nxt
        return found
    step = int(interval) * 60
    first = start.timestamp() - start.timestamp() % 60
    local = start.replace(second=0, microsecond=0)
    first -= (local.minute % int(interval)) * 60    # aligned on the local clock
    t = first
    while t < end.timestamp():
        label = datetime.fromtimestamp(t, tz).isoformat()
        found.append(Period(max(t, start.timestamp()), min(t + step, end.timestamp()), label))
        t += step
    return found


@dataclass
class Tally:
    """Running sums of one group's work (and, for agent rows, time)."""

    offered: int = 0
    answered: int = 0
    responded: int = 0
    met: int = 0
    abandoned: int = 0
    abandoned_within: int = 0
    short_abandoned: int = 0
    other_exits: int = 0
    waiting: int = 0
    transfers: int = 0
    callbacks: int = 0
    wait_total: float = 0.0
    handled: int = 0
    talk_total: float = 0.0
    wrapup_total: float = 0.0
    first_responses: int = 0
    first_response_total: float = 0.0
    staffed_seconds: float = 0.0
    occupied_seconds: float = 0.0


    def add(self, other: Tally) -> None:
        """Add ``other``'s sums to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _percent(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 2) if count else None


def figures(t: Tally, with_occupancy: bool) -> dict[str, Any]:
    counted = t.responded + t.abandoned
    figures: dict[str, Any] = {
        "offered": t.offered, "answered": t.answered, "abandoned": t.abandoned,
        "short_abandoned": t.short_abandoned, "other_exits": t.other_exits,
        "waiting": t.waiting,
        "service_level": {
            "abandons_ignored": _percent(t.met, t.responded),
            "abandons_against": _percent(t.met, counted),
            "abandons_within_met": _percent(t.met + t.abandoned_within, counted)},
        "met": t.met,
        "asa_seconds": _mean(t.wait_total, t.answered),
        "aht_seconds": _mean(t.talk_total + t.wrapup_total, t.handled),
        "talk_seconds": _mean(t.talk_total, t.handled),
        "wrapup_seconds": _mean(t.wrapup_total, t.handled),
        "transfers": t.transfers, "callbacks": t.callbacks,
        "first_response_seconds": _mean(t.first_response_total, t.first_responses)}
    if with_occupancy:
        figures["occupancy"] = _percent(t.occupied_seconds, t.staffed_seconds)
        figures["staffed_seconds"] = round(t.staffed_seconds, 1)
    return figures


@dataclass(frozen=True)
class ReportOptions:
    by: tuple[str, ...]                     # some of GROUPS, in that order
    thresholds: Mapping[str, float]         # queue -> service-level threshold (seconds)
    short_abandon_seconds: float = 5.0
    now: float | None = None                # the states of agents last until then


Bucket = tuple[float, tuple[str, ...], Mapping[str, float]]   # start, group, Tally sums
QUARTER_HOUR = 900
WORK_SUMS = tuple(n for n in Tally.__dataclass_fields__
                  if n not in ("staffed_seconds", "occupied_seconds"))


def sums_of(work: Work, options: ReportOptions) -> dict[str, float]:
    """One piece of work's sums (what the store keeps per quarter hour: work_intervals)."""
    t = Tally()
    count_work(t, work, options, getattr(work, "wrapup_seconds", 0.0))
    return {n: getattr(t, n) for n in WORK_SUMS}


def buckets_of(works: Iterable[Work], by: tuple[str, ...], options: ReportOptions
               ) -> list[Bucket]:
    """Work counted here (not in the store's sums yet: live, or just ended), summed per
    quarter hour it was queued in and group, as the store's sums are."""
    found: dict[tuple[float, tuple[str, ...]], dict[str, float]] = {}
    for w in works:
        if "agent" in by and not w.agent_id:
            continue   # never reached an agent: not an agent's figure
        key = tuple({"queue": w.queue, "medium": w.medium, "agent": w.agent_id or ""}[g]
                    for g in by)
        start = w.queued_at // QUARTER_HOUR * QUARTER_HOUR
        sums = found.setdefault((start, key), dict.fromkeys(WORK_SUMS, 0.0))
        for name, value in sums_of(w, options).items():
            sums[name] += value
    return [(start, key, sums) for (start, key), sums in found.items()]


def tally_of(sums: Mapping[str, float]) -> Tally:
    """A Tally from a bucket's sums (counts as whole numbers)."""
    t = Tally()
    for name, value in sums.items():
        setattr(t, name, int(value) if isinstance(getattr(t, name), int) else float(value))
    return t


def build_report(buckets: Iterable[Bucket], report_periods: Sequence[Period],
                 options: ReportOptions, agent_time: Iterable[AgentTime] = (),
                 held: Iterable[StateChange] = ()) -> list[dict[str, Any]]:
    """One row per period and group (only groups with something in them), in time then
    group order. ``buckets`` hold the work's sums per quarter hour and group (the store
    keeps them as work ends: ``ccengine.store.work_intervals``), grouped as ``options.by``;
    for agent rows, ``agent_time`` (the agents' stored quarter hours) and ``held`` (each
    agent's last change: the state held now)."""
    if not report_periods:
        return []
    starts = [p.start for p in report_periods]
    by = options.by
    first, last = report_periods[0].start, report_periods[-1].end
    totals: dict[tuple[int, tuple[str, ...]], dict[str, float]] = {}
    for start, key, sums in buckets:
        t = max(start, first)           # a range may start inside a quarter hour
        if t >= last:
            continue
        total = totals.get(slot := (_last_at_or_before(starts, t), key))
        if total is None:
            totals[slot] = dict(sums)
        else:
            for name, value in sums.items():
                total[name] += value
    tallies: dict[tuple[int, tuple[str, ...]], Tally] = defaultdict(Tally)
    tallies.update((slot, tally_of(total)) for slot, total in totals.items())
    if "agent" in by:
        _occupancy(tallies, agent_time, held, report_periods, by, options)
    rows = []
    for (index, key), tally in sorted(tallies.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        period = report_periods[index]
        rows.append({"interval_start": period.label, "start": period.start,
                     "end": period.end, **dict(zip(by, key, strict=True)),
                     **figures(tally, "agent" in by)})
    return rows


def count_work(t: Tally, w: Work, options: ReportOptions, wrapup: float) -> None:
    """Add one piece of work, as it stands, to ``t``."""
    t.offered += 1
    threshold = options.thresholds.get(w.queue)
    responded = w.first_response_at if w.medium == "email" else w.answered_at
    if w.answered_at is not None:
        t.answered += 1
        t.wait_total += max(0.0, w.answered_at - w.queued_at)
        if w.ended_at is not None:
            t.handled += 1
            t.talk_total += max(0.0, w.ended_at - w.answered_at)
            t.wrapup_total += wrapup
    if responded is not None:
        t.responded += 1
        if threshold is not None and responded - w.queued_at <= threshold:
            t.met += 1
    elif w.left_by_customer:
        t.abandoned += 1
        waited = (w.ended_at or w.queued_at) - w.queued_at
        if waited <= options.short_abandon_seconds:
            t.short_abandoned += 1
        if threshold is not None and waited <= threshold:
            t.abandoned_within += 1
    elif w.ended_at is not None and w.answered_at is None:
        t.other_exits += 1   # a callback or voicemail instead, the maximum wait, ...
    elif w.ended_at is None and w.answered_at is None:
        t.waiting += 1
    if w.first_response_at is not None:
        t.first_responses += 1
        t.first_response_total += max(0.0, w.first_response_at - w.queued_at)
    t.transfers += w.transfers
    t.callbacks += int(w.callback_requested)


AgentTime = tuple[float, str, float, float]   # quarter hour, agent, staffed, occupied


def _occupancy(tallies: dict[tuple[int, tuple[str, ...]], Tally],
               agent_time: Iterable[AgentTime], held: Iterable[StateChange],
               report_periods: Sequence[Period], by: tuple[str, ...],
               options: ReportOptions) -> None:
    """Agent rows get the agent's time staffed and occupied in their period: the stored
    quarter hours of states that ended, plus the state each agent holds now, from its
    start until now (by agent and queue or medium, each of the agent's rows carries the
    agent's whole time: occupancy is a figure of the person). By agent alone, an agent
    logged in without work gets a row."""
    starts = [p.start for p in report_periods]
    first, last = report_periods[0].start, report_periods[-1].end
    times: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for start, agent, staffed, occupied in agent_time:
        t = max(start, first)
        if t >= last:
            continue
        slot = times[(_last_at_or_before(starts, t), agent)]
        slot[0] += staffed
        slot[1] += occupied
    now = options.now if options.now is not None else last
    for change in held:            # the state held now, not stored until it ends
        if change.new not in STAFFED:
            continue
        begin, end = max(change.at, first), min(now, last)
        index = max(0, _last_at_or_before(starts, begin))
        while begin < end and index < len(report_periods):
            stop = min(end, report_periods[index].end)
            if stop > begin:
                slot = times[(index, change.agent_id)]
                slot[0] += stop - begin
                if change.new in OCCUPIED:
                    slot[1] += stop - begin
            begin, index = max(begin, stop), index + 1
    where = by.index("agent")
    rows_of: dict[tuple[int, str], list[tuple[str, ...]]] = defaultdict(list)
    for index, key in tallies:
        rows_of[(index, key[where])].append(key)
    for (index, agent), (staffed, occupied) in times.items():
        if not staffed:
            continue
        keys = rows_of.get((index, agent)) or ([(agent,)] if by == ("agent",) else [])
        for key in keys:
            t = tallies[(index, key)]
            t.staffed_seconds, t.occupied_seconds = staffed, occupied


def _last_at_or_before(starts: Sequence[float], t: float) -> int:
    """The index of the last start at or before ``t`` (-1 if none)."""
    return bisect.bisect_right(starts, t) - 1


def local_range(day_from: str, day_to: str | None, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """A range from ISO dates or datetimes in ``tz`` (a date alone: its midnight; ``to``
    missing: one day after ``from``). ValueError when unreadable."""
    start = _local(day_from, tz)
    end = _local(day_to, tz) if day_to else datetime.combine(
        start.date() + timedelta(days=1), start.time(), tzinfo=tz)
    return start, end


def _local(text: str, tz: ZoneInfo) -> datetime:
    value = datetime.fromisoformat(text)
    return value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)
