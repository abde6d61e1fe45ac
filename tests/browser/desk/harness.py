"""The agent desk in headless Chromium against a real engine and Asterisk: users with
passwords, a page per agent signed in through the form, and the things tests look at."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosmtplib

from ccengine.store.users import UserRepository
from ccengine.telephony.ami import ClosingManager
from tests.browser.driver import Browser, Page
from tests.e2e.conftest import CHAT_SITE, Rig, running_rig
from tests.e2e.ports import free_port
from tests.mail.messages import customer_mail
from tests.mail.servers import running_sink
from tests.mail.sink import SmtpSink
from tests.polling import eventually

PASSWORD = "desk password 1"
# agents on the desk's WebRTC phone (alice) or a baresip SIP phone (bob); chat and email
# reach sales too
AGENTS = ("agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1, chat: 2,"
          " email: 1}, blocks: {}}, {id: bob, name: Bob, skills: {sales: 3}, phone: sip}]")
DISPOSITIONS = "dispositions={default: [resolved, sale, no_sale, follow_up]}"
QUEUES = ("queues=[{name: sales, media: [voice, chat, email], required_skills: {sales: 1}, "
          "wrapup_seconds: 30}, {name: support, media: [voice], required_skills: "
          "{support: 1}, wrapup_seconds: 2}]")
SCREENSHOTS = os.environ.get("CCENGINE_SCREENSHOTS")  # a folder to keep the desk's pictures


@dataclass
class Desk:
    """A signed-in agent's page."""

    rig: Rig
    page: Page
    user: str

    async def state_text(self) -> str:
        return await self.page.text("#agent-state")

    async def wait_state(self, text: str, timeout: float = 10) -> None:
        await self.page.wait(f"#agent-state:has-text('{text}')", timeout=timeout)

    async def screenshot(self, name: str, workdir: Path) -> Path:
        path = await self.page.screenshot(workdir / f"{name}.png")
        if SCREENSHOTS:
            keep(path, Path(SCREENSHOTS) / f"{name}.png")
        return path


@contextlib.asynccontextmanager
async def ami_events(rig: Rig, *names: str) -> AsyncIterator[list[dict[str, str]]]:
    """Asterisk's AMI events of these names (classes call and dtmf), as they come, on an
    AMI session of the test's own (the engine's asks for contact status only)."""
    seen: list[dict[str, str]] = []
    c, secrets = rig.engine.config.asterisk, rig.engine.rendered.secrets  # type: ignore[union-attr]
    loop = asyncio.get_running_loop()
    logged_in: asyncio.Future[None] = loop.create_future()

    def on_event(_manager: Any, event: Any) -> None:
        seen.append({k: str(v) for k, v in dict(event).items()})
    manager = ClosingManager(
        loop=loop, host=c.control_bind, port=c.ami_port, username=secrets.ami_user,
        secret=secrets.ami_secret, events="call,dtmf",
        on_login=lambda _m: logged_in.done() or logged_in.set_result(None))
    for name in names:
        manager.register_event(name, on_event)
    manager.connect()
    try:
        async with asyncio.timeout(10):
            await logged_in
        yield seen
    finally:
        manager.closing = True
        manager.close()


async def assert_accessible(page: Page, where: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    found = await page.axe()
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert not bad, f"axe-core on {where}: {bad}"


def keep(path: Path, target: Path) -> None:
    """Copy a screenshot where the guides' pictures are made (CCENGINE_SCREENSHOTS)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target)


async def set_passwords(rig: Rig, *users: str) -> None:
    db = rig.engine.db
    assert db is not None
    repo = UserRepository(db)
    for user in users:
        await repo.set_password(user, PASSWORD)


async def sign_in(page: Page, user: str, password: str = PASSWORD) -> None:
    await page.goto("/desk/")
    await page.fill("#user", user)
    await page.fill("#password", password)
    await page.press("Enter", "#password")


async def open_desk(rig: Rig, browser: Browser, user: str, *, ready: bool = False,
                    base_url: str | None = None) -> Desk:
    """``user``'s page, signed in; with ``ready`` their phone registered and ready;
    ``base_url`` loads it from elsewhere (through a relay) than the engine's API."""
    page = await browser.page(user, base_url or rig.api)
    await sign_in(page, user)
    await page.wait("#agent-state", timeout=15)
    desk = Desk(rig, page, user)
    if ready:
        ami = rig.engine.ami
        assert ami is not None
        await eventually(lambda: ami.contacts.get(user), 15, f"{user}'s browser registered")
        await page.click("#go-ready")
        await desk.wait_state("Ready")
    return desk


MAILBOX = "sales@shop.test"


@dataclass
class Channels:
    """Chat (the widget's visitor API on the engine) and email (mail into the engine's SMTP
    listener, replies out through a sink) besides the calls."""

    rig: Rig
    smtp_port: int
    sink: SmtpSink

    async def mail(self, sender: str, subject: str, body: str, message_id: str) -> None:
        await aiosmtplib.send(customer_mail(sender=sender, to=MAILBOX, subject=subject,
                                            body=body, message_id=message_id),
                              sender=sender.rpartition("<")[2].rstrip(">"),
                              recipients=[MAILBOX], hostname="127.0.0.1",
                              port=self.smtp_port)


def channel_overrides(smtp_port: int, sink_port: int) -> list[str]:
    email = {"domain": "shop.test",
             "mailboxes": [{"name": "sales", "address": MAILBOX, "queue": "sales"}],
             "listener": {"host": "127.0.0.1", "port": smtp_port},
             "relay": {"host": "127.0.0.1", "port": sink_port, "security": "none"}}
    return [f"chat={{allowed_origins: ['{CHAT_SITE}'], entry_points: {{web: sales}}}}",
            f"email={json.dumps(email)}"]


@contextlib.asynccontextmanager
async def desk_rig(tmp_path: Path, extra: Sequence[str] = ()) -> AsyncIterator[
        tuple[Rig, Browser]]:
    async with running_rig(tmp_path, extra=[AGENTS, QUEUES, DISPOSITIONS, *extra]) as rig, \
            Browser.start() as browser:
        await set_passwords(rig, "alice", "bob", "sam", "admin")
        yield rig, browser


@contextlib.asynccontextmanager
async def desk_rig_with_channels(tmp_path: Path, extra: Sequence[str] = ()) -> AsyncIterator[
        tuple[Rig, Browser, Channels]]:
    """desk_rig with web chat and email reaching sales."""
    smtp_port, sink_port = free_port(), free_port()
    async with running_sink(sink_port) as sink, \
            desk_rig(tmp_path, [*channel_overrides(smtp_port, sink_port), *extra]) as (rig,
                                                                                   browser):
        yield rig, browser, Channels(rig, smtp_port, sink)


async def accept_call(page: Page) -> str:
    """Accept the call offered on the desk and wait until the page's phone talks; the
    interaction's id (its tab is the one shown)."""
    await page.wait(".offer", timeout=20)
    await page.click(".offer .accept")
    await page.wait("#phone-call:has-text('On a call')", timeout=15)
    return (await page.attr(".tab[aria-selected=true]", "id") or "").removeprefix("tab-")


async def bob_as_transfer_target(rig: Rig, page: Page, iid: str) -> None:
    """bob's baresip phone registers and he logs in; alice picks him in the call's
    transfer list (asked for again when she opens it)."""
    await rig.start_phone("bob")
    await rig.login("bob")
    await page.click(f"#transfer-{iid}-agent")
    await page.wait(f"#transfer-{iid}-agent option[value=bob]:not([disabled])",
                    state="attached")
    await page.select(f"#transfer-{iid}-agent", "bob")


async def stored(rig: Rig, interaction_id: str) -> dict[str, Any]:
    return await rig.call_api("GET", f"/api/interactions/{interaction_id}", "admin")
