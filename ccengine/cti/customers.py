"""Who is calling: callers are matched to customer records by their number (E.164), and the
screen pop carries the customer's profile and latest interactions on every channel."""

from __future__ import annotations

import logging
from typing import Any

from ccengine.core.interaction import Interaction
from ccengine.store.customers import CustomerRepository, InvalidIdentity

log = logging.getLogger(__name__)

HISTORY_IN_POP = 5


class CustomerContext:
    def __init__(self, customers: CustomerRepository) -> None:
        self.customers = customers

    async def identify_caller(self, number: str) -> str | None:
        """The customer id for a caller's number (created on first contact); None for an
        anonymous or unusable number, which still reaches an agent."""
        if not number or number.lower() in ("anonymous", "unknown", "restricted"):
            return None
        try:
            customer = await self.customers.get_or_create_by_identity("phone", number)
        except InvalidIdentity as e:
            log.info("caller number %r not linked to a customer: %s", number, e)
            return None
        return str(customer["id"])

    async def screen_pop(self, interaction: Interaction) -> dict[str, Any] | None:
        """The customer part of a screen pop: profile plus latest other interactions."""
        if not interaction.customer_id:
            return None
        customer = await self.customers.get(interaction.customer_id)
        if customer is None:
            return None
        history = await self.customers.history(customer["id"], limit=HISTORY_IN_POP + 1)
        customer["history"] = [h for h in history if h["id"] != interaction.id][:HISTORY_IN_POP]
        return customer
