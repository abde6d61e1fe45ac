"""Admin-defined queues and skills kept in the store: a name and its settings as JSON."""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from ccengine.store.db import Database
from ccengine.store.errors import InvalidRecord, UnknownConfig
from ccengine.store.models import QueueConfigRecord, SkillConfigRecord
from ccengine.store.records import ConfigView, text_field

_TABLES: dict[str, type[QueueConfigRecord] | type[SkillConfigRecord]] = {
    "queue": QueueConfigRecord, "skill": SkillConfigRecord}


class ConfigRepository:
    """Queues and skills (``kind`` "queue" or "skill") by name."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(self, kind: str, name: str, config: Mapping[str, Any]) -> ConfigView:
        """Create or replace the named item; InvalidRecord if the config is not a JSON
        object."""
        model = _table(kind)
        name_ = str(text_field(name, f"{kind} name", required=True, max_length=100))
        if not isinstance(config, Mapping):
            raise InvalidRecord(f"{kind} {name_!r}: config must be a mapping")
        try:
            value = json.loads(json.dumps(dict(config)))
        except (TypeError, ValueError) as e:
            raise InvalidRecord(f"{kind} {name_!r}: config is not JSON: {e}") from e
        async with self.db.session.begin() as s:
            row = await s.get(model, name_)
            if row is None:
                row = model(name=name_)
                s.add(row)
            row.config, row.updated_at = value, time.time()
        return _view(row)

    async def get(self, kind: str, name: str) -> ConfigView | None:
        async with self.db.session() as s:
            row = await s.get(_table(kind), name)
        return _view(row) if row is not None else None

    async def list(self, kind: str) -> builtins.list[ConfigView]:
        """Every item of this kind, by name."""
        model = _table(kind)
        async with self.db.session() as s:
            return [_view(r) for r in (await s.execute(
                select(model).order_by(model.name))).scalars()]

    async def delete(self, kind: str, name: str) -> None:
        """Remove the item; UnknownConfig if there is none."""
        async with self.db.session.begin() as s:
            row = await s.get(_table(kind), name)
            if row is None:
                raise UnknownConfig(f"{kind} {name}")
            await s.delete(row)


def _table(kind: str) -> type[QueueConfigRecord] | type[SkillConfigRecord]:
    try:
        return _TABLES[kind]
    except KeyError:
        raise InvalidRecord(f"config kind {kind!r} is not one of "
                            f"{', '.join(_TABLES)}") from None


def _view(row: QueueConfigRecord | SkillConfigRecord) -> ConfigView:
    return {"name": row.name, "config": dict(row.config), "updated_at": row.updated_at}
