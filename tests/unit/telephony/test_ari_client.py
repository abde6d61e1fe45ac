"""The ARI client against a local HTTP server that holds its answers: the age of its oldest
request not answered yet (the overload guard's measure), and the cap on originates out at
once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from ccengine.telephony.ari.client import AriClient, ari_http_session
from tests.local_http import serving


@contextlib.asynccontextmanager
async def client_of(app: web.Application) -> AsyncIterator[AriClient]:
    async with serving(app) as url, ari_http_session() as http:
        yield AriClient(f"{url}/ari", "u", "p", "ccengine", http)


async def test_given_requests_held_by_asterisk_when_read_then_the_oldest_ones_wait_until_answered(
        ) -> None:
    release = {"first": asyncio.Event(), "second": asyncio.Event()}

    async def answer(request: web.Request) -> web.Response:
        await release[request.match_info["name"]].wait()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/ari/channels/{name}/answer", answer)
    async with client_of(app) as ari:
        assert ari.oldest_request_age() == 0.0
        first = asyncio.ensure_future(ari.answer("first"))
        await asyncio.sleep(0.3)
        second = asyncio.ensure_future(ari.answer("second"))
        await asyncio.sleep(0.2)
        assert 0.5 <= ari.oldest_request_age() < 1.5      # the first, still out
        release["first"].set()
        await first
        assert 0.2 <= ari.oldest_request_age() < 0.5      # now the second
        release["second"].set()
        await second
        assert ari.oldest_request_age() == 0.0            # all answered


async def test_given_originates_held_by_asterisk_when_more_come_then_they_wait_in_the_engine(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Originates out at once are capped (ARI_ORIGINATES): the ones past the cap wait in
    the engine, counted as unanswered, and other requests still get a connection."""
    from ccengine.telephony.ari import client
    monkeypatch.setattr(client, "ARI_ORIGINATES", 2)
    release = asyncio.Event()
    out = {"now": 0, "most": 0}

    async def originate(request: web.Request) -> web.Response:
        out["now"] += 1
        out["most"] = max(out["most"], out["now"])
        await release.wait()
        out["now"] -= 1
        return web.json_response({"id": request.match_info["name"]})

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/ari/channels/{name}", originate)
    app.router.add_post("/ari/channels/{name}/answer", answer)
    async with client_of(app) as ari:
        legs = [asyncio.ensure_future(ari.originate(
            "PJSIP/b001", f"agent-{n}", ["agent"], caller_id="c", timeout=10))
            for n in range(5)]
        await asyncio.sleep(0.3)
        assert out == {"now": 2, "most": 2}            # three wait their turn
        await asyncio.wait_for(ari.answer("caller"), 2)  # not behind them
        assert ari.oldest_request_age() >= 0.3
        release.set()
        assert [r["id"] for r in await asyncio.gather(*legs)] == [
            f"agent-{n}" for n in range(5)]
        assert out["most"] == 2 and ari.oldest_request_age() == 0.0
