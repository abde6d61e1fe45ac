"""An IMAP poller stops when cancelled, also when the cancellation was lost inside the IMAP
library (aioimaplib waits with Python 3.11's asyncio.wait_for, which drops a cancellation
that arrives as its inner wait completes: the caller sees a result or the inner error)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ccengine.channels.email.config import Backoff, ImapConfig, Mailbox
from ccengine.channels.email.imap import ImapPoller

MAILBOX = Mailbox("sales", "sales@shop.test", "sales",
                  imap=ImapConfig("127.0.0.1", 1, "u", "p", tls=False))


async def _unused(*_args: Any) -> Any:
    raise AssertionError("no mail in this test")


def _poller() -> ImapPoller:
    return ImapPoller(MAILBOX, _unused, _unused, Backoff(0.01, 0.01))


async def _ends_cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    if task not in done:
        task.cancel()  # a second cancellation is not lost: the test ends either way
        raise AssertionError("the poller went on after being cancelled")
    assert task.cancelled()


async def test_given_cancel_lost_as_session_fails_then_poller_stops() -> None:
    poller = _poller()
    entered = asyncio.Event()

    async def session() -> None:
        if entered.is_set():  # later sessions: the race happens once
            await asyncio.sleep(10)
        entered.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:  # the library turns it into its own error
            raise OSError("connection reset") from None

    poller._session = session  # type: ignore[method-assign]
    task = asyncio.ensure_future(poller.run())
    await entered.wait()
    await _ends_cancelled(task)


async def test_given_cancel_lost_in_a_command_then_session_loop_stops(
        monkeypatch: pytest.MonkeyPatch) -> None:
    poller = _poller()
    drained = asyncio.Event()

    class Client:
        protocol = None

        async def wait_hello_from_server(self) -> None:
            return None

        async def login(self, *_a: Any) -> Any:
            return _Ok()

        async def select(self, *_a: Any) -> Any:
            return _Ok()

        def has_pending_idle(self) -> bool:
            return False

        async def logout(self) -> None:
            return None

    async def drain(_client: Any) -> None:  # a command whose result won the race
        if drained.is_set():
            await asyncio.sleep(10)
        drained.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            return None

    async def wait(_client: Any) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(poller, "_client", Client)
    monkeypatch.setattr(poller, "_drain", drain)
    monkeypatch.setattr(poller, "_wait", wait)
    task = asyncio.ensure_future(poller.run())
    await drained.wait()
    await _ends_cancelled(task)


class _Ok:
    result = "OK"
    lines: list[bytes] = []
