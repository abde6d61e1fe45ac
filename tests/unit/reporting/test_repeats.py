"""Repeat contacts and first-contact resolution (ccengine/reporting/repeats.py): which
handled contacts were resolved, repeated or are still pending, per group and filter."""

from __future__ import annotations

from ccengine.reporting.repeats import Contact, repeat_report

DAY = 86400.0
NOW = 100 * DAY


def contact(cid: str, at: float, *, customer: str = "jane", intent: str = "billing",
            agent: str | None = "alice", queue: str = "sales") -> Contact:
    return Contact(cid, customer, intent, at, queue, agent)


def test_given_contact_again_within_seven_days_then_first_repeated_second_a_repeat() -> None:
    rows = repeat_report([contact("a", 80 * DAY), contact("b", 86 * DAY, agent="bob")],
                         70 * DAY, 90 * DAY, NOW, by=("agent",))
    assert rows == [
        {"agent": "alice", "contacts": 1, "resolved": 0, "repeated": 1, "pending": 0,
         "repeat_contacts": 0, "fcr_percent": 0.0},
        {"agent": "bob", "contacts": 1, "resolved": 1, "repeated": 0, "pending": 0,
         "repeat_contacts": 1, "fcr_percent": 100.0}]


def test_given_gap_over_seven_days_or_other_intent_or_customer_then_resolved() -> None:
    contacts = [contact("a", 60 * DAY), contact("b", 68 * DAY),          # 8 days later
                contact("c", 77 * DAY), contact("d", 78 * DAY, intent="cancel"),
                contact("e", 79 * DAY, customer="kim")]
    rows = repeat_report(contacts, 0, 90 * DAY, NOW, by=())
    assert rows == [{"contacts": 5, "resolved": 5, "repeated": 0, "pending": 0,
                     "repeat_contacts": 0, "fcr_percent": 100.0}]


def test_given_window_still_open_then_pending_and_no_fcr() -> None:
    rows = repeat_report([contact("a", NOW - 2 * DAY)], 0, NOW, NOW)
    assert rows == [{"intent": "billing", "contacts": 1, "resolved": 0, "repeated": 0,
                     "pending": 1, "repeat_contacts": 0, "fcr_percent": None}]


def test_given_unanswered_follow_up_or_one_outside_range_then_still_a_repeat() -> None:
    # the customer came back (and hung up in the queue) after the range: still repeated
    contacts = [contact("a", 80 * DAY), contact("b", 91 * DAY, agent=None),
                contact("c", 84 * DAY, agent=None)]
    rows = repeat_report(contacts, 70 * DAY, 90 * DAY, NOW)
    assert [(r["contacts"], r["repeated"], r["resolved"]) for r in rows] == [(1, 1, 0)]


def test_given_filter_then_only_its_contacts_counted_but_others_still_repeat_them() -> None:
    contacts = [contact("a", 80 * DAY, queue="sales"),
                contact("b", 82 * DAY, queue="support", agent="bob")]
    rows = repeat_report(contacts, 70 * DAY, 90 * DAY, NOW, by=("queue",),
                         counted=lambda c: c.queue == "sales")
    assert rows == [{"queue": "sales", "contacts": 1, "resolved": 0, "repeated": 1,
                     "pending": 0, "repeat_contacts": 0, "fcr_percent": 0.0}]


def test_given_groups_then_rows_sorted_and_fcr_rounded() -> None:
    contacts = [contact("a", 10 * DAY), contact("b", 20 * DAY), contact("c", 30 * DAY),
                contact("d", 31 * DAY), contact("e", 40 * DAY, intent="cancel")]
    rows = repeat_report(contacts, 0, 50 * DAY, NOW, by=("intent", "agent"))
    assert [(r["intent"], r["agent"], r["contacts"], r["fcr_percent"]) for r in rows] == [
        ("billing", "alice", 4, 75.0), ("cancel", "alice", 1, 100.0)]
