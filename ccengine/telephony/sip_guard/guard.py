"""The running guard: follows Asterisk's security events over AMI, blocks an address once
it failed ``max_failures`` times within ``window_seconds``, and lifts the block after
``block_seconds`` (or when an admin lifts it).

A block is applied in Asterisk itself: the blocks are saved (``sip-blocks.json``), written
into acl.conf's named ACL ``ccengine-sip-blocks`` and reloaded (AMI ``Reload``, module
``acl``); res_pjsip_acl then re-reads its ``ccengine-blocks`` object, which names that ACL,
and answers every request from a blocked address with 403 before anything else looks at
it. That takes about a millisecond here and touches no endpoint. Every block and every
unblock is logged once, with the address and the reason.

One task (tracked, stopped with the engine) applies changes and lifts expired blocks; a
failure to apply (AMI down, say) is logged once, retried every second, and its recovery
logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from panoramisk import Manager

from ccengine.telephony.ami import QUIET, ClosingManager
from ccengine.telephony.asterisk.render import write_acl
from ccengine.telephony.sip_guard.blocks import (
    FAILURE_EVENTS,
    Block,
    Blocklist,
    Spared,
    failure_of,
)
from ccengine.telephony.sip_guard.settings import SipSecurity
from ccengine.telephony.sip_guard.store import load_blocks, save_blocks

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class ApplyFailed(Exception):
    """The blocks could not be applied in Asterisk (they are kept and retried)."""

    code = "sip_blocks_not_applied"


@dataclass(frozen=True)
class AmiLogin:
    host: str
    port: int
    user: str
    secret: str


class SipGuard:
    """Blocks addresses that fail SIP authentication too often (see the module docstring)."""

    def __init__(self, settings: SipSecurity, ami: AmiLogin, etc_dir: Path,
                 blocks_path: Path, clock: Callable[[], float] = time.time) -> None:
        self.settings, self.ami, self.clock = settings, ami, clock
        self.etc_dir, self.blocks_path = etc_dir, blocks_path
        self.table = Blocklist(settings, clock, load_blocks(blocks_path))
        self.manager: Manager | None = None
        self._changed = asyncio.Event()
        self._dirty = False
        self._failing: str | None = None   # the apply error being retried, logged once
        self._lock = asyncio.Lock()
        self._inflight: list[asyncio.Future[Any]] = []  # reloads sent from event callbacks
        self._task: asyncio.Task[None] | None = None
        self._last_acl_ns = 0

    # ------------------------------------------------------------------ lifecycle
    async def start(self, timeout: float = 10.0) -> None:
        """Log in to AMI for the security events, then follow them."""
        loop = asyncio.get_running_loop()
        logged_in: asyncio.Future[None] = loop.create_future()

        def on_login(_manager: Manager) -> None:
            if not logged_in.done():
                logged_in.set_result(None)

        self.manager = ClosingManager(
            loop=loop, on_login=on_login, host=self.ami.host, port=self.ami.port,
            username=self.ami.user, secret=self.ami.secret, events="security",
            ping_delay=5, ping_interval=5, reconnect_timeout=1,
            log=QUIET)   # the AMI monitor logs each outage once; panoramisk, every second
        for event in sorted(FAILURE_EVENTS):
            self.manager.register_event(event, self.on_event)
        self.manager.connect()
        async with asyncio.timeout(timeout):
            await logged_in
        self.follow()

    def follow(self) -> None:
        """Start the guard's task (``start`` does, once logged in to AMI)."""
        self._dirty = True   # blocks saved by an earlier run: expire or apply them now
        self._task = asyncio.ensure_future(self._run())
        self._task.set_name("sip-guard")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if isinstance(self.manager, ClosingManager):
            self.manager.closing = True
            self.manager.close()
        self.manager = None

    # ------------------------------------------------------------------ events
    def on_event(self, _manager: Manager, event: Any) -> None:
        """An AMI security event (panoramisk's callback)."""
        try:
            failure = failure_of(dict(event))
            if failure is None:
                return
            outcome = self.table.failed(failure)
            if isinstance(outcome, Block):
                # at once, from here: every millisecond lets another guess through
                self._send_blocks()
                log.warning("SIP: blocked %s for %d s: %s", outcome.address,
                            self.settings.block_seconds, outcome.reason)
            elif isinstance(outcome, Spared):
                log.warning("SIP: %s: %s; not blocked (sip_security.never_block)",
                            outcome.address, outcome.reason)
        except Exception:  # one bad event must not stop the guard
            log.exception("SIP guard: security event %r failed", event)

    def _send_blocks(self) -> None:
        """Write the blocks and ask Asterisk to reload them, without waiting: the guard's
        task checks the reply (and applies them again if it was not a success)."""
        try:
            self._inflight.append(self._write_and_reload())
        except Exception as e:  # AMI not connected, a file not writable
            self._dirty = True
            self._note_failure(e)
        self._changed.set()

    def _write_and_reload(self) -> asyncio.Future[Any]:
        """acl.conf first and the reload asked for (Asterisk reads it meanwhile), then the
        blocks saved for the next start."""
        if self.manager is None:
            raise ConnectionError("the guard is not connected to AMI")
        blocks = self.table.active()
        write_acl(self.etc_dir, blocks)
        self._stamp_acl()
        reply: asyncio.Future[Any] = self.manager.send_action(
            {"Action": "Reload", "Module": "acl"})
        save_blocks(self.blocks_path, blocks)
        return reply

    # ------------------------------------------------------------------ the task
    async def _run(self) -> None:
        while True:
            try:
                while self._inflight:
                    await self._check(self._inflight.pop(0))
                for block in self.table.expired():
                    log.info("SIP: unblocked %s: its block of %d s expired (it was: %s)",
                             block.address, round(block.until - block.since), block.reason)
                    self._dirty = True
                if self._dirty:
                    await self.apply()
            except ApplyFailed:
                self._dirty = True   # logged once; retried below
            except Exception:
                log.exception("SIP guard: unexpected error; retrying in %.0f s",
                              RETRY_SECONDS)
            await self._wait()

    async def _wait(self) -> None:
        """Until something changed, the next block expires, or a failed apply is due."""
        wait: float | None = None
        expiry = self.table.next_expiry()
        if expiry is not None:
            wait = max(0.0, expiry - self.clock())
        if self._dirty:
            wait = RETRY_SECONDS if wait is None else min(wait, RETRY_SECONDS)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._changed.wait()
        self._changed.clear()

    async def apply(self) -> None:
        """Save the blocks and make Asterisk enforce exactly them; ApplyFailed if it could
        not (the guard's task retries)."""
        async with self._lock:
            self._dirty = False
            try:
                reply = self._write_and_reload()
            except Exception as e:
                self._dirty = True
                raise self._note_failure(e) from e
            await self._check(reply)

    async def _check(self, reply: asyncio.Future[Any]) -> None:
        """Wait for Asterisk's answer to a reload; ApplyFailed unless it succeeded."""
        try:
            async with asyncio.timeout(5):
                answer = await reply
            if not getattr(answer, "success", False):
                raise ConnectionError(f"Asterisk refused to reload acl: {dict(answer)!r}")
        except Exception as e:
            self._dirty = True
            raise self._note_failure(e) from e
        if self._failing is not None:
            log.warning("SIP: the blocks are applied in Asterisk again")
            self._failing = None

    def _note_failure(self, e: BaseException) -> ApplyFailed:
        message = f"{type(e).__name__}: {e}"
        if self._failing is None:
            log.error("SIP: could not apply the blocks in Asterisk (%s); retrying every "
                      "%.0f s", message, RETRY_SECONDS)
        self._failing = message
        return ApplyFailed(f"the engine keeps the SIP blocks but Asterisk did not take them yet "
                           f"({message}); retrying")

    def _stamp_acl(self) -> None:
        """A modification time no earlier write had: Asterisk reloads a config file only
        if its size or modification time changed, and two writes of the same size within
        one kernel tick would otherwise look alike."""
        stamp = max(time.time_ns(), self._last_acl_ns + 1000)
        os.utime(self.etc_dir / "acl.conf", ns=(stamp, stamp))
        self._last_acl_ns = stamp

    # ------------------------------------------------------------------ for the API
    def blocks(self) -> list[Block]:
        return self.table.active()

    async def lift(self, address: str, by: str) -> Block | None:
        """Lift the block on ``address`` now (None if it was not blocked); ApplyFailed if
        Asterisk did not take it yet (the guard keeps trying)."""
        block = self.table.lift(address)
        if block is None:
            return None
        log.info("SIP: unblocked %s: lifted by %s (it was: %s)", address, by, block.reason)
        self._dirty = True
        try:
            await self.apply()
        except ApplyFailed:
            self._changed.set()  # the guard's task retries
            raise
        return block
