"""Asterisk is supervised: when it dies, the engine says so at once, ends what was on it and
starts it again.

Asterisk counts as lost when its process exits, or when ARI's event websocket is down for
more than ``grace`` seconds and ARI does not answer a request either (a hung Asterisk is
then killed). The engine is told (``on_lost``: its calls end with reason
``asterisk_lost``, their agents are freed), Asterisk is started again (retrying with
growing waits while it fails), and once ARI is connected again ``on_back`` runs. Each
outage is logged once when it starts and once when it ends. An Asterisk the engine does
not manage (``asterisk.manage: false``) is watched through ARI alone and never restarted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.router import AriEventRouter
from ccengine.telephony.asterisk.process import AsteriskProcess, AsteriskStartError

log = logging.getLogger(__name__)

Hook = Callable[[str], Awaitable[None]]


class AsteriskSupervisor:
    def __init__(self, process: AsteriskProcess | None, ari: AriClient,
                 router: AriEventRouter, *, on_lost: Hook,
                 on_back: Callable[[], Awaitable[None]], grace: float = 2.0,
                 poll: float = 0.2) -> None:
        self.process, self.ari, self.router = process, ari, router
        self.on_lost, self.on_back = on_lost, on_back
        self.grace, self.poll = grace, poll
        self.up = True                    # Asterisk usable right now
        self.outages = 0
        self.lost_at: float | None = None
        self.last_outage: dict[str, object] | None = None

    async def run(self) -> None:
        """Watch forever (a task of the engine's; cancel it to stop)."""
        while True:
            reason = await self._until_lost()
            await self._recover(reason)

    async def _until_lost(self) -> str:
        while True:
            await asyncio.sleep(self.poll)
            if self.process is not None and not self.process.alive():
                return "the Asterisk process exited"
            down = self.ari.down_since
            if not self.ari.events_up and down is not None \
                    and asyncio.get_running_loop().time() - down > self.grace \
                    and not await self._ari_answers():
                return f"ARI silent for over {self.grace:g} s"

    async def _ari_answers(self) -> bool:
        try:
            async with asyncio.timeout(1.0):
                await self.ari.request("GET", "/asterisk/info")
            return True
        except (TimeoutError, AriError):
            return False

    async def _recover(self, reason: str) -> None:
        self.up = False
        self.outages += 1
        self.lost_at = time.time()
        started = asyncio.get_running_loop().time()
        self.router.connected.clear()   # set again by the event stream's reconnection
        log.error("Asterisk lost (%s): ending its calls%s", reason,
                  " and starting it again" if self.process else "")
        try:
            await self.on_lost(reason)
        except Exception:
            log.exception("ending the calls of a lost Asterisk failed")
        if self.process is not None:
            await self._restart()
        await self.router.connected.wait()
        try:
            await self.on_back()
        except Exception:
            log.exception("resuming after Asterisk came back failed")
        took = asyncio.get_running_loop().time() - started
        self.last_outage = {"reason": reason, "at": self.lost_at, "seconds": round(took, 1)}
        self.up = True
        log.info("Asterisk back after %.1f s (outage %d: %s)", took, self.outages, reason)

    async def _restart(self) -> None:
        assert self.process is not None
        wait = 1.0
        while True:
            if self.process.alive():
                await self.process.stop(timeout=2.0)   # hung: it answers nothing
            try:
                await self.process.start()
                return
            except AsteriskStartError as e:
                log.error("Asterisk did not start again: %s; retrying in %.0f s", e, wait)
            await asyncio.sleep(wait)
            wait = min(30.0, wait * 2)
