"""Signing in with a password and a session cookie, over real HTTP on a real SQLite store:
the cookie's flags, one answer for every wrong sign-in, the limits on failed sign-ins, the
cookie authenticating requests (CSRF token for changes, same origin for websockets), the
session's ends (sign-out, idle, absolute), the password API's rules, and bearer tokens
working as before. Time is a clock the test moves."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from ccengine.api.auth import User
from ccengine.api.http import SESSION_COOKIE
from ccengine.config import SessionSettings, SignInLimit
from ccengine.store.db import Database
from ccengine.store.users import UserRepository
from tests.integration.session_rig import Rig, cookie, session_api

USERS = {"alice": User("alice", "agent", name="Alice"), "bob": User("bob", "agent", name="Bob"),
         "carol": User("carol", "agent", name="Carol"),  # no password set
         "sam": User("sam", "supervisor", name="Sam"), "admin": User("admin", "admin")}
TOKENS = {"alice": "tok-alice", "sam": "tok-sam", "admin": "tok-admin"}
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-22", "sam": "sam-secret-333",
             "admin": "admin-secret-4444"}
BAD_CREDENTIALS = {"error": "bad_credentials", "message": "user name or password is wrong"}


async def _rig(tmp_path: Path, settings: SessionSettings) -> AsyncIterator[Rig]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    await db.migrate()
    users = UserRepository(db)
    # a user with a password whom the config does not know (any more)
    await users.create("ghost", "agent", password="ghost-secret-5")
    try:
        async with session_api(db, USERS, TOKENS, settings) as rig:
            for user_id, password in PASSWORDS.items():
                await users.set_password(user_id, password)
            yield rig
    finally:
        await db.close()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async for r in _rig(tmp_path, SessionSettings(idle_minutes=30, max_hours=2)):
        yield r


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


async def _session_rows(rig: Rig) -> int:
    async with rig.db.engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM sessions"))).scalar()


# ------------------------------------------------------------------ signing in
async def test_given_right_password_when_signing_in_then_user_csrf_and_strict_cookie(
        rig: Rig) -> None:
    r = await rig.client.post("/api/session", json={"user": "alice",
                                                    "password": PASSWORDS["alice"]})
    assert r.status == 200
    body = await r.json()
    assert body["user"] == {"id": "alice", "role": "agent", "name": "Alice"}
    assert len(body["csrf_token"]) >= 40
    [set_cookie] = r.headers.getall("Set-Cookie")
    parts = [p.strip() for p in set_cookie.split(";")]
    name, value = parts[0].split("=", 1)
    assert name == SESSION_COOKIE and len(value) >= 40
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= set(parts)
    assert not any(p.lower() == "secure" for p in parts)
    assert not any(p.lower().startswith(("max-age", "expires")) for p in parts)
    assert await _session_rows(rig) == 1


async def test_given_secure_cookie_configured_when_signing_in_then_cookie_is_secure(
        tmp_path: Path) -> None:
    async for rig in _rig(tmp_path, SessionSettings(secure_cookie=True)):
        r = await rig.client.post("/api/session", json={"user": "alice",
                                                        "password": PASSWORDS["alice"]})
        parts = [p.strip() for p in r.headers["Set-Cookie"].split(";")]
        assert r.status == 200 and "Secure" in parts and "HttpOnly" in parts


@pytest.mark.parametrize(("user", "password"), [
    ("alice", "not-alices-password"),   # wrong password
    ("zoe", "whatever-it-is"),          # unknown user
    ("carol", "anything-at-all"),       # no password set
    ("ghost", "ghost-secret-5"),        # right password, but the config does not know ghost
])
async def test_given_any_wrong_sign_in_when_answered_then_one_and_the_same_401(
        rig: Rig, user: str, password: str) -> None:
    r = await rig.client.post("/api/session", json={"user": user, "password": password})
    assert (r.status, await r.json()) == (401, BAD_CREDENTIALS)
    assert "Set-Cookie" not in r.headers
    assert await _session_rows(rig) == 0


@pytest.mark.parametrize(("kw", "code"), [
    ({"data": b"{not json", "headers": {"Content-Type": "application/json"}}, "bad_json"),
    ({"json": ["alice", "pw"]}, "bad_json"),
    ({"data": b'{"user": "alice", "password": "alice-secret-1"}',
      "headers": {"Content-Type": "text/plain"}}, "bad_json"),  # what a cross-site form sends
    ({"json": {"user": "alice"}}, "bad_field"),
    ({"json": {"user": "", "password": "x"}}, "bad_field"),
    ({"json": {"user": "alice", "password": 12345678}}, "bad_field"),
    ({"json": {"user": "a" * 201, "password": "x"}}, "bad_field"),
])
async def test_given_malformed_sign_in_when_posted_then_400_with_reason(
        rig: Rig, kw: dict, code: str) -> None:
    r = await rig.client.post("/api/session", **kw)
    assert (r.status, (await r.json())["error"]) == (400, code)


# ------------------------------------------------------------------ limits on failures
async def test_given_user_over_limit_when_signing_in_right_then_429_until_window_passes(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = SessionSettings(signin_limit=SignInLimit(per_user=3, per_address=100,
                                                        window_seconds=300))
    async for rig in _rig(tmp_path, settings):
        with caplog.at_level(logging.WARNING, logger="ccengine.api.session"):
            for _ in range(3):
                r = await rig.client.post("/api/session", json={"user": "alice",
                                                                "password": "guess-1234"})
                assert r.status == 401
        failures = [m for m in caplog.messages if m.startswith("sign-in failed")]
        assert failures == ["sign-in failed for user 'alice' from 127.0.0.1"] * 3
        assert [m for m in caplog.messages if "locked" in m] == [
            "sign-in locked for user 'alice' for 300 s after 3 failures"]
        rig.clock.now += 100
        r = await rig.client.post("/api/session", json={"user": "alice",
                                                        "password": PASSWORDS["alice"]})
        assert r.status == 429
        assert (await r.json())["error"] == "too_many_attempts"
        assert r.headers["Retry-After"] == "200"
        # another user from the same address is not held up
        await rig.sign_in("bob", PASSWORDS["bob"])
        rig.clock.now += 200
        await rig.sign_in("alice", PASSWORDS["alice"])


async def test_given_address_over_limit_when_anyone_signs_in_from_it_then_429(
        tmp_path: Path) -> None:
    settings = SessionSettings(signin_limit=SignInLimit(per_user=100, per_address=3,
                                                        window_seconds=60))
    async for rig in _rig(tmp_path, settings):
        for name in ("zoe", "yann", "xavier"):
            r = await rig.client.post("/api/session", json={"user": name,
                                                            "password": "guess-1234"})
            assert r.status == 401
        r = await rig.client.post("/api/session", json={"user": "bob",
                                                        "password": PASSWORDS["bob"]})
        assert (r.status, r.headers["Retry-After"]) == (429, "60")
        assert (await r.json())["error"] == "too_many_attempts"
        rig.clock.now += 60
        await rig.sign_in("bob", PASSWORDS["bob"])


async def test_given_failures_then_success_when_failing_again_then_count_starts_afresh(
        tmp_path: Path) -> None:
    settings = SessionSettings(signin_limit=SignInLimit(per_user=3, per_address=100,
                                                        window_seconds=300))
    async for rig in _rig(tmp_path, settings):
        wrong = {"user": "alice", "password": "guess-1234"}
        for _ in range(2):
            assert (await rig.client.post("/api/session", json=wrong)).status == 401
        await rig.sign_in("alice", PASSWORDS["alice"])
        for _ in range(2):
            assert (await rig.client.post("/api/session", json=wrong)).status == 401
        await rig.sign_in("alice", PASSWORDS["alice"])  # 2 failures since: not locked


# ------------------------------------------------------------------ the cookie at work
async def test_given_session_cookie_when_getting_me_and_session_then_signed_in_user(
        rig: Rig) -> None:
    value, csrf = await rig.sign_in("alice", PASSWORDS["alice"])
    r = await rig.client.get("/api/me", headers=cookie(value))
    assert (r.status, await r.json()) == (200, {"id": "alice", "role": "agent",
                                                "tenant": "default"})
    r = await rig.client.get("/api/session", headers=cookie(value))
    assert await r.json() == {"user": {"id": "alice", "role": "agent", "name": "Alice"},
                              "csrf_token": csrf}


@pytest.mark.parametrize("headers", [{}, {"Cookie": f"{SESSION_COOKIE}="}, bearer("alice")])
async def test_given_no_session_cookie_when_getting_session_then_401_unauthenticated(
        rig: Rig, headers: dict[str, str]) -> None:
    r = await rig.client.get("/api/session", headers=headers)
    assert (r.status, (await r.json())["error"]) == (401, "unauthenticated")


async def test_given_cookie_when_posting_without_right_csrf_token_then_403_and_with_it_done(
        rig: Rig) -> None:
    value, csrf = await rig.sign_in("alice", PASSWORDS["alice"])
    for headers in ({}, {"X-CSRF-Token": "not-the-token"}, {"X-CSRF-Token": ""},
                    {"X-CSRF-Token": csrf[:-1]}, {"X-CSRF-Token": "jeté"}):
        r = await rig.client.post("/api/agents/alice/login", headers={**cookie(value),
                                                                      **headers})
        assert (r.status, (await r.json())["error"]) == (403, "csrf_failed")
    r = await rig.client.get("/api/agents/alice", headers=cookie(value))
    assert (await r.json())["state"] == "logged_out"  # nothing happened
    r = await rig.client.post("/api/agents/alice/login",
                              headers={**cookie(value), "X-CSRF-Token": csrf})
    assert (r.status, (await r.json())["state"]) == (200, "available")


async def test_given_two_sessions_when_using_the_others_csrf_token_then_403(rig: Rig) -> None:
    alice, _ = await rig.sign_in("alice", PASSWORDS["alice"])
    _, bobs_csrf = await rig.sign_in("bob", PASSWORDS["bob"])
    r = await rig.client.post("/api/agents/alice/login",
                              headers={**cookie(alice), "X-CSRF-Token": bobs_csrf})
    assert (r.status, (await r.json())["error"]) == (403, "csrf_failed")


async def test_given_signed_out_when_cookie_used_again_then_401_session_expired(
        rig: Rig) -> None:
    value, csrf = await rig.sign_in("alice", PASSWORDS["alice"])
    r = await rig.client.delete("/api/session", headers=cookie(value))
    assert (r.status, (await r.json())["error"]) == (403, "csrf_failed")
    r = await rig.client.delete("/api/session", headers={**cookie(value),
                                                         "X-CSRF-Token": csrf})
    assert r.status == 204
    parts = [p.strip() for p in r.headers["Set-Cookie"].split(";")]
    assert parts[0] in (f'{SESSION_COOKIE}=""', f"{SESSION_COOKIE}=") and "Max-Age=0" in parts
    assert await _session_rows(rig) == 0  # ended on the server, not just in the browser
    r = await rig.client.get("/api/me", headers=cookie(value))
    assert (r.status, (await r.json())["error"]) == (401, "session_expired")


async def test_given_unknown_cookie_when_calling_then_401_session_expired(rig: Rig) -> None:
    r = await rig.client.get("/api/me", headers=cookie("made-up-value"))
    assert (r.status, (await r.json())["error"]) == (401, "session_expired")


async def test_given_idle_session_when_used_after_idle_minutes_then_401_session_expired(
        rig: Rig) -> None:  # idle_minutes: 30
    value, _ = await rig.sign_in("alice", PASSWORDS["alice"])
    rig.clock.now += 29 * 60
    assert (await rig.client.get("/api/me", headers=cookie(value))).status == 200
    rig.clock.now += 29 * 60  # idle counts from the last use
    assert (await rig.client.get("/api/me", headers=cookie(value))).status == 200
    rig.clock.now += 30 * 60
    r = await rig.client.get("/api/me", headers=cookie(value))
    assert (r.status, (await r.json())["error"]) == (401, "session_expired")
    assert await _session_rows(rig) == 0


async def test_given_busy_session_when_max_hours_pass_then_401_session_expired(
        rig: Rig) -> None:  # max_hours: 2
    value, _ = await rig.sign_in("alice", PASSWORDS["alice"])
    for _ in range(7):  # used every 17 minutes: never idle, 119 minutes in all
        rig.clock.now += 17 * 60
        assert (await rig.client.get("/api/me", headers=cookie(value))).status == 200
    rig.clock.now += 60
    r = await rig.client.get("/api/me", headers=cookie(value))
    assert (r.status, (await r.json())["error"]) == (401, "session_expired")


# ------------------------------------------------------------------ websockets
@pytest.mark.parametrize("origin", ["http://evil.example", "null", None,
                                    "http://127.0.0.1:1", "https://127.0.0.1"])
async def test_given_cookie_and_foreign_origin_when_opening_feed_then_403(
        rig: Rig, origin: str | None) -> None:
    value, _ = await rig.sign_in("alice", PASSWORDS["alice"])
    headers = cookie(value) | ({"Origin": origin} if origin else {})
    with pytest.raises(aiohttp.WSServerHandshakeError) as e:
        await rig.client.ws_connect("/ws/agent", headers=headers)
    assert e.value.status == 403


async def test_given_cookie_and_same_origin_when_opening_feed_then_it_opens(rig: Rig) -> None:
    value, _ = await rig.sign_in("alice", PASSWORDS["alice"])
    origin = f"http://{rig.client.host}:{rig.client.port}"
    ws = await rig.client.ws_connect("/ws/agent", headers={**cookie(value), "Origin": origin})
    try:
        hello = await ws.receive_json(timeout=5)
        assert (hello["type"], hello["agent_id"]) == ("hello", "alice")
    finally:
        await ws.close()


# ------------------------------------------------------------------ passwords
async def test_given_admin_when_setting_a_password_then_user_signs_in_with_it(
        rig: Rig) -> None:
    r = await rig.client.put("/api/users/carol/password", json={"password": "carol-new-pw"},
                             headers=bearer("admin"))
    assert r.status == 204
    await rig.sign_in("carol", "carol-new-pw")


async def test_given_user_when_changing_own_password_then_all_their_sessions_end(
        rig: Rig) -> None:
    desk, csrf = await rig.sign_in("alice", PASSWORDS["alice"])
    other, _ = await rig.sign_in("alice", PASSWORDS["alice"])
    bobs, _ = await rig.sign_in("bob", PASSWORDS["bob"])
    r = await rig.client.put("/api/users/alice/password",
                             json={"current_password": PASSWORDS["alice"],
                                   "password": "alice-new-secret"},
                             headers={**cookie(desk), "X-CSRF-Token": csrf})
    assert r.status == 204
    assert "Max-Age=0" in r.headers["Set-Cookie"]
    for ended in (desk, other):
        r = await rig.client.get("/api/me", headers=cookie(ended))
        assert (r.status, (await r.json())["error"]) == (401, "session_expired")
    assert (await rig.client.get("/api/me", headers=cookie(bobs))).status == 200
    r = await rig.client.post("/api/session", json={"user": "alice",
                                                    "password": PASSWORDS["alice"]})
    assert r.status == 401
    await rig.sign_in("alice", "alice-new-secret")


async def test_given_wrong_current_password_when_changing_own_then_401_and_counted(
        tmp_path: Path) -> None:
    settings = SessionSettings(signin_limit=SignInLimit(per_user=2, per_address=100,
                                                        window_seconds=300))
    async for rig in _rig(tmp_path, settings):
        body = {"current_password": "not-it-at-all", "password": "alice-new-secret"}
        for _ in range(2):
            r = await rig.client.put("/api/users/alice/password", json=body,
                                     headers=bearer("alice"))
            assert (r.status, await r.json()) == (401, BAD_CREDENTIALS)
        body["current_password"] = PASSWORDS["alice"]
        r = await rig.client.put("/api/users/alice/password", json=body,
                                 headers=bearer("alice"))
        assert (r.status, r.headers["Retry-After"]) == (429, "300")
        r = await rig.client.post("/api/session", json={"user": "alice",
                                                        "password": PASSWORDS["alice"]})
        assert r.status == 429  # the same count as signing in


@pytest.mark.parametrize(("who", "target", "body", "status", "code"), [
    ("alice", "sam", {"password": "a-new-password"}, 403, "forbidden"),
    ("sam", "alice", {"password": "a-new-password"}, 403, "forbidden"),
    ("alice", "zoe", {"password": "a-new-password"}, 403, "forbidden"),
    ("admin", "zoe", {"password": "a-new-password"}, 404, "user_not_found"),
    ("admin", "ghost", {"password": "a-new-password"}, 404, "user_not_found"),
    ("alice", "alice", {"password": "a-new-password"}, 400, "bad_field"),  # no current
    ("admin", "carol", {"password": "short"}, 400, "bad_password"),
    ("admin", "carol", {"password": "x" * 201}, 400, "bad_password"),
    ("admin", "carol", {"password": None}, 400, "bad_field"),
    ("admin", "carol", {}, 400, "bad_field"),
    ("alice", "alice", {"current_password": PASSWORDS["alice"], "password": "short"},
     400, "bad_password"),
])
async def test_given_password_change_outside_rules_when_put_then_refused(
        rig: Rig, who: str, target: str, body: dict, status: int, code: str) -> None:
    value, csrf = await rig.sign_in(who, PASSWORDS[who])
    r = await rig.client.put(f"/api/users/{target}/password", json=body,
                             headers={**cookie(value), "X-CSRF-Token": csrf})
    assert (r.status, (await r.json())["error"]) == (status, code)
    r = await rig.client.post("/api/session", json={"user": who, "password": PASSWORDS[who]})
    assert r.status == 200  # the caller's password and sign-in are as they were


async def test_given_admin_with_cookie_when_setting_own_password_then_current_checked_if_given(
        rig: Rig) -> None:
    value, csrf = await rig.sign_in("admin", PASSWORDS["admin"])
    headers = {**cookie(value), "X-CSRF-Token": csrf}
    r = await rig.client.put("/api/users/admin/password", headers=headers,
                             json={"current_password": "wrong-one", "password": "admin-next-1"})
    assert (r.status, await r.json()) == (401, BAD_CREDENTIALS)
    r = await rig.client.put("/api/users/admin/password", headers=headers,
                             json={"password": "admin-next-1"})
    assert r.status == 204
    await rig.sign_in("admin", "admin-next-1")


# ------------------------------------------------------------------ bearer tokens
async def test_given_bearer_token_when_cookie_also_sent_then_bearer_decides_as_before(
        rig: Rig) -> None:
    r = await rig.client.post("/api/agents/alice/login",
                              headers={**bearer("alice"), **cookie("ended-or-made-up")})
    assert (r.status, (await r.json())["state"]) == (200, "available")  # no CSRF needed
    r = await rig.client.get("/api/me", headers={"Authorization": "Bearer wrong",
                                                 **cookie("whatever")})
    assert (r.status, (await r.json())["error"]) == (401, "unauthenticated")
    ws = await rig.client.ws_connect("/ws/agent?token=tok-alice",
                                     headers={"Origin": "http://elsewhere.example"})
    try:
        assert (await ws.receive_json(timeout=5))["type"] == "hello"
    finally:
        await ws.close()


async def test_given_bearer_token_when_calling_then_sessions_never_looked_up(
        rig: Rig) -> None:
    looked_up = []
    real_get = rig.signin.sessions.get

    async def counting_get(value: str) -> object:
        looked_up.append(value)
        return await real_get(value)

    rig.signin.sessions.get = counting_get  # type: ignore[method-assign]
    r = await rig.client.get("/api/me", headers={**bearer("sam"), **cookie("some-value")})
    assert r.status == 200 and looked_up == []
    await rig.client.get("/api/me", headers=cookie("some-value"))
    assert looked_up == ["some-value"]
