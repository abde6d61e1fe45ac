"""The agent's side of email: reply (and close). The conversation is read with
``GET /api/interactions/{id}/messages`` (ccengine/api/messages.py: the whole thread).

``POST /api/interactions/{id}/reply`` ``{"body": "...",
"close": true, "reason": "resolved"}``: the agent holding it (an offered agent's reply
accepts it), or a supervisor/admin (recorded as ``by``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ccengine.api.http import DISPATCHER, INTERACTIONS, _json_body, current_user, error
from ccengine.channels.email.ingest import public_message
from ccengine.channels.email.service import EmailChannel, NoRecipient, NotEmail
from ccengine.core.agent_state import SlotState
from ccengine.core.errors import UnknownInteraction
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium

EMAIL = web.AppKey("email_channel", EmailChannel)
MAX_BODY = 100_000
MAX_REASON = 200


def _reply_body(body: dict[str, Any]) -> tuple[str, bool, str]:
    text = body.get("body")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_BODY:
        raise error(400, "bad_body", f"body must be non-empty text of at most {MAX_BODY} "
                                     "characters")
    close = body.get("close", False)
    if not isinstance(close, bool):
        raise error(400, "bad_close", "close must be true or false")
    reason = body.get("reason", "replied")
    if not isinstance(reason, str) or not reason or len(reason) > MAX_REASON:
        raise error(400, "bad_reason", f"reason must be a string of 1-{MAX_REASON} characters")
    return text, close, reason


async def _slot_state(request: web.Request, agent_id: str, interaction_id: str
                      ) -> SlotState | None:
    live = await request.app[DISPATCHER].state.get_agent(agent_id)
    slot = live.slot(interaction_id) if live is not None else None
    return slot.state if slot is not None else None


async def reply(request: web.Request) -> web.Response:
    user = current_user(request)
    channel = request.app[EMAIL]
    text, close, reason = _reply_body(await _json_body(request))
    interaction_id = request.match_info["interaction_id"]
    try:
        interaction: Interaction = await request.app[DISPATCHER].live_interaction(
            interaction_id)
    except UnknownInteraction:
        if await request.app[INTERACTIONS].get(interaction_id) is None:
            raise
        raise error(409, "interaction_ended", f"interaction {interaction_id} is over; a "
                    "customer's new mail opens a new one") from None
    if interaction.medium != Medium.EMAIL:
        raise error(409, "not_email", f"interaction {interaction_id} is "
                                      f"{interaction.medium}, not email")
    agent = interaction.agent_id
    if user.role not in ("supervisor", "admin") and agent != user.id:
        raise error(403, "forbidden", f"interaction {interaction_id} is not held by {user.id}")
    state = await _slot_state(request, agent, interaction_id) if agent else None
    if agent == user.id and state == SlotState.OFFERED:
        interaction = await channel.accept(interaction_id, user.id)  # replying takes it
        state = SlotState.BUSY
    if close and state != SlotState.BUSY:
        raise error(409, "not_held", f"interaction {interaction_id} is not being worked by "
                    "an agent, so it cannot be closed; reply without close")
    try:
        sent = await channel.reply(interaction, text, by=user.id)
    except (NoRecipient, NotEmail) as e:
        raise error(409, e.code, str(e)) from e
    if close and agent is not None:
        data = {"reason": reason}
        if agent != user.id:
            data["closed_by"] = user.id
        await channel.close(interaction_id, agent, **data)
    return web.json_response({"message": public_message(sent), "closed": close}, status=202)


def add_routes(app: web.Application, channel: EmailChannel) -> None:
    app[EMAIL] = channel
    app.router.add_post("/api/interactions/{interaction_id}/reply", reply)
