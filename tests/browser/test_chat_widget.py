"""The embeddable widget in a real headless browser (Debian's chromium driven by
playwright-core from npm): a page of another origin embeds it with one script tag; the
visitor starts a chat, talks to an agent driven through the API, reloads the page and
resumes the same chat, and sees the agent close it. Markup from the agent stays text."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from tests.e2e.ports import free_port
from tests.integration.chat.harness import ChatRig, eventually, start_rig

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium")
NODE = shutil.which("node")
AGENT_TEXT = '<img src=x onerror="window.__pwned=1"><b>Hi!</b> How can I help?'

pytestmark = pytest.mark.skipif(CHROMIUM is None or NODE is None,
                                reason="needs Debian's chromium and node "
                                       "(scripts/install-system.sh --test)")


def playwright_installed() -> None:
    """playwright-core from tests/browser/package-lock.json (npm ci once if missing)."""
    if (HERE / "node_modules" / "playwright-core").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install playwright-core (tests/browser/package.json)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                   capture_output=True, timeout=300)


@pytest.fixture
async def host_page() -> AsyncIterator[tuple[int, list[str]]]:
    """A page of another origin (its own port); the script tag is set per test."""
    port = free_port()
    page: list[str] = [""]

    async def serve(_: web.Request) -> web.Response:
        return web.Response(text=page[0], content_type="text/html")

    app = web.Application()
    app.router.add_get("/", serve)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port, page
    finally:
        await runner.cleanup()


async def test_given_widget_on_a_site_then_visitor_chats_with_agent_and_resumes_after_reload(
        tmp_path: Path, host_page: tuple[int, list[str]]) -> None:
    playwright_installed()
    port, page = host_page
    site = f"http://127.0.0.1:{port}"
    rig, close = await start_rig(tmp_path, chat={"allowed_origins": [site]})
    try:
        await run_journey(rig, site, page)
    finally:
        await close()


async def alongside(visitor: asyncio.subprocess.Process,
                    waiting: Coroutine[Any, Any, T]) -> T:
    """Await ``waiting`` unless the browser side ends first (then fail with its output)."""
    wait = asyncio.ensure_future(waiting)
    gone = asyncio.ensure_future(visitor.wait())
    await asyncio.wait({wait, gone}, return_when=asyncio.FIRST_COMPLETED)
    if wait.done():
        gone.cancel()
        if wait.exception() is None:
            return wait.result()
        visitor.kill()
    else:
        wait.cancel()
    out, err = await visitor.communicate()
    if wait.done() and not wait.cancelled() and wait.exception() is not None:
        raise AssertionError(f"{wait.exception()}; the browser side said:\n"
                             f"{err.decode()[-3000:]}") from wait.exception()
    raise AssertionError(f"the browser side ended early ({visitor.returncode}):\n"
                         f"{err.decode()[-3000:]}\n{out.decode()[-1000:]}")


async def run_journey(rig: ChatRig, site: str, page: list[str]) -> None:
    page[0] = ("<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>"
               f'<script src="{rig.base}/chat/widget.js" data-entry="web" async></script>'
               "</body></html>")
    await rig.login("alice")
    feed = await rig.feed("alice")
    visitor = await asyncio.create_subprocess_exec(
        NODE or "node", str(HERE / "chat_widget.mjs"), f"{site}/", AGENT_TEXT,
        cwd=HERE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={"CHROMIUM": CHROMIUM or "", "PATH": "/usr/bin:/bin"})
    try:
        offer = await alongside(visitor, feed.wait("offer", "the widget's chat offered to "
                                                   "alice", timeout=60))
        chat_id = offer["interaction_id"]
        assert offer["details"]["visitor"] == "Web Visitor"
        assert offer["details"]["first_message"] == "Is my parcel coming?"
        assert offer["caller_number"] == "+447700900777"
        await rig.accept("alice", chat_id)
        first = await alongside(visitor, feed.wait("chat_message", "the browser's message",
                                                   timeout=60))
        assert first["text"] == "Hello from the browser"
        await rig.say("alice", chat_id, AGENT_TEXT)
        second = await alongside(visitor, feed.wait("chat_message", "the message after the "
                                                    "reload", count=2, timeout=90))
        assert second["text"] == "after reload"
        status, _ = await rig.api("POST", f"/api/interactions/{chat_id}/close", "alice",
                                  json={"reason": "resolved"})
        assert status == 200
        out, err = await asyncio.wait_for(visitor.communicate(), 90)
    finally:
        if visitor.returncode is None:
            visitor.kill()
            await visitor.wait()
    assert visitor.returncode == 0, err.decode()[-3000:]
    assert "step: resumed after reload" in err.decode()
    line = [x for x in out.decode().splitlines() if x.startswith("RESULT ")][-1]
    result = json.loads(line[len("RESULT "):])
    assert result["agentText"] == AGENT_TEXT  # shown as the literal text
    assert result["imagesInWidget"] == 0 and result["pwned"] is False
    # the question asked in the form is the chat's first message
    assert result["afterReload"] == ["Is my parcel coming?", "Hello from the browser",
                                     AGENT_TEXT]
    assert result["againVisible"] is True
    assert result["stored"] == []  # the ended chat's token is gone from the tab
    assert result["pageErrors"] == []
    stored = await rig.messages.for_interaction(chat_id)
    assert [(m["direction"], m["body"]) for m in stored] == [
        ("in", "Is my parcel coming?"), ("in", "Hello from the browser"), ("out", AGENT_TEXT),
        ("in", "after reload")]
    await eventually(lambda: rig.chat.sessions.get(chat_id) is None, what="session gone")
