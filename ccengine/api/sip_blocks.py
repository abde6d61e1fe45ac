"""The SIP edge's blocks, for admins.

- ``GET /api/sip/blocks``: the settings (``sip_security:``) and every blocked address:
  ``{"enabled", "max_failures", "window_seconds", "block_seconds", "never_block",
  "blocks": [{"address", "reason", "since", "until", "seconds_left", "failures"}]}``.
- ``DELETE /api/sip/blocks/{address}``: lift a block now: 200 ``{"lifted": block}``; 404
  ``block_not_found`` if the address is not blocked, 400 ``bad_address`` if it is not an
  IP address, 503 ``sip_blocks_not_applied`` if Asterisk did not take the change yet (the
  engine keeps trying).

Only admins: anyone else gets 403 ``forbidden``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web

from ccengine.api.http import current_user, error
from ccengine.telephony.sip_guard.blocks import Block, iso
from ccengine.telephony.sip_guard.guard import ApplyFailed, SipGuard
from ccengine.telephony.sip_guard.settings import SipSecurity

GUARD = web.AppKey("sip_guard", object)        # SipGuard, or None when blocking is off
SETTINGS = web.AppKey("sip_security", SipSecurity)


def block_view(block: Block, now: float) -> dict[str, Any]:
    return {"address": block.address, "reason": block.reason, "since": iso(block.since),
            "until": iso(block.until), "seconds_left": max(0, round(block.until - now)),
            "failures": block.failures}


def _admin(request: web.Request) -> None:
    user = current_user(request)
    if user.role != "admin":
        raise error(403, "forbidden", f"{user.id} ({user.role}) may not see or lift SIP "
                                      "blocks: admins only")


def _guard(request: web.Request) -> SipGuard | None:
    guard = request.app[GUARD]
    return guard if isinstance(guard, SipGuard) else None


async def blocks_get(request: web.Request) -> web.Response:
    _admin(request)
    s, guard = request.app[SETTINGS], _guard(request)
    now = guard.clock() if guard is not None else 0.0
    return web.json_response({
        "enabled": s.enabled, "max_failures": s.max_failures,
        "window_seconds": s.window_seconds, "block_seconds": s.block_seconds,
        "never_block": [str(n) for n in s.never_block],
        "blocks": [block_view(b, now) for b in guard.blocks()] if guard is not None else []})


async def block_delete(request: web.Request) -> web.Response:
    _admin(request)
    raw = request.match_info["address"]
    try:
        address = str(ipaddress.ip_address(raw))
    except ValueError:
        raise error(400, "bad_address", f"{raw!r} is not an IP address") from None
    guard = _guard(request)
    try:
        block = await guard.lift(address, by=current_user(request).id) \
            if guard is not None else None
    except ApplyFailed as e:
        raise error(503, e.code, str(e)) from e
    if block is None:
        raise error(404, "block_not_found", f"{address} is not blocked")
    return web.json_response({"lifted": block_view(block, guard.clock() if guard else 0.0)})


def add_routes(app: web.Application, guard: SipGuard | None, settings: SipSecurity) -> None:
    app[GUARD] = guard
    app[SETTINGS] = settings
    app.router.add_get("/api/sip/blocks", blocks_get)
    app.router.add_delete("/api/sip/blocks/{address}", block_delete)
