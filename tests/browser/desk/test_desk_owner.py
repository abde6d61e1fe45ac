"""The customer's account manager (their owner, for named-contact routing) in the desk's
screen pop: alice, an agent, takes an email from a customer whom bob manages and reads
"Account manager: Bob", with nothing to change it. sam, a supervisor, finds the customer
from the keyboard, chooses alice and then nobody; each change is on the customer record
(read back through the API) and announced to screen readers, and the keyboard stays on the
control. An owner the engine refuses leaves the record as it was, and the page says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.desk.harness import assert_accessible, desk_rig_with_channels, open_desk
from tests.browser.desk.test_desk_keyboard import tab_to
from tests.browser.desk.test_desk_multitask import accept_offer
from tests.browser.driver import Page, needs_browser
from tests.e2e.conftest import Rig

pytestmark = [pytest.mark.asterisk, needs_browser]

KAY = "kay@example.org"


async def owner_of(rig: Rig, customer_id: str) -> str | None:
    customer = await rig.call_api("GET", f"/api/customers/{customer_id}", "sam")
    return customer["owner"]  # type: ignore[no-any-return]


async def save_owner(page: Page, shown: str) -> None:
    """Submit the owner's form from the keyboard and wait for the pop to show ``shown``."""
    await tab_to(page, "owner-save", most=5)
    await page.press("Enter")
    await page.wait(f"#pop-owner:text-is('{shown}')", timeout=10)


async def test_given_an_owned_customer_then_agents_read_the_owner_and_supervisors_change_it(
        tmp_path: Path) -> None:
    async with desk_rig_with_channels(tmp_path) as (rig, browser, channels):
        kay = await rig.call_api("POST", "/api/customers", "sam", json={
            "name": "Kay Account", "identities": [{"kind": "email", "value": KAY}]})
        await rig.call_api("PATCH", f"/api/customers/{kay['id']}", "sam", json={"owner": "bob"})
        await rig.call_api("PUT", f"/api/customers/{kay['id']}/consent/email/marketing", "sam",
                           json={"state": "withdrawn", "source": "paper",
                                 "evidence": "letter of 3 May"})

        # an agent reads the owner, and has nothing to change it with
        desk = await open_desk(rig, browser, "alice")
        page = desk.page
        await rig.login("alice")
        await channels.mail(f"Kay Account <{KAY}>", "My plan", "Can I upgrade?",
                            "<kay-1@example.org>")
        await accept_offer(page, "Kay Account")
        await page.wait("#pop-owner:text-is('Account manager: Bob')", timeout=10)
        assert await page.count("#owner-select, #owner-save, #lookup-q") == 0

        # a supervisor finds the customer from the keyboard
        sam_desk = await open_desk(rig, browser, "sam")
        sam = sam_desk.page
        await sam.wait("#lookup-q")
        assert await sam.count("#customer-name") == 0   # no work, so no pop of its own
        await tab_to(sam, "lookup-q", most=60)
        await sam.type(KAY)
        await sam.press("Enter")
        await sam.wait("#customer-name:text-is('Kay Account')", timeout=10)
        await sam.wait("#announce-polite:has-text('Showing Kay Account.')", state="attached")
        await sam.wait("#pop-owner:text-is('Account manager: Bob')")
        # the found customer's consent, as the ledger has it (as a screen pop shows it)
        assert await sam.text(".consent-email .consent-state") == \
            "Marketing email: opted out"
        assert await sam.text(".consent-phone .consent-state") == "Marketing calls: not asked"
        await sam.wait("#owner-select:enabled")
        assert await sam.texts("#owner-select option") == [
            "No account manager", "Alice", "Bob"]

        # ... chooses alice with the arrow keys (one up from bob)
        await tab_to(sam, "owner-select", most=10)
        await sam.press("ArrowUp")
        assert await sam.evaluate("() => document.getElementById('owner-select').value") \
            == "alice"
        await save_owner(sam, "Account manager: Alice")
        await sam.wait("#announce-polite:has-text('Account manager set to Alice.')",
                       state="attached")
        assert (await sam.focused() or {}).get("id") == "owner-select"
        assert await owner_of(rig, kay["id"]) == "alice"
        await sam_desk.screenshot("desk-owner", tmp_path)

        # ... then nobody
        await sam.select("#owner-select", "")
        await save_owner(sam, "No account manager")
        await sam.wait("#announce-polite:has-text('Account manager cleared.')",
                       state="attached")
        assert await owner_of(rig, kay["id"]) is None
        await assert_accessible(sam, "the supervisor's desk with a customer found")

        # an agent the engine does not know is refused: said, and nothing changes
        await sam.evaluate("""() => {
            const select = document.getElementById('owner-select');
            select.append(new Option('Ghost', 'ghost'));
            select.value = 'ghost';
        }""")
        await tab_to(sam, "owner-save", most=5)
        await sam.press("Enter")
        await sam.wait("#owner-error:has-text('was not changed')", timeout=10)
        assert "ghost" in await sam.text("#owner-error")
        await sam.wait("#announce-urgent:has-text('was not changed')", state="attached")
        assert await sam.text("#pop-owner") == "No account manager"
        assert await owner_of(rig, kay["id"]) is None

        assert await page.errors() == []
        assert await sam.errors() == []
