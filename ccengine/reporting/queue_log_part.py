"""The queue log in the running engine (``reporting.queue_log``, docs/queue_log.md): the
feed subscribed to the dispatcher, writing to the file; a reload (SIGHUP) reopens the file,
moves it to a new path, or turns it on or off."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from ccengine.core.events import Event
from ccengine.reporting.queue_log_feed import QueueLogFeed
from ccengine.reporting.queue_log_file import QueueLogFile

if TYPE_CHECKING:
    from ccengine.engine import Engine
    from ccengine.settings import Settings


class QueueLog:
    """The queue log of one engine: off while ``path`` is None."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.file: QueueLogFile | None = None
        self.feed: QueueLogFeed | None = None

    def set_path(self, path: Path | None) -> None:
        """Write to ``path`` from now on (None: stop writing); the same path: reopen it."""
        if path is None:
            self.close()
            return
        if self.file is not None:
            self.file.retarget(path)
            return
        self.file = QueueLogFile(path)
        dispatcher, voice = self.engine.dispatcher, self.engine.voice
        if dispatcher is None:
            raise RuntimeError("the queue log starts after the dispatcher")

        def agent_leg(interaction_id: str) -> str | None:
            call = voice.calls.get(interaction_id) if voice is not None else None
            return call.agent_channel if call is not None else None
        # calls already up when the log starts (a restart, a reload turning it on) go on
        # in it from their next step
        self.feed = QueueLogFeed(self.file.write, queues=lambda: dispatcher.queues,
                                 profiles=lambda: dispatcher.profiles, agent_leg=agent_leg,
                                 since=time.time(), node=self.engine.node)

    def on_event(self, event: Event) -> None:
        if self.feed is not None:
            self.feed.on_event(event)

    def reload(self, settings: Settings) -> None:
        self.set_path(settings.config.queue_log)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        self.file = self.feed = None


async def start(engine: Engine) -> None:
    """Subscribe the queue log to the dispatcher (it writes only while configured)."""
    if engine.dispatcher is None:
        raise RuntimeError("the queue log starts after the dispatcher")
    queue_log = QueueLog(engine)
    queue_log.set_path(engine.config.queue_log)
    unsubscribe = engine.dispatcher.subscribe(queue_log.on_event)
    engine._stack.callback(queue_log.close)
    engine._stack.callback(unsubscribe)   # first out: no event after the file is closed
    engine.reloaders.append(queue_log.reload)
