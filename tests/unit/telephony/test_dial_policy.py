"""The dialling policy: which numbers may be dialled and how the carrier gets them."""

from __future__ import annotations

import pytest

from ccengine.telephony.outbound.numbers import BadNumber, DialPolicy, NumberRefused

ALLOW_ALL = frozenset({"fixed", "mobile", "toll_free", "international", "premium"})


@pytest.mark.parametrize("typed", ["02079460123", "020 7946 0123", "+44 20 7946 0123",
                                   "0044 20 7946 0123", "(020) 7946-0123", "442079460123"])
def test_given_the_same_number_typed_many_ways_when_checked_then_one_e164(typed: str) -> None:
    destination = DialPolicy(region="GB").check(typed if typed != "442079460123"
                                                else "+" + typed)
    assert destination.e164 == "+442079460123"
    assert destination.category == "fixed" and not destination.international


@pytest.mark.parametrize(("fmt", "prefix", "number", "dialled"), [
    ("e164", "", "02079460123", "+442079460123"),
    ("e164_digits", "", "02079460123", "442079460123"),
    ("national", "", "+442079460123", "02079460123"),
    ("national", "", "+33142685300", "0033142685300"),     # abroad: the region's 00
    ("international", "", "02079460123", "00442079460123"),
    ("national", "9", "+442079460123", "902079460123"),     # a carrier's prefix in front
    ("e164_digits", "1444#", "+33142685300", "1444#33142685300"),
])
def test_given_a_format_when_checked_then_the_carrier_gets_the_number_written_so(
        fmt: str, prefix: str, number: str, dialled: str) -> None:
    policy = DialPolicy(region="GB", format=fmt, prefix=prefix, allow=ALLOW_ALL)
    assert policy.check(number).dial == dialled


def test_given_a_us_region_when_dialling_abroad_then_its_own_international_prefix() -> None:
    policy = DialPolicy(region="US", format="national", allow=ALLOW_ALL)
    assert policy.check("+442079460123").dial == "011442079460123"
    assert policy.check("2015550123").e164 == "+12015550123"


@pytest.mark.parametrize(("number", "why"), [
    ("09098790123", "premium"),              # premium rate
    ("+33142685300", "international"),       # another country
    ("0033142685300", "international"),
    ("00442079460123", None),                # "00" + home country: not international
    ("07700900123", "unknown"),              # a fictional (unassigned) mobile range
])
def test_given_the_default_allow_list_when_checking_then_premium_international_and_unknown_are_refused(  # noqa: E501
        number: str, why: str | None) -> None:
    policy = DialPolicy(region="GB")
    if why is None:
        assert policy.check(number).e164 == "+442079460123"
        return
    with pytest.raises(NumberRefused, match=why) as e:
        policy.check(number)
    assert e.value.code == "number_refused"


def test_given_a_toll_free_and_a_mobile_number_when_allowed_by_default_then_they_pass() -> None:
    policy = DialPolicy(region="GB")
    assert policy.check("0800 111 1111").category == "toll_free"
    assert policy.check("07400 123456").category == "mobile"


def test_given_prefix_lists_when_checking_then_deny_wins_over_types_and_allow_over_all() -> None:
    policy = DialPolicy(region="GB", allow=frozenset({"fixed"}),
                        allow_prefixes=("+3314268",), deny_prefixes=("+44207946",))
    with pytest.raises(NumberRefused, match=r"starting \+44207946"):
        policy.check("02079460123")
    assert policy.check("+33142685300").international        # a partner abroad
    with pytest.raises(NumberRefused, match="international"):
        policy.check("+33145000000")
    assert policy.check("01134960000").e164 == "+441134960000"


@pytest.mark.parametrize("typed", ["", "hello", "12", "+", "0207 946 0123 ext 5", "999",
                                   "0" * 40, "020;7946", "sip:02079460123@x"])
def test_given_something_that_is_no_phone_number_when_checked_then_bad_number(
        typed: str) -> None:
    with pytest.raises(BadNumber) as e:
        DialPolicy(region="GB").check(typed)
    assert e.value.code == "bad_number"


def test_given_numbers_when_made_speakable_then_what_a_caller_knows() -> None:
    policy = DialPolicy(region="GB")
    assert policy.speakable("+442079460123") == "02079460123"
    assert policy.speakable("0033142685300") == "0033142685300"
    assert policy.speakable("garbage 12") == "12"
