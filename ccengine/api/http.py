"""The aiohttp API: REST for agents/supervisors/admins and the agent's screen-pop websocket.

Every route is authenticated and scoped to a role; domain errors become 4xx JSON answers
``{"error": <stable code>, "message": ...}``. A request authenticates with a bearer token
or, without one, with the session cookie of a signed-in web page (``api/session.py``):
such a request must also carry the session's CSRF token to change anything, and may open a
websocket only from the engine's own origin.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from ccengine.api.auth import TokenAuth, User, token_of
from ccengine.core.agent_state import Presence
from ccengine.core.not_ready import NotReadyReasons
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.store.sessions import SessionRepository, WebSession

if TYPE_CHECKING:
    from ccengine.api.session import SignIn

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_KEY = web.RequestKey("user", User)  # the authenticated User of each request
AUTH = web.AppKey("auth", TokenAuth)
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
FEED = web.AppKey("feed", ScreenPopFeed)
INTERACTIONS = web.AppKey("interactions", object)
# signed-in sessions (api/session.py); without them a session cookie authenticates nobody
SESSIONS = web.AppKey("sessions", SessionRepository)
SESSION_KEY = web.RequestKey("session", WebSession)  # a cookie-authenticated request's
SESSION_COOKIE = "ccengine_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Live(Generic[T]):
    """A value the engine replaces while the app runs (a reload): handlers read ``value``
    each time (an app's own state cannot change once it started)."""

    def __init__(self, value: T) -> None:
        self.value = value


NOT_READY_REASONS = web.AppKey("not_ready_reasons", Live)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# actions of POST /api/agents/{id}/{action} that features add (the outbound part's "dial"):
# each is called with the request and the agent's id once the agent is known and the user
# may act for them (the agent, a supervisor or an admin)
AgentAction = Callable[[web.Request, str], Awaitable[web.StreamResponse]]
AGENT_ACTIONS = web.AppKey("agent_actions", dict)


def error(status: int, code: str, message: str,
          headers: dict[str, str] | None = None) -> web.HTTPException:
    """An HTTP error with a JSON body carrying a stable error code."""
    body = json.dumps({"error": code, "message": message})
    return _http(status)(text=body, content_type="application/json", headers=headers)


def _http(status: int) -> type[web.HTTPException]:
    return {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden,
            404: web.HTTPNotFound, 409: web.HTTPConflict, 429: web.HTTPTooManyRequests,
            503: web.HTTPServiceUnavailable}.get(status, web.HTTPBadRequest)


def public(handler: Handler) -> Handler:
    """Mark a route's handler as public: it needs no bearer token (a chat visitor's routes,
    which check their own session token). Everything else stays authenticated."""
    handler.public = True  # type: ignore[attr-defined]
    return handler


# Domain error codes that mean "not found" or "conflict"; anything else with a code is a 400.
_STATUS_BY_SUFFIX = (("not_found", 404), ("unknown", 404), ("invalid_transition", 409),
                     ("conflict", 409), ("taken", 409))


def status_for(code: str) -> int:
    for suffix, status in _STATUS_BY_SUFFIX:
        if suffix in code:
            return status
    return 400


@web.middleware
async def auth_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate every request (but public routes'); map domain errors (anything with
    a ``code``) to 4xx."""
    if not getattr(request.match_info.handler, "public", False):
        request[USER_KEY] = await _authenticate(request)
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as e:
        if e.content_type == "application/json":
            raise
        # no such route, or not with this method: a JSON error like every other
        body = json.dumps({"error": "not_found" if e.status == 404 else "method_not_allowed",
                           "message": f"no route {request.method} {request.path}"})
        if isinstance(e, web.HTTPMethodNotAllowed):
            raise web.HTTPMethodNotAllowed(request.method, e.allowed_methods, text=body,
                                           content_type="application/json") from e
        raise web.HTTPNotFound(text=body, content_type="application/json") from e
    except web.HTTPException:
        raise
    except Exception as e:
        code = getattr(e, "code", None)
        if not isinstance(code, str):
            raise
        raise error(status_for(code), code, str(e)) from e


async def _authenticate(request: web.Request) -> User:
    """The user of a bearer token (no store lookup) or, without one, of the session cookie
    (401 session_expired when it is unknown or ended); a cookie-authenticated request must
    carry the session's CSRF token to change anything (403 csrf_failed) and open websockets
    only from the engine's own origin (403 bad_origin)."""
    token = token_of(request)
    if token:
        user = request.app[AUTH].user_for(token)
        if user is None:
            raise error(401, "unauthenticated", "the bearer token is not valid")
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    sessions = request.app.get(SESSIONS)
    if not cookie or sessions is None:
        raise error(401, "unauthenticated", "sign in (POST /api/session) or send a bearer "
                                            "token")
    session = await sessions.get(cookie)
    user = request.app[AUTH].known(session.user_id) if session is not None else None
    if session is None or user is None:
        raise error(401, "session_expired", "your session has ended: sign in again")
    if request.method not in SAFE_METHODS and not hmac.compare_digest(
            request.headers.get(CSRF_HEADER, "").encode(errors="replace"),
            session.csrf_token.encode()):
        raise error(403, "csrf_failed", f"a signed-in page sends the {CSRF_HEADER} header "
                                        "it got at sign-in with every change")
    if request.headers.get("Upgrade", "").lower() == "websocket" and not same_origin(request):
        raise error(403, "bad_origin", "a signed-in page opens websockets only from the "
                                       "engine's own origin")
    request[SESSION_KEY] = session
    return user


async def received(ws: web.WebSocketResponse) -> AsyncIterator[aiohttp.WSMessage]:
    """The frames a server websocket receives until it closes. A peer that pings and
    vanishes makes aiohttp raise while it answers the ping: that ends the frames like a
    close (found by fuzzing the feeds; it was logged as an error handling the request)."""
    try:
        async for msg in ws:
            yield msg
    except ConnectionResetError:
        return


def same_origin(request: web.Request) -> bool:
    """True if the request's ``Origin`` names the host and port it was sent to (``Host``);
    a missing or opaque (``null``) origin is not the same."""
    origin, host = request.headers.get("Origin", ""), request.headers.get("Host", "")
    try:
        o, h = urlsplit(origin), urlsplit(f"//{host}")
        if o.scheme not in ("http", "https") or not o.hostname or not h.hostname:
            return False
        default = 443 if o.scheme == "https" else 80
        return (o.hostname, o.port or default) == (h.hostname, h.port or default)
    except ValueError:  # a port that is not a number
        return False


def current_user(request: web.Request) -> User:
    return request[USER_KEY]


def require_self_or_role(request: web.Request, agent_id: str, *roles: str) -> User:
    user = current_user(request)
    if user.id == agent_id or user.role in roles:
        return user
    raise error(403, "forbidden", f"{user.id} ({user.role}) may not act for agent {agent_id}")


async def known_agent(request: web.Request) -> str:
    agent_id = request.match_info["agent_id"]
    await request.app[DISPATCHER].agent_view(agent_id)  # UnknownAgent -> 404
    return agent_id


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise error(400, "bad_json", f"request body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise error(400, "bad_json", "request body must be a JSON object")
    return body


# ---------------------------------------------------------------------- handlers
async def me(request: web.Request) -> web.Response:
    u = current_user(request)
    return web.json_response({"id": u.id, "role": u.role, "tenant": u.tenant})


async def agent_get(request: web.Request) -> web.Response:
    agent_id = await known_agent(request)
    require_self_or_role(request, agent_id, "supervisor", "admin")
    return web.json_response(await request.app[DISPATCHER].agent_view(agent_id))


async def agent_action(request: web.Request) -> web.Response:
    agent_id = await known_agent(request)
    require_self_or_role(request, agent_id, "supervisor", "admin")
    action = request.match_info.route.resource.canonical.rsplit("/", 1)[1]  # type: ignore[union-attr]
    feature_action = request.app[AGENT_ACTIONS].get(action)
    if feature_action is not None:
        return await feature_action(request, agent_id)
    d = request.app[DISPATCHER]
    if action == "login":
        await d.login(agent_id)
    elif action == "logout":
        await d.logout(agent_id)
    elif action == "ready":
        await d.set_available(agent_id)
    elif action == "not-ready":
        body = await _json_body(request)
        reasons = request.app[NOT_READY_REASONS].value
        reason = reasons.check(body.get("reason", reasons.default))  # 400 bad_reason
        await d.set_not_ready(agent_id, reason)
    elif action == "force":
        user = current_user(request)
        if user.role not in ("supervisor", "admin"):
            raise error(403, "forbidden", "only supervisors and admins force an agent's state")
        body = await _json_body(request)
        try:
            presence = Presence(body.get("state"))
        except ValueError as e:
            raise error(400, "bad_state", "state must be one of "
                                          f"{[p.value for p in Presence]}") from e
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise error(400, "bad_reason", "reason must be a string")
        await d.force_state(agent_id, presence, reason, by=user.id)
    return web.json_response(await d.agent_view(agent_id))


AGENT_ROUTE_ACTIONS = ("login", "logout", "ready", "not-ready", "force")


def add_agent_action(app: web.Application, action: str, handle: AgentAction) -> None:
    """A feature's action on an agent: ``POST /api/agents/{agent_id}/<action>``."""
    app[AGENT_ACTIONS][action] = handle
    app.router.add_post(f"/api/agents/{{agent_id}}/{action}", agent_action)


async def queue_get(request: web.Request) -> web.Response:
    user = current_user(request)
    if user.role not in ("supervisor", "admin", "agent"):
        raise error(403, "forbidden", "no access to queues")
    return web.json_response(await request.app[DISPATCHER].queue_view(request.match_info["name"]))


async def interaction_get(request: web.Request) -> web.Response:
    user = current_user(request)
    repo: Any = request.app[INTERACTIONS]
    record = await repo.get(request.match_info["interaction_id"])
    if record is None:
        raise error(404, "interaction_not_found", "no such interaction")
    data = record if isinstance(record, dict) else record.to_dict()
    if user.role == "agent" and data.get("agent_id") != user.id:
        raise error(403, "forbidden", "agents see only their own interactions")
    return web.json_response(data)


async def agent_feed(request: web.Request) -> web.WebSocketResponse:
    """The agent's screen-pop websocket (GET /ws/agent, token in header or ?token=, or a
    signed-in page's session cookie from the engine's own origin)."""
    user = current_user(request)
    ws = web.WebSocketResponse(heartbeat=20)
    await ws.prepare(request)
    feed = request.app[FEED]
    try:
        await feed.open(user.id, ws)  # the hello, with the agent's state
        async for _msg in received(ws):
            pass  # the feed is one-way; anything the client sends is ignored
    finally:
        feed.remove(user.id, ws)
    return ws


def build_api(auth: TokenAuth, dispatcher: Dispatcher, feed: ScreenPopFeed,
              interactions: Any, messages: Any = None,
              signin: SignIn | None = None, *,
              not_ready_reasons: NotReadyReasons | None = None) -> web.Application:
    """The API application; the engine's cleanup contexts own everything passed in. With
    a MessageRepository, conversations (chat, email) are readable and writable; with a
    SignIn, users sign in with a password and their pages use a session cookie; agents
    going not ready give one of ``not_ready_reasons``."""
    from ccengine.api.openapi import add_routes as add_description
    from ccengine.api.openapi.validate import validate_requests
    app = web.Application(middlewares=[auth_and_errors, validate_requests],
                          client_max_size=1024 * 1024)

    async def close_feeds(_app: web.Application) -> None:
        await feed.close_all()  # open agent websockets would hold the shutdown ~30 s
    app.on_shutdown.append(close_feeds)
    app[AUTH], app[DISPATCHER], app[FEED], app[INTERACTIONS] = (auth, dispatcher, feed,
                                                                interactions)
    app[AGENT_ACTIONS] = {}
    app[NOT_READY_REASONS] = Live(not_ready_reasons or NotReadyReasons.defaults())
    from ccengine.api.lists import agents_list, queues_list
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/agents", agents_list)
    app.router.add_get("/api/agents/{agent_id}", agent_get)
    for action in AGENT_ROUTE_ACTIONS:
        app.router.add_post(f"/api/agents/{{agent_id}}/{action}", agent_action)
    app.router.add_get("/api/queues", queues_list)
    app.router.add_get("/api/queues/{name}", queue_get)
    app.router.add_get("/api/interactions/{interaction_id}", interaction_get)
    app.router.add_get("/ws/agent", agent_feed)
    add_description(app)
    from ccengine.api.pop import add_routes as add_pop_routes
    from ccengine.api.work import add_routes as add_work_routes
    add_work_routes(app)
    add_pop_routes(app)
    if messages is not None:
        from ccengine.api.messages import add_routes as add_message_routes
        add_message_routes(app, messages)
    if signin is not None:
        from ccengine.api.session import add_routes as add_session_routes
        add_session_routes(app, signin)
    return app
