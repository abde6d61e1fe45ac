"""IVR lookups over real HTTP: a small aiohttp server on loopback answering well, badly,
late or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from ccengine.telephony.ivr.lookups import HttpRequest
from ccengine.telephony.ivr.services import http_lookup
from tests.e2e.ports import free_port
from tests.local_http import serving


@pytest.fixture
async def base() -> AsyncIterator[str]:
    async def ok(request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        return web.json_response({"method": request.method, "body": body,
                                  "header": request.headers.get("X-Test")})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({})

    async def broken(request: web.Request) -> web.Response:
        return web.json_response({"error": "down"}, status=503)

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>hello</html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/ok", ok)
    app.router.add_get("/slow", slow)
    app.router.add_get("/broken", broken)
    app.router.add_get("/html", html)
    async with serving(app) as url:
        yield url


@pytest.mark.parametrize(("path", "outcome"), [
    ("/slow", "timeout"), ("/broken", "http_503"), ("/html", "not_json"),
])
async def test_given_a_bad_service_when_looking_up_then_the_outcome_says_why(
        base: str, path: str, outcome: str) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http_lookup(http, HttpRequest("GET", base + path, timeout=0.5))
    assert answer.outcome == outcome and answer.data is None


async def test_given_no_server_when_looking_up_then_unreachable() -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http_lookup(http, HttpRequest(
            "GET", f"http://127.0.0.1:{free_port()}/x", timeout=2))
    assert answer.outcome == "unreachable"


async def test_given_a_good_service_when_posting_then_json_answer(base: str) -> None:
    async with aiohttp.ClientSession() as http:
        answer = await http_lookup(http, HttpRequest(
            "POST", base + "/ok", {"X-Test": "1", "Content-Type": "application/json"},
            '{"a": 1}', timeout=2))
    assert answer.outcome == "ok"
    assert answer.data == {"method": "POST", "body": {"a": 1}, "header": "1"}
