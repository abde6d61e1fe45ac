"""The queues and agents both nodes of the two-node test share."""

from __future__ import annotations

from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig

QUEUES = {
    "sales": QueueConfig("sales", frozenset({Medium.VOICE, Medium.CHAT}), {"sales": 1},
                         wrapup_seconds=0),
    "support": QueueConfig("support", frozenset({Medium.VOICE, Medium.CHAT}), {"support": 1},
                           wrapup_seconds=0),
}
AGENTS = {
    f"agent{n}": AgentProfile(
        f"agent{n}", f"Agent {n}",
        {"sales": 5} if n % 3 == 0 else {"support": 5} if n % 3 == 1 else
        {"sales": 3, "support": 3},
        {Medium.VOICE: 1, Medium.CHAT: 3},
        blocks={Medium.VOICE: frozenset({Medium.CHAT})})
    for n in range(30)
}
