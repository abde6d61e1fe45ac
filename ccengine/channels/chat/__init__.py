"""Web chat in the one queue model: visitors chat from a widget embedded in any site
(``agents/widget/chat-widget.js``); chats queue (Medium.CHAT), are offered to agents with
chat capacity, and are answered through the API.

- ``config``: the ``chat:`` section (ChatSettings, validated with ConfigError)
- ``channel``: ChatChannel, the adapter (sessions, messages, endings, idle/grace sweeps)
- ``visitor_http``: the public visitor routes (/chat/sessions, /chat/ws, /chat/widget.js)
- ``visitors``: linking a visitor's name/email/phone to a customer
- ``callbacks``: a visitor's callback request becomes a callback interaction
- ``frames``, ``text``, ``sessions``, ``ratelimit``: frames, plain-text rules, tokens, limits
"""

from __future__ import annotations

from aiohttp import web

from ccengine.channels.chat.channel import ChatChannel
from ccengine.channels.chat.config import ChatSettings, load_chat_settings
from ccengine.store.messages import MessageRepository

__all__ = ["ChatChannel", "ChatSettings", "add_routes", "load_chat_settings"]


def add_routes(app: web.Application, channel: ChatChannel,
               messages: MessageRepository) -> None:
    """The visitor routes (public) and the agents' message routes (authenticated)."""
    from ccengine.api.messages import add_routes as add_message_routes
    from ccengine.channels.chat.visitor_http import add_visitor_routes
    add_visitor_routes(app, channel)
    add_message_routes(app, messages)
