"""Headless Chromium for the Python tests, driven step by step: ``driver.mjs`` (playwright-core
from npm, Debian's chromium) runs in a Node process and takes one JSON command per line.

    async with Browser.start() as browser:
        desk = await browser.page("alice", base_url)
        await desk.goto("/desk/")
        await desk.fill("#user", "alice")
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium")
NODE = shutil.which("node")
needs_browser = pytest.mark.skipif(CHROMIUM is None or NODE is None,
                                   reason="needs Debian's chromium and node "
                                          "(scripts/install-system.sh --test)")


class BrowserError(AssertionError):
    """The browser could not do what a step asked (the message says why)."""


def node_modules_installed() -> None:
    """playwright-core and axe-core from tests/browser/package-lock.json (npm ci once)."""
    if (HERE / "node_modules" / "playwright-core").is_dir() \
            and (HERE / "node_modules" / "axe-core").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is needed to install tests/browser/package.json")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True,
                   capture_output=True, timeout=300)


class Browser:
    """One Chromium, any number of pages (each in its own context: its own cookies)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def start(cls, *args: str, fake_ui: bool = True) -> AsyncIterator[Browser]:
        """Chromium with a fake microphone; ``fake_ui=False``: a page granted no
        microphone is refused it (as when a person says no)."""
        node_modules_installed()
        process = await asyncio.create_subprocess_exec(
            NODE or "node", str(HERE / "driver.mjs"), cwd=HERE,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=2**24,
            env={"CHROMIUM": CHROMIUM or "", "PATH": "/usr/bin:/bin"})
        browser = cls(process)
        try:
            await browser.call("launch", args=list(args), fakeUi=fake_ui, timeout=60)
            yield browser
        finally:
            with contextlib.suppress(Exception):
                await browser.call("quit", timeout=15)
            if process.returncode is None:
                process.kill()
            await process.wait()
            browser._reader.cancel()

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while line := await self.process.stdout.readline():
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            future = self._waiting.pop(msg.get("id"), None)
            if future is not None and not future.done():
                if msg.get("ok"):
                    future.set_result(msg.get("result"))
                else:
                    future.set_exception(BrowserError(msg.get("error")))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(BrowserError("the browser process ended"))

    async def call(self, op: str, timeout: float = 30, **args: Any) -> Any:
        assert self.process.stdin is not None
        msg_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[msg_id] = future
        self.process.stdin.write((json.dumps({"id": msg_id, "op": op, **args}) + "\n")
                                 .encode())
        await self.process.stdin.drain()
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            raise BrowserError(f"browser step {op} {args} took over {timeout} s") from None

    async def page(self, name: str, base_url: str, **options: Any) -> Page:
        await self.call("newPage", name=name, baseURL=base_url, **options)
        return Page(self, name)


class Page:
    """One tab; selectors are Playwright's (CSS, ``text=``, ``role=button[name=...]``)."""

    def __init__(self, browser: Browser, name: str) -> None:
        self.browser, self.name = browser, name

    async def _do(self, op: str, timeout: float = 30, **args: Any) -> Any:
        return await self.browser.call(op, timeout=timeout, page=self.name, **args)

    async def goto(self, url: str, wait_until: str = "load") -> str:
        """Go to ``url``; returns once ``wait_until`` (load, domcontentloaded, networkidle,
        commit) happened."""
        return await self._do("goto", url=url, waitUntil=wait_until)

    async def init_script(self, script: str) -> None:
        """Run ``script`` (JavaScript source) in the page before its own scripts, on every
        navigation from now on (the page's Content Security Policy does not apply)."""
        await self._do("initScript", script=script)

    async def responses(self, clear: bool = False) -> list[dict[str, Any]]:
        """Every HTTP request the page made so far (websockets aside), once finished:
        ``{url, method, type, status, bodyBytes, headerBytes, failure}``; ``bodyBytes`` is
        the response body as transferred. ``clear`` starts a new log after this one."""
        return await self._do("responses", clear=clear)

    async def hold_responses(self, pattern: str) -> None:
        """Answers to the page's requests matching ``pattern`` (a glob) are read from the
        server at once but reach the page only at :meth:`release_responses`."""
        await self._do("holdResponses", pattern=pattern)

    async def release_responses(self) -> int:
        """Give the page the answers held; how many there were."""
        return await self._do("releaseResponses")

    async def reload(self) -> None:
        await self._do("reload")

    async def click(self, selector: str) -> None:
        await self._do("click", selector=selector)

    async def fill(self, selector: str, value: str) -> None:
        await self._do("fill", selector=selector, value=value)

    async def select(self, selector: str, value: str) -> None:
        await self._do("select", selector=selector, value=value)

    async def press(self, key: str, selector: str | None = None) -> None:
        await self._do("press", selector=selector, key=key)

    async def type(self, text: str) -> None:
        await self._do("type", text=text)

    async def wait(self, selector: str, state: str = "visible", timeout: float = 20) -> None:
        """Until ``selector`` matches an element in ``state`` (visible, hidden, attached,
        detached), at most ``timeout`` seconds."""
        await self._do("wait", timeout=timeout + 5, selector=selector, state=state,
                       ms=timeout * 1000)

    async def texts(self, selector: str) -> list[str]:
        return await self._do("texts", selector=selector)

    async def text(self, selector: str) -> str:
        found = await self.texts(selector)
        if not found:
            raise BrowserError(f"nothing matches {selector!r}")
        return found[0]

    async def count(self, selector: str) -> int:
        return await self._do("count", selector=selector)

    async def attr(self, selector: str, name: str) -> str | None:
        return await self._do("attr", selector=selector, name=name)

    async def evaluate(self, expression: str, arg: Any = None) -> Any:
        """Run ``expression`` (a JavaScript function's source) in the page with ``arg``."""
        return await self._do("evaluate", expression=expression, arg=arg)

    async def focused(self) -> dict[str, Any] | None:
        return await self._do("focused")

    async def screenshot(self, path: Path, full_page: bool = False) -> Path:
        await self._do("screenshot", path=str(path), fullPage=full_page)
        return path

    async def offline(self, offline: bool) -> None:
        await self._do("offline", offline=offline)

    async def axe(self, selector: str | None = None) -> list[dict[str, Any]]:
        return await self._do("axe", timeout=60, selector=selector)

    async def errors(self) -> list[str]:
        return await self._do("errors")

    async def console(self) -> list[str]:
        return await self._do("console")

    async def close(self) -> None:
        await self._do("closePage")
