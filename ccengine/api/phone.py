"""The phone in the page: the signed-in user's own SIP credentials (``GET /api/phone``) and
the SIP websocket relayed to Asterisk (``GET /ws/sip``).

Browsers never reach Asterisk's HTTP server (it also serves ARI): the engine relays each
WebRTC phone's SIP websocket to it, for authenticated agents and supervisors whose phone is
``webrtc`` only. Media goes from the browser to Asterisk directly (DTLS-SRTP with ICE).
The relay also knows when a user's phone connection opens and closes, which the voice
channel uses to keep a caller whose agent's page went away (``PhoneRelay.listeners``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from ccengine.api.http import current_user, error, received
from ccengine.telephony.asterisk.webrtc import WebrtcSettings

log = logging.getLogger(__name__)

SOCKET_PATH = "/ws/sip"
# a page that vanished without closing its socket (network gone) is noticed within about
# two of these
HEARTBEAT_SECONDS = 5.0

# told (user id, what) when a user's first phone connection opens ("connected"), when
# Asterisk accepts a registration over it ("registered") and when their last one closes
# ("disconnected")
ConnectionListener = Callable[[str, str], Awaitable[None]]
CONNECTED, REGISTERED, DISCONNECTED = "connected", "registered", "disconnected"
_REGISTER_OK = re.compile(r"\ASIP/2\.0 200 .*^CSeq:\s*\d+\s+REGISTER\s*$", re.S | re.M | re.I)
# the registrar lists the contacts it keeps, each with its remaining time
_CONTACT_KEPT = re.compile(r"^(Contact|m)\s*:.*;\s*expires=0*[1-9]", re.M | re.I)


def registration_accepted(frame: str) -> bool:
    """Whether a SIP frame from Asterisk accepts a REGISTER: a 200 that keeps a contact
    (the answer to an un-REGISTER lists none)."""
    head = frame.split("\r\n\r\n", 1)[0]
    return bool(_REGISTER_OK.search(head)) and bool(_CONTACT_KEPT.search(head))


@dataclass(frozen=True)
class PhoneLine:
    """One user's phone as configured."""

    user_id: str
    name: str
    kind: str          # webrtc | sip
    sip_password: str


class PhoneRelay:
    """Relays users' SIP websockets to Asterisk's and counts each user's open ones."""

    def __init__(self, asterisk_ws_url: str, http: aiohttp.ClientSession,
                 lines: Mapping[str, PhoneLine], settings: WebrtcSettings,
                 sip_host: str, sip_port: int) -> None:
        self.url, self.http, self.lines = asterisk_ws_url, http, dict(lines)
        self.settings, self.sip_host, self.sip_port = settings, sip_host, sip_port
        self.open: Counter[str] = Counter()
        self.listeners: list[ConnectionListener] = []

    def connected(self, user_id: str) -> bool:
        """Whether the user's phone has a websocket open through this engine node."""
        return self.open[user_id] > 0

    def details(self, user_id: str) -> dict[str, object]:
        """What the user's page needs to register their phone (their own only)."""
        line = self.lines.get(user_id)
        if line is None:
            raise error(404, "no_phone", f"{user_id} has no phone configured")
        if line.kind != "webrtc":
            return {"kind": line.kind, "user": user_id,
                    "server": f"udp:{self.sip_host}:{self.sip_port}"}
        return {"kind": "webrtc", "user": user_id, "display_name": line.name,
                "uri": f"sip:{user_id}@{self.sip_host}", "password": line.sip_password,
                "socket": SOCKET_PATH, "ice_servers": [dict(s) for s in
                                                        self.settings.ice_servers],
                "candidates": "loopback" if self.settings.loopback else "all"}

    async def _tell(self, user_id: str, what: str) -> None:
        for listener in list(self.listeners):
            try:
                await listener(user_id, what)
            except Exception:
                log.exception("phone connection listener failed for %s", user_id)

    async def relay(self, request: web.Request) -> web.WebSocketResponse:
        user = current_user(request)
        line = self.lines.get(user.id)
        if line is None or line.kind != "webrtc":
            raise error(403, "forbidden", f"{user.id} has no WebRTC phone")
        try:
            upstream = await self.http.ws_connect(self.url, protocols=("sip",),
                                                  heartbeat=HEARTBEAT_SECONDS)
        except (aiohttp.ClientError, OSError) as e:
            log.warning("SIP websocket for %s: Asterisk unreachable: %s", user.id, e)
            raise error(503, "asterisk_unavailable", "the phone service is not reachable "
                                                     "right now; try again") from e
        browser = web.WebSocketResponse(protocols=("sip",), heartbeat=HEARTBEAT_SECONDS)
        await browser.prepare(request)
        self.open[user.id] += 1
        if self.open[user.id] == 1:
            await self._tell(user.id, CONNECTED)

        async def from_asterisk(frame: str) -> None:
            if registration_accepted(frame):
                await self._tell(user.id, REGISTERED)
        try:
            await _pump_both(browser, upstream, from_asterisk)
        finally:
            await upstream.close()
            await browser.close()
            self.open[user.id] -= 1
            if self.open[user.id] <= 0:
                del self.open[user.id]
                await self._tell(user.id, DISCONNECTED)
        return browser


Watcher = Callable[[str], Awaitable[None]]


async def _pump(source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
                sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
                watch: Watcher | None = None) -> None:
    frames = received(source) if isinstance(source, web.WebSocketResponse) else source
    async for msg in frames:
        if msg.type == aiohttp.WSMsgType.TEXT:
            await sink.send_str(msg.data)
            if watch is not None:
                await watch(msg.data)
        elif msg.type == aiohttp.WSMsgType.BINARY:
            await sink.send_bytes(msg.data)


async def _pump_both(browser: web.WebSocketResponse,
                     upstream: aiohttp.ClientWebSocketResponse,
                     from_asterisk: Watcher) -> None:
    """Relay frames both ways until either side closes; ``from_asterisk`` sees each text
    frame Asterisk sends."""
    tasks = {asyncio.ensure_future(_pump(browser, upstream)),
             asyncio.ensure_future(_pump(upstream, browser, from_asterisk))}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                log.info("SIP websocket relay ended: %s", task.exception())
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await task


def add_routes(app: web.Application, relay: PhoneRelay) -> None:
    async def phone(request: web.Request) -> web.Response:
        user = current_user(request)
        return web.json_response(relay.details(user.id),
                                 headers={"Cache-Control": "no-store"})

    app.router.add_get("/api/phone", phone)
    app.router.add_get(SOCKET_PATH, relay.relay)
