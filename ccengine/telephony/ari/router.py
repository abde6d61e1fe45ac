"""One ARI event router: owns the websocket, hands each StasisStart to exactly one handler
(by its first Stasis argument) and every other channel event to that channel's listeners.
Playback and recording events go to a listener of their own (``playback:<id>``,
``recording:<name>``) when one is open, else to the channel they target."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError
from ccengine.telephony.ari.events import AriEvent

log = logging.getLogger(__name__)

StartHandler = Callable[[AriEvent, "ChannelEvents"], Awaitable[None]]
ReconnectHandler = Callable[[], Awaitable[None]]


class ChannelEvents:
    """The event stream of one channel (including playbacks that target it)."""

    def __init__(self, channel_id: str) -> None:
        self.channel_id = channel_id
        self.queue: asyncio.Queue[AriEvent] = asyncio.Queue()
        # the channel has hung up (a hang-up event of its own was routed here): hanging it
        # up again would be a request to Asterisk for nothing
        self.gone = False

    async def next(self, timeout: float | None = None) -> AriEvent | None:
        """The next event, or None when ``timeout`` passes first."""
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None


HANGUP_EVENTS = frozenset({"StasisEnd", "ChannelDestroyed", "ChannelHangupRequest"})
_CLOSED_KEPT = 10_000  # recently closed listeners remembered (see AriEventRouter._closed)
# A leg originated without a channel id (client.py, NAMES_KEPT's comment) is named by the
# originate's answer, and its first events may come before it: they are held for listen()
# this long at most (past the knee an originate took up to 8 s), and for this many
# channels at most. An unclaimed leg that reached Stasis is then hung up.
HELD_SECONDS = 30.0
_HELD_KEPT = 5_000


def ends_channel(event: AriEvent) -> bool:
    """The channel is gone or going for good: it left Stasis, was destroyed, or its far end
    hung up. A soft hang-up request (a redirect, a move between bridges) is not the end."""
    return event.type == "StasisEnd" or event.hung_up


class AriEventRouter:
    """Reads the ARI events of one application and routes them; tracks every task it starts."""

    def __init__(self, client: AriClient) -> None:
        self.client = client
        self._handlers: dict[str, StartHandler] = {}
        self._listeners: dict[str, ChannelEvents] = {}
        # channels whose listener closed lately (oldest first): a leg the engine originated
        # that reaches Stasis after its waiter moved on (an offer withdrawn, a call ended)
        self._closed: dict[str, None] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_reconnect: list[ReconnectHandler] = []
        # called with every event before it is routed (the overload guard's lag meter)
        self.observers: list[Callable[[AriEvent], None]] = []
        self.connected = asyncio.Event()
        # originates without a channel id in flight (expecting), and the events of channels
        # nobody listens to that came meanwhile: channel -> (when first held, its events)
        self._expecting = 0
        self._held: dict[str, tuple[float, list[AriEvent]]] = {}
        self._pruning: asyncio.TimerHandle | None = None

    def on_stasis_start(self, kind: str, handler: StartHandler) -> None:
        """Call ``handler`` for each StasisStart whose first argument is ``kind``."""
        if kind in self._handlers:
            raise ValueError(f"a StasisStart handler for {kind!r} is already registered")
        self._handlers[kind] = handler

    def on_reconnect(self, handler: ReconnectHandler) -> None:
        self._on_reconnect.append(handler)

    @contextmanager
    def listen(self, channel_id: str) -> Iterator[ChannelEvents]:
        """Receive the events of ``channel_id`` while the context is open."""
        events = self._listeners.setdefault(channel_id, ChannelEvents(channel_id))
        _, held = self._held.pop(channel_id, (0.0, []))
        for event in held:   # a new leg's events that came before its originate's answer
            self._deliver(events, event)
        try:
            yield events
        finally:
            self._listeners.pop(channel_id, None)
            self._forget(channel_id)

    def _forget(self, channel_id: str) -> None:
        """Nobody listens to this channel any more: its later events are dropped (never
        held), a late StasisStart of it hung up without a warning."""
        self._closed[channel_id] = None
        if len(self._closed) > _CLOSED_KEPT:
            del self._closed[next(iter(self._closed))]

    @contextmanager
    def expecting(self) -> Iterator[None]:
        """Around an originate without a channel id: until its answer names the new leg
        (and ``listen`` takes its events), the events of channels nobody listens to are
        held, up to HELD_SECONDS, instead of dropped (or, for its StasisStart, hung up)."""
        self._expecting += 1
        try:
            yield
        finally:
            self._expecting -= 1

    def _hold(self, channel_id: str, event: AriEvent) -> None:
        now = asyncio.get_running_loop().time()
        entry = self._held.get(channel_id)
        if entry is None:
            entry = self._held[channel_id] = (now, [])
            self._prune(now)
        entry[1].append(event)

    def _prune(self, now: float) -> None:
        """Let go of held events older than HELD_SECONDS (or past _HELD_KEPT channels):
        a leg among them that reached Stasis, unclaimed, is hung up."""
        while self._held:
            channel_id, (since, events) = next(iter(self._held.items()))
            if now - since < HELD_SECONDS and len(self._held) <= _HELD_KEPT:
                break
            del self._held[channel_id]
            start = next((e for e in events if e.type == "StasisStart"), None)
            if start is not None and not any(ends_channel(e) for e in events):
                log.warning("leg %s reached Stasis but no originate named it within %.0f s: "
                            "hanging up", channel_id, HELD_SECONDS)
                self.spawn(self._hangup_quietly(channel_id), "ari-reject")
        if self._held and self._pruning is None:
            first = next(iter(self._held.values()))[0]
            self._pruning = asyncio.get_running_loop().call_at(first + HELD_SECONDS,
                                                               self._prune_due)

    def _prune_due(self) -> None:
        self._pruning = None
        self._prune(asyncio.get_running_loop().time())

    def _reject(self, start: AriEvent, channel_id: str | None) -> None:
        """A StasisStart no handler or listener takes (nor a listener to come): the
        channel is hung up."""
        kind = start.args[0] if start.args else ""
        if channel_id in self._closed:  # expected now and then: not a warning
            log.info("%s leg %s reached Stasis after its call moved on: hanging up",
                     kind, channel_id)
        else:
            log.warning("StasisStart with unknown first argument %r: hanging up", kind)
        self.spawn(self._hangup_quietly(channel_id), "ari-reject")

    @staticmethod
    def _deliver(listener: ChannelEvents, event: AriEvent) -> None:
        if event.channel is not None and event.channel.id == listener.channel_id \
                and ends_channel(event):
            listener.gone = True
        listener.queue.put_nowait(event)

    def spawn(self, coro: Awaitable[None], name: str) -> asyncio.Task[None]:
        """Start a tracked task whose failure is logged, never lost."""
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed", task.get_name(), exc_info=task.exception())

    async def run(self) -> None:
        """Consume events until cancelled."""
        async for event in self.client.events():
            if event is None:
                self.connected.set()
                for handler in self._on_reconnect:
                    self.spawn(handler(), "ari-reconnect")
                continue
            for observe in self.observers:
                observe(event)
            self.dispatch(event)

    def dispatch(self, event: AriEvent) -> None:
        channel_id = event.channel.id if event.channel else _target_channel(event)
        # a playback's or recording's own listener (listen("recording:<name>")) comes first
        listener = self._listeners.get(_object_key(event)) if event.channel is None else None
        if listener is None and channel_id:
            listener = self._listeners.get(channel_id)
        if listener is not None:
            self._deliver(listener, event)
            return
        # perhaps a leg whose originate is out (expecting): held for listen()
        holding = bool(channel_id) and event.channel is not None and (
            channel_id in self._held
            or (self._expecting > 0 and channel_id not in self._closed))
        if event.type == "StasisStart":
            kind = event.args[0] if event.args else ""
            handler = self._handlers.get(kind)
            if handler is not None:
                self._held.pop(channel_id or "", None)
                events = self._listeners.setdefault(channel_id, ChannelEvents(channel_id))
                self.spawn(self._run_handler(handler, event, events),
                           f"ari-{kind}-{channel_id}")
            elif holding:
                self._hold(channel_id or "", event)
            else:
                self._reject(event, channel_id)
        elif holding:
            self._hold(channel_id or "", event)

    async def _run_handler(self, handler: StartHandler, event: AriEvent,
                           events: ChannelEvents) -> None:
        try:
            await handler(event, events)
        finally:
            self._listeners.pop(events.channel_id, None)
            self._forget(events.channel_id)

    async def _hangup_quietly(self, channel_id: str | None) -> None:
        if channel_id:
            try:
                await self.client.hangup(channel_id)
            except AriError:
                pass

    async def cancel_all(self, timeout: float = 10.0) -> None:
        """Cancel every task it started (the calls' and features' followers) and wait for
        them to finish their cleanup, at most ``timeout``; the event stream goes on."""
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout)
            if pending:
                log.error("%d task(s) did not finish within %.0f s of being cancelled",
                          len(pending), timeout)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _target_channel(event: AriEvent) -> str | None:
    """The channel a playback or recording event is about (``target_uri`` channel:<id>)."""
    for kind in ("playback", "recording"):
        target = str((event.raw.get(kind) or {}).get("target_uri", ""))
        if target.startswith("channel:"):
            return target.removeprefix("channel:")
    return None


def _object_key(event: AriEvent) -> str:
    """``playback:<id>`` or ``recording:<name>`` for playback and recording events."""
    if isinstance(event.raw.get("recording"), dict):
        return f"recording:{event.raw['recording'].get('name', '')}"
    if isinstance(event.raw.get("playback"), dict):
        return f"playback:{event.raw['playback'].get('id', '')}"
    return ""
