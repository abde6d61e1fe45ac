"""What the routes that import a CSV (the do-not-call list, a campaign's list) and page
through a list share: the body read within a size limit, a refused import answered with
each bad line, and the ``limit`` query parameter."""

from __future__ import annotations

import json

from aiohttp import web

from ccengine.api.http import error
from ccengine.store.consent import InvalidImport

MAX_CSV = 10 * 1024 * 1024


async def csv_body(request: web.Request) -> bytes:
    """The CSV sent, at most MAX_CSV bytes (400 too_large)."""
    if request.content_length is not None and request.content_length > MAX_CSV:
        raise error(400, "too_large", f"a CSV is at most {MAX_CSV} bytes")
    data = await request.content.read(MAX_CSV + 1)
    if len(data) > MAX_CSV:
        raise error(400, "too_large", f"a CSV is at most {MAX_CSV} bytes")
    return data


def refused(e: InvalidImport) -> web.HTTPBadRequest:
    """400 bad_csv with ``errors``: each bad line and what is wrong with it."""
    return web.HTTPBadRequest(text=json.dumps({
        "error": e.code, "message": str(e),
        "errors": [{"line": n, "message": m} for n, m in e.errors]}),
        content_type="application/json")


def page_limit(request: web.Request, default: int = 100, most: int = 1000) -> int:
    try:
        limit = int(request.query.get("limit", str(default)))
    except ValueError:
        limit = 0
    if not 1 <= limit <= most:
        raise error(400, "bad_limit", f"limit must be a whole number from 1 to {most}")
    return limit
