"""The customer API: one customer across every medium (routes under /api/customers).

Lookup by any identity (normalised: a national phone number is read in ``default_region``),
profiles with identities and free-form attributes, identity conflicts answered with the
owner's id, merges (the merged-away id keeps resolving to the survivor), and the
cross-channel timeline. Access rules: ``ccengine/api/customer_access.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from ccengine.api.customer_access import CUSTOMER_ACCESS, CustomerAccess, require_staff
from ccengine.api.http import DISPATCHER, _json_body, current_user, error
from ccengine.api.interaction_customer import add_routes as add_link_route
from ccengine.api.interaction_notes import add_routes as add_note_routes
from ccengine.core.dispositions import Dispositions
from ccengine.store.customers import CustomerRepository
from ccengine.store.errors import IdentityTaken, InvalidIdentity, InvalidRecord
from ccengine.store.identities import KINDS
from ccengine.store.records import CustomerView
from ccengine.store.timeline import Timeline

CUSTOMERS = web.AppKey("customers", CustomerRepository)
TIMELINE = web.AppKey("timeline", Timeline)
MAX_IDENTITIES_AT_CREATE = 20
DEFAULT_PAGE = 20


def _taken(e: IdentityTaken) -> web.HTTPException:
    """409 identity_taken with the owner's id, so the agent can merge the two records."""
    body = {"error": e.code, "message": str(e), "customer_id": e.owner_id, "kind": e.kind,
            "value": e.value}
    return web.HTTPConflict(text=json.dumps(body), content_type="application/json")


@contextmanager
def _input() -> Iterator[None]:
    """Store validation errors as the API's: a field out of bounds is 400 ``bad_field``;
    an identity taken is 409 with the owner's id."""
    try:
        yield
    except IdentityTaken as e:
        raise _taken(e) from e
    except InvalidRecord as e:
        if e.code != InvalidRecord.code:
            raise
        raise error(400, "bad_field", str(e)) from e


def _identity(item: Any, where: str) -> tuple[str, str]:
    if not isinstance(item, dict) or set(item) - {"kind", "value"}:
        raise error(400, "bad_field", f"{where} must be an object with kind and value")
    kind, value = item.get("kind"), item.get("value")
    if kind not in KINDS:
        raise error(400, "bad_field", f"{where}.kind must be one of {', '.join(KINDS)}")
    if not isinstance(value, str) or not value.strip():
        raise error(400, "bad_field", f"{where}.value must be a non-empty text")
    return kind, value


async def _profile(request: web.Request, view: CustomerView,
                   requested: str | None = None) -> web.Response:
    body: dict[str, Any] = dict(view)
    body["merged"] = await request.app[CUSTOMERS].merges(view["id"])
    if requested is not None and requested != view["id"]:
        body["resolved_from"] = requested  # an id merged away: this is its survivor
    return web.json_response(body)


async def _customer(request: web.Request) -> CustomerView:
    """The customer named in the path (the survivor if it was merged away) or 404."""
    customer_id = request.match_info["customer_id"]
    view = await request.app[CUSTOMERS].get(customer_id)
    if view is None:
        raise error(404, "customer_not_found", f"no customer {customer_id!r}")
    return view


# ---------------------------------------------------------------------- handlers
async def lookup(request: web.Request) -> web.Response:
    """GET /api/customers?identity=<phone|email|handle>[&kind=phone|email|chat]"""
    value = request.query.get("identity", "")
    kind = request.query.get("kind")
    if not value.strip():
        raise error(400, "bad_field", "identity=<phone number, email or chat handle> "
                    "is required")
    if kind is not None and kind not in KINDS:
        raise error(400, "bad_field", f"kind must be one of {', '.join(KINDS)}")
    repo = request.app[CUSTOMERS]
    kinds = [kind] if kind else (["email", "chat"] if "@" in value else ["phone", "chat"])
    for candidate in kinds:
        try:
            found = await repo.find_by_identity(candidate, value)
        except InvalidIdentity:
            if kind:
                raise
            continue
        if found is not None:
            body: dict[str, Any] = dict(found)
            body["merged"] = await repo.merges(found["id"])
            body["matched"] = {"kind": candidate, "value": repo.normalise(candidate, value)}
            return web.json_response(body)
    raise error(404, "customer_not_found", f"no customer has the identity {value!r}")


async def create(request: web.Request) -> web.Response:
    """POST /api/customers {"name", "tier", "attributes", "identities": [{kind, value}]}"""
    user = current_user(request)
    body = await _json_body(request)
    unknown = set(body) - {"name", "tier", "attributes", "identities"}
    if unknown:
        raise error(400, "bad_field", f"unknown field(s) {sorted(unknown)}")
    if "tier" in body:
        require_staff(user, "set a customer's tier")
    raw = body.get("identities", [])
    if not isinstance(raw, list) or len(raw) > MAX_IDENTITIES_AT_CREATE:
        raise error(400, "bad_field", "identities must be a list of at most "
                    f"{MAX_IDENTITIES_AT_CREATE} {{kind, value}} objects")
    identities = [_identity(item, f"identities[{i}]") for i, item in enumerate(raw)]
    with _input():
        view = await request.app[CUSTOMERS].create(
            name=body.get("name"), tier=body.get("tier", "standard"),
            attributes=body.get("attributes"), identities=identities)
    response = await _profile(request, view)
    response.set_status(201)
    return response


async def get(request: web.Request) -> web.Response:
    """GET /api/customers/{id}: the profile; an id merged away answers with the survivor."""
    return await _profile(request, await _customer(request), request.match_info["customer_id"])


async def patch(request: web.Request) -> web.Response:
    """PATCH /api/customers/{id} {"name", "tier", "attributes": {key: value|null},
    "owner": agent id|null}"""
    user = current_user(request)
    body = await _json_body(request)
    if not body:
        raise error(400, "bad_field", "nothing to change: give name, tier, attributes or "
                                      "owner")
    if "tier" in body:
        require_staff(user, "change a customer's tier")
    if "owner" in body:
        require_staff(user, "choose a customer's owner")
        owner = body["owner"]
        if owner is not None and owner not in request.app[DISPATCHER].profiles:
            raise error(400, "bad_owner", f"no agent {owner!r} to own this customer")
    customer = await _customer(request)
    with _input():
        view = await request.app[CUSTOMERS].patch(customer["id"], body)
    return await _profile(request, view)


async def add_identity(request: web.Request) -> web.Response:
    """POST /api/customers/{id}/identities {"kind": "phone"|"email"|"chat", "value": ...}"""
    kind, value = _identity(await _json_body(request), "body")
    customer = await _customer(request)
    with _input():
        view = await request.app[CUSTOMERS].add_identity(customer["id"], kind, value)
    return await _profile(request, view)


async def remove_identity(request: web.Request) -> web.Response:
    """DELETE /api/customers/{id}/identities/{kind}/{value}"""
    customer = await _customer(request)
    await request.app[CUSTOMER_ACCESS].require_worked_with(
        current_user(request), "remove identities", customer["id"])
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise error(400, "bad_field", f"kind must be one of {', '.join(KINDS)}")
    view = await request.app[CUSTOMERS].remove_identity(customer["id"], kind,
                                                        request.match_info["value"])
    return await _profile(request, view)


async def merge(request: web.Request) -> web.Response:
    """POST /api/customers/{id}/merge {"from": other_id}: other_id's identities and history
    move to {id}; other_id resolves to {id} from now on."""
    user = current_user(request)
    body = await _json_body(request)
    source = body.get("from")
    if not isinstance(source, str) or not source or set(body) - {"from"}:
        raise error(400, "bad_field", 'the body must be {"from": "<id of the customer to '
                    'merge into this one>"}')
    target = await _customer(request)
    repo = request.app[CUSTOMERS]
    merged_away = await repo.get(source)
    if merged_away is None:
        raise error(404, "customer_not_found", f"no customer {source!r} to merge")
    await request.app[CUSTOMER_ACCESS].require_worked_with(
        user, "merge records", target["id"], merged_away["id"])
    view = await repo.merge(merged_away["id"], target["id"], by=user.id)
    return await _profile(request, view)


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", str(DEFAULT_PAGE))
    try:
        return int(raw)
    except ValueError:
        raise error(400, "bad_field", f"limit must be an integer, not {raw!r}") from None


async def timeline(request: web.Request) -> web.Response:
    """GET /api/customers/{id}/timeline?limit=&before=&medium="""
    customer = await _customer(request)
    await request.app[CUSTOMER_ACCESS].require_worked_with(
        current_user(request), "read the timeline", customer["id"])
    with _input():
        page = await request.app[TIMELINE].page(
            customer["id"], limit=_limit(request), before=request.query.get("before"),
            medium=request.query.get("medium"))
    return web.json_response(page)


def add_customer_api(app: web.Application, customers: CustomerRepository,
                     timeline_: Timeline, dispositions: Dispositions) -> None:
    """The customer routes plus notes and dispositions on interactions."""
    app[CUSTOMERS], app[TIMELINE] = customers, timeline_
    app[CUSTOMER_ACCESS] = CustomerAccess(timeline_)
    add_note_routes(app, dispositions)
    add_link_route(app, customers)
    app.router.add_get("/api/customers", lookup)
    app.router.add_post("/api/customers", create)
    app.router.add_get("/api/customers/{customer_id}", get)
    app.router.add_patch("/api/customers/{customer_id}", patch)
    app.router.add_post("/api/customers/{customer_id}/identities", add_identity)
    app.router.add_delete("/api/customers/{customer_id}/identities/{kind}/{value}",
                          remove_identity)
    app.router.add_post("/api/customers/{customer_id}/merge", merge)
    app.router.add_get("/api/customers/{customer_id}/timeline", timeline)


__all__ = ["CUSTOMERS", "TIMELINE", "add_customer_api"]
