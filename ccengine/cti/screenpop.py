"""The screen-pop feed: each agent's websocket(s) receive a JSON event the moment work is
offered to that agent, and nothing meant for anyone else."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ccengine.core.events import Event, InteractionOffered
from ccengine.core.interaction import Interaction

log = logging.getLogger(__name__)

Enricher = Callable[[Interaction], Awaitable[dict[str, Any]]]


class FeedSocket(Protocol):
    async def send_json(self, data: Any) -> None: ...

    async def close(self) -> Any: ...


def offer_payload(interaction: Interaction, agent_id: str, at: float) -> dict[str, Any]:
    """The screen-pop JSON for an offer (customer details are added by an enricher)."""
    queued = interaction.timestamp("queued") or interaction.enqueued_at or interaction.created_at
    attrs = interaction.attributes
    return {
        "type": "offer",
        "interaction_id": interaction.id,
        "medium": str(interaction.medium),
        "agent_id": agent_id,
        "queue": interaction.queue,
        "caller_number": attrs.get("caller_number"),
        "caller_name": attrs.get("caller_name"),
        "ivr_path": list(attrs.get("ivr_path", [])),
        # the caller's IVR language and what they entered or lookups found (masked
        # where the flow marks an input sensitive)
        "ivr_language": attrs.get("ivr_language"),
        "ivr_vars": dict(attrs.get("ivr_vars", {})),
        # what a channel wants the desktop to show for its medium (an email's subject and
        # sender, a chat's first message...), set by the adapter in attributes["pop"]
        "details": dict(attrs.get("pop", {})),
        "wait_seconds": round(max(0.0, at - queued), 3),
        "offered_at": at,
        "customer": None,
    }


class ScreenPopFeed:
    """Keeps every agent's open feed sockets and pushes offers to the right ones."""

    def __init__(self, enrich: Enricher | None = None) -> None:
        self._sockets: dict[str, set[FeedSocket]] = defaultdict(set)
        self._enrich = enrich

    def add(self, agent_id: str, socket: FeedSocket) -> None:
        self._sockets[agent_id].add(socket)

    def remove(self, agent_id: str, socket: FeedSocket) -> None:
        self._sockets[agent_id].discard(socket)

    async def on_event(self, event: Event) -> None:
        if isinstance(event, InteractionOffered):
            if not self._sockets.get(event.agent_id):
                return  # no desktop open here: nobody would see the pop
            payload = offer_payload(event.interaction, event.agent_id, event.at)
            if self._enrich is not None:
                try:
                    payload["customer"] = await self._enrich(event.interaction)
                except Exception:
                    log.exception("screen-pop enrichment failed for %s", event.interaction.id)
            await self.send(event.agent_id, payload)

    async def close_all(self) -> None:
        """Close every open feed socket (the engine is stopping)."""
        sockets = [s for group in self._sockets.values() for s in group]
        self._sockets.clear()
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)

    async def send(self, agent_id: str, payload: dict[str, Any]) -> None:
        sockets = list(self._sockets.get(agent_id, ()))
        results = await asyncio.gather(*(s.send_json(payload) for s in sockets),
                                       return_exceptions=True)
        for socket, result in zip(sockets, results, strict=True):
            if isinstance(result, Exception):
                log.info("dropping a dead feed socket of %s: %s", agent_id, result)
                self.remove(agent_id, socket)
