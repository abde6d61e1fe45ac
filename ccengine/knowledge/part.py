"""The knowledge base as one of the engine's parts (see ccengine/parts.py): its API under
/api/kb and each published article's public page at /kb/<slug>, on the engine's store."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ccengine.engine import Engine

log = logging.getLogger(__name__)


async def start_knowledge(engine: Engine) -> None:
    """Articles, search, suggestions and usage (API: /api/kb/..., docs/knowledge.md); the
    public pages at /kb/<slug>. Needs the store: without one there is no knowledge base."""
    from ccengine.api.knowledge import add_routes
    from ccengine.store.knowledge import KnowledgeRepository
    if engine.db is None:
        log.info("knowledge base: no store, so no articles")
        return
    repo = KnowledgeRepository(engine.db)
    engine.knowledge = repo  # the desk, chat and email reach the articles through it
    engine.api_routes.append(lambda app: add_routes(app, repo))
