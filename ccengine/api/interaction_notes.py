"""Notes and dispositions on interactions of any medium (routes under
/api/interactions/{id}/notes and /disposition). Agents write only on interactions they
handled; supervisors and admins on any. Dispositions come from the configured lists
(``dispositions:``, see ccengine/core/dispositions.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from aiohttp import web

from ccengine.api.customer_access import CUSTOMER_ACCESS, is_staff
from ccengine.api.http import DISPATCHER, INTERACTIONS, Live, _json_body, current_user, error
from ccengine.core.dispositions import Dispositions
from ccengine.store.customer_fields import plain_text
from ccengine.store.errors import InvalidRecord
from ccengine.store.interactions import InteractionRepository
from ccengine.store.records import InteractionView

DISPOSITIONS = web.AppKey("dispositions", Live)   # Live[Dispositions]: a reload replaces it


class FollowUp(Protocol):
    """What a disposition sets in motion beyond being stored (a campaign call's next
    step: ccengine/campaigns/dispositions.py)."""

    async def describe(self, attributes: Mapping[str, Any]) -> dict[str, Any] | None: ...

    async def prepare(self, interaction_id: str, attributes: Mapping[str, Any],
                      disposition: str, extra: Mapping[str, Any], by: str
                      ) -> Callable[[], Awaitable[None]] | None: ...


FOLLOW_UP = web.AppKey("disposition_follow_up", FollowUp)
FOLLOW_UP_FIELDS = ("callback_at",)
MAX_NOTE = 4000


async def _stored(request: web.Request) -> InteractionView:
    repo: InteractionRepository = request.app[INTERACTIONS]  # type: ignore[assignment]
    interaction_id = request.match_info["interaction_id"]
    view = await repo.get(interaction_id)
    if view is None:
        raise error(404, "interaction_not_found", f"no interaction {interaction_id!r}")
    return view


def _note_text(body: dict[str, Any]) -> str:
    if set(body) - {"text"}:
        raise error(400, "bad_field", 'the body must be {"text": "..."}')
    try:
        text = plain_text(body.get("text"), "text", MAX_NOTE, required=True)
    except InvalidRecord as e:
        raise error(400, "bad_field", f"note {e}") from e
    return str(text)


async def add_note(request: web.Request) -> web.Response:
    """POST /api/interactions/{id}/notes {"text": ...} (stored as given, author = you)"""
    user = current_user(request)
    text = _note_text(await _json_body(request))
    view = await _stored(request)
    await request.app[CUSTOMER_ACCESS].require_handled(user, view["id"], "add notes")
    repo: InteractionRepository = request.app[INTERACTIONS]  # type: ignore[assignment]
    note = await repo.add_note(view["id"], user.id, text)
    return web.json_response(note, status=201)


async def _readable(request: web.Request) -> InteractionView:
    """The stored interaction, if the user may read its notes and disposition: staff, the
    agent who handled it, or an agent who works or worked with its customer."""
    user = current_user(request)
    view = await _stored(request)
    access = request.app[CUSTOMER_ACCESS]
    if not is_staff(user) and not await access.timeline.handled(view["id"], user.id):
        customer = view["customer_id"]
        if customer is None or not await access.worked_with(user, customer):
            raise error(403, "forbidden", "agents read only interactions they handled or "
                        "of customers they work or have worked with")
    return view


async def _disposition_view(request: web.Request, view: InteractionView) -> dict[str, Any]:
    follow_up = request.app.get(FOLLOW_UP)
    campaign = await follow_up.describe(view["attributes"]) if follow_up else None
    return {"interaction_id": view["id"], "queue": view["queue"],
            "disposition": view["disposition"],
            "allowed": request.app[DISPOSITIONS].value.allowed(view["queue"]),
            "campaign": campaign}


async def list_notes(request: web.Request) -> web.Response:
    """GET /api/interactions/{id}/notes: oldest first."""
    view = await _readable(request)
    repo: InteractionRepository = request.app[INTERACTIONS]  # type: ignore[assignment]
    return web.json_response({"interaction_id": view["id"],
                              "notes": await repo.notes(view["id"])})


async def set_disposition(request: web.Request) -> web.Response:
    """PUT /api/interactions/{id}/disposition {"disposition": ..., "callback_at"?}: on a
    campaign's call, what follows for the customer too (its campaign's dispositions)."""
    user = current_user(request)
    body = await _json_body(request)
    if "disposition" not in body or set(body) - {"disposition", *FOLLOW_UP_FIELDS}:
        raise error(400, "bad_field", 'the body must be {"disposition": "..."} (with '
                                      '"callback_at" for a campaign call\'s callback)')
    view = await _stored(request)
    await request.app[CUSTOMER_ACCESS].require_handled(user, view["id"],
                                                       "set a disposition")
    value = request.app[DISPOSITIONS].value.check(view["queue"], body["disposition"])
    extra = {k: v for k, v in body.items() if k != "disposition"}
    follow_up = request.app.get(FOLLOW_UP)
    then = None
    if follow_up is not None:
        then = await follow_up.prepare(view["id"], view["attributes"], value, extra, user.id)
    elif extra:
        raise error(400, "bad_callback_at", "callback_at is only for a campaign call's "
                                            "disposition that books a callback")
    repo: InteractionRepository = request.app[INTERACTIONS]  # type: ignore[assignment]
    updated = await repo.set_disposition(view["id"], value)
    if then is not None and view["disposition"] != value:   # (the same again: said already)
        await then()
    return web.json_response(await _disposition_view(request, updated))


async def get_disposition(request: web.Request) -> web.Response:
    """GET /api/interactions/{id}/disposition: the current one and those allowed (null =
    any short text)."""
    return web.json_response(await _disposition_view(request, await _readable(request)))


PROMPT_OUTCOMES = ("accepted", "dismissed")


async def answer_prompt(request: web.Request) -> web.Response:
    """POST /api/interactions/{id}/prompts/{rule} {"outcome": "accepted"|"dismissed"}:
    what the agent did with a next-best-action prompt, recorded on the live work."""
    user = current_user(request)
    outcome = (await _json_body(request)).get("outcome")
    if outcome not in PROMPT_OUTCOMES:
        raise error(400, "bad_outcome", f"outcome must be one of {', '.join(PROMPT_OUTCOMES)}")
    view = await _stored(request)
    await request.app[CUSTOMER_ACCESS].require_handled(user, view["id"], "answer prompts")
    rule = request.match_info["rule"]
    await request.app[DISPATCHER].record(view["id"], "prompt", rule=rule, outcome=outcome,
                                         by=user.id)
    return web.json_response({"interaction_id": view["id"], "rule": rule,
                              "outcome": outcome, "by": user.id})


def add_routes(app: web.Application, dispositions: Dispositions) -> None:
    app[DISPOSITIONS] = Live(dispositions)
    app.router.add_post("/api/interactions/{interaction_id}/notes", add_note)
    app.router.add_get("/api/interactions/{interaction_id}/notes", list_notes)
    app.router.add_put("/api/interactions/{interaction_id}/disposition", set_disposition)
    app.router.add_get("/api/interactions/{interaction_id}/disposition", get_disposition)
    app.router.add_post("/api/interactions/{interaction_id}/prompts/{rule}", answer_prompt)
