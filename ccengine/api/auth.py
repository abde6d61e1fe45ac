"""API authentication: a bearer token per user, each user with one role. (Signing in with a
password and a session cookie: ``ccengine/api/session.py``.)"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

ROLES = ("agent", "supervisor", "admin")


@dataclass(frozen=True)
class User:
    id: str
    role: str
    tenant: str = "default"
    name: str | None = None


class TokenAuth:
    """Maps bearer tokens to users; comparisons are constant-time."""

    def __init__(self, users: Mapping[str, User], tokens: Mapping[str, str]) -> None:
        self.replace(users, tokens)

    def replace(self, users: Mapping[str, User], tokens: Mapping[str, str]) -> None:
        """New users and tokens (a reload added or removed people)."""
        self._users = dict(users)
        self._by_token = [(tokens[uid], user) for uid, user in users.items() if uid in tokens]

    def known(self, user_id: str) -> User | None:
        """The user of this id (the config's), or None: only they may sign in."""
        return self._users.get(user_id)

    def user_for(self, token: str) -> User | None:
        found = None
        for candidate, user in self._by_token:
            if hmac.compare_digest(candidate.encode(), token.encode()):
                found = user
        return found


def token_of(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    # browsers cannot set headers on a websocket: the feed also accepts ?token=
    if request.path.startswith("/ws/"):
        return request.query.get("token", "")
    return ""
