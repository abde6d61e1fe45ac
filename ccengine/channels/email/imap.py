"""One IMAP mailbox, watched: new mail is fetched (without marking it read), stored, and
only then flagged \\Seen (or moved to the processed folder) on the server. Waits with IDLE
when the server offers it, else polls; a lost connection is retried with backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import aioimaplib

from ccengine.channels.email.config import Backoff, Mailbox
from ccengine.store.messages import MessageView

log = logging.getLogger(__name__)

Store = Callable[[bytes, Mailbox, dict[str, Any]], Awaitable[MessageView]]
Process = Callable[[int], Awaitable[None]]
UIDS = re.compile(rb"^\d+( \d+)*$")


def _stop_if_cancelled() -> None:
    """Raise CancelledError if this task was asked to stop. aioimaplib waits with Python
    3.11's asyncio.wait_for, which returns (or raises the inner error) and drops a
    cancellation that arrives as its inner wait completes; without this check the poller
    would take the lost cancellation for a failed session and retry for ever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class ImapError(Exception):
    """The IMAP server refused something (or the connection went away)."""


def _ok(response: aioimaplib.Response, what: str) -> aioimaplib.Response:
    if response.result != "OK":
        text = b" ".join(x for x in response.lines if isinstance(x, bytes))
        raise ImapError(f"{what}: {response.result} {text.decode(errors='replace')}")
    return response


def fetched_bytes(response: aioimaplib.Response) -> bytes | None:
    """The message literal of a one-message FETCH BODY.PEEK[] answer."""
    for line in response.lines:
        if isinstance(line, bytearray):
            return bytes(line)
    return None


class ImapPoller:
    """Watches one mailbox's folder until cancelled."""

    def __init__(self, mailbox: Mailbox, store: Store, process: Process,
                 reconnect: Backoff) -> None:
        if mailbox.imap is None:
            raise ValueError(f"mailbox {mailbox.name} has no imap settings")
        self.mailbox, self.imap = mailbox, mailbox.imap
        self.store, self.process, self.reconnect = store, process, reconnect
        self.connected = asyncio.Event()   # a session is up (for status and tests)
        self.sessions = 0                  # sessions opened so far
        self.last_error: str | None = None
        self._lost = asyncio.Event()
        self._drained = 0                 # new messages the last drain found
        self._last_uids: set[str] = set()  # the UIDs it found

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, ImapError, aioimaplib.AioImapException) as e:
                self.last_error = f"{type(e).__name__}: {e}"
            except Exception as e:  # e.g. the store is down: keep the mailbox, try later
                log.exception("mailbox %s: unexpected error", self.mailbox.name)
                self.last_error = f"{type(e).__name__}: {e}"
            if self.connected.is_set():
                failures = 0  # the last session worked: start the backoff again
            self.connected.clear()
            failures += 1
            _stop_if_cancelled()
            delay = self.reconnect.after(failures)
            log.warning("mailbox %s: IMAP %s:%s unavailable (%s); retrying in %.1f s",
                        self.mailbox.name, self.imap.host, self.imap.port, self.last_error,
                        delay)
            await asyncio.sleep(delay)

    def _client(self) -> aioimaplib.IMAP4:
        c = self.imap
        self._lost.clear()
        if c.tls:
            context = ssl.create_default_context()
            if not c.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            client = aioimaplib.IMAP4_SSL(host=c.host, port=c.port, timeout=c.timeout,
                                          ssl_context=context)
            client.protocol.conn_lost_cb = self._on_lost
            return client
        return aioimaplib.IMAP4(host=c.host, port=c.port, timeout=c.timeout,
                                conn_lost_cb=self._on_lost)

    def _on_lost(self, exc: Exception | None) -> None:
        self._lost.set()

    async def _session(self) -> None:
        c = self.imap
        client = self._client()
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(c.user, c.password), "LOGIN")
            _ok(await client.select(c.folder), f"SELECT {c.folder}")
            self.sessions += 1
            self.connected.set()
            log.info("mailbox %s: watching %s on %s:%s", self.mailbox.name, c.folder, c.host,
                     c.port)
            while True:
                _stop_if_cancelled()
                await self._unless_lost(self._drain(client))
                if self._drained:
                    # mail that came while draining may have been announced (EXISTS) with
                    # a command's answer, where IDLE will not announce it again: look once
                    # more, and wait only when a search finds nothing
                    continue
                await self._wait(client)
        finally:
            await self._close(client)

    async def _close(self, client: aioimaplib.IMAP4) -> None:
        if not self._lost.is_set() and not client.has_pending_idle():
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await client.logout()
        transport = client.protocol.transport if client.protocol else None
        if transport is not None:
            transport.close()

    async def _unless_lost(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` (IMAP commands), given up as soon as the connection is lost: a
        command in flight when the server dies would otherwise wait for its timeout."""
        task = asyncio.ensure_future(work)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in (task, lost):
                if not waiting.done():
                    waiting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiting
        if task.cancelled():   # by us: the connection went first
            raise ImapError("connection lost")
        error = task.exception()
        if error is not None:
            raise error

    def _check(self) -> None:
        if self._lost.is_set():
            raise ImapError("connection lost")

    async def _drain(self, client: aioimaplib.IMAP4) -> None:
        """Fetch, store, then flag (or move) every message waiting in the folder."""
        criteria = "UNDELETED" if self.imap.processed_folder else "UNSEEN"
        found = _ok(await client.uid_search(criteria, charset=None), "UID SEARCH")
        uids: list[str] = []
        for line in found.lines:
            if isinstance(line, bytes) and UIDS.match(line):
                uids.extend(line.decode().split())
        # new ones only: a message the server keeps listing (a flag that does not stick)
        # must not make the poller spin
        self._drained = len(set(uids) - self._last_uids)
        self._last_uids = set(uids)
        for uid in uids:
            self._check()
            fetched = _ok(await client.uid("fetch", uid, "(BODY.PEEK[])"), "UID FETCH")
            raw = fetched_bytes(fetched)
            if raw is None:
                continue  # expunged meanwhile
            message = await self.store(raw, self.mailbox, {"imap_uid": int(uid),
                                                           "imap_folder": self.imap.folder})
            await self._done(client, uid)
            try:
                await self.process(message["id"])
            except Exception:  # stored and flagged: the channel's sweep threads it later
                log.exception("mailbox %s: message %s stored but not queued yet",
                              self.mailbox.name, message["id"])

    async def _done(self, client: aioimaplib.IMAP4, uid: str) -> None:
        """After the store commit: mark the message handled on the server."""
        target = self.imap.processed_folder
        if target is None:
            _ok(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Seen)"), "UID STORE")
        elif client.has_capability("MOVE"):
            _ok(await client.uid("move", uid, target), f"UID MOVE {target}")
        else:
            _ok(await client.uid("copy", uid, target), f"UID COPY {target}")
            _ok(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Deleted \Seen)"),
                "UID STORE")
            _ok(await client.expunge(), "EXPUNGE")

    async def _wait(self, client: aioimaplib.IMAP4) -> None:
        """Until the server says something changed (IDLE) or the poll interval passed."""
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            if self.imap.idle and client.has_capability("IDLE"):
                idle = await client.idle_start(timeout=self.imap.idle_seconds)
                push = asyncio.ensure_future(client.wait_server_push(
                    timeout=self.imap.idle_seconds + 5))
                try:
                    await asyncio.wait({push, lost}, return_when=asyncio.FIRST_COMPLETED)
                    self._check()
                    client.idle_done()
                    async with asyncio.timeout(self.imap.timeout):
                        await idle
                finally:
                    for task in (push, idle):
                        if not task.done():
                            task.cancel()
                        with contextlib.suppress(asyncio.CancelledError, TimeoutError,
                                                 aioimaplib.AioImapException):
                            await task
            else:
                await asyncio.wait({lost}, timeout=self.imap.poll_seconds)
                self._check()
        finally:
            lost.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lost
