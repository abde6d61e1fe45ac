"""The API's OpenAPI 3.1 description: ``base.yaml`` plus one file per area of the API,
merged once and served at ``GET /api/openapi.json``. The same description validates every
request (``ccengine.api.openapi.validate``), so it cannot say one thing while the engine
does another; tests compare it with the router both ways and fuzz the API with it."""

from __future__ import annotations

import copy
import functools
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

HERE = Path(__file__).parent
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class DescriptionError(Exception):
    """Two area files describe the same operation or schema."""


@functools.cache
def description() -> dict[str, Any]:
    """The whole description (cached: the files ship with the engine). Do not change it."""
    merged = yaml.safe_load((HERE / "base.yaml").read_text())
    for path in sorted(HERE.glob("*.yaml")):
        if path.name != "base.yaml":
            _merge(merged, yaml.safe_load(path.read_text()) or {}, path.name)
    try:
        merged["info"]["version"] = metadata.version("ccengine")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare tree
        pass
    return merged


def _merge(into: dict[str, Any], part: dict[str, Any], name: str) -> None:
    for route, item in (part.get("paths") or {}).items():
        target = into["paths"].setdefault(route, {})
        for key, value in item.items():
            if key in target and key in METHODS:
                raise DescriptionError(f"{name}: {key.upper()} {route} is described twice")
            target[key] = value
    for section, entries in (part.get("components") or {}).items():
        target = into["components"].setdefault(section, {})
        for key, value in entries.items():
            if key in target:
                raise DescriptionError(f"{name}: components.{section}.{key} is described "
                                       "twice")
            target[key] = value


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    """Every operation by (METHOD, path template)."""
    return {(method.upper(), route): op
            for route, item in description()["paths"].items()
            for method, op in item.items() if method in METHODS}


async def serve(request: web.Request) -> web.Response:
    """GET /api/openapi.json: the description (any signed-in user)."""
    body = copy.deepcopy(description())
    return web.json_response(body, headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/openapi.json", serve)


__all__ = ["DescriptionError", "add_routes", "description", "operations"]
