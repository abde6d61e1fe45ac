"""Signing in to a running engine (its private Asterisk, SQLite store): the config's users
are in the store from the start; ``ccengine passwd`` sets alice's password while the engine
runs; she signs in over HTTP, her page logs her in with the CSRF token and opens her
screen-pop feed with the cookie from the engine's own origin; signing out ends it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from tests.e2e.conftest import Rig

pytestmark = pytest.mark.asterisk

CCENGINE = Path(sys.executable).parent / "ccengine"


async def test_given_running_engine_when_password_set_and_signed_in_then_desk_works(
        rig: Rig) -> None:
    db = rig.engine.db
    assert db is not None
    async with db.engine.connect() as conn:
        users = {tuple(r) for r in await conn.execute(text("SELECT id, role, name FROM users"))}
    assert users == {("alice", "agent", "Alice"), ("bob", "agent", "Bob"),
                     ("sam", "supervisor", "Sam"), ("admin", "admin", None)}

    process = await asyncio.create_subprocess_exec(
        str(CCENGINE), "--set", f"runtime_dir={rig.engine.config.runtime_dir}", "passwd",
        "alice", "--password-stdin", stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(60):
        out, err = await process.communicate(b"alice at the desk\n")
    assert process.returncode == 0, err.decode()

    async with rig.http.post(f"{rig.api}/api/session",
                             json={"user": "alice", "password": "alice at the desk"}) as r:
        assert r.status == 200, await r.text()
        csrf = (await r.json())["csrf_token"]
        cookie = {"Cookie": f"ccengine_session={r.cookies['ccengine_session'].value}"}
    async with rig.http.post(f"{rig.api}/api/agents/alice/login",
                             headers={**cookie, "X-CSRF-Token": csrf}) as r:
        assert (r.status, (await r.json())["state"]) == (200, "available")
    ws = await rig.http.ws_connect(f"ws://127.0.0.1:{rig.engine.config.api.port}/ws/agent",
                                   headers={**cookie, "Origin": rig.api})
    try:
        hello = await ws.receive_json(timeout=5)
        assert (hello["type"], hello["agent_id"], hello["agent"]["id"]) == ("hello", "alice",
                                                                           "alice")
    finally:
        await ws.close()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await rig.http.ws_connect(f"ws://127.0.0.1:{rig.engine.config.api.port}/ws/agent",
                                  headers={**cookie, "Origin": "https://evil.example"})
    assert refused.value.status == 403

    async with rig.http.delete(f"{rig.api}/api/session",
                               headers={**cookie, "X-CSRF-Token": csrf}) as r:
        assert r.status == 204
    async with rig.http.get(f"{rig.api}/api/me", headers=cookie) as r:
        assert (r.status, (await r.json())["error"]) == (401, "session_expired")
