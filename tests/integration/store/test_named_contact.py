"""Where a customer's preferred agents come from (ccengine/cti/named_contact.py), on both
stores: the owner on the record, the agent who answered their latest work within the
queue's days, and the agents holding their live work on another medium; in the queue's
order, each agent once, and what the dispatcher keeps on queued work."""

from __future__ import annotations

import time

from ccengine.core import agent_state as sm
from ccengine.core.agent import AgentProfile
from ccengine.core.agent_state import AgentLive
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.preferences import PREFERRED
from ccengine.core.queue import QueueConfig
from ccengine.cti.named_contact import NamedContacts
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.models import InteractionRecord

DAY = 86400.0
QUEUE = QueueConfig("sales", frozenset({Medium.VOICE, Medium.CHAT}), {},
                    prefer=("owner", "last_agent", "open_work"), prefer_last_days=7)


async def stored(db: Database, iid: str, customer_id: str, agent: str | None,
                 answered_at: float | None) -> None:
    async with db.session.begin() as s:
        s.add(InteractionRecord(id=iid, medium="voice", customer_id=customer_id,
                                queue="sales", agent_id=agent, answered_at=answered_at,
                                status="ended"))


async def test_given_owner_history_and_open_chat_when_looked_up_then_in_queue_order(
        db: Database) -> None:
    now = time.time()
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("phone", "07700900123")])
    await customers.patch(jane["id"], {"owner": "olga"})
    await stored(db, "old", jane["id"], "kim", now - 9 * DAY)        # too long ago
    await stored(db, "missed", jane["id"], None, None)                # nobody answered
    await stored(db, "recent", jane["id"], "lee", now - 2 * DAY)
    await stored(db, "latest", jane["id"], "olga", now - DAY)         # olga: owner first
    state = MemoryState()
    chat = Interaction("chat-1", Medium.CHAT, queue="sales", customer_id=jane["id"])
    await state.put_interaction(chat)
    bob = AgentProfile("bob", "Bob", {}, {Medium.CHAT: 2, Medium.VOICE: 1})
    live = sm.login(AgentLive("bob"), now)[0]
    await state.put_agent(sm.offer(live, bob, "chat-1", Medium.CHAT, now, now + 30)[0])
    source = NamedContacts(db, customers, state, lambda: now)
    call = Interaction("call-1", Medium.VOICE, queue="sales", customer_id=jane["id"])
    found = await source(call, QUEUE)
    assert [(p.agent_id, p.reason) for p in found] == [("olga", "owner"),
                                                       ("bob", "open_work")]
    assert await source.last_agent(jane["id"], now - 7 * DAY) == ("olga", now - DAY)
    await customers.patch(jane["id"], {"owner": None})
    found = await source(call, QUEUE)
    assert [(p.agent_id, p.reason, p.at) for p in found] == [
        ("olga", "last_agent", now - DAY), ("bob", "open_work", None)]
    # work on the same medium is not "another medium": a second call prefers nobody for it
    other_call = Interaction("call-2", Medium.CHAT, queue="sales", customer_id=jane["id"])
    assert "bob" not in [p.agent_id for p in await source(other_call, QUEUE)]


async def test_given_dispatcher_with_source_when_queued_then_preferences_kept_on_work(
        db: Database) -> None:
    customers = CustomerRepository(db, "GB")
    jane = await customers.create(name="Jane", identities=[("phone", "07700900123")])
    await customers.patch(jane["id"], {"owner": "olga"})
    profiles = {a: AgentProfile(a, a, {}, {Medium.VOICE: 1}) for a in ("olga", "bob")}
    dispatcher = Dispatcher(MemoryState(), {"sales": QUEUE}, profiles, tick_seconds=3600)
    dispatcher.preference_source = NamedContacts(db, customers, dispatcher.state,
                                                 dispatcher.clock)

    class Phones:
        medium = Medium.VOICE

        async def offer(self, interaction: Interaction, agent_id: str) -> None:
            pass
    dispatcher.register_channel(Phones())  # type: ignore[arg-type]
    call = Interaction("call-1", Medium.VOICE, queue="sales", customer_id=jane["id"])
    await dispatcher.enqueue(call)
    live = await dispatcher.live_interaction("call-1")
    assert live.attributes[PREFERRED] == [{"agent": "olga", "reason": "owner", "at": None}]
    unknown = Interaction("call-2", Medium.VOICE, queue="sales")
    await dispatcher.enqueue(unknown)
    assert PREFERRED not in (await dispatcher.live_interaction("call-2")).attributes
