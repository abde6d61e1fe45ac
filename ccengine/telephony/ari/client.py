"""The ARI REST client and the events websocket with reconnect and backoff."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from ccengine.telephony.ari.errors import AriError, AriNotFound, AriUnavailable, error_for
from ccengine.telephony.ari.events import AriEvent

log = logging.getLogger(__name__)

# ARI requests in flight at once (more wait for a free connection): under Asterisk's HTTP
# sessionlimit (asterisk-config/http.conf.j2), which the events websocket shares. A call
# makes about nine requests; at 40 calls/s, once Asterisk takes 0.4 s over each (a full
# machine), about 144 are in flight. With 64, requests queued for a connection, every step
# of every call waited behind them, and callers hung up (docs/benchmarks.md, overload)
ARI_CONNECTIONS = 160
# Originates (POST /channels) out at once; more wait their turn in the engine. Past the
# knee Asterisk took 6-8 s over each (creating an agent's channel waits for PJSIP's
# queues), and with no cap they took every connection: a caller's hang-up, a stopped
# prompt or a bridge then waited seconds for one too (docs/benchmarks.md, 2026-12-07)
ARI_ORIGINATES = 48
# Channels named to Asterisk by id cost it a search of every channel, under the lock that
# every channel's creation and end also takes, each channel locked in turn (Asterisk 16:
# ast_channel_get_by_name falls back to comparing unique ids one by one; an originate
# given a channelId compares it with every channel's). Past the knee one such search
# waiting for a busy channel held up the rest: in a thread snapshot at 48 calls/s, 27
# channel creations, 27 channel ends and 53 ARI requests waited for it, and behind them
# every PJSIP worker (docs/benchmarks.md, 2026-12-07, third session). So agents' legs are
# originated without a channelId (AriClient.originate, AriEventRouter.expecting) and a
# channel is hung up by its name when its events told it (a hashed lookup).
NAMES_KEPT = 50_000   # channel names remembered at most (each forgotten at its channel's end)
# A request on a channel that has ended costs Asterisk that same search: to tell "not found"
# (404) from "not in Stasis" (409), every request naming a channel not in the application
# looks it up by id (find_control). Past the knee callers hung up while their music, their
# bridge or their hang-up was being asked for; each 404 was a search that held everything
# up, later steps of calls then waited longer, more callers hung up, and the engine connected
# no one for 10-15 s at a time (docs/benchmarks.md, 2026-12-07, fifth session). So a request
# on a channel whose end an event told (ENDED_KEPT remembered) fails here, as Asterisk's
# 404 would, without being sent.
ENDED_KEPT = 50_000
# an idle connection is let go well before Asterisk's session_keep_alive (15 s) closes it
ARI_KEEPALIVE_SECONDS = 5.0


# Event types no part of the engine reads. Asterisk is asked not to send them (the app's
# eventFilter): each would cost Asterisk a JSON encoding and the engine a decoding, and
# they are most of a call's events (ChannelVarset alone comes several times a call).
UNUSED_EVENTS = ("ChannelVarset", "ChannelDialplan", "ChannelCallerId",
                 "ChannelConnectedLine", "Dial", "BridgeCreated", "BridgeDestroyed",
                 "BridgeMerged", "BridgeVideoSourceChanged", "ChannelEnteredBridge",
                 "ChannelLeftBridge", "ChannelTalkingStarted", "ChannelTalkingFinished",
                 "ChannelUserevent", "PlaybackContinuing")


def ari_http_session() -> aiohttp.ClientSession:
    """The HTTP session for an AriClient: its connection pool sized and timed for
    Asterisk's HTTP server."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(
        limit=ARI_CONNECTIONS, keepalive_timeout=ARI_KEEPALIVE_SECONDS))


class AriClient:
    """REST calls against ``base_url`` (``http://host:port/ari``) for one Stasis app."""

    def __init__(self, base_url: str, user: str, password: str, app: str,
                 session: aiohttp.ClientSession) -> None:
        self.base_url = base_url.rstrip("/")
        self.app = app
        self._headers = {"Authorization": basic_auth(user, password)}
        self._http = session
        # the events websocket: up now, and since when it is down (None: up, or never was)
        self.events_up = False
        self.down_since: float | None = None
        # REST requests not answered yet: number -> when asked (monotonic), oldest first
        self._in_flight: dict[int, float] = {}
        self._asked = 0
        self._originates = asyncio.Semaphore(ARI_ORIGINATES)
        # channel id -> its name, from its events (hang-ups by name: see above); emptied
        # whenever the events websocket drops or connects (names are unique only within
        # one run of Asterisk)
        self._names: dict[str, str] = {}
        # ids of channels whose end an event told, oldest first (ENDED_KEPT's comment);
        # kept across reconnects: a channel's id is never used again
        self._ended: dict[str, None] = {}

    async def request(self, method: str, path: str, *, json_body: Any = None,
                      _turn: asyncio.Semaphore | None = None, **params: Any) -> Any:
        """Call ARI; returns decoded JSON (or None); raises a typed AriError. ``_turn``: a
        semaphore to wait for first (the wait counts as the request's)."""
        query = {k: _param(v) for k, v in params.items() if v is not None}
        ended = self._ended_channel(path, query)
        if ended is not None:
            raise AriNotFound(method, path, 404, f"channel {ended} has ended (not asked)")
        url = f"{self.base_url}{path}"
        number = self._asked = self._asked + 1
        self._in_flight[number] = time.monotonic()
        try:
            async with _turn or contextlib.nullcontext(), \
                    self._http.request(method, url, params=query, json=json_body,
                                       headers=self._headers) as r:
                text = await r.text()
                if r.status >= 400:
                    message = text
                    try:
                        message = json.loads(text).get("message", text)
                    except (ValueError, AttributeError):
                        pass
                    raise error_for(method, path, r.status, message)
                return json.loads(text) if text else None
        except aiohttp.ClientConnectionError as e:
            raise AriUnavailable(method, path, 0, str(e)) from e
        finally:
            del self._in_flight[number]

    def oldest_request_age(self) -> float:
        """How long the oldest REST request not answered yet has waited, a free
        connection's wait included (0 when none is): the overload guard's second measure.
        Read while requests are still out, it shows Asterisk falling behind at once, and
        stops counting the moment its answers come, where a request's duration would only
        be known at its answer, seconds late, and would go on reporting a backlog already
        cleared."""
        for asked in self._in_flight.values():
            return time.monotonic() - asked
        return 0.0

    # -- channels
    async def answer(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/answer")

    async def hangup(self, channel_id: str, reason: str = "normal") -> None:
        """Hang the channel up: by its name when its events told it (no search of every
        channel in Asterisk, the comment above NAMES_KEPT), else, or if that name is no
        longer a channel's, by its id. AriNotFound, not asked, if its end was seen (by id:
        ``request`` tells)."""
        name = None if channel_id in self._ended else self._names.get(channel_id)
        if name:
            try:
                await self.request("DELETE", "/channels/" + urllib.parse.quote(name, safe=""),
                                   reason=reason)
                return
            except AriNotFound:
                pass   # renamed meanwhile (or gone): its id says which
        await self.request("DELETE", f"/channels/{channel_id}", reason=reason)

    def _ended_channel(self, path: str, query: dict[str, str]) -> str | None:
        """The channel a request names (in its path, or a bridge's ``channel`` list) that
        has ended, if any."""
        if not self._ended:
            return None
        named: list[str] = []
        if path.startswith("/channels/"):
            named.append(path.split("/", 3)[2])
        elif path.startswith("/bridges/") and "channel" in query:
            named.extend(query["channel"].split(","))
        return next((c for c in named if c in self._ended), None)

    def learn(self, event: AriEvent) -> None:
        """Keep the name of the event's channel (until the channel is destroyed), and
        which channels have ended (a hang-up that is not a soft one, or the channel's
        destruction)."""
        channel = event.channel
        if channel is None:
            return
        if event.hung_up:
            self._ended[channel.id] = None
            if len(self._ended) > ENDED_KEPT:
                del self._ended[next(iter(self._ended))]
        if event.type in ("StasisEnd", "ChannelDestroyed"):
            self._names.pop(channel.id, None)
        elif channel.name:
            self._names[channel.id] = channel.name
            if len(self._names) > NAMES_KEPT:   # ends missed: the oldest go
                del self._names[next(iter(self._names))]

    async def play(self, channel_id: str, media: list[str], playback_id: str,
                   lang: str | None = None) -> None:
        await self.request("POST", f"/channels/{channel_id}/play/{playback_id}",
                           media=",".join(media), lang=lang)

    async def stop_playback(self, playback_id: str) -> None:
        await self.request("DELETE", f"/playbacks/{playback_id}")

    async def start_moh(self, channel_id: str, moh_class: str = "default") -> None:
        await self.request("POST", f"/channels/{channel_id}/moh", mohClass=moh_class)

    async def stop_moh(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/moh")

    async def ring(self, channel_id: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/ring")

    async def ring_stop(self, channel_id: str) -> None:
        await self.request("DELETE", f"/channels/{channel_id}/ring")

    async def originate(self, endpoint: str, channel_id: str | None, app_args: list[str], *,
                        caller_id: str, timeout: int,
                        variables: dict[str, str] | None = None) -> dict[str, Any]:
        """Call ``endpoint`` into the Stasis app; ``variables`` are set on the new channel
        first (``PJSIP_HEADER(add,X-...)`` puts a header on the INVITE). Returns the new
        channel; with ``channel_id`` None Asterisk picks its id (no search of every
        channel: the comment above NAMES_KEPT), and its first events may come before this
        answer (AriEventRouter.expecting keeps them)."""
        path = "/channels" if channel_id is None else f"/channels/{channel_id}"
        channel = await self.request("POST", path, endpoint=endpoint,
                                     app=self.app, appArgs=",".join(app_args),
                                     callerId=caller_id, timeout=timeout,
                                     json_body={"variables": variables} if variables else None,
                                     _turn=self._originates)
        if isinstance(channel, dict) and channel.get("name"):
            self._names.setdefault(str(channel["id"]), str(channel["name"]))
        return channel

    async def channel_exists(self, channel_id: str) -> bool:
        try:
            await self.request("GET", f"/channels/{channel_id}")
        except AriNotFound:
            return False
        return True

    async def get_variable(self, channel_id: str, name: str) -> str:
        data = await self.request("GET", f"/channels/{channel_id}/variable", variable=name)
        return str((data or {}).get("value", ""))

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self.request("POST", f"/channels/{channel_id}/variable", variable=name,
                           value=value)

    # -- bridges
    async def create_bridge(self, bridge_id: str, kind: str = "mixing") -> None:
        await self.request("POST", f"/bridges/{bridge_id}", type=kind)

    async def add_to_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/addChannel",
                           channel=",".join(channel_ids))

    async def destroy_bridge(self, bridge_id: str) -> None:
        await self.request("DELETE", f"/bridges/{bridge_id}")

    async def remove_from_bridge(self, bridge_id: str, channel_ids: list[str]) -> None:
        await self.request("POST", f"/bridges/{bridge_id}/removeChannel",
                           channel=",".join(channel_ids))

    async def get_bridge(self, bridge_id: str) -> dict[str, Any]:
        return await self.request("GET", f"/bridges/{bridge_id}")

    # -- recordings
    async def record_bridge(self, bridge_id: str, name: str, fmt: str, *,
                            max_duration: int = 0, max_silence: int = 0, beep: bool = False,
                            terminate_on: str = "none") -> dict[str, Any]:
        """Record the mix of a bridge into Asterisk's spool as ``name.fmt``."""
        return await self.request("POST", f"/bridges/{bridge_id}/record", name=name,
                                  format=fmt, maxDurationSeconds=max_duration,
                                  maxSilenceSeconds=max_silence, beep=beep,
                                  terminateOn=terminate_on, ifExists="fail")

    async def record_channel(self, channel_id: str, name: str, fmt: str, *,
                             max_duration: int = 0, max_silence: int = 0, beep: bool = False,
                             terminate_on: str = "none") -> dict[str, Any]:
        """Record what a channel sends into Asterisk's spool as ``name.fmt``."""
        return await self.request("POST", f"/channels/{channel_id}/record", name=name,
                                  format=fmt, maxDurationSeconds=max_duration,
                                  maxSilenceSeconds=max_silence, beep=beep,
                                  terminateOn=terminate_on, ifExists="fail")

    async def pause_recording(self, name: str) -> None:
        """Pause a live recording: nothing is written until it is unpaused."""
        await self.request("POST", f"/recordings/live/{name}/pause")

    async def unpause_recording(self, name: str) -> None:
        await self.request("DELETE", f"/recordings/live/{name}/pause")

    async def stop_recording(self, name: str) -> None:
        """Stop a live recording and keep what it has."""
        await self.request("POST", f"/recordings/live/{name}/stop")

    async def live_recording(self, name: str) -> dict[str, Any]:
        return await self.request("GET", f"/recordings/live/{name}")

    async def delete_stored_recording(self, name: str) -> None:
        await self.request("DELETE", f"/recordings/stored/{name}")

    async def download(self, path: str, target: Path, chunk: int = 65536) -> None:
        """Stream a binary ARI resource (e.g. a stored recording's file) into ``target``."""
        url = f"{self.base_url}{path}"
        try:
            async with self._http.get(url, headers=self._headers) as r:
                if r.status >= 400:
                    raise error_for("GET", path, r.status, await r.text())
                with target.open("wb") as out:  # noqa: ASYNC230 - chunks of a local file
                    async for data in r.content.iter_chunked(chunk):
                        out.write(data)
        except aiohttp.ClientConnectionError as e:
            raise AriUnavailable("GET", path, 0, str(e)) from e

    # -- Asterisk's global variables (the dialplan reads them)
    async def set_global(self, name: str, value: str) -> None:
        await self.request("POST", "/asterisk/variable", variable=name, value=value)

    async def get_global(self, name: str) -> str:
        found = await self.request("GET", "/asterisk/variable", variable=name)
        return str((found or {}).get("value", ""))

    # -- events
    async def _filter_events(self) -> None:
        """Ask Asterisk not to send this app the UNUSED_EVENTS (a filter lives as long as
        the app's registration: set on every connect)."""
        try:
            await self.request("PUT", f"/applications/{self.app}/eventFilter",
                               json_body={"disallowed": [{"type": t} for t in UNUSED_EVENTS]})
        except AriError as e:  # an Asterisk without event filters sends them all: slower
            log.warning("ARI event filter not set: %s", e)

    async def events(self, *, min_backoff: float = 0.2, max_backoff: float = 2.0
                     ) -> AsyncIterator[AriEvent | None]:
        """Yield events forever, reconnecting with exponential backoff (Asterisk is on this
        machine or near it: a short ceiling gets calls back soon after it is).

        Yields ``None`` after each (re)connect so the consumer can resynchronise. An outage
        is logged once when it starts and once when it ends, not at every try."""
        url = self.base_url.replace("http", "ws", 1) + "/events"
        backoff, tries = min_backoff, 0
        loop = asyncio.get_running_loop()
        while True:
            reason = "closed by Asterisk"
            try:
                async with self._http.ws_connect(url, params={"app": self.app},
                                                 headers=self._headers, heartbeat=5) as ws:
                    if self.down_since is not None:
                        log.info("ARI events back (app %s) after %.1f s and %d tries",
                                 self.app, loop.time() - self.down_since, tries)
                    else:
                        log.info("ARI events connected (app %s)", self.app)
                    self.events_up, self.down_since, tries = True, None, 0
                    self._names.clear()
                    backoff = min_backoff
                    await self._filter_events()
                    yield None
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            try:
                                data = json.loads(msg.data)
                            except ValueError:
                                log.warning("ARI sent a non-JSON frame: %.200s", msg.data)
                                continue
                            event = AriEvent.from_json(data)
                            self.learn(event)
                            yield event
                        elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                            break
            except (aiohttp.ClientError, OSError) as e:
                reason = str(e) or type(e).__name__
            # Asterisk may be gone, and a new one numbers its channels' names from 0 again:
            # until its events name them, hang-ups go by id
            self._names.clear()
            if self.events_up or self.down_since is None:
                log.warning("ARI events lost (app %s): %s; reconnecting", self.app, reason)
                self.down_since = loop.time()
            self.events_up = False
            tries += 1
            await asyncio.sleep(backoff)
            backoff = min(max_backoff, backoff * 2)


def basic_auth(user: str, password: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
