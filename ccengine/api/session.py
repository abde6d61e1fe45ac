"""Signing in to the engine's web pages (the agent desk) with a password and a session cookie.

- ``POST /api/session`` (public) ``{"user", "password"}`` -> 200 ``{"user": {"id", "role",
  "name"}, "csrf_token"}`` and the ``ccengine_session`` cookie (HttpOnly, SameSite=Strict,
  Path=/, Secure with ``sessions.secure_cookie``). A wrong password, an unknown user and a
  user without a password get the same 401 ``bad_credentials`` after the same scrypt work.
  Failed sign-ins are limited per user name and per address (``signin_limit.py``; 429
  ``too_many_attempts`` with ``Retry-After``, the password unchecked).
- ``GET /api/session``: the signed-in user and the CSRF token (a page reloaded).
- ``DELETE /api/session``: ends the session on the server and clears the cookie (204).
- ``PUT /api/users/{user_id}/password`` ``{"password"}``: admins set anyone's; a user sets
  their own with ``current_password`` too. Every session of that user ends.

Only users the config names (``TokenAuth.known``) sign in; the store holds their password
hashes (``ccengine passwd USER`` sets one from the command line) and the sessions.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from ccengine.api.auth import User
from ccengine.api.http import (
    AUTH,
    SESSION_COOKIE,
    SESSION_KEY,
    SESSIONS,
    _json_body,
    current_user,
    error,
    public,
)
from ccengine.api.signin_limit import SignInLimiter
from ccengine.config import SessionSettings
from ccengine.store.db import Database
from ccengine.store.sessions import SessionRepository
from ccengine.store.users import UserRepository, check_password_rules

log = logging.getLogger(__name__)

MAX_USER_NAME = 200
MAX_PASSWORD_TRY = 1024  # longer than any password that can be set; refused unhashed
BAD_CREDENTIALS = ("bad_credentials", "user name or password is wrong")


@dataclass(frozen=True)
class SignIn:
    """What the sign-in routes need: the users and sessions in the store, the limiter of
    failed attempts and whether the cookie is for https only."""

    users: UserRepository
    sessions: SessionRepository
    limiter: SignInLimiter
    secure_cookie: bool = False

    @classmethod
    def from_settings(cls, db: Database, settings: SessionSettings,
                      clock: Callable[[], float] = time.time) -> SignIn:
        limit = settings.signin_limit
        return cls(users=UserRepository(db),
                   sessions=SessionRepository(db, idle_seconds=settings.idle_minutes * 60.0,
                                              max_seconds=settings.max_hours * 3600.0,
                                              clock=clock),
                   limiter=SignInLimiter(limit.per_user, limit.per_address,
                                         limit.window_seconds, clock),
                   secure_cookie=settings.secure_cookie)


SIGNIN = web.AppKey("signin", SignIn)


async def start_signin(db: Database, users: Mapping[str, User], settings: SessionSettings,
                       clock: Callable[[], float] = time.time) -> SignIn:
    """Ready sign-in on a migrated store: the config's ``users`` are created in the store
    if missing (role and name updated if changed) and ended sessions are purged."""
    signin = SignIn.from_settings(db, settings, clock)
    created, updated = await signin.users.sync(
        (u.id, u.role, u.name) for u in users.values())
    if created or updated:
        log.info("users from the config: created %s; updated %s", ", ".join(created) or "none",
                 ", ".join(updated) or "none")
    purged = await signin.sessions.purge()
    if purged:
        log.info("%d ended sessions purged", purged)
    return signin


def _user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "role": user.role, "name": user.name}


def _text(body: Mapping[str, Any], key: str, limit: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise error(400, "bad_field", f"{key} must be text of 1 to {limit} characters")
    return value


def _address(request: web.Request) -> str:
    return request.remote or "unknown"


def _refuse_if_locked(signin: SignIn, user: str, address: str) -> None:
    wait = signin.limiter.retry_after(user, address)
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise error(429, "too_many_attempts", "too many failed sign-ins: try again in "
                    f"{seconds} s", headers={"Retry-After": str(seconds)})


def _count_failure(signin: SignIn, user: str, address: str, what: str) -> None:
    log.warning("%s failed for user %r from %s", what, user, address)
    for locked in signin.limiter.failed(user, address):
        log.warning("sign-in locked for %s %r for %.0f s after %d failures", locked.what,
                    locked.key, locked.seconds, locked.failures)


def _set_cookie(response: web.StreamResponse, signin: SignIn, value: str) -> None:
    response.set_cookie(SESSION_COOKIE, value, path="/", httponly=True, samesite="Strict",
                        secure=True if signin.secure_cookie else None)


def _clear_cookie(response: web.StreamResponse, signin: SignIn) -> None:
    response.del_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict",
                        secure=True if signin.secure_cookie else None)


@public
async def sign_in(request: web.Request) -> web.Response:
    signin = request.app[SIGNIN]
    if request.content_type != "application/json":  # a cross-site form cannot send this
        raise error(400, "bad_json", "send the body as application/json")
    body = await _json_body(request)
    user_name = _text(body, "user", MAX_USER_NAME)
    password = _text(body, "password", MAX_PASSWORD_TRY)
    address = _address(request)
    _refuse_if_locked(signin, user_name, address)
    found = await signin.users.verify(user_name, password)  # unknown users: one scrypt too
    user = request.app[AUTH].known(user_name) if found is not None else None
    if user is None:
        _count_failure(signin, user_name, address, "sign-in")
        raise error(401, *BAD_CREDENTIALS)
    signin.limiter.succeeded(user_name)
    value, csrf = await signin.sessions.create(user.id, address,
                                               request.headers.get("User-Agent"))
    log.info("%s signed in from %s", user.id, address)
    response = web.json_response({"user": _user_json(user), "csrf_token": csrf})
    _set_cookie(response, signin, value)
    return response


async def session_get(request: web.Request) -> web.Response:
    session = request.get(SESSION_KEY)
    if session is None:
        raise error(401, "unauthenticated", "no signed-in session (sign in with "
                                            "POST /api/session)")
    return web.json_response({"user": _user_json(current_user(request)),
                              "csrf_token": session.csrf_token})


async def sign_out(request: web.Request) -> web.Response:
    signin = request.app[SIGNIN]
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and await signin.sessions.delete(cookie):
        log.info("%s signed out", current_user(request).id)
    response = web.Response(status=204)
    _clear_cookie(response, signin)
    return response


async def set_password(request: web.Request) -> web.Response:
    """Admins set anyone's password; a user their own, giving the current one too."""
    signin = request.app[SIGNIN]
    user = current_user(request)
    target = request.match_info["user_id"]
    if user.role != "admin" and user.id != target:
        raise error(403, "forbidden", f"{user.id} ({user.role}) may set only their own "
                                      "password")
    if request.app[AUTH].known(target) is None:
        raise error(404, "user_not_found", f"no user {target!r}")
    body = await _json_body(request)
    if not isinstance(body.get("password"), str):
        raise error(400, "bad_field", "password must be text")
    password = check_password_rules(body["password"])  # BadPassword: 400 bad_password
    if user.id == target and (user.role != "admin" or "current_password" in body):
        current = body.get("current_password")
        if not isinstance(current, str) or len(current) > MAX_PASSWORD_TRY:
            raise error(400, "bad_field", "current_password (text) is needed to change "
                                          "your own password")
        address = _address(request)
        _refuse_if_locked(signin, user.id, address)
        if await signin.users.verify(user.id, current) is None:
            _count_failure(signin, user.id, address, "password change")
            raise error(401, *BAD_CREDENTIALS)
        signin.limiter.succeeded(user.id)
    await signin.users.set_password(target, password)
    ended = await signin.sessions.delete_for_user(target)
    log.info("password of %s set by %s; %d sessions ended", target, user.id, ended)
    response = web.Response(status=204)
    if target == user.id and request.get(SESSION_KEY) is not None:
        _clear_cookie(response, signin)  # this page's session ended with the others
    return response


def add_routes(app: web.Application, signin: SignIn) -> None:
    app[SIGNIN] = signin
    app[SESSIONS] = signin.sessions
    app.router.add_post("/api/session", sign_in)
    app.router.add_get("/api/session", session_get)
    app.router.add_delete("/api/session", sign_out)
    app.router.add_put("/api/users/{user_id}/password", set_password)
