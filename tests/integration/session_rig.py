"""An API over real HTTP on a real store with sign-in enabled, its time a clock the test
moves. The client keeps no cookies of its own: tests send the session cookie by hand."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import SESSION_COOKIE, build_api
from ccengine.api.session import SignIn, start_signin
from ccengine.config import SessionSettings
from ccengine.core.agent import AgentProfile
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository


class Clock:
    """Epoch seconds, starting now; tests move it forward."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    client: TestClient
    db: Database
    clock: Clock
    signin: SignIn

    async def sign_in(self, user: str, password: str) -> tuple[str, str]:
        """Sign in; the session cookie's value and the CSRF token."""
        r = await self.client.post("/api/session", json={"user": user, "password": password})
        assert r.status == 200, await r.text()
        return r.cookies[SESSION_COOKIE].value, (await r.json())["csrf_token"]


def cookie(value: str) -> dict[str, str]:
    return {"Cookie": f"{SESSION_COOKIE}={value}"}


@asynccontextmanager
async def session_api(db: Database, users: Mapping[str, User], tokens: Mapping[str, str],
                      settings: SessionSettings | None = None) -> AsyncIterator[Rig]:
    """The API on ``db`` (migrated) with these config users and bearer tokens."""
    settings = settings or SessionSettings()
    clock = Clock()
    agents = {u.id: AgentProfile(u.id, u.name or u.id) for u in users.values()
              if u.role == "agent"}
    dispatcher = Dispatcher(MemoryState(), {}, agents)
    await dispatcher.start()
    signin = await start_signin(db, users, settings, clock=clock)
    app = build_api(TokenAuth(users, tokens), dispatcher, ScreenPopFeed(),
                    InteractionRepository(db), signin=signin)
    try:
        async with TestClient(TestServer(app, host="127.0.0.1"),
                              cookie_jar=aiohttp.DummyCookieJar()) as client:
            yield Rig(client, db, clock, signin)
    finally:
        await dispatcher.stop()
