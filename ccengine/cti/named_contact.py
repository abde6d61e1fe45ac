"""Where a customer's preferred agents come from (named-contact routing,
core/preferences.py): their owner on the customer record, the agent who last spoke with
them (answered work within the queue's ``prefer_last_days``), the agents holding their
open work on another medium and the agent who answered their latest work about the same
intent (within ``prefer_last_days``). Looked up once, when the work is queued."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from ccengine.core.interaction import Interaction
from ccengine.core.preferences import Preference, gather
from ccengine.core.queue import QueueConfig
from ccengine.intents.apply import INTENT
from ccengine.state.base import LiveState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.models import IntentLabel, InteractionRecord


class NamedContacts:
    """The dispatcher's ``preference_source``."""

    def __init__(self, db: Database, customers: CustomerRepository, state: LiveState,
                 clock: Callable[[], float]) -> None:
        self.db, self.customers, self.state, self.clock = db, customers, state, clock

    async def __call__(self, interaction: Interaction, queue: QueueConfig
                       ) -> list[Preference]:
        customer_id = interaction.customer_id
        if not customer_id:
            return []
        owner = last = None
        open_work: list[str] = []
        if "owner" in queue.prefer:
            view = await self.customers.get(customer_id)
            owner = view.get("owner") if view else None
        if "last_agent" in queue.prefer:
            last = await self.last_agent(customer_id,
                                         self.clock() - queue.prefer_last_days * 86400)
        if "open_work" in queue.prefer:
            open_work = await self.holders(customer_id, interaction)
        same = None
        intent = interaction.attributes.get(INTENT)
        if "same_intent" in queue.prefer and isinstance(intent, dict) \
                and isinstance(intent.get("name"), str):
            same = await self.same_intent_agent(
                customer_id, intent["name"], interaction.id,
                self.clock() - queue.prefer_last_days * 86400)
        return gather(queue.prefer, owner, last, open_work, same)

    async def last_agent(self, customer_id: str, since: float) -> tuple[str, float] | None:
        """The agent who answered this customer's latest work since ``since``, and when."""
        r = InteractionRecord
        async with self.db.session() as s:
            row = (await s.execute(
                select(r.agent_id, r.answered_at)
                .where(r.customer_id == customer_id, r.agent_id.is_not(None),
                       r.answered_at >= since)
                .order_by(r.answered_at.desc()).limit(1))).first()
        return (row[0], row[1]) if row is not None else None

    async def same_intent_agent(self, customer_id: str, intent: str, excluding: str,
                                since: float) -> tuple[str, float] | None:
        """The agent who answered this customer's latest other work about ``intent`` (the
        agent's label, else the classifier's) since ``since``, and when: a repeat
        contact goes back to them."""
        r = InteractionRecord
        found = func.coalesce(IntentLabel.intent, r.attributes["intent"]["name"].as_string())
        async with self.db.session() as s:
            row = (await s.execute(
                select(r.agent_id, r.answered_at)
                .outerjoin(IntentLabel, IntentLabel.interaction_id == r.id)
                .where(r.customer_id == customer_id, r.id != excluding,
                       r.agent_id.is_not(None), r.answered_at >= since, found == intent)
                .order_by(r.answered_at.desc()).limit(1))).first()
        return (row[0], row[1]) if row is not None else None

    async def holders(self, customer_id: str, interaction: Interaction) -> list[str]:
        """The agents holding this customer's live work on another medium."""
        agents = await self.state.agents()
        held = {slot.interaction_id: agent_id for agent_id, live in agents.items()
                for slot in live.slots}
        out = []
        for other in await self.state.interactions():
            agent_id = held.get(other.id)
            if (other.customer_id == customer_id and other.id != interaction.id
                    and other.medium != interaction.medium and agent_id is not None
                    and agent_id not in out):
                out.append(agent_id)
        return out
