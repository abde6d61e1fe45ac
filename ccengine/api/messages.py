"""The messages of a conversation handled in the desktop (chat, email):

- ``GET /api/interactions/{id}/messages``: the stored conversation, oldest first, for the
  agent offered or holding it (and after it ended, the agent who handled it), supervisors
  and admins; a channel with a ``conversation`` method gives its own view (email: the
  whole thread), otherwise each message carries its plain ``text`` and an HTML-escaped
  ``html``;
- ``POST /api/interactions/{id}/messages`` ``{"text": ...}``: the agent holding the work
  writes to the customer (its channel stores it, then delivers it).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from aiohttp import web

from ccengine.api.http import DISPATCHER, INTERACTIONS, _json_body, current_user, error
from ccengine.channels.chat.frames import message_payload
from ccengine.core.agent_state import SlotState
from ccengine.core.errors import UnknownInteraction
from ccengine.core.interaction import Interaction
from ccengine.store.messages import MessageRepository, MessageView

MESSAGES = web.AppKey("messages", MessageRepository)


@runtime_checkable
class ConversationChannel(Protocol):
    """A channel that presents an interaction's conversation its own way."""

    async def conversation(self, interaction_id: str) -> list[dict[str, Any]]: ...


@runtime_checkable
class MessagingChannel(Protocol):
    """A channel whose agents write messages through the API."""

    async def send_message(self, interaction_id: str, agent_id: str,
                           text: object) -> MessageView: ...


async def _live(request: web.Request, interaction_id: str) -> Interaction | None:
    try:
        return await request.app[DISPATCHER].live_interaction(interaction_id)
    except UnknownInteraction:
        return None


async def list_messages(request: web.Request) -> web.Response:
    user = current_user(request)
    interaction_id = request.match_info["interaction_id"]
    live = await _live(request, interaction_id)
    stored: Any = await request.app[INTERACTIONS].get(interaction_id)
    if live is None and stored is None:
        raise error(404, "interaction_not_found", f"no interaction {interaction_id!r}")
    if user.role == "agent":
        stored_agent = stored.get("agent_id") if isinstance(stored, dict) else None
        if user.id not in (live.agent_id if live else None, stored_agent):
            raise error(403, "forbidden", "agents see only their own conversations")
    medium = live.medium.value if live else stored.get("medium") if isinstance(stored, dict) \
        else None
    channel = request.app[DISPATCHER].registered_channel(medium)
    if isinstance(channel, ConversationChannel):
        payload = await channel.conversation(interaction_id)
    else:
        payload = [message_payload(m)
                   for m in await request.app[MESSAGES].for_interaction(interaction_id)]
    return web.json_response({"interaction_id": interaction_id, "messages": payload})


async def post_message(request: web.Request) -> web.Response:
    user = current_user(request)
    interaction_id = request.match_info["interaction_id"]
    dispatcher = request.app[DISPATCHER]
    interaction = await dispatcher.live_interaction(interaction_id)  # 404 if not live
    channel = dispatcher.channel(interaction.medium)
    if not isinstance(channel, MessagingChannel):
        raise error(409, "not_supported", f"{interaction.medium} work takes no messages "
                                          "through the API")
    if interaction.agent_id != user.id:
        raise error(403, "forbidden", f"interaction {interaction_id} is not held by "
                                      f"{user.id}")
    live = await dispatcher.state.get_agent(user.id)
    slot = live.slot(interaction_id) if live is not None else None
    if slot is None or slot.state != SlotState.BUSY:
        raise error(409, "not_accepted", f"accept interaction {interaction_id} before "
                                         "writing to the customer")
    body = await _json_body(request)
    if "text" not in body:
        raise error(400, "bad_text", "the body must be {\"text\": \"...\"}")
    view = await channel.send_message(interaction_id, user.id, body["text"])
    return web.json_response(message_payload(view), status=201)


def add_routes(app: web.Application, messages: MessageRepository) -> None:
    """Register the routes once (several channels may ask for them)."""
    if MESSAGES in app:
        return
    app[MESSAGES] = messages
    app.router.add_get("/api/interactions/{interaction_id}/messages", list_messages)
    app.router.add_post("/api/interactions/{interaction_id}/messages", post_message)
