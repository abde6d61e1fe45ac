"""The ARI client against a local HTTP server that holds its answers: the age of its oldest
request not answered yet (the overload guard's measure), the cap on originates out at
once, originates without a channel id, and hang-ups by the channel's name."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from ccengine.telephony.ari.client import AriClient, ari_http_session
from tests.local_http import serving


@contextlib.asynccontextmanager
async def client_of(app: web.Application) -> AsyncIterator[AriClient]:
    async with serving(app) as url, ari_http_session() as http:
        yield AriClient(f"{url}/ari", "u", "p", "ccengine", http)


def record_hangups(app: web.Application, asked: list[str],
                   live: Callable[[str], bool] = lambda _name: True) -> None:
    """``DELETE /ari/channels/<id or name>`` on ``app``: what each names (as sent, quoted)
    goes to ``asked``; 404 for what ``live`` says is no channel."""
    async def hangup(request: web.Request) -> web.Response:
        asked.append(request.raw_path.removeprefix("/ari/channels/").split("?")[0])
        return web.Response(status=204 if live(request.match_info["name"]) else 404)
    app.router.add_delete("/ari/channels/{name:.+}", hangup)


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


async def test_given_a_channel_named_by_its_events_when_hung_up_then_by_name_else_by_id(
        ) -> None:
    """A hang-up names the channel by its name when its events told it (Asterisk finds a
    name in its hash table, an id only by comparing every channel's), and by its id when
    its name is unknown, forgotten at its end, or no longer a channel's."""
    from ccengine.telephony.ari.events import AriEvent
    asked: list[str] = []
    live = {"PJSIP/b001-0000002a", "id-2", "id-3", "id-4"}

    def event(kind: str, channel_id: str, name: str) -> AriEvent:
        return AriEvent.from_json({"type": kind, "channel": {"id": channel_id, "name": name}})

    app = web.Application()
    record_hangups(app, asked, live.__contains__)
    async with client_of(app) as ari:
        ari.learn(event("StasisStart", "id-1", "PJSIP/b001-0000002a"))
        ari.learn(event("StasisStart", "id-2", "PJSIP/b002-0000002b"))
        ari.learn(event("StasisStart", "id-3", "PJSIP/b003-0000002c"))
        ari.learn(event("StasisEnd", "id-3", "PJSIP/b003-0000002c"))
        await ari.hangup("id-1")
        await ari.hangup("id-2")     # its name is no channel's now: by id after all
        await ari.hangup("id-3")     # out of the application: its name forgotten
        await ari.hangup("id-4")     # never named
    assert asked == ["PJSIP%2Fb001-0000002a", "PJSIP%2Fb002-0000002b", "id-2", "id-3",
                     "id-4"]


async def test_given_a_channel_whose_end_an_event_told_when_asked_about_then_404_unsent(
        ) -> None:
    """A request naming an ended channel would make Asterisk compare every channel's id to
    answer 404: it fails in the engine instead, as that 404 would, and is never sent. A soft
    hang-up request (a move, a redirect) is no end."""
    from ccengine.telephony.ari.errors import AriNotFound
    from ccengine.telephony.ari.events import AriEvent
    asked: list[str] = []

    async def any_request(request: web.Request) -> web.Response:
        asked.append(f"{request.method} {request.path} {request.query_string}".strip())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/ari/{path:.+}", any_request)
    async with client_of(app) as ari:
        for kind, channel_id, extra in [
                ("ChannelHangupRequest", "far-end", {"cause": 16}),
                ("ChannelHangupRequest", "moved", {"cause": 16, "soft": True}),
                ("ChannelDestroyed", "destroyed", {"cause": 16})]:
            ari.learn(AriEvent.from_json({"type": kind, **extra, "channel": {
                "id": channel_id, "name": f"PJSIP/{channel_id}-00000001"}}))
        for ended in [ari.start_moh("far-end"), ari.stop_moh("destroyed"),
                      ari.hangup("far-end"), ari.hangup("destroyed"),
                      ari.add_to_bridge("b1", ["live", "far-end"])]:
            with pytest.raises(AriNotFound, match="has ended"):
                await ended
        assert not await ari.channel_exists("destroyed")
        await ari.start_moh("moved")
        await ari.add_to_bridge("b1", ["live", "moved"])
        await ari.destroy_bridge("b1")
    assert asked == ["POST /ari/channels/moved/moh mohClass=default",
                     "POST /ari/bridges/b1/addChannel channel=live,moved",
                     "DELETE /ari/bridges/b1"]


async def test_given_no_channel_id_when_originating_then_asterisk_picks_it_and_it_is_named(
        ) -> None:
    paths: list[str] = []

    async def originate(request: web.Request) -> web.Response:
        paths.append(request.path)
        return web.json_response({"id": "1733.7", "name": "PJSIP/b001-00000007"})

    app = web.Application()
    app.router.add_post("/ari/channels", originate)
    app.router.add_post("/ari/channels/{name}", originate)
    record_hangups(app, paths)
    async with client_of(app) as ari:
        leg = await ari.originate("PJSIP/b001", None, ["agent", "i1"], caller_id="c",
                                  timeout=10)
        await ari.originate("PJSIP/b002", "mine-1", ["agent", "i2"], caller_id="c",
                            timeout=10)
        await ari.hangup(leg["id"])
    assert paths == ["/ari/channels", "/ari/channels/mine-1", "PJSIP%2Fb001-00000007"]


async def test_given_the_events_websocket_drops_then_names_are_forgotten_until_told_again(
        ) -> None:
    """A restarted Asterisk numbers its channels' names from 0 again: once the events
    websocket drops, no hang-up goes by a name learnt before."""
    asked: list[str] = []
    connects = 0
    close = asyncio.Event()

    async def events(request: web.Request) -> web.StreamResponse:
        nonlocal connects
        connects += 1
        if connects > 1:   # Asterisk not back yet
            return web.Response(status=503)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "StasisStart", "application": "ccengine",
                            "channel": {"id": "id-1", "name": "PJSIP/b001-00000001"}})
        await close.wait()
        await ws.close()
        return ws

    async def event_filter(_request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/ari/events", events)
    app.router.add_put("/ari/applications/ccengine/eventFilter", event_filter)
    record_hangups(app, asked)
    async with client_of(app) as ari:
        stream = ari.events(min_backoff=0.05, max_backoff=0.1)
        assert await anext(stream) is None                   # connected
        assert (await anext(stream)).type == "StasisStart"
        await ari.hangup("id-1")                             # by name
        close.set()
        reader = asyncio.ensure_future(anext(stream))       # drops, then retries
        await asyncio.sleep(0.3)
        assert not reader.done() and connects >= 2
        await ari.hangup("id-1")                             # by id now
        reader.cancel()
    assert asked == ["PJSIP%2Fb001-00000001", "id-1"]
