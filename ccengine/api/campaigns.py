"""Campaigns in the API (docs/campaigns.md, "Campaigns"), for supervisors and admins:

- ``GET /api/campaigns``, ``POST /api/campaigns`` (a definition: a draft);
- ``POST /api/interactions/{id}/preview``: the agent's decision on a preview campaign's
  call (call or skip);
- ``GET /api/campaigns/{id}`` (with its progress), ``PUT /api/campaigns/{id}`` (a draft's
  new definition);
- ``POST /api/campaigns/{id}/state`` ``{"state": "running" | "paused" | "finished"}``;
- ``POST /api/campaigns/{id}/targets``: the list, from a CSV (``text/csv``) or
  ``{"customer_ids": [...]}``; all rows or, with any bad one, none (400 ``bad_csv`` with
  each bad line);
- ``GET /api/campaigns/{id}/targets?state=&limit=&after=``.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from aiohttp import web

from ccengine.api.http import _json_body, current_user, error, public
from ccengine.api.uploads import csv_body, page_limit, refused
from ccengine.campaigns.runner import token_campaign, unsubscribe
from ccengine.campaigns.spec import BadCampaign, parse_spec
from ccengine.store.campaigns import ENDED, OPEN, CampaignRepository
from ccengine.store.consent import ConsentLedger, InvalidImport


@dataclass
class CampaignsApi:
    campaigns: CampaignRepository
    queues: Callable[[], Collection[str]]
    templates: Callable[[], Collection[str]]
    trunks: Callable[[], Collection[str]]
    call_queues: Callable[[], Collection[str]] = tuple   # queues taking callbacks
    # the dispositions agents may choose for a queue's work (None: any short text)
    dispositions: Callable[[str], Collection[str] | None] = lambda queue: None
    abandon_message: Callable[[], bool] = lambda: False   # predictive dialling needs one
    voice_queues: Callable[[], Collection[str]] = tuple   # queues taking calls
    # a preview campaign's call: the agent's decision (interaction id, user, action);
    # None when campaigns place no calls (no callbacks: section)
    preview: Callable[[str, object, object], Awaitable[None]] | None = None
    # a predictive campaign's dialling on this node now (PredictiveDialer.status)
    dialer: Callable[[int], dict[str, object] | None] = lambda campaign_id: None
    clock: Callable[[], float] = time.time

    def spec(self, body: object) -> dict[str, object]:
        try:
            return parse_spec(body, queues=self.queues(), templates=self.templates(),
                              trunks=self.trunks(),
                              call_queues=self.call_queues(),
                              dispositions=self.dispositions,
                              abandon_message=self.abandon_message(),
                              voice_queues=self.voice_queues()).to_dict()
        except BadCampaign as e:
            raise web.HTTPBadRequest(text=json.dumps({"error": e.code, "message": str(e),
                                                      "key": e.key}),
                                     content_type="application/json") from e


CAMPAIGNS_API = web.AppKey("campaigns_api", CampaignsApi)


def _id(request: web.Request) -> int:
    try:
        return int(request.match_info["campaign_id"])
    except ValueError:
        raise error(404, "campaign_not_found",
                    f"no campaign {request.match_info['campaign_id']!r}") from None


async def list_campaigns(request: web.Request) -> web.Response:
    return web.json_response({"campaigns": await request.app[CAMPAIGNS_API].campaigns.list()})


async def create(request: web.Request) -> web.Response:
    api = request.app[CAMPAIGNS_API]
    spec = api.spec(await _json_body(request))
    view = await api.campaigns.create(spec, by=current_user(request).id, at=api.clock())
    return web.json_response(view, status=201)


async def get(request: web.Request) -> web.Response:
    api = request.app[CAMPAIGNS_API]
    campaign_id = _id(request)
    view = await api.campaigns.get(campaign_id)
    return web.json_response({**view, "progress": await api.campaigns.progress(campaign_id),
                              "dialer": api.dialer(campaign_id)})


async def replace(request: web.Request) -> web.Response:
    api = request.app[CAMPAIGNS_API]
    campaign_id = _id(request)
    current = await api.campaigns.get(campaign_id)
    body = await _json_body(request)
    if body.get("name", current["name"]) != current["name"]:
        raise error(400, "bad_campaign", "name: a campaign keeps its name")
    spec = api.spec({**body, "name": current["name"]})
    return web.json_response(await api.campaigns.replace_spec(campaign_id, spec,
                                                              api.clock()))


async def move(request: web.Request) -> web.Response:
    api = request.app[CAMPAIGNS_API]
    state = (await _json_body(request)).get("state")
    if state not in ("running", "paused", "finished"):
        raise error(400, "bad_state", "state must be running, paused or finished")
    return web.json_response(await api.campaigns.move(_id(request), state, api.clock()))


async def add_targets(request: web.Request) -> web.Response:
    api = request.app[CAMPAIGNS_API]
    campaign_id = _id(request)
    try:
        if request.content_type == "text/csv":
            report = await api.campaigns.import_csv(campaign_id, await csv_body(request),
                                                    api.clock())
        else:
            ids = (await _json_body(request)).get("customer_ids")
            if not isinstance(ids, list) or not ids or not all(
                    isinstance(i, str) for i in ids):
                raise error(400, "bad_field", 'the body must be a CSV (text/csv) or '
                                              '{"customer_ids": ["...", ...]}')
            report = await api.campaigns.add_customers(campaign_id, ids, api.clock())
    except InvalidImport as e:
        raise refused(e) from e
    return web.json_response(report)


async def targets(request: web.Request) -> web.Response:
    api = request.app[CAMPAIGNS_API]
    state = request.query.get("state")
    if state is not None and state not in (*OPEN, *ENDED):
        raise error(400, "bad_state", f"state must be one of {', '.join((*OPEN, *ENDED))}")
    return web.json_response({"targets": await api.campaigns.targets(
        _id(request), state=state, limit=page_limit(request),
        after=request.query.get("after"))})


def add_routes(app: web.Application, api: CampaignsApi) -> None:
    app[CAMPAIGNS_API] = api
    app.router.add_get("/api/campaigns", list_campaigns)
    app.router.add_post("/api/campaigns", create)
    app.router.add_get("/api/campaigns/{campaign_id}", get)
    app.router.add_put("/api/campaigns/{campaign_id}", replace)
    app.router.add_post("/api/campaigns/{campaign_id}/state", move)
    app.router.add_post("/api/campaigns/{campaign_id}/targets", add_targets)
    app.router.add_get("/api/campaigns/{campaign_id}/targets", targets)
    app.router.add_post("/api/interactions/{interaction_id}/preview", preview)


async def preview(request: web.Request) -> web.Response:
    """POST /api/interactions/{id}/preview {"action": "call"|"skip"}: the agent previewing
    a preview campaign's call (or a supervisor or admin for them) starts it or skips the
    customer."""
    api = request.app[CAMPAIGNS_API]
    body = await _json_body(request)
    if set(body) != {"action"} or body["action"] not in ("call", "skip"):
        raise error(400, "bad_field", 'the body must be {"action": "call"} or '
                                      '{"action": "skip"}')
    iid = request.match_info["interaction_id"]
    if api.preview is None:
        raise error(409, "preview_conflict", f"no preview of {iid} is waiting")
    await api.preview(iid, current_user(request), body["action"])
    return web.json_response({"interaction_id": iid, "action": body["action"]})


UNSUBSCRIBE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head><body><main><h1>{title}</h1><p>{text}</p>{form}</main>
</body></html>"""


def _page(title: str, text: str, form: str = "", status: int = 200) -> web.Response:
    body = UNSUBSCRIBE_PAGE.format(title=html.escape(title), text=html.escape(text),
                                   form=form)
    return web.Response(text=body, content_type="text/html", status=status,
                        headers={"Cache-Control": "no-store",
                                 "Content-Security-Policy": "default-src 'none'; "
                                 "form-action 'self'", "Referrer-Policy": "no-referrer"})


def add_unsubscribe_routes(app: web.Application, campaigns: CampaignRepository,
                           ledger: ConsentLedger, clock: Callable[[], float] = time.time
                           ) -> None:
    """``GET /u/{token}``: a page asking to confirm (mail scanners open links: a GET
    changes nothing); ``POST /u/{token}``: the unsubscribe itself, the RFC 8058 one-click
    ``List-Unsubscribe=One-Click`` or the page's button. Public: the signed token is the
    authority."""

    @public
    async def confirm(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if token_campaign(token) is None:
            return _page("Link not recognised", "This unsubscribe link is not valid.",
                         status=404)
        form = (f'<form method="post" action="/u/{html.escape(token)}">'
                '<button type="submit">Unsubscribe</button></form>')
        return _page("Unsubscribe", "Stop marketing email from us to this address?", form)

    @public
    async def one_click(request: web.Request) -> web.Response:
        await request.read()       # the body (List-Unsubscribe=One-Click) says nothing more
        found = await unsubscribe(campaigns, ledger, request.match_info["token"], clock())
        if found is None:
            return _page("Link not recognised", "This unsubscribe link is not valid.",
                         status=404)
        return _page("Unsubscribed", f"{found[2]} gets no more marketing email from us.")

    app.router.add_get("/u/{token}", confirm)
    app.router.add_post("/u/{token}", one_click)
