"""``POST /api/interactions/{id}/customer`` ``{"customer_id"}``: work whose contact was
unknown (a withheld number, say) belongs from now on to a customer, typically one the agent
just saved from the screen pop's "new customer" form. The agent who handles or handled the
interaction, supervisors and admins may; the live interaction and its stored record both
change (a ``customer_linked`` event names who did it). Work that already belongs to another
customer is refused with 409 ``customer_conflict``: merge the two customers instead."""

from __future__ import annotations

from aiohttp import web

from ccengine.api.customer_access import CUSTOMER_ACCESS
from ccengine.api.http import DISPATCHER, INTERACTIONS, _json_body, current_user, error
from ccengine.core.errors import UnknownInteraction
from ccengine.store.customers import CustomerRepository
from ccengine.store.interactions import InteractionRepository

CUSTOMER_REPOSITORY = web.AppKey("interaction_customer_repository", CustomerRepository)


async def link_customer(request: web.Request) -> web.Response:
    user = current_user(request)
    body = await _json_body(request)
    customer_id = body.get("customer_id")
    if set(body) != {"customer_id"} or not isinstance(customer_id, str) or not customer_id:
        raise error(400, "bad_field", 'the body must be {"customer_id": "..."}')
    interaction_id = request.match_info["interaction_id"]
    repo: InteractionRepository = request.app[INTERACTIONS]  # type: ignore[assignment]
    if await repo.get(interaction_id) is None:
        raise error(404, "interaction_not_found", f"no interaction {interaction_id!r}")
    await request.app[CUSTOMER_ACCESS].require_handled(user, interaction_id,
                                                       "link a customer")
    customer = await request.app[CUSTOMER_REPOSITORY].get(customer_id)
    if customer is None:
        raise error(404, "customer_not_found", f"no customer {customer_id!r}")
    survivor = str(customer["id"])  # a merged-away id stands for its survivor
    try:
        await request.app[DISPATCHER].link_customer(interaction_id, survivor, by=user.id)
    except UnknownInteraction:
        pass  # not live (over, or in wrap-up): its stored record alone
    view = await repo.link_customer(interaction_id, survivor)
    return web.json_response(view)


def add_routes(app: web.Application, customers: CustomerRepository) -> None:
    app[CUSTOMER_REPOSITORY] = customers
    app.router.add_post("/api/interactions/{interaction_id}/customer", link_customer)
