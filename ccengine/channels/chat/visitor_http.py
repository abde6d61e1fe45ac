"""The visitor's side of chat over HTTP, all public (no bearer token) and all under /chat/:

- ``POST /chat/sessions`` starts a chat (optional name, email, phone, entry point):
  201 ``{"chat_id", "token"}``; rate-limited per address and size-limited. A widget that
  offered its help search first sends ``"kb": {"searched", "articles", "opened"}`` (the
  ids of the articles it showed and those the visitor opened): it is kept on the chat's
  interaction as the attribute ``kb_self_service``, so reports can tell who searched and
  chatted anyway, and after which articles;
- ``GET /chat/kb?q=&language=`` the widget's self-service search: published articles
  ``{"id", "title", "excerpt", "url"}`` (``url`` the absolute public page), each counted
  ``shown`` on the channel ``widget``; rate-limited per address; 503 without a knowledge
  base;
- ``GET /chat/ws?token=...`` the chat's websocket (the token authorises that chat only);
- ``GET /chat/widget.js`` the embeddable widget, ``GET /chat/demo`` a page embedding it.

Browsers' ``Origin`` must be one of ``chat.allowed_origins`` (or the engine's own);
requests without one (not from a browser) are let through. Every answer of the JSON routes,
errors included, carries the CORS headers the page needs to read it.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.typedefs import Handler

from ccengine.api.http import error, public, received
from ccengine.api.knowledge import public_path
from ccengine.channels.chat.channel import ChatChannel
from ccengine.channels.chat.frames import error_frame, parse_visitor_frame
from ccengine.channels.chat.ratelimit import RateLimiter
from ccengine.channels.chat.sessions import ChatSession
from ccengine.channels.chat.text import check_optional
from ccengine.channels.chat.visitors import normalised_visitor
from ccengine.store.knowledge import LANGUAGE, LANGUAGE_MAX

log = logging.getLogger(__name__)

WIDGET_DIR = Path(__file__).resolve().parents[3] / "agents" / "widget"
MAX_SESSION_BODY = 16384      # room for a first message of 2000 characters, JSON-escaped
SESSION_FIELDS = frozenset({"name", "email", "phone", "entry", "kb", "message"})
KB_SUMMARY_FIELDS = frozenset({"searched", "articles", "opened"})
KB_IDS_MAX = 20                  # article ids in each list of a chat's kb summary
ARTICLE_ID_MAX = 2**31 - 1
KB_QUERY_MAX = 200               # characters of a visitor's search
KB_RESULTS = 5                   # articles a search answers
KB_SEARCHES_PER_MINUTE = 30      # searches per visitor address
CLOSE_CHAT_NOT_FOUND = 4404


def _origin(request: web.Request, channel: ChatChannel) -> str | None:
    """The request's Origin if a browser sent one it may use; HTTP 403 otherwise."""
    origin = request.headers.get("Origin")
    if origin is None:
        return None
    own = f"{request.scheme}://{request.host}".lower()
    if origin.lower() == own or channel.settings.origin_allowed(origin):
        return origin
    raise error(403, "origin_not_allowed", f"origin {origin!r} may not use this chat "
                "(chat.allowed_origins)")


def _cors(response: web.StreamResponse, origin: str | None) -> web.StreamResponse:
    """Let the page at ``origin`` (already allowed) read this answer."""
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response


def _cors_error(e: web.HTTPException, origin: str | None) -> web.HTTPException:
    _cors(e, origin)
    return e


def _too_large(size: int) -> web.HTTPException:
    body = json.dumps({"error": "too_large", "message": "the request body is limited to "
                                                        f"{MAX_SESSION_BODY} bytes"})
    return web.HTTPRequestEntityTooLarge(max_size=MAX_SESSION_BODY, actual_size=size,
                                         text=body, content_type="application/json")


async def _session_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_SESSION_BODY:
        raise _too_large(request.content_length)
    raw = await request.content.read(MAX_SESSION_BODY + 1)
    if len(raw) > MAX_SESSION_BODY:
        raise _too_large(len(raw))
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as e:   # RecursionError: nested too deeply
        raise error(400, "bad_json", f"request body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise error(400, "bad_json", "request body must be a JSON object")
    unknown = set(body) - SESSION_FIELDS
    if unknown:
        raise error(400, "unknown_field", f"unknown field(s) {sorted(unknown)}; known: "
                                          f"{sorted(SESSION_FIELDS)}")
    for key, value in body.items():
        if key != "kb" and value is not None and not isinstance(value, str):
            raise error(400, f"bad_{key}", f"{key} must be text")
    return body


def _kb_summary(value: Any) -> dict[str, Any] | None:
    """The widget's account of its help search before the chat (``kb`` of the body):
    ``{"searched": bool, "articles": [ids shown], "opened": [ids opened]}``, checked;
    None when not given."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise error(400, "bad_kb", "kb must be an object {searched, articles, opened}")
    unknown = set(value) - KB_SUMMARY_FIELDS
    if unknown:
        raise error(400, "bad_kb", f"unknown kb field(s) {sorted(unknown)}; known: "
                                   f"{sorted(KB_SUMMARY_FIELDS)}")
    searched = value.get("searched", False)
    if not isinstance(searched, bool):
        raise error(400, "bad_kb", "kb.searched must be true or false")
    summary: dict[str, Any] = {"searched": searched}
    for key in ("articles", "opened"):
        ids = value.get(key, [])
        if not isinstance(ids, list) or len(ids) > KB_IDS_MAX or not all(
                type(i) is int and 0 < i <= ARTICLE_ID_MAX for i in ids):
            raise error(400, "bad_kb", f"kb.{key} must be a list of at most {KB_IDS_MAX} "
                                       "article ids (positive integers)")
        summary[key] = list(dict.fromkeys(ids))
    return summary


def _kb_query(request: web.Request) -> tuple[str, str | None]:
    """The search's ``q`` (1 to 200 characters, not only spaces) and ``language``."""
    query = request.query.get("q", "")
    if not query.strip() or len(query) > KB_QUERY_MAX:
        raise error(400, "bad_q", f"q must be 1 to {KB_QUERY_MAX} characters, not only "
                                  "spaces")
    language = request.query.get("language") or None
    if language is not None and (len(language) > LANGUAGE_MAX
                                 or not LANGUAGE.fullmatch(language)):
        raise error(400, "bad_language", "language must be a language code (en, fr, en-GB...)")
    return query, language


def add_visitor_routes(app: web.Application, channel: ChatChannel) -> None:
    """Register the public visitor routes for ``channel`` on the API app."""
    per_address = RateLimiter(channel.settings.sessions_per_minute, channel.clock)
    # a frame may carry the longest text JSON-escaped (6 bytes a character) and a little more
    max_frame = max(16 * 1024, channel.settings.max_message_chars * 6 + 1024)

    searches = RateLimiter(KB_SEARCHES_PER_MINUTE, channel.clock)

    def preflight_for(method: str) -> Handler:
        @public
        async def preflight(request: web.Request) -> web.StreamResponse:
            origin = _origin(request, channel)
            response = web.Response(status=204)
            response.headers.update({"Access-Control-Allow-Methods": method,
                                     "Access-Control-Allow-Headers": "Content-Type",
                                     "Access-Control-Max-Age": "600"})
            return _cors(response, origin)
        return preflight

    @public
    async def start(request: web.Request) -> web.StreamResponse:
        origin = _origin(request, channel)
        with _visitor_errors(origin):
            _admit(per_address, request, "new chats")
            body = await _session_body(request)
            kb = _kb_summary(body.get("kb"))
            entry = channel.entry_point(body.get("entry"))
            name = check_optional(body.get("name"), 100, "name")
            visitor = normalised_visitor(channel.customers, name, body.get("email") or None,
                                         body.get("phone") or None)
            session, token = await channel.open_chat(
                visitor, entry, extra={"kb_self_service": kb} if kb is not None else None,
                first_message=body.get("message") or None)
        return _cors(web.json_response({"chat_id": session.chat_id, "token": token,
                                        "websocket": "/chat/ws"}, status=201), origin)

    @public
    async def kb_search(request: web.Request) -> web.StreamResponse:
        origin = _origin(request, channel)
        with _visitor_errors(origin):
            _admit(searches, request, "searches")
            query, language = _kb_query(request)
            repo = channel.knowledge
            if repo is None:
                raise error(503, "kb_unavailable", "this engine has no knowledge base")
            hits = await repo.search(query, language=language, limit=KB_RESULTS)
            for hit in hits:
                await repo.record_usage(hit["id"], "shown", channel="widget")
        base = channel.public_base or f"{request.scheme}://{request.host}"
        articles = [{"id": h["id"], "title": h["title"], "excerpt": h["excerpt"],
                     "url": f"{base}{public_path(h['slug'])}"} for h in hits]
        return _cors(web.json_response({"articles": articles}), origin)

    @public
    async def socket(request: web.Request) -> web.StreamResponse:
        _origin(request, channel)
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=max_frame)
        await ws.prepare(request)
        session = channel.sessions.by_token(request.query.get("token", ""))
        if session is None:
            await ws.send_json(error_frame("chat_not_found", "no open chat for this token "
                                           "(it ended, or never existed)"))
            await ws.close(code=CLOSE_CHAT_NOT_FOUND, message=b"chat_not_found")
            return ws
        try:
            await channel.visitor_connected(session, ws)
        except Exception as e:
            await ws.send_json(error_frame(getattr(e, "code", "internal_error"), str(e)))
            await ws.close(code=1008, message=b"refused")
            return ws
        try:
            async for msg in received(ws):
                if msg.type == WSMsgType.TEXT:
                    await _frame(channel, session, ws, msg.data)
                elif msg.type == WSMsgType.BINARY and not ws.closed:
                    try:
                        await ws.send_json(error_frame("bad_frame", "send JSON text frames"))
                    except ConnectionError:
                        pass  # the visitor went meanwhile, as for a text frame's reply
        finally:
            channel.visitor_disconnected(session, ws)
        return ws

    @public
    async def widget(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WIDGET_DIR / "chat-widget.js", headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": "*"})

    @public
    async def demo(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(WIDGET_DIR / "demo.html", headers={
            "Content-Type": "text/html; charset=utf-8", "X-Content-Type-Options": "nosniff"})

    async def close_visitors(_: web.Application) -> None:
        await channel.close_visitor_sockets()

    app.on_shutdown.append(close_visitors)
    app.router.add_route("OPTIONS", "/chat/sessions", preflight_for("POST"))
    app.router.add_post("/chat/sessions", start)
    app.router.add_route("OPTIONS", "/chat/kb", preflight_for("GET"))
    app.router.add_get("/chat/kb", kb_search)
    app.router.add_get("/chat/ws", socket)
    app.router.add_get("/chat/widget.js", widget)
    app.router.add_get("/chat/demo", demo)


def _admit(limit: RateLimiter, request: web.Request, what: str) -> None:
    """429 for an address past its limit of ``what`` (new chats, searches) per minute."""
    address = request.remote or "?"
    if not limit.allow(address):
        raise error(429, "rate_limited", f"too many {what} from this address; "
                    f"wait {limit.retry_after(address):.0f} s")


@contextlib.contextmanager
def _visitor_errors(origin: str | None) -> Iterator[None]:
    """A visitor route's errors as JSON with the CORS headers the widget needs to read
    them: HTTP errors as they are, domain errors (a ``code``) as 400 (``chat_busy``: 503)."""
    try:
        yield
    except web.HTTPException as e:
        raise _cors_error(e, origin) from None
    except Exception as e:
        code = getattr(e, "code", None)
        if not isinstance(code, str):
            raise
        status = 503 if code == "chat_busy" else 400
        raise _cors_error(error(status, code, str(e)), origin) from e


async def _frame(channel: ChatChannel, session: ChatSession, ws: web.WebSocketResponse,
                 data: str) -> None:
    """Handle one visitor frame; any problem is an error frame and the chat goes on."""
    client_id = None
    reply: dict[str, Any] | None = None
    try:
        kind, frame = parse_visitor_frame(data)
        client_id = frame.get("client_id")
        if kind == "message":
            view = await channel.run(channel.visitor_message(session, frame.get("text"),
                                                             client_id, ws))
            reply = {"type": "ack", "client_id": client_id, "id": view["id"],
                     "at": view["created_at"]}
        elif kind == "callback":
            callback = await channel.run(channel.visitor_callback(session,
                                                                  frame.get("number")))
            reply = {"type": "callback_requested", "client_id": client_id,
                     "number": callback.number}
        elif kind == "end":
            await channel.run(channel.end_chat(session.chat_id, "visitor_ended", "caller"))
    except Exception as e:
        code = getattr(e, "code", None)
        message = str(e)
        if not isinstance(code, str):
            log.exception("chat %s: frame failed", session.chat_id)
            code, message = "internal_error", "the message could not be handled; send it again"
        reply = error_frame(code, message, client_id)
    if reply is not None and not ws.closed:
        try:
            await ws.send_json(reply)
        except ConnectionError:
            pass  # the visitor went meanwhile: a reconnect's hello carries the transcript
