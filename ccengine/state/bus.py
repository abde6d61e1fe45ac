"""Core events shared across engine nodes over Redis pub/sub.

Each node wires ``dispatcher.subscribe(bus.publish)`` and ``bus.subscribe(feed.on_event)``:
events the local dispatcher emits are published as JSON tagged with the node id; the reader
task delivers events published by *other* nodes to the local callbacks (a node's own events
already reach its local subscribers through its dispatcher).

Pub/sub is fire-and-forget: an event published while a node is disconnected is not replayed
to it. The bus is for live views (screen pop, wallboards); durable records stay in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from ccengine.core.errors import CoreError
from ccengine.core.events import (
    AgentStateChanged,
    Event,
    InteractionAnswered,
    InteractionCancelled,
    InteractionChange,
    InteractionEnded,
    InteractionEscalated,
    InteractionOffered,
    InteractionQueued,
    InteractionRequeued,
)
from ccengine.core.interaction import Interaction

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], Awaitable[None] | None]

EVENT_TYPES: dict[str, type[Event]] = {cls.__name__: cls for cls in (
    AgentStateChanged, InteractionQueued, InteractionOffered, InteractionAnswered,
    InteractionRequeued, InteractionEnded, InteractionCancelled, InteractionEscalated)}


class InvalidEvent(CoreError, ValueError):
    """An event that cannot be encoded or a dict that does not decode into one."""

    code = "event_invalid"


class EventBusError(CoreError):
    """The bus could not reach Redis (wraps the Redis error)."""

    code = "event_bus_unavailable"


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict of a core event, with its class name under ``"type"``."""
    name = type(event).__name__
    if EVENT_TYPES.get(name) is not type(event):
        raise InvalidEvent(f"not a known event type: {name}")
    out: dict[str, Any] = {"type": name}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        out[f.name] = value.to_dict() if isinstance(value, Interaction) else value
    return out


def event_from_dict(d: dict[str, Any]) -> Event:
    """The core event a dict of :func:`event_to_dict` describes; InvalidEvent if it is not one."""
    if not isinstance(d, dict):
        raise InvalidEvent(f"expected an object, got {type(d).__name__}")
    cls = EVENT_TYPES.get(d.get("type"))  # type: ignore[arg-type]
    if cls is None:
        raise InvalidEvent(f"unknown event type {d.get('type')!r} "
                           f"(one of {', '.join(EVENT_TYPES)})")
    kwargs: dict[str, Any] = {}
    try:
        for f in dataclasses.fields(cls):
            if f.name not in d:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise InvalidEvent(f"{cls.__name__}: missing field {f.name!r}")
                continue
            value = d[f.name]
            if f.name == "interaction" and issubclass(cls, InteractionChange):
                value = Interaction.from_dict(value)
            kwargs[f.name] = value
        return cls(**kwargs)
    except InvalidEvent:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidEvent(f"{cls.__name__}: {e!r}") from e


class RedisEventBus:
    """Publishes local core events on a Redis channel and delivers other nodes' events to
    local callbacks. ``start()`` subscribes (and returns once Redis confirmed it); the reader
    task reconnects with backoff after a lost connection; ``stop()`` ends it. The Redis client
    is the caller's: the bus never closes it."""

    def __init__(self, redis_client: aioredis.Redis, channel: str, node_id: str, *,
                 reconnect_min: float = 0.1, reconnect_max: float = 5.0,
                 subscribe_timeout: float = 5.0) -> None:
        if not channel or not node_id:
            raise ValueError("channel and node_id must be non-empty")
        self.redis, self.channel, self.node_id = redis_client, channel, node_id
        self.reconnect_min, self.reconnect_max = reconnect_min, reconnect_max
        self.subscribe_timeout = subscribe_timeout
        self._callbacks: list[EventCallback] = []
        self._reader: asyncio.Task[None] | None = None
        self.reconnects = 0  # lost connections recovered from: for health checks and tests

    # ------------------------------------------------------------------ publishing
    async def publish(self, event: Event) -> None:
        """Send a core event to the other nodes (use as a dispatcher subscriber)."""
        try:
            message = json.dumps({"node": self.node_id, "event": event_to_dict(event)})
        except (TypeError, ValueError) as e:  # e.g. a non-JSON value in AgentStateChanged.data
            raise InvalidEvent(f"{type(event).__name__} is not JSON-serialisable: {e}") from e
        try:
            await self.redis.publish(self.channel, message)
        except RedisError as e:
            raise EventBusError(f"could not publish {type(event).__name__} on "
                                f"{self.channel!r}: {e}") from e

    # ------------------------------------------------------------------ receiving
    def subscribe(self, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback`` (sync or async) with each event from another node; returns a
        function that unsubscribes it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    @property
    def running(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def start(self) -> None:
        """Subscribe to the channel and start the reader task; raises EventBusError if Redis
        cannot be reached now (a later loss of the connection is recovered from)."""
        if self.running:
            return
        try:
            pubsub = await self._subscribed()
        except (RedisError, OSError, TimeoutError) as e:
            raise EventBusError(f"could not subscribe to {self.channel!r}: {e}") from e
        self._reader = asyncio.create_task(self._read_forever(pubsub),
                                           name=f"event-bus-reader:{self.node_id}")

    async def stop(self) -> None:
        """Stop the reader task and drop the subscription."""
        reader, self._reader = self._reader, None
        if reader is None:
            return
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader

    async def _subscribed(self) -> PubSub:
        """A pub/sub connection whose subscription Redis has confirmed (so nothing published
        after this returns is missed)."""
        pubsub = self.redis.pubsub()
        try:
            await pubsub.subscribe(self.channel)
            async with asyncio.timeout(self.subscribe_timeout):
                while True:
                    msg = await pubsub.get_message(timeout=self.subscribe_timeout)
                    if msg is not None and msg["type"] == "subscribe":
                        return pubsub
        except BaseException:
            await _close_quietly(pubsub)
            raise

    async def _read_forever(self, pubsub: PubSub) -> None:
        delay = self.reconnect_min
        try:
            while True:
                try:
                    while True:
                        msg = await pubsub.get_message(ignore_subscribe_messages=True,
                                                       timeout=1.0)
                        if msg is not None and msg["type"] == "message":
                            await self._deliver(msg["data"])
                        delay = self.reconnect_min
                except (RedisError, OSError) as e:
                    log.warning("event bus %s lost Redis (%s); reconnecting", self.node_id, e)
                await _close_quietly(pubsub)
                pubsub = await self._reconnect(delay)
                delay = min(delay * 2, self.reconnect_max)
                self.reconnects += 1
        finally:
            await _close_quietly(pubsub)

    async def _reconnect(self, delay: float) -> PubSub:
        while True:
            await asyncio.sleep(delay)
            try:
                return await self._subscribed()
            except (RedisError, OSError, TimeoutError) as e:
                log.warning("event bus %s: resubscribe failed (%s); retrying", self.node_id, e)
                delay = min(delay * 2, self.reconnect_max)

    async def _deliver(self, raw: str | bytes) -> None:
        try:
            envelope = json.loads(raw)
            if envelope["node"] == self.node_id:
                return  # our own event: local subscribers had it from the dispatcher
            event = event_from_dict(envelope["event"])
        except (ValueError, KeyError, TypeError) as e:
            log.error("event bus %s: skipped a malformed message on %r: %s (%.200r)",
                      self.node_id, self.channel, e, raw)
            return
        for callback in list(self._callbacks):
            try:
                result = callback(event)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("event bus callback failed on %s", type(event).__name__)


async def _close_quietly(pubsub: PubSub) -> None:
    with contextlib.suppress(RedisError, OSError):
        await pubsub.aclose()
