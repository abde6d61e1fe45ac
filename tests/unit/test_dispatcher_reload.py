"""A reload's new queues and agents in the dispatcher: what comes next is routed with them;
a queue removed keeps what waits in it (routed with its old settings) until that is served,
then goes; an agent removed keeps the work in hand, is offered nothing more, and goes once
free; a new agent starts logged out."""

from __future__ import annotations

from ccengine.core.agent import AgentProfile
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from tests.unit.test_dispatcher import Clock, RecordingChannel, state

SALES = QueueConfig("sales", frozenset({Medium.VOICE}), {"sales": 1}, wrapup_seconds=0)
SUPPORT = QueueConfig("support", frozenset({Medium.VOICE}), {"sales": 1}, wrapup_seconds=0)
ALICE = AgentProfile("alice", "Alice", {"sales": 5})
BOB = AgentProfile("bob", "Bob", {"sales": 5})
CAROL = AgentProfile("carol", "Carol", {"sales": 5})


async def test_given_work_in_a_removed_queue_and_agent_when_reloaded_then_drained() -> None:
    d = Dispatcher(MemoryState(), {"sales": SALES, "support": SUPPORT}, {"alice": ALICE,
                                                                        "bob": BOB},
                   clock=Clock(), offer_timeout=20, tick_seconds=3600)
    channel = RecordingChannel()
    d.register_channel(channel)
    await d.start()
    await d.login("alice")
    await d.enqueue(Interaction("c1", Medium.VOICE, queue="support", created_at=1.0))
    await d.offer_accepted("c1", "alice")                     # alice talks on support's call
    await d.enqueue(Interaction("c2", Medium.VOICE, queue="support", created_at=2.0))

    await d.reconfigure({"sales": SALES}, {"bob": BOB, "carol": CAROL}, 30)
    assert d.draining == {"support"} and d.retired == {"alice"}
    assert "support" in d.queues and d.offer_timeout == 30
    assert await state(d, "carol") == "logged_out"             # new: logged out
    await d.login("carol")
    assert channel.offers[-1] == ("c2", "carol")                # support's waiting call served
    await d.offer_accepted("c2", "carol")
    await d.interaction_ended("c1", "alice")
    await d.interaction_ended("c2", "carol")
    await d.tick()
    assert d.draining == set() and "support" not in d.queues   # nothing left in it: gone
    assert d.retired == set() and "alice" not in d.profiles    # no work in hand: gone
    await d.enqueue(Interaction("c3", Medium.VOICE, queue="sales", created_at=3.0))
    assert channel.offers[-1] == ("c3", "carol")                # alice is offered nothing
    await d.stop()
