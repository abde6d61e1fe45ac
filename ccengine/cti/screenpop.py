"""The agent's feed: each agent's websocket(s) receive a ``hello`` with the agent's state
when opened, a ``state`` frame on every change of that agent's state, and the screen pop
(``offer``) the moment work is offered to that agent; nothing meant for anyone else."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ccengine.core.errors import UnknownAgent
from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionCancelled,
    InteractionEnded,
    InteractionOffered,
    InteractionQueued,
    InteractionRequeued,
    InteractionUpdated,
)
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.preferences import preferences_of, why

log = logging.getLogger(__name__)

Enricher = Callable[[Interaction], Awaitable[dict[str, Any]]]


class FeedSocket(Protocol):
    async def send_json(self, data: Any) -> None: ...

    async def close(self) -> Any: ...


class LiveViews(Protocol):
    """What the feed reads of live state (the Dispatcher provides it)."""

    async def agent_view(self, agent_id: str) -> dict[str, Any]: ...

    def offer_expires_at(self, medium: Medium, offered_at: float) -> float: ...


# the history events of a preview campaign's call its agent's feed hears (CallbackChannel
# records them; the latest says whether the preview waits for the agent)
PREVIEW_EVENTS = frozenset({"preview", "preview_call", "preview_call_failed", "preview_skip"})


def offer_payload(interaction: Interaction, agent_id: str | None, at: float,
                  expires_at: float | None = None) -> dict[str, Any]:
    """The screen-pop JSON for an offer made at ``at`` that is taken back at
    ``expires_at`` if nobody takes it (customer details are added by an enricher)."""
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
        "expires_at": expires_at,
        # named-contact routing: why this agent got it ("you are this customer's account
        # manager"), when they are one of the customer's preferred agents; else null
        "why": _why(interaction, agent_id, at),
        # what the customer wrote about, as the intent classifier read it: {"name",
        # "confidence"} or null
        "intent": attrs.get("intent"),
        # a campaign's call: which campaign and step, and how it is dialled ({"id",
        # "name", "step", "mode"}: a preview waits for the agent to call), else null
        "campaign": _campaign(attrs.get("campaign")),
        "customer": None,
    }


def _campaign(info: Any) -> dict[str, Any] | None:
    if not isinstance(info, dict) or "id" not in info:
        return None
    return {"id": info["id"], "name": info.get("name"), "step": info.get("step"),
            "mode": info.get("mode") or "progressive"}


def _why(interaction: Interaction, agent_id: str | None, at: float) -> str | None:
    for p in preferences_of(interaction):
        if p.agent_id == agent_id:
            return why(p.reason, p.at, at)
    return None


class ScreenPopFeed:
    """Keeps every agent's open feed sockets and pushes frames to the right ones. With
    ``views`` (live state) the hello carries the agent's state, every AgentStateChanged of
    an agent with an open feed becomes a ``state`` frame and offers say when they end."""

    def __init__(self, enrich: Enricher | None = None,
                 views: LiveViews | None = None) -> None:
        self._sockets: dict[str, set[FeedSocket]] = defaultdict(set)
        # sockets whose hello is not sent yet: what is meant for them meanwhile waits here
        self._pending: dict[FeedSocket, list[dict[str, Any]]] = {}
        self._enrich = enrich
        self.views = views
        # the customer part of pops being made while their work waits (see _prepare)
        self._customers: dict[str, asyncio.Task[dict[str, Any] | None]] = {}

    def add(self, agent_id: str, socket: FeedSocket) -> None:
        self._sockets[agent_id].add(socket)

    def remove(self, agent_id: str, socket: FeedSocket) -> None:
        self._sockets[agent_id].discard(socket)
        self._pending.pop(socket, None)

    async def open(self, agent_id: str, socket: FeedSocket) -> None:
        """Add a socket and send it the hello, ``{"type": "hello", "agent_id", "agent"}``
        (``agent``: the agent's state, null for a user who is not an agent), before
        anything else: frames meant for it meanwhile follow the hello in order."""
        self._pending[socket] = []
        self.add(agent_id, socket)
        try:
            await socket.send_json({"type": "hello", "agent_id": agent_id,
                                    "agent": await self._agent(agent_id)})
            queued = self._pending.get(socket, [])
            while queued:
                await socket.send_json(queued.pop(0))
        finally:
            self._pending.pop(socket, None)

    async def _agent(self, agent_id: str) -> dict[str, Any] | None:
        if self.views is None:
            return None
        try:
            return await self.views.agent_view(agent_id)
        except UnknownAgent:
            return None

    async def pop(self, interaction: Interaction, agent_id: str | None, at: float,
                  expires_at: float | None = None) -> dict[str, Any]:
        """The screen pop of ``interaction`` for ``agent_id`` (offered at ``at``), with
        the customer part when an enricher is set (made while the work waited, if it was)."""
        payload = offer_payload(interaction, agent_id, at, expires_at)
        if self._enrich is not None:
            prepared = self._customers.pop(interaction.id, None)
            try:
                payload["customer"] = await (prepared if prepared is not None
                                             else self._enrich(interaction))
            except Exception:
                log.exception("screen-pop enrichment failed for %s", interaction.id)
        return payload

    def _prepare(self, interaction: Interaction) -> None:
        """Work entered a queue while some desk is open here: its customer part (several
        store reads) is made now, while it waits, so that its offer leaves at once (and the
        offer is not held up behind those reads)."""
        if self._enrich is None or not any(self._sockets.values()):
            return
        previous = self._customers.pop(interaction.id, None)
        if previous is not None:
            previous.cancel()
        task = asyncio.ensure_future(self._enrich(interaction))
        task.add_done_callback(_quiet)
        self._customers[interaction.id] = task

    def _forget(self, interaction_id: str) -> None:
        task = self._customers.pop(interaction_id, None)
        if task is not None:
            task.cancel()

    async def on_event(self, event: Event) -> None:
        if isinstance(event, AgentStateChanged):
            await self._state_changed(event)
        elif isinstance(event, InteractionQueued | InteractionRequeued):
            self._prepare(event.interaction)
        elif isinstance(event, InteractionUpdated) and event.kind == "classified" \
                and event.interaction.id in self._customers:
            self._prepare(event.interaction)   # its intent changes the pop (its prompts)
        elif isinstance(event, InteractionUpdated) and event.kind in PREVIEW_EVENTS:
            await self._preview(event)
        elif isinstance(event, InteractionEnded | InteractionCancelled):
            self._forget(event.interaction.id)
        elif isinstance(event, InteractionOffered):
            if not self._sockets.get(event.agent_id):
                self._forget(event.interaction.id)
                return  # no desktop open here: nobody would see the pop
            medium = event.interaction.medium
            expires = self.views.offer_expires_at(medium, event.at) if self.views else None
            await self.send(event.agent_id, await self.pop(event.interaction, event.agent_id,
                                                           event.at, expires))

    async def _preview(self, event: InteractionUpdated) -> None:
        """A preview campaign's call moved on: its agent's desk hears it (their own phone
        not answering after Call gives the preview back to decide again)."""
        data = event.interaction.events[-1].data if event.interaction.events else {}
        agent_id = data.get("agent_id")
        if isinstance(agent_id, str) and self._sockets.get(agent_id):
            await self.send(agent_id, {"type": "preview",
                                       "interaction_id": event.interaction.id,
                                       "event": event.kind, "outcome": data.get("outcome"),
                                       "at": event.at})

    async def _state_changed(self, event: AgentStateChanged) -> None:
        if not self._sockets.get(event.agent_id) or self.views is None:
            return
        agent = await self._agent(event.agent_id)
        if agent is None:
            return
        await self.send(event.agent_id, {
            "type": "state", "agent": agent, "cause": event.cause, "reason": event.reason,
            "by": event.data.get("by"), "interaction_id": event.data.get("interaction_id"),
            "at": event.at})

    async def close_all(self) -> None:
        """Close every open feed socket (the engine is stopping)."""
        sockets = [s for group in self._sockets.values() for s in group]
        self._sockets.clear()
        self._pending.clear()
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)

    async def send(self, agent_id: str, payload: dict[str, Any]) -> None:
        sockets = []
        for socket in list(self._sockets.get(agent_id, ())):
            if socket in self._pending:
                self._pending[socket].append(payload)  # after its hello
            else:
                sockets.append(socket)
        results = await asyncio.gather(*(s.send_json(payload) for s in sockets),
                                       return_exceptions=True)
        for socket, result in zip(sockets, results, strict=True):
            if isinstance(result, Exception):
                log.info("dropping a dead feed socket of %s: %s", agent_id, result)
                self.remove(agent_id, socket)


def _quiet(task: asyncio.Task[Any]) -> None:
    """A prepared customer part nobody took (its work ended first): its error, if any, is
    logged here, not lost."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("screen-pop preparation failed: %s", task.exception())
