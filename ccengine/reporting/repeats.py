"""Repeat contacts and first-contact resolution (docs/intents.md "Repeat contacts").

A contact is a piece of work with a known customer and a known intent: the agent's label
from wrap-up, else the classifier's (an email or chat), else the IVR's. The same customer
contacting again about the same intent within ``window`` (7 days) is a repeat contact, and
the earlier contact was not resolved at first contact. Pure: the store gives the contacts.

Each row counts the contacts an agent handled (answered) in the range, grouped by queue,
agent and/or intent:

- ``contacts``: handled contacts;
- ``repeated``: followed by another contact about the same intent within the window (on
  any medium, handled or not: a customer who calls again and hangs up in the queue still
  came back);
- ``pending``: not followed so far, but the window is still open (too early to tell);
- ``resolved``: not followed within a closed window;
- ``repeat_contacts``: contacts that were themselves a repeat of an earlier one;
- ``fcr_percent``: resolved / (resolved + repeated), null when neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

REPEAT_DAYS = 7
GROUPS = ("queue", "agent", "intent")


@dataclass(frozen=True)
class Contact:
    id: str
    customer: str           # the surviving customer (merges followed)
    intent: str
    at: float               # when it came in
    queue: str | None
    agent: str | None       # who answered it (None: nobody did)


def repeat_report(contacts: Iterable[Contact], since: float, until: float, now: float,
                  by: Sequence[str] = ("intent",), window: float = REPEAT_DAYS * 86400,
                  counted: Callable[[Contact], bool] = lambda c: True
                  ) -> list[dict[str, Any]]:
    """One row per group of the handled contacts in [since, until) that are ``counted``
    (a filter: every contact given still counts as a repeat of another)."""
    threads: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    for c in contacts:
        threads[(c.customer, c.intent)].append(c)
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for thread in threads.values():
        thread.sort(key=lambda c: (c.at, c.id))
        for i, c in enumerate(thread):
            if c.agent is None or not since <= c.at < until or not counted(c):
                continue
            key = tuple(getattr(c, g) for g in by)
            row = rows.setdefault(key, {**dict(zip(by, key, strict=True)), "contacts": 0,
                                        "resolved": 0, "repeated": 0, "pending": 0,
                                        "repeat_contacts": 0})
            row["contacts"] += 1
            if i > 0 and c.at - thread[i - 1].at <= window:
                row["repeat_contacts"] += 1
            if i + 1 < len(thread) and thread[i + 1].at - c.at <= window:
                row["repeated"] += 1
            elif c.at + window > now:
                row["pending"] += 1
            else:
                row["resolved"] += 1
    out = []
    for key in sorted(rows, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        row = rows[key]
        decided = row["resolved"] + row["repeated"]
        row["fcr_percent"] = round(100.0 * row["resolved"] / decided, 1) if decided else None
        out.append(row)
    return out
