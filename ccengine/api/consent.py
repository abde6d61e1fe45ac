"""Consent and the do-not-call list in the API (docs/campaigns.md, "Consent"):

- ``GET /api/customers/{id}/consent``: the customer's consents now and their history
  (staff, and agents who work or worked with the customer);
- ``PUT /api/customers/{id}/consent/{channel}/{purpose}`` ``{"state", "evidence",
  "source"}``: a statement of consent (the same users: an agent records what the customer
  said on the call, with the evidence);
- ``GET /api/dnc?number=``: whether a number is on the do-not-call list (any signed-in
  user), or without ``number`` the list, page by page (staff);
- ``POST /api/dnc`` ``{"number", "reason"}``: add a number (any signed-in user: agents add
  customers who ask);
- ``DELETE /api/dnc/{number}``: take a number off (staff);
- ``POST /api/dnc/import`` (text/csv): add many (staff); all rows or, when any is bad,
  none, with each bad line named.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from ccengine.api.customer_access import CUSTOMER_ACCESS, require_staff
from ccengine.api.http import _json_body, current_user, error
from ccengine.api.uploads import csv_body, page_limit, refused
from ccengine.store.consent import (
    CHANNELS,
    PURPOSES,
    ConsentLedger,
    DoNotCallList,
    InvalidImport,
)
from ccengine.store.customers import CustomerRepository

USER_SOURCES = ("api", "desk", "phone", "paper")   # what a user may say a statement came from


@dataclass
class ConsentApi:
    ledger: ConsentLedger
    dnc: DoNotCallList
    customers: CustomerRepository
    clock: Callable[[], float] = time.time


CONSENT_API = web.AppKey("consent_api", ConsentApi)


async def _customer_id(request: web.Request, what: str) -> str:
    api, user = request.app[CONSENT_API], current_user(request)
    customer_id = request.match_info["customer_id"]
    view = await api.customers.get(customer_id)
    if view is None:
        raise error(404, "customer_not_found", f"no customer {customer_id!r}")
    await request.app[CUSTOMER_ACCESS].require_worked_with(user, what, view["id"])
    return view["id"]


async def get_consent(request: web.Request) -> web.Response:
    api = request.app[CONSENT_API]
    customer_id = await _customer_id(request, "read the consent")
    return web.json_response({"customer_id": customer_id,
                              "consents": await api.ledger.current(customer_id),
                              "history": await api.ledger.history(customer_id)})


async def put_consent(request: web.Request) -> web.Response:
    api, user = request.app[CONSENT_API], current_user(request)
    channel, purpose = request.match_info["channel"], request.match_info["purpose"]
    if channel not in CHANNELS or purpose not in PURPOSES:
        raise error(404, "not_found", f"consent is per channel ({', '.join(CHANNELS)}) and "
                                      f"purpose ({', '.join(PURPOSES)})")
    body = await _json_body(request)
    customer_id = await _customer_id(request, "record consent")
    source = body.get("source", "api")
    if source not in USER_SOURCES:
        raise error(400, "bad_source", f"source must be one of {', '.join(USER_SOURCES)}")
    view = await api.ledger.record(customer_id, channel, purpose, body.get("state"),
                                   by=user.id, source=source, at=api.clock(),
                                   evidence=body.get("evidence"))
    return web.json_response(view)


async def dnc_get(request: web.Request) -> web.Response:
    api = request.app[CONSENT_API]
    number = request.query.get("number")
    if number is not None:
        found = await api.dnc.get(number)
        return web.json_response({"number": api.dnc.number(number), "listed": found is not None,
                                  "entry": found})
    require_staff(current_user(request), "read the do-not-call list")
    return web.json_response({"numbers": await api.dnc.page(page_limit(request),
                                                            request.query.get("after"))})


async def dnc_add(request: web.Request) -> web.Response:
    api, user = request.app[CONSENT_API], current_user(request)
    body = await _json_body(request)
    entry = await api.dnc.add(body.get("number"), by=user.id, source="api", at=api.clock(),
                              reason=body.get("reason"))
    return web.json_response(entry, status=201)


async def dnc_remove(request: web.Request) -> web.Response:
    require_staff(current_user(request), "take a number off the do-not-call list")
    api = request.app[CONSENT_API]
    number = request.match_info["number"]
    if not await api.dnc.remove(number):
        raise error(404, "number_not_found", f"{number} is not on the do-not-call list")
    return web.json_response({"number": api.dnc.number(number), "listed": False})


async def dnc_import(request: web.Request) -> web.Response:
    user = current_user(request)
    require_staff(user, "import do-not-call numbers")
    api = request.app[CONSENT_API]
    try:
        report = await api.dnc.import_csv(await csv_body(request), by=user.id,
                                          at=api.clock())
    except InvalidImport as e:
        raise refused(e) from e
    return web.json_response(report)


def add_routes(app: web.Application, api: ConsentApi) -> None:
    app[CONSENT_API] = api
    app.router.add_get("/api/customers/{customer_id}/consent", get_consent)
    app.router.add_put("/api/customers/{customer_id}/consent/{channel}/{purpose}",
                       put_consent)
    app.router.add_get("/api/dnc", dnc_get)
    app.router.add_post("/api/dnc", dnc_add)
    app.router.add_post("/api/dnc/import", dnc_import)
    app.router.add_delete("/api/dnc/{number}", dnc_remove)
