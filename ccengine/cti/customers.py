"""Who is contacting us, on any medium: an interaction is matched to a customer record by an
identity (a caller's number, an email sender, a chat handle), and the screen pop carries the
customer's profile and latest interactions on every channel."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from ccengine.core.interaction import Interaction
from ccengine.nba.rules import Facts, Rule, prompts
from ccengine.store.customers import CustomerRepository, InvalidIdentity
from ccengine.store.records import CustomerView
from ccengine.store.timeline import MEDIA, Timeline, TimelineItem, TimelinePage

log = logging.getLogger(__name__)

HISTORY_IN_POP = 5
ANONYMOUS = ("anonymous", "unknown", "restricted", "unavailable")
# the identity kind of the address an interaction came from, by medium
KIND_OF_MEDIUM = {"voice": "phone", "callback": "phone", "email": "email", "chat": "chat"}
# attributes a channel adapter may set with that address (the first present is used)
ADDRESS_ATTRIBUTES = ("from_address", "caller_number", "from")


class Customers(Protocol):
    def normalise(self, kind: str, value: str) -> str: ...
    async def get(self, customer_id: str) -> CustomerView | None: ...
    async def find_by_identity(self, kind: str, value: str) -> CustomerView | None: ...
    async def get_or_create_by_identity(self, kind: str, value: str,
                                        name: str | None = None) -> CustomerView: ...


class History(Protocol):
    async def page(self, customer_id: str, *, limit: int = 20, before: str | None = None,
                   medium: str | None = None, excluding: str | None = None
                   ) -> TimelinePage: ...


def identity_of(interaction: Interaction) -> tuple[str, str] | None:
    """The (kind, value) identifying whoever contacts us through this interaction: the
    adapter's explicit ``attributes["customer_identity"] = {"kind", "value"}``, else the
    address it came from read as the medium's kind (phone, email or chat handle)."""
    attrs = interaction.attributes
    explicit = attrs.get("customer_identity")
    if isinstance(explicit, dict) and isinstance(explicit.get("kind"), str) \
            and isinstance(explicit.get("value"), str):
        return explicit["kind"], explicit["value"]
    kind = KIND_OF_MEDIUM.get(str(interaction.medium))
    address = next((attrs[a] for a in ADDRESS_ATTRIBUTES if isinstance(attrs.get(a), str)
                    and attrs[a].strip()), None)
    if kind is None or address is None or address.strip().lower() in ANONYMOUS:
        return None
    return kind, address


class CustomerContext:
    """Identification of customers for every channel, and the customer part of the pop."""

    def __init__(self, customers: CustomerRepository | Customers,
                 history: History | None = None) -> None:
        self.customers = customers
        if history is None:
            if not isinstance(customers, CustomerRepository):
                raise TypeError("a history reader is needed with a custom customer store")
            history = Timeline(customers.db)
        self.history = history
        # next-best-action rules, read at each pop (a reload changes them); None: none
        self.rules: Callable[[], Sequence[Rule]] | None = None
        # the customer's consent and do-not-call numbers for the pop; None: not shown
        self.consent: Callable[[CustomerView], Awaitable[dict[str, Any]]] | None = None

    async def identify(self, kind: str, value: str | None, *,
                       name: str | None = None) -> str | None:
        """The id of the customer with this identity, created on first contact; None for
        an anonymous or unusable address (the work still reaches an agent)."""
        customer = await self._identified(kind, value, name)
        return str(customer["id"]) if customer else None

    async def _identified(self, kind: str, value: str | None,
                          name: str | None) -> CustomerView | None:
        if not value or value.strip().lower() in ANONYMOUS:
            return None
        try:
            return await self.customers.get_or_create_by_identity(kind, value, name)
        except InvalidIdentity as e:
            log.info("%s %r not linked to a customer: %s", kind, value, e)
            return None

    async def identify_caller(self, number: str) -> str | None:
        """The customer id for a caller's number (see ``identify``)."""
        return await self.identify("phone", number)

    async def link(self, interaction: Interaction, *, name: str | None = None) -> None:
        """Link an interaction to its customer (found by ``identity_of``, created on first
        contact) and copy the customer's tier onto it (``attributes["customer_tier"]``), so
        queues' key-account rules apply to that customer's work on every medium."""
        if interaction.customer_id is None:
            identity = identity_of(interaction)
            customer = await self._identified(*identity, name) if identity else None
            if customer is None:
                return
            interaction.customer_id = str(customer["id"])
        else:
            customer = await self.customers.get(interaction.customer_id)
        tier = customer.get("tier") if customer else None
        if tier:
            interaction.attributes["customer_tier"] = tier

    async def _customer_of(self, interaction: Interaction) -> CustomerView | None:
        if interaction.customer_id:
            return await self.customers.get(interaction.customer_id)
        identity = identity_of(interaction)
        if identity is None:
            return None
        try:
            return await self.customers.find_by_identity(*identity)
        except InvalidIdentity:
            return None

    async def screen_pop(self, interaction: Interaction) -> dict[str, Any] | None:
        """The customer part of a screen pop, for any medium: the profile, the latest
        other interactions on every channel (``history``, newest first) and the latest one
        of each medium the customer has used (``last_by_medium``)."""
        customer = await self._customer_of(interaction)
        if customer is None:
            return None
        page = await self.history.page(customer["id"], limit=HISTORY_IN_POP,
                                       excluding=interaction.id)
        history = page["items"]
        last: dict[str, TimelineItem] = {}
        for item in history:
            last.setdefault(item["medium"], item)
        for medium in MEDIA:
            if medium not in last and page["next_before"] is not None:
                older = await self.history.page(customer["id"], limit=1, medium=medium,
                                                excluding=interaction.id)
                if older["items"]:
                    last[medium] = older["items"][0]
        pop: dict[str, Any] = dict(customer)
        pop["history"] = history
        pop["last_by_medium"] = last
        pop["recent_intents"] = recent_intents(history, time.time())
        pop["prompts"] = self._prompts(interaction, customer, pop["recent_intents"])
        if self.consent is not None:
            pop["consent"] = await self.consent(customer)
        return pop

    def _prompts(self, interaction: Interaction, customer: CustomerView,
                 recent: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The next-best-action prompts for this work and customer."""
        rules = self.rules() if self.rules is not None else ()
        if not rules:
            return []
        intent = interaction.attributes.get("intent")
        return prompts(rules, Facts(
            intent=intent.get("name") if isinstance(intent, dict) else None,
            tier=customer.get("tier"), attributes=customer.get("attributes") or {},
            recent_intents=[r["name"] for r in recent]))


RECENT_INTENT_DAYS = 7   # how far back a customer's intents count as recent


def recent_intents(history: list[TimelineItem], now: float, *,
                   within: float = RECENT_INTENT_DAYS * 86400) -> list[dict[str, Any]]:
    """What the customer wrote or spoke about lately (their work's intents within
    ``within`` seconds, a week by default), newest first, each intent once: ``{"name",
    "confidence", "medium", "at", "interaction_id"}``."""
    out: list[dict[str, Any]] = []
    for item in history:
        intent = item.get("intent")
        stamps = item.get("timestamps") or {}
        at = stamps.get("entered") or stamps.get("queued")
        if not intent or at is None or now - at > within:
            continue
        if all(o["name"] != intent["name"] for o in out):
            out.append({"name": intent["name"], "confidence": intent.get("confidence"),
                        "medium": item["medium"], "at": at, "interaction_id": item["id"]})
    return out


NEWEST_INTENT_PAGE = 20
NEWEST_INTENT_SCAN = 100  # the newest interactions ``newest_intent`` reads at most


async def newest_intent(history: History, customer_id: str, now: float, *, within: float,
                        excluding: str | None = None) -> dict[str, Any] | None:
    """The customer's newest intent of the last ``within`` seconds on any medium (among
    their newest NEWEST_INTENT_SCAN interactions, leaving out ``excluding``), as
    ``recent_intents`` gives it; None when there is none. An intent carried over from
    other work (``from_interaction``: a call that took an IVR branch because of an email's
    intent) does not count, so a call never makes an old intent recent again. Store errors
    are raised."""
    before = None
    for _ in range(NEWEST_INTENT_SCAN // NEWEST_INTENT_PAGE):
        page = await history.page(customer_id, limit=NEWEST_INTENT_PAGE, before=before,
                                  excluding=excluding)
        items = page["items"]
        own = [i for i in items if not (i.get("intent") or {}).get("from_interaction")]
        found = recent_intents(own, now, within=within)
        if found:
            return found[0]
        before = page["next_before"]
        oldest = items[-1]["timestamps"].get("entered") if items else None
        if before is None or (oldest is not None and now - oldest > within):
            return None
    return None
