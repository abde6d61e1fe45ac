"""The screen pop again, after the desk's page was reloaded:
``GET /api/interactions/{id}/pop`` answers the offer's payload (the same ``offer_payload``
and customer enrichment as the feed's ``offer`` frame).

An interaction counts as live here while it is in live state (queued, offered, worked) or
while an agent still wraps it up: the dispatcher drops the interaction when it ends but the
agent's wrap-up slot stays, and the pop is then built from the stored record (the recorder
saved it as it ended). Agents get the pop of work they hold a slot on (offered, busy or
wrap-up); supervisors and admins of any live work. Not live: 404 ``interaction_not_found``;
someone else's: 403 ``forbidden``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ccengine.api.http import DISPATCHER, FEED, INTERACTIONS, current_user, error
from ccengine.core.agent_state import Slot, SlotState
from ccengine.core.errors import UnknownInteraction
from ccengine.core.interaction import Interaction, InteractionEvent
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher

STAFF = ("supervisor", "admin")


def stored_interaction(view: Mapping[str, Any]) -> Interaction:
    """An interaction rebuilt from its stored record (InteractionRepository.get)."""
    stamps = view.get("timestamps") or {}
    return Interaction(
        id=view["id"], medium=Medium(view["medium"]), queue=view.get("queue"),
        priority=int(view.get("priority") or 0), customer_id=view.get("customer_id"),
        attributes=dict(view.get("attributes") or {}),
        created_at=float(stamps.get("entered") or 0.0), enqueued_at=stamps.get("queued"),
        agent_id=view.get("agent_id"),
        events=[InteractionEvent(e["kind"], e["at"], dict(e.get("data") or {}))
                for e in view.get("events", [])])


async def pop(request: web.Request) -> web.Response:
    user = current_user(request)
    interaction_id = request.match_info["interaction_id"]
    dispatcher = request.app[DISPATCHER]
    try:
        interaction: Interaction | None = await dispatcher.live_interaction(interaction_id)
    except UnknownInteraction:
        interaction = None
    holders = await dispatcher.holders(interaction_id)
    if interaction is None and not holders:
        raise error(404, "interaction_not_found", f"interaction {interaction_id} is not live")
    if user.role in STAFF:
        agent_id = interaction.agent_id if interaction and interaction.agent_id \
            else next(iter(holders), None)
    elif user.id in holders:
        agent_id = user.id
    else:
        raise error(403, "forbidden", f"{user.id} holds no work on {interaction_id}")
    if interaction is None:  # only wrap-up is left: the stored record
        record: Any = await request.app[INTERACTIONS].get(interaction_id)
        if record is None:
            raise error(404, "interaction_not_found", f"no record of {interaction_id}")
        interaction = stored_interaction(record)
    slot = holders.get(agent_id) if agent_id else None
    at, expires_at = _offer_times(dispatcher, interaction, slot)
    payload = await request.app[FEED].pop(interaction, agent_id, at, expires_at)
    return web.json_response(payload)


def _offer_times(dispatcher: Dispatcher, interaction: Interaction, slot: Slot | None
                 ) -> tuple[float, float | None]:
    """When the work was offered, and when a still pending offer ends (else None)."""
    if slot is not None and slot.state == SlotState.OFFERED:
        return slot.since, dispatcher.offer_expires_at(interaction.medium, slot.since)
    offered = interaction.timestamp("offered")
    return (offered if offered is not None else slot.since if slot else
            interaction.created_at), None


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/interactions/{interaction_id}/pop", pop)
