"""Measured traffic: contacts per interval (average and busiest) and handle time."""

from __future__ import annotations

import pytest

from ccengine.reporting.traffic import Contact, elapsed_intervals, measure

HALF_HOUR = 1800.0


def test_given_contacts_over_two_and_a_half_intervals_then_average_and_busiest() -> None:
    contacts = [Contact(10, 20, 200), Contact(100, 110, 150),          # interval 0
                Contact(1900), Contact(2000, 2010, 2110), Contact(2100),  # interval 1
                Contact(4000, 4005)]                                   # 2, still talking
    traffic = measure(contacts, since=0, now=4500, interval_seconds=HALF_HOUR)
    assert (traffic.contacts, traffic.handled) == (6, 3)
    assert traffic.handle_seconds == pytest.approx((180 + 40 + 100) / 3)
    assert traffic.elapsed_intervals == pytest.approx(2.5)
    assert traffic.contacts_per_interval == pytest.approx(6 / 2.5)
    assert (traffic.busiest_start, traffic.busiest_contacts) == (HALF_HOUR, 3)


def test_given_contacts_outside_the_window_then_left_out() -> None:
    traffic = measure([Contact(-1), Contact(50), Contact(101)], since=0, now=100,
                      interval_seconds=HALF_HOUR)
    assert traffic.contacts == 1
    assert traffic.contacts_per_interval == 1   # less than one interval elapsed: one


def test_given_nothing_then_zero_and_no_handle_time() -> None:
    traffic = measure([], since=0, now=HALF_HOUR * 4, interval_seconds=HALF_HOUR)
    assert (traffic.contacts, traffic.handle_seconds, traffic.busiest_contacts) == (0, None, 0)
    assert elapsed_intervals(0, HALF_HOUR * 4, HALF_HOUR) == 4


def test_given_ended_before_answered_then_no_handle_time() -> None:
    assert Contact(0, 50, 40).handle_seconds is None
    assert Contact(0, None, 40).handle_seconds is None
