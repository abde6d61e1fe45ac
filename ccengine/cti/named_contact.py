"""Where a customer's preferred agents come from (named-contact routing,
core/preferences.py): their owner on the customer record, the agent who last spoke with
them (answered work within the queue's ``prefer_last_days``) and the agents holding their
open work on another medium. Looked up once, when the work is queued."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ccengine.core.interaction import Interaction
from ccengine.core.preferences import Preference, gather
from ccengine.core.queue import QueueConfig
from ccengine.state.base import LiveState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.models import InteractionRecord


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
        return gather(queue.prefer, owner, last, open_work)

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
