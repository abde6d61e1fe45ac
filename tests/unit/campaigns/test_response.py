"""What counts as a customer's response that ends their campaigns (ccengine/campaigns/
part.py): their inbound email, chat or call reaching a queue; not the engine's or an
agent's own calls, callbacks or the campaign's own calls; nothing without a customer."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.campaigns.part import ResponseWatch, is_response
from ccengine.core.events import InteractionOffered, InteractionQueued
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium


class Campaigns:
    def __init__(self, fail: bool = False) -> None:
        self.calls: list[tuple[str, str, float]] = []
        self.fail = fail

    async def responded(self, customer_id: str, interaction_id: str, at: float) -> list[int]:
        if self.fail:
            raise RuntimeError("store down")
        self.calls.append((customer_id, interaction_id, at))
        return [1]


def work(iid: str, medium: Medium, customer: str | None = "jane", **attributes: Any
         ) -> Interaction:
    return Interaction(iid, medium, queue="sales", customer_id=customer,
                       attributes=dict(attributes))


def test_given_kinds_of_work_then_only_the_customers_own_contacts_respond() -> None:
    assert is_response(work("m", Medium.EMAIL))
    assert is_response(work("c", Medium.CHAT))
    assert is_response(work("v", Medium.VOICE))
    assert not is_response(work("o", Medium.VOICE, direction="outbound"))
    assert not is_response(work("k", Medium.CALLBACK))
    assert not is_response(work("p", Medium.VOICE, campaign={"id": 1, "step": 1}))


async def test_given_queued_events_then_responses_recorded_once_each() -> None:
    campaigns = Campaigns()
    watch = ResponseWatch(campaigns)  # type: ignore[arg-type]
    await watch.on_event(InteractionQueued(5.0, work("m", Medium.EMAIL)))
    await watch.on_event(InteractionQueued(6.0, work("x", Medium.EMAIL, customer=None)))
    await watch.on_event(InteractionQueued(7.0, work("o", Medium.VOICE,
                                                     direction="outbound")))
    await watch.on_event(InteractionOffered(8.0, work("m", Medium.EMAIL), "alice"))
    assert campaigns.calls == [("jane", "m", 5.0)]


async def test_given_store_failure_then_logged_and_the_work_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    watch = ResponseWatch(Campaigns(fail=True))  # type: ignore[arg-type]
    await watch.on_event(InteractionQueued(5.0, work("m", Medium.EMAIL)))   # does not raise
    assert "the response m was not recorded" in caplog.text
