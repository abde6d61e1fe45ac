"""Trunk status for admins: each registration trunk's registration as Asterisk reports it
over AMI (``PJSIPShowRegistrationsOutbound``: Registered, Unregistered, Rejected...)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ccengine.telephony.ami import AmiMonitor
from ccengine.telephony.outbound.settings import Trunk

SUFFIX = "-registration"  # the registration object of trunk X is X-registration


class TrunkStatus:
    def __init__(self, ami: AmiMonitor | None, trunks: Sequence[Trunk]) -> None:
        self.ami, self.trunks = ami, tuple(trunks)

    async def registrations(self) -> dict[str, str]:
        """Registration status by trunk name (only trunks that register)."""
        manager = self.ami.manager if self.ami is not None else None
        if manager is None or not any(t.type == "registration" for t in self.trunks):
            return {}
        async with asyncio.timeout(10):
            reply = await manager.send_action({"Action": "PJSIPShowRegistrationsOutbound"})
        out = {}
        for msg in reply if isinstance(reply, list) else [reply]:
            if msg.get("Event") == "OutboundRegistrationDetail":
                name = str(msg.get("ObjectName", ""))
                if name.endswith(SUFFIX):
                    out[name.removesuffix(SUFFIX)] = str(msg.get("Status", ""))
        return out

    async def view(self) -> list[dict[str, Any]]:
        """Every trunk (no secrets): where it goes, its inbound numbers, its registration."""
        registered = await self.registrations()
        return [{"name": t.name, "type": t.type, "host": t.host, "port": t.port,
                 "dids": dict(t.dids), "match": list(t.match),
                 "registration": registered.get(t.name) if t.type == "registration"
                 else None} for t in self.trunks]
