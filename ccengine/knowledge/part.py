"""The knowledge base as one of the engine's parts (see ccengine/parts.py): its API under
/api/kb and each published article's public page at /kb/<slug>, on the engine's store."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ccengine.api.knowledge import public_path
from ccengine.store.knowledge import KnowledgeRepository

if TYPE_CHECKING:
    from ccengine.engine import Engine

log = logging.getLogger(__name__)


async def start_knowledge(engine: Engine) -> None:
    """Articles, search, suggestions and usage (API: /api/kb/..., docs/knowledge.md); the
    public pages at /kb/<slug>. Needs the store: without one there is no knowledge base."""
    from ccengine.api.knowledge import add_routes
    if engine.db is None:
        log.info("knowledge base: no store, so no articles")
        return
    repo = KnowledgeRepository(engine.db)
    engine.knowledge = repo  # the desk, chat and email reach the articles through it
    engine.api_routes.append(lambda app: add_routes(app, repo))
    if engine.chat is not None:    # the widget's self-service search (GET /chat/kb)
        engine.chat.knowledge = repo
        engine.chat.public_base = engine.config.api.public_base
    if engine.email is not None:   # the email acknowledgement may suggest articles
        engine.email.ingest.articles = lambda iid, text: links_for(
            repo, text, engine.config.api.public_base, interaction_id=iid)


async def links_for(repo: KnowledgeRepository, text: str, base: str, *,
                    interaction_id: str | None = None, channel: str = "email",
                    limit: int = 3) -> list[dict[str, str]]:
    """Up to ``limit`` published articles matching a customer's text, as ``{"title",
    "url"}`` with their public addresses under ``base``; each counted as shown."""
    hits = await repo.suggest(text, limit=limit)
    for hit in hits:
        await repo.record_usage(hit["id"], "shown", interaction_id=interaction_id,
                                channel=channel)
    return [{"title": hit["title"], "url": f"{base}{public_path(hit['slug'])}"}
            for hit in hits]
