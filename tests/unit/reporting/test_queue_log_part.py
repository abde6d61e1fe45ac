"""The queue log in the engine: a reload moves it, turns it off and on again (the dispatcher
is real, over memory state; the rest of the engine is not needed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.reporting.queue_log_part import QueueLog
from ccengine.state.memory import MemoryState


async def test_given_reloads_when_path_changes_or_is_off_then_lines_follow(tmp_path: Path
                                                                            ) -> None:
    d = Dispatcher(MemoryState(), {"sales": QueueConfig("sales", frozenset({Medium.VOICE}))},
                   {"alice": AgentProfile("alice", "Alice")}, tick_seconds=3600)
    engine = SimpleNamespace(dispatcher=d, voice=None, node="here")
    log = QueueLog(engine)  # type: ignore[arg-type]
    d.subscribe(log.on_event)
    await d.start()
    first, second = tmp_path / "a" / "queue_log", tmp_path / "b" / "queue_log"
    log.set_path(first)
    await d.login("alice")
    log.set_path(second)               # a reload with another path
    await d.set_not_ready("alice", "lunch")
    log.set_path(None)                 # turned off
    await d.set_available("alice")
    log.set_path(second)               # on again: appends
    await d.logout("alice")
    log.close()
    await d.stop()
    events = [[x.split("|")[4] for x in p.read_text().splitlines()] for p in (first, second)]
    assert events == [["AGENTLOGIN"], ["PAUSEALL", "PAUSE", "AGENTLOGOFF"]]
