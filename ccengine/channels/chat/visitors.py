"""Who the visitor is: the optional name, email and phone number a visitor gives link the
chat to a customer record (found or created by identity, the phone normalised to E.164),
so the chat lands in that customer's history beside their calls and emails."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ccengine.store.customers import CustomerRepository
from ccengine.store.errors import IdentityTaken
from ccengine.store.records import CustomerView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Visitor:
    name: str | None = None
    email: str | None = None   # normalised
    phone: str | None = None   # E.164

    def identities(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in (("phone", self.phone), ("email", self.email)) if v]


def normalised_visitor(customers: CustomerRepository, name: str | None, email: str | None,
                       phone: str | None) -> Visitor:
    """The visitor's details in stored form; InvalidIdentity for an unusable email or
    phone number (nothing is created then)."""
    return Visitor(name=name,
                   email=customers.normalise("email", email) if email else None,
                   phone=customers.normalise("phone", phone) if phone else None)


async def link_customer(customers: CustomerRepository,
                        visitor: Visitor) -> CustomerView | None:
    """The customer of this visitor (None without an email or phone). The phone wins over
    the email; the other identity is added to that customer when nobody owns it (two
    customers are never merged here: that is a person's decision)."""
    identities = visitor.identities()
    if not identities:
        return None
    (kind, value), others = identities[0], identities[1:]
    customer = await customers.get_or_create_by_identity(kind, value, name=visitor.name)
    for other_kind, other_value in others:
        try:
            await customers.add_identity(customer["id"], other_kind, other_value)
        except IdentityTaken as e:
            log.info("chat visitor's %s belongs to customer %s, not %s: left as it is",
                     other_kind, e.owner_id, customer["id"])
    if visitor.name and not customer["name"]:
        customer = await customers.update_profile(customer["id"], name=visitor.name)
    return customer
