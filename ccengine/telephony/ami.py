"""AMI (panoramisk) for what ARI does not give well: is an agent's phone registered and
reachable. Contact status changes are turned into ``on_contact(agent_id, reachable)`` calls."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk import Manager

log = logging.getLogger(__name__)

ContactCallback = Callable[[str, bool], Awaitable[None]]

# "unknown": registered but not qualified yet
_REACHABLE = {"created", "reachable", "updated", "nonqualified", "notinuse", "unknown"}


# panoramisk logs every failed reconnect (once a second while Asterisk is down): its log goes
# here, silent; AmiMonitor logs an outage once when it starts and once when it ends
QUIET = logging.getLogger("ccengine.telephony.ami.panoramisk")
QUIET.setLevel(logging.CRITICAL)


def reachable_aors(messages: list[Any]) -> dict[str, bool]:
    """Each AOR that has a contact in a PJSIPShowContacts reply, and whether one of its
    contacts is reachable. Asterisk 16's ContactList events carry no AOR field: the
    contact's ObjectName is ``<aor>;@<hash>``."""
    seen: dict[str, bool] = {}
    for msg in messages:
        if msg.get("Event") != "ContactList":
            continue
        aor = str(msg.get("Aor") or str(msg.get("ObjectName", "")).split(";@", 1)[0])
        if aor:
            status = str(msg.get("Status", "")).lower()
            seen[aor] = seen.get(aor, False) or status in _REACHABLE
    return seen


class ClosingManager(Manager):
    """panoramisk's Manager, but it stays closed once we close it (no reconnect after stop)."""

    closing = False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.closing:
            self._connected = False
            return
        super().connection_lost(exc)


class AmiMonitor:
    """Follows PJSIP contact status for a set of agent AORs."""

    def __init__(self, host: str, port: int, user: str, secret: str,
                 on_contact: ContactCallback) -> None:
        self._on_contact = on_contact
        self._events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._config = {"host": host, "port": port, "username": user, "secret": secret,
                        "ping_delay": 5, "ping_interval": 5, "reconnect_timeout": 1,
                        "events": "system",  # ContactStatus; not every call's events
                        "log": QUIET}
        self.manager: ClosingManager | None = None
        self.contacts: dict[str, bool] = {}
        self.up = False                      # logged in now
        self.down_since: float | None = None  # when the connection went (None: up)

    async def start(self, timeout: float = 10.0) -> None:
        """Connect, log in, read the current contacts, then follow ContactStatus events."""
        loop = asyncio.get_running_loop()
        logged_in: asyncio.Future[None] = loop.create_future()

        def on_login(_manager: Manager) -> None:
            if not logged_in.done():
                logged_in.set_result(None)
            if self.down_since is not None:
                log.info("AMI back after %.1f s", loop.time() - self.down_since)
            self.up, self.down_since = True, None
            # after a reconnect, resynchronise from scratch
            self._events.put_nowait({"__resync__": True})

        def on_disconnect(manager: Manager, exc: Exception | None) -> None:
            if getattr(manager, "closing", False) or not self.up:
                return
            self.up, self.down_since = False, loop.time()
            log.warning("AMI connection lost (%s); reconnecting every %s s", exc or "closed",
                        self._config["reconnect_timeout"])
            # every phone is unknown until Asterisk answers again
            self._events.put_nowait({"__lost__": True})

        self.manager = ClosingManager(loop=loop, on_login=on_login,
                                      on_disconnect=on_disconnect, **self._config)
        self.manager.register_event("ContactStatus", self._queue_event)
        self.manager.connect()
        async with asyncio.timeout(timeout):
            await logged_in
        self._task = asyncio.ensure_future(self._consume())
        self._task.set_name("ami-contacts")

    def _queue_event(self, _manager: Manager, event: Any) -> None:
        self._events.put_nowait(dict(event))

    async def resync(self) -> None:
        """Ask Asterisk for every contact (PJSIPShowContacts) and report each AOR."""
        if self.manager is None:
            return
        # a list of ContactList events, or one Error "No Contacts found"
        async with asyncio.timeout(10):
            reply = await self.manager.send_action({"Action": "PJSIPShowContacts"})
        seen = reachable_aors(reply if isinstance(reply, list) else [reply])
        for aor in set(self.contacts) | set(seen):
            await self._report(aor, seen.get(aor, False))

    async def _report(self, aor: str, reachable: bool) -> None:
        if self.contacts.get(aor) != reachable:
            log.info("phone of %s is %s", aor, "reachable" if reachable else "unreachable")
        self.contacts[aor] = reachable
        await self._on_contact(aor, reachable)

    async def _consume(self) -> None:
        while True:
            event = await self._events.get()
            if event.get("__stop__"):
                return
            try:
                if event.get("__resync__"):
                    await self.resync()
                    continue
                if event.get("__lost__"):
                    for aor in list(self.contacts):
                        await self._report(aor, False)
                    continue
                aor = str(event.get("AOR") or event.get("EndpointName") or "")
                status = str(event.get("ContactStatus", "")).lower()
                if aor:
                    log.debug("ContactStatus %s for %s", status, aor)
                    await self._report(aor, status in _REACHABLE)
            except Exception:  # keep following events; report the failure
                log.exception("AMI contact event %r failed", event)

    async def stop(self) -> None:
        if self._task is not None:
            # A stop marker as well as cancel(): a library below a handler (redis-py) may
            # swallow the cancellation, and the task must still end.
            self._events.put_nowait({"__stop__": True})
            self._task.cancel()
            done, _ = await asyncio.wait({self._task}, timeout=10)
            if not done:
                log.error("AMI contact task did not stop within 10 s")
        if self.manager is not None:
            self.manager.closing = True
            self.manager.close()
            self.manager = None
