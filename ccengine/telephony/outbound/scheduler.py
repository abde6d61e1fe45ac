"""Callback requests enter their queue at their time: a tracked task looks for due requests
in the SQL store every ``callbacks.poll_seconds`` and places each (atomically: with several
engine nodes, one of them takes it). At start, requests that were queued or being attempted
when the engine stopped, and whose live interaction is gone, are scheduled again at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from ccengine.core.errors import UnknownInteraction
from ccengine.dispatcher import Dispatcher
from ccengine.store.callbacks import CallbackRepository
from ccengine.telephony.outbound.requests import CallbackRequests

log = logging.getLogger(__name__)


class CallbackScheduler:
    def __init__(self, repo: CallbackRepository, requests: CallbackRequests,
                 dispatcher: Dispatcher, *, clock: Callable[[], float],
                 poll_seconds: float = 1.0) -> None:
        self.repo, self.requests, self.dispatcher = repo, requests, dispatcher
        self.clock, self.poll_seconds = clock, poll_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.recover()
        self._task = asyncio.ensure_future(self._run())
        self._task.set_name("callback-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def recover(self) -> int:
        """Schedule again (due now) requests whose live interaction did not survive."""
        count = 0
        for row in await self.repo.list(states=("queued", "in_progress"), limit=1000):
            try:
                await self.dispatcher.live_interaction(row["interaction_id"])
                continue
            except UnknownInteraction:
                pass
            if await self.repo.move(row["id"], ("queued", "in_progress"), state="scheduled",
                                    due_at=min(row["due_at"], self.clock())):
                count += 1
        if count:
            log.info("%d callback request(s) scheduled again after a restart", count)
        return count

    async def tick(self) -> int:
        """Place every due request; returns how many this node placed."""
        placed = 0
        for row in await self.repo.due(self.clock()):
            try:
                if await self.requests.place(row):
                    placed += 1
            except Exception:
                log.exception("callback %s could not be placed", row["id"])
        return placed

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("callback scheduler tick failed")
            await asyncio.sleep(self.poll_seconds)
