"""The customer part of the screen pop is medium-neutral: an email, a chat or a call finds
its customer by the identity of its medium (no caller number needed), and the pop carries
the profile with the latest interactions on every channel."""

from __future__ import annotations

from typing import Any

import pytest

from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.cti.customers import HISTORY_IN_POP, CustomerContext, identity_of
from ccengine.store.errors import InvalidIdentity


class FakeCustomers:
    """Customers by (kind, normalised value); normalising lower-cases and strips."""

    def __init__(self) -> None:
        self.by_id: dict[str, dict[str, Any]] = {}
        self.owner: dict[tuple[str, str], str] = {}

    def normalise(self, kind: str, value: str) -> str:
        if kind == "phone" and not value.strip().lstrip("+").isdigit():
            raise InvalidIdentity(kind, value, "not a number")
        return value.strip().lower()

    def add(self, cid: str, *identities: tuple[str, str]) -> None:
        self.by_id[cid] = {"id": cid, "name": cid.title(), "tier": "standard",
                           "identities": [{"kind": k, "value": v} for k, v in identities]}
        for kind, value in identities:
            self.owner[(kind, self.normalise(kind, value))] = cid

    async def get(self, customer_id: str) -> dict[str, Any] | None:
        return self.by_id.get(customer_id)

    async def find_by_identity(self, kind: str, value: str) -> dict[str, Any] | None:
        cid = self.owner.get((kind, self.normalise(kind, value)))
        return self.by_id.get(cid) if cid else None

    async def get_or_create_by_identity(self, kind: str, value: str,
                                        name: str | None = None) -> dict[str, Any]:
        found = await self.find_by_identity(kind, value)
        if found is None:
            self.add(f"c{len(self.by_id) + 1}", (kind, value))
            found = self.by_id[f"c{len(self.by_id)}"]
        return found


class FakeHistory:
    def __init__(self, items: dict[str, list[dict[str, Any]]]) -> None:
        self.items = items  # customer id -> newest first
        self.pages: list[tuple[int, str | None]] = []

    async def page(self, customer_id: str, *, limit: int = 20, before: str | None = None,
                   medium: str | None = None, excluding: str | None = None
                   ) -> dict[str, Any]:
        self.pages.append((limit, medium))
        items = [i for i in self.items.get(customer_id, [])
                 if (medium is None or i["medium"] == medium) and i["id"] != excluding]
        return {"customer_id": customer_id, "items": items[:limit],
                "next_before": items[limit - 1]["id"] if len(items) > limit else None}


def item(iid: str, medium: str) -> dict[str, Any]:
    return {"id": iid, "medium": medium, "queue": "sales", "summary": f"{medium} {iid}"}


@pytest.fixture
def customers() -> FakeCustomers:
    c = FakeCustomers()
    c.add("jane", ("phone", "+447700900123"), ("email", "jane@example.org"),
          ("chat", "jane-42"))
    return c


@pytest.mark.parametrize(("medium", "attributes", "expected"), [
    (Medium.VOICE, {"caller_number": "+447700900123"}, ("phone", "+447700900123")),
    (Medium.CALLBACK, {"from_address": "07700900123"}, ("phone", "07700900123")),
    (Medium.EMAIL, {"from_address": "Jane@Example.org"}, ("email", "Jane@Example.org")),
    (Medium.EMAIL, {"from": "jane@example.org"}, ("email", "jane@example.org")),
    (Medium.CHAT, {"from_address": "jane-42"}, ("chat", "jane-42")),
    (Medium.CHAT, {"from_address": "x", "customer_identity": {"kind": "email",
                                                              "value": "a@b.c"}},
     ("email", "a@b.c")),
    (Medium.VOICE, {"caller_number": "anonymous"}, None),
    (Medium.EMAIL, {}, None),
    (Medium.CHAT, {"from_address": "   "}, None),
])
def test_given_interaction_of_any_medium_when_identity_read_then_kind_of_its_medium(
        medium: Medium, attributes: dict[str, Any], expected: tuple[str, str] | None) -> None:
    assert identity_of(Interaction("i", medium, attributes=attributes)) == expected


async def test_given_email_without_customer_id_when_popped_then_found_by_sender(
        customers: FakeCustomers) -> None:
    history = FakeHistory({"jane": [item("call-1", "voice")]})
    ctx = CustomerContext(customers, history)
    email = Interaction("mail-9", Medium.EMAIL, attributes={"from_address": "JANE@example.org",
                                                           "pop": {"subject": "Parcel"}})
    pop = await ctx.screen_pop(email)
    assert pop is not None and pop["id"] == "jane"
    assert [h["id"] for h in pop["history"]] == ["call-1"]
    assert pop["last_by_medium"] == {"voice": item("call-1", "voice")}


async def test_given_chat_with_customer_id_when_popped_then_latest_on_every_channel(
        customers: FakeCustomers) -> None:
    items = [item("chat-9", "chat")] + [item(f"call-{i}", "voice") for i in range(8)] + \
        [item("mail-1", "email")]
    history = FakeHistory({"jane": items})
    ctx = CustomerContext(customers, history)
    chat = Interaction("chat-9", Medium.CHAT, customer_id="jane")  # no caller_number at all
    pop = await ctx.screen_pop(chat)
    assert pop is not None
    assert [h["id"] for h in pop["history"]] == [f"call-{i}" for i in range(HISTORY_IN_POP)]
    assert {m: h["id"] for m, h in pop["last_by_medium"].items()} == {
        "voice": "call-0", "email": "mail-1"}  # the email is older than the page
    assert [p for p in history.pages if p[1] is not None] == [
        (1, "callback"), (1, "email"), (1, "chat")]


async def test_given_unknown_or_anonymous_contact_when_popped_then_no_customer(
        customers: FakeCustomers) -> None:
    ctx = CustomerContext(customers, FakeHistory({}))
    for interaction in (Interaction("a", Medium.CHAT, attributes={"from_address": "zed"}),
                        Interaction("b", Medium.VOICE,
                                    attributes={"caller_number": "anonymous"}),
                        Interaction("c", Medium.VOICE, attributes={"caller_number": "abc"}),
                        Interaction("d", Medium.EMAIL, customer_id="gone")):
        assert await ctx.screen_pop(interaction) is None, interaction.id


async def test_given_identities_of_every_medium_when_identified_then_one_record_each(
        customers: FakeCustomers) -> None:
    ctx = CustomerContext(customers, FakeHistory({}))
    assert await ctx.identify("email", "jane@example.org") == "jane"
    assert await ctx.identify("chat", "JANE-42") == "jane"
    assert await ctx.identify_caller("+447700900123") == "jane"
    new = await ctx.identify("email", "new@example.org")
    assert new not in (None, "jane")
    assert await ctx.identify("email", "new@example.org") == new
    assert await ctx.identify_caller("Restricted") is None
    assert await ctx.identify_caller("not a number") is None
    assert await ctx.identify("chat", None) is None


async def test_given_key_account_caller_when_linked_then_customer_and_tier_on_interaction(
        customers: FakeCustomers) -> None:
    ctx = CustomerContext(customers, FakeHistory({}))
    customers.by_id["jane"]["tier"] = "key_account"
    call = Interaction("k", Medium.VOICE, attributes={"caller_number": "+447700900123"})
    await ctx.link(call)
    assert (call.customer_id, call.attributes["customer_tier"]) == ("jane", "key_account")
    mail = Interaction("m", Medium.EMAIL, attributes={"from_address": "new@example.org"})
    await ctx.link(mail)
    assert mail.customer_id not in (None, "jane")
    assert mail.attributes["customer_tier"] == "standard"
    hidden = Interaction("h", Medium.VOICE, attributes={"caller_number": "anonymous"})
    await ctx.link(hidden)
    assert hidden.customer_id is None and "customer_tier" not in hidden.attributes
