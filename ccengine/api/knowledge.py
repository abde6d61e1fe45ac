"""The knowledge base's API (routes under /api/kb) and each published article's public page
(GET /kb/{slug}, no sign-in).

Every signed-in user searches and reads articles (agents the published ones only) and
asks for suggestions from a customer's message; supervisors and admins write them, read
their versions and the usage report; whoever shows an article or uses it in a reply
records it. The public page is a small page of its own: the article rendered safely
(ccengine/knowledge/render.py), no script, no asset from elsewhere, a strict Content
Security Policy; each view is counted as a ``read``. The request bodies and parameters are
checked against ccengine/api/openapi/knowledge.yaml before the handlers run; the store
checks the fields again (article_invalid)."""

from __future__ import annotations

import base64
import hashlib
import html
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from ccengine.api.http import _json_body, current_user, error, public
from ccengine.knowledge.render import render
from ccengine.store.knowledge import SLUG, SLUG_MAX, ArticleView, KnowledgeRepository

KB = web.AppKey("knowledge", KnowledgeRepository)
STAFF = ("supervisor", "admin")
DEFAULT_LIMIT = 20
REPORT_DAYS = 30          # the report's range when none is given
REPORT_MAX_DAYS = 400
PUBLIC_PREFIX = "/kb/"

PAGE_CSS = (
    "body{margin:0;background:#f6f7f9;color:#1d2430;font:16px/1.6 system-ui,-apple-system,"
    "'Segoe UI',Roboto,sans-serif}main{max-width:46rem;margin:0 auto;padding:2rem 1.25rem;"
    "background:#fff;min-height:100vh;box-sizing:border-box}h1{line-height:1.25}"
    "a{color:#0b5cad}img{max-width:100%}pre{overflow:auto;background:#f0f2f5;padding:.75rem}"
    "code{background:#f0f2f5;padding:0 .2rem}table{border-collapse:collapse}"
    "th,td{border:1px solid #ccd;padding:.3rem .6rem}blockquote{margin-left:0;"
    "padding-left:1rem;border-left:3px solid #ccd;color:#556}"
    ".meta{color:#667;font-size:.875rem;margin-top:2rem}")
_CSS_HASH = base64.b64encode(hashlib.sha256(PAGE_CSS.encode()).digest()).decode()
# nothing runs; the page's one style block by its hash; images of the article from this
# site or over https; no forms, frames, plugins or base changes
PAGE_CSP = (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'self' https:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP, "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                "Cache-Control": "no-cache"}


def public_path(slug: str) -> str:
    """Where a published article's page is (relative to the engine's API address)."""
    return PUBLIC_PREFIX + slug


def _article(view: ArticleView, *, rendered: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {**view, "url": public_path(view["slug"])}
    if rendered:
        body["html"] = render(view["body"])
    return body


def _staff(request: web.Request) -> bool:
    return current_user(request).role in STAFF


def _article_id(request: web.Request) -> int:
    value = request.match_info["article_id"]
    if not value.isascii() or not value.isdigit():
        raise error(404, "article_not_found", f"no article {value!r}")
    return int(value)


def _require_staff(request: web.Request) -> None:
    user = current_user(request)
    if user.role not in STAFF:
        raise error(403, "forbidden", f"{user.id} ({user.role}) may not do this: "
                                      "supervisors and admins manage articles")


async def _readable(request: web.Request) -> ArticleView:
    """The article of the path, or 404 (a draft is not found by agents)."""
    article_id = _article_id(request)
    view = await request.app[KB].get(article_id)
    if view is None or (view["state"] != "published" and not _staff(request)):
        raise error(404, "article_not_found", f"no article {article_id}")
    return view


# ---------------------------------------------------------------------- handlers
async def articles_list(request: web.Request) -> web.Response:
    """GET /api/kb/articles?q=&language=&state=&limit=: a search (ranked) with q, else the
    latest changed articles. Agents see published articles only."""
    repo = request.app[KB]
    query = request.query.get("q", "")
    language = request.query.get("language") or None
    state = request.query.get("state") or None
    limit = int(request.query.get("limit", DEFAULT_LIMIT))
    if not _staff(request):
        if state not in (None, "published"):
            raise error(403, "forbidden", "agents see published articles only")
        state = "published"
    if query.strip():
        hits = await repo.search(query, language=language, published_only=state == "published",
                                 state=state, limit=limit)
    else:
        hits = await repo.list_articles(state=state, language=language, limit=limit)
    return web.json_response({"articles": [{**h, "url": public_path(h["slug"])}
                                           for h in hits]})


async def article_create(request: web.Request) -> web.Response:
    _require_staff(request)
    body = await _json_body(request)
    view = await request.app[KB].create(
        title=body.get("title"), body=body.get("body", ""),  # type: ignore[arg-type]
        tags=body.get("tags", []), language=body.get("language", "en"),
        state=body.get("state", "draft"), slug=body.get("slug"), by=current_user(request).id)
    return web.json_response(_article(view), status=201)


async def article_get(request: web.Request) -> web.Response:
    return web.json_response(_article(await _readable(request)))


async def article_patch(request: web.Request) -> web.Response:
    _require_staff(request)
    article_id = _article_id(request)
    body = await _json_body(request)
    view = await request.app[KB].update(
        article_id, by=current_user(request).id, title=body.get("title"),
        body=body.get("body"), tags=body.get("tags"), language=body.get("language"),
        state=body.get("state"), expected_version=body.get("version"))
    return web.json_response(_article(view))


async def article_versions(request: web.Request) -> web.Response:
    _require_staff(request)
    article_id = _article_id(request)
    return web.json_response({"versions": await request.app[KB].versions(article_id)})


async def article_usage(request: web.Request) -> web.Response:
    """POST /api/kb/articles/{id}/usage: the article shown to the user or a customer, or
    used in a reply (by this user)."""
    view = await _readable(request)
    body = await _json_body(request)
    usage = await request.app[KB].record_usage(
        view["id"], body.get("kind"), interaction_id=body.get("interaction_id"),  # type: ignore[arg-type]
        channel=body.get("channel"), agent_id=current_user(request).id)
    return web.json_response(usage, status=201)


async def suggestions(request: web.Request) -> web.Response:
    """POST /api/kb/suggestions: published articles for a customer's message."""
    body = await _json_body(request)
    hits = await request.app[KB].suggest(body.get("text", ""), language=body.get("language"),
                                         limit=body.get("limit", 5))
    return web.json_response({"articles": [{**h, "url": public_path(h["slug"])}
                                           for h in hits]})


def _moment(name: str, value: str, tz: ZoneInfo) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise error(400, "bad_range", f"{name} must be a date or date-time (ISO 8601, e.g. "
                                      "2026-12-06 or 2026-12-06T09:00)") from None
    return moment.astimezone(tz) if moment.tzinfo else moment.replace(tzinfo=tz)


async def usage_report(request: web.Request) -> web.Response:
    """GET /api/kb/report?from=&to=&tz=: per article, how often it was shown, used and read
    in [from, to) (default: the last 30 days), and the chats started after the widget's
    self-service search showed it (``chats_after``)."""
    _require_staff(request)
    name = request.query.get("tz", "UTC")
    try:
        tz = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise error(400, "bad_timezone", f"tz: {name!r} is not a time zone name "
                                         "(e.g. Europe/London)") from None
    try:
        end = (_moment("to", request.query["to"], tz) if "to" in request.query
               else datetime.fromtimestamp(time.time(), tz))
        start = (_moment("from", request.query["from"], tz) if "from" in request.query
                 else end - timedelta(days=REPORT_DAYS))
        since, until = start.timestamp(), end.timestamp()
    except OverflowError:
        raise error(400, "bad_range", "from and to must be dates between the years 1 and "
                                      "9999") from None
    if end <= start:
        raise error(400, "bad_range", "to must be after from")
    if end - start > timedelta(days=REPORT_MAX_DAYS):
        raise error(400, "bad_range", f"a report covers at most {REPORT_MAX_DAYS} days")
    rows = await request.app[KB].usage_report(since, until)
    return web.json_response({"from": start.isoformat(), "to": end.isoformat(),
                              "tz": str(tz), "articles": rows})


@public
async def public_page(request: web.Request) -> web.Response:
    """GET /kb/{slug}: a published article's page for anyone (a draft or an unknown slug
    is a 404 page); each GET is counted as a read."""
    slug = request.match_info["slug"]
    view = (await request.app[KB].get_by_slug(slug)
            if len(slug) <= SLUG_MAX and SLUG.fullmatch(slug) else None)
    if view is None or view["state"] != "published":
        return _page(404, "Article not found", "<p>There is no published article here.</p>",
                     "en", None)
    if request.method == "GET":
        await request.app[KB].record_usage(view["id"], "read", channel="web")
    return _page(200, view["title"], render(view["body"]), view["language"],
                 view["updated_at"])


def _page(status: int, title: str, content: str, language: str,
          updated_at: float | None) -> web.Response:
    meta = ""
    if updated_at is not None:
        day = datetime.fromtimestamp(updated_at, UTC).date().isoformat()
        meta = f'<p class="meta">Updated {day}</p>'
    page = (
        f'<!doctype html>\n<html lang="{html.escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>"
        f"<body><main><article><h1>{html.escape(title)}</h1>\n{content}{meta}</article>"
        "</main></body></html>\n")
    return web.Response(status=status, text=page, content_type="text/html",
                        charset="utf-8", headers=PAGE_HEADERS)


def add_routes(app: web.Application, repo: KnowledgeRepository) -> None:
    app[KB] = repo
    app.router.add_get("/api/kb/articles", articles_list)
    app.router.add_post("/api/kb/articles", article_create)
    app.router.add_get("/api/kb/articles/{article_id}", article_get)
    app.router.add_patch("/api/kb/articles/{article_id}", article_patch)
    app.router.add_get("/api/kb/articles/{article_id}/versions", article_versions)
    app.router.add_post("/api/kb/articles/{article_id}/usage", article_usage)
    app.router.add_post("/api/kb/suggestions", suggestions)
    app.router.add_get("/api/kb/report", usage_report)
    app.router.add_get(PUBLIC_PREFIX + "{slug}", public_page)
