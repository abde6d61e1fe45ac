"""A customer's newest intent as the IVR asks for it (``newest_intent``), read from the real
store's timeline on SQLite and PostgreSQL: any medium, only within the window, found past
pages of work without an intent, never the asking call itself, and never an intent a call
only carried over from other work."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ccengine.cti.customers import NEWEST_INTENT_PAGE, newest_intent
from ccengine.store.db import Database
from ccengine.store.timeline import Timeline
from tests.integration.store.customer_api_rig import CustomerApi, customer_api

NOW, HOUR, DAY = 2_000_000_000.0, 3600.0, 86400.0
BILLING = {"name": "billing", "confidence": 0.91}


@pytest.fixture
async def api(db: Database) -> AsyncIterator[CustomerApi]:
    async for rig in customer_api(db):
        yield rig


async def test_given_an_email_then_calls_when_asked_then_the_emails_intent_within_the_window(
        api: CustomerApi) -> None:
    jane = await api.new_customer(("phone", "+447700900555"), ("email", "jane@example.org"))
    await api.stored("chat-old", "chat", jane["id"], at=NOW - 9 * DAY,
                     intent={"name": "cancel", "confidence": 0.8})
    await api.stored("mail-1", "email", jane["id"], at=NOW - 3 * DAY, intent=BILLING)
    # a call branched on the email's intent carries it: not something she said herself
    await api.stored("call-1", "voice", jane["id"], at=NOW - HOUR, intent={
        **BILLING, "from_interaction": "mail-1", "from_medium": "email"})
    # more work without an intent than one page holds, newer than the email
    for n in range(NEWEST_INTENT_PAGE + 5):
        await api.stored(f"call-{n + 2}", "voice", jane["id"], at=NOW - 2 * DAY + n)
    # the asking call itself (as if it had one already) is left out
    await api.stored("call-now", "voice", jane["id"], at=NOW,
                     intent={"name": "delivery", "confidence": 0.99})
    timeline = Timeline(api.db)

    found = await newest_intent(timeline, jane["id"], NOW, within=7 * DAY,
                                excluding="call-now")
    assert found == {"name": "billing", "confidence": 0.91, "medium": "email",
                     "at": NOW - 3 * DAY, "interaction_id": "mail-1"}
    # within two days only the carried-over intent would be recent: none of her own
    assert await newest_intent(timeline, jane["id"], NOW, within=2 * DAY,
                               excluding="call-now") is None
    # ten days reach the chat, but the email is newer
    found = await newest_intent(timeline, jane["id"], NOW, within=10 * DAY,
                                excluding="call-now")
    assert found is not None and found["interaction_id"] == "mail-1"
    # without leaving the call out, its own intent is the newest
    found = await newest_intent(timeline, jane["id"], NOW, within=DAY)
    assert found is not None and found["name"] == "delivery"


async def test_given_a_new_customer_when_asked_then_none(api: CustomerApi) -> None:
    bob = await api.new_customer(("phone", "+447700900999"))
    assert await newest_intent(Timeline(api.db), bob["id"], NOW, within=7 * DAY) is None
