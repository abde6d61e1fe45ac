"""Small pure parts of outbound calls and callbacks: the requested time of a callback,
collecting a number by DTMF, hang-up causes, which queue an agent's own call counts in."""

from __future__ import annotations

from collections import deque

import pytest

from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.telephony.outbound.calls import NotConfigured, agent_of_channel, queue_for
from ccengine.telephony.outbound.ivr_callback import collect_number, expand
from ccengine.telephony.outbound.legs import RETRYABLE, outcome_of
from ccengine.telephony.outbound.requests import BadTime, parse_at

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    (NOW + 30, NOW + 30),
    ("2027-01-15T09:30:00+01:00", NOW + 1800),
    ("2027-01-15T08:30:00Z", NOW + 1800),
    (NOW - 30, NOW - 30),                       # a little clock skew is fine
])
def test_given_a_requested_time_when_parsed_then_epoch_seconds(value: object,
                                                                expected: float | None) -> None:
    assert parse_at(value, NOW) == expected


@pytest.mark.parametrize(("value", "words"), [
    ("2027-01-15T09:30:00", "no UTC offset"),
    ("tomorrow", "not an ISO 8601"),
    (NOW - 3600, "in the past"),
    (NOW + 400 * 86400, "more than a year"),
    (True, "ISO 8601"),
    ([NOW], "ISO 8601"),
    (float("nan"), "finite"),
])
def test_given_a_bad_requested_time_when_parsed_then_bad_time(value: object,
                                                               words: str) -> None:
    with pytest.raises(BadTime, match=words) as e:
        parse_at(value, NOW)
    assert e.value.code == "bad_time"


class FakeLeg:
    """Digits a caller presses: during a prompt (barge-in) or after; None is silence."""

    def __init__(self, during: list[str | None], after: list[str | None]) -> None:
        self.during, self.after = deque(during), deque(after)
        self.played: list[tuple[str, ...]] = []

    async def play(self, prompts: tuple[str, ...]) -> str | None:
        self.played.append(prompts)
        return self.during.popleft() if self.during else None

    async def get_digit(self, timeout: float) -> str | None:
        return self.after.popleft() if self.after else None


@pytest.mark.parametrize(("during", "after", "number"), [
    (["#"], [], ""),                                     # # alone: the calling number
    (["0"], list("2079460123#"), "02079460123"),         # typed over the prompt
    ([None], list("12*0207#"), "0207"),                  # * starts over
    ([None], list("0207"), None),                        # stopped typing: timeout
    ([None], ["1"] * 25, None),                          # far too long
])
async def test_given_digits_when_collecting_a_number_then_digits_up_to_pound(
        during: list[str | None], after: list[str | None], number: str | None) -> None:
    leg = FakeLeg(during, after)
    assert await collect_number(leg, ("enter",), timeout=1, max_digits=20) == number  # type: ignore[arg-type]
    assert leg.played == [("enter",)]


def test_given_a_prompt_with_the_number_when_expanded_then_read_digit_by_digit() -> None:
    assert expand(("you-entered", "{number}", "if-correct-press"), "0207") == (
        "you-entered", "digits/0", "digits/2", "digits/0", "digits/7", "if-correct-press")


@pytest.mark.parametrize(("cause", "outcome"), [
    (17, "busy"), (19, "no_answer"), (18, "no_answer"), (0, "no_answer"),
    (21, "rejected"), (1, "invalid_number"), (28, "invalid_number"), (34, "failed"),
    (38, "failed")])
def test_given_a_hang_up_cause_when_mapped_then_an_outcome(cause: int, outcome: str) -> None:
    assert outcome_of(cause) == outcome


def test_given_outcomes_when_deciding_a_retry_then_only_passing_troubles_are_retried() -> None:
    assert {"no_answer", "busy", "failed"} <= RETRYABLE
    assert not {"invalid_number", "rejected", "refused", "answered"} & RETRYABLE


def test_given_channel_names_when_read_then_the_agent_endpoint() -> None:
    assert agent_of_channel("PJSIP/alice-00000012") == "alice"
    assert agent_of_channel("PJSIP/jean-luc-0000000a") == "jean-luc"


def test_given_queues_when_an_agent_dials_out_then_the_call_counts_in_a_voice_queue() -> None:
    queues = {"chat": QueueConfig("chat", frozenset({Medium.CHAT})),
              "sales": QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 3}),
              "support": QueueConfig("support", frozenset({Medium.VOICE}), {"support": 1})}

    def skilled(*names: str):
        return lambda required: all(r in names for r in required)
    assert queue_for("a", "sales", queues, skilled()) == "sales"          # configured
    assert queue_for("a", None, queues, skilled("support")) == "support"  # has the skills
    assert queue_for("a", None, queues, skilled()) == "sales"             # first voice queue
    with pytest.raises(NotConfigured):
        queue_for("a", None, {"chat": queues["chat"]}, skilled())
