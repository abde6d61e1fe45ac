"""Every request is checked against its operation in the OpenAPI description before its
handler runs: the user's role against ``x-roles`` (403 forbidden), then the path and query
parameters and the JSON body against their schemas (400, with the failing schema's
``x-error`` code or ``bad_request``, or ``bad_json`` for a body that is not JSON). A route
the description does not know is not checked here (a test fails for it)."""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ccengine.api.http import USER_KEY, Handler, error, status_for
from ccengine.api.openapi import description

log = logging.getLogger(__name__)
ROOT = "urn:ccengine:openapi"
MESSAGE_MAX = 300


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str          # path or query
    required: bool
    schema: dict[str, Any]
    validator: Draft202012Validator


@dataclass(frozen=True)
class Operation:
    method: str
    route: str
    roles: frozenset[str] | None     # None: any authenticated user (or a public route)
    parameters: tuple[Parameter, ...]
    body: Draft202012Validator | None
    body_required: bool
    responses: Mapping[str, Draft202012Validator | None]   # status: its JSON's schema

    async def check(self, request: web.Request) -> None:
        user = request.get(USER_KEY)
        if self.roles is not None and user is not None and user.role not in self.roles:
            raise error(403, "forbidden", f"{user.id} ({user.role}) may not "
                                          f"{self.method} {self.route}")
        for p in self.parameters:
            source: Mapping[str, str] = (request.match_info if p.where == "path"
                                         else request.query)
            if p.name not in source:
                if p.required:
                    raise error(400, _code(p.schema), f"the {p.where} parameter "
                                                      f"{p.name!r} is required")
                continue
            value = (request.query.getall(p.name) if _is(p.schema, "array")
                     else source[p.name])
            _raise_first(p.validator.iter_errors(_coerce(value, p.schema)),
                         f"{p.where} parameter {p.name!r}")
        if self.body is not None:
            await self._check_body(request)

    async def _check_body(self, request: web.Request) -> None:
        raw = await request.read() if request.body_exists else b""
        if not raw.strip():
            if self.body_required:
                raise error(400, "bad_json", "this request needs a JSON body")
            return
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError) as e:
            raise error(400, "bad_json", f"request body is not JSON: {e}") from e
        assert self.body is not None
        try:
            _raise_first(self.body.iter_errors(body), "body")
        except RecursionError as e:
            raise error(400, "bad_json", "request body is nested too deeply") from e


    def response_problem(self, status: int, content_type: str, body: bytes) -> str | None:
        """What is wrong with this answer by the description (None: nothing)."""
        key = str(status) if str(status) in self.responses else f"{str(status)[0]}XX"
        if key not in self.responses:
            key = "default"
        if key not in self.responses:
            return f"{self.method} {self.route} answered {status}, which it does not describe"
        schema = self.responses[key]
        if schema is None or content_type != "application/json":
            return None
        try:
            found = best_match(schema.iter_errors(json.loads(body)))
        except (ValueError, RecursionError):
            return f"{self.method} {self.route} answered {status} with a body that is not JSON"
        if found is None:
            return None
        at = "".join(f"[{p!r}]" for p in found.absolute_path)
        return (f"{self.method} {self.route} answered {status} with a body its description "
                f"does not allow: {at or 'the body'}: {found.message}"[:1000])


def _raise_first(errors: Iterable[ValidationError], where: str) -> None:
    found = best_match(errors)
    if found is None:
        return
    at = "".join(f"[{p!r}]" if isinstance(p, int) else f".{p}" for p in found.absolute_path)
    message = f"{where}{at}: {found.message}"
    if len(message) > MESSAGE_MAX:
        message = message[:MESSAGE_MAX - 1] + "…"
    raise error(400, _code(found.schema), message)


def _code(schema: Any) -> str:
    code = schema.get("x-error") if isinstance(schema, dict) else None
    return code if isinstance(code, str) else "bad_request"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema with a local $ref followed (for coercion, not validation)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = description()
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return _resolve(node)
    return schema


def _is(schema: dict[str, Any], kind: str) -> bool:
    declared = _resolve(schema).get("type")
    return kind == declared or (isinstance(declared, list) and kind in declared)


def _coerce(value: Any, schema: dict[str, Any]) -> Any:
    """A query or path parameter's text as its schema's type says (or as it was, which then
    fails validation with a clear message)."""
    if isinstance(value, list):
        items = _resolve(schema).get("items", {})
        return [_coerce(v, items) for v in value]
    if _is(schema, "integer"):
        try:
            return int(value)
        except ValueError:
            pass
    if _is(schema, "number"):
        try:
            number = float(value)
            if number == number and abs(number) != float("inf"):
                return number
        except ValueError:
            pass
    if _is(schema, "boolean") and value in ("true", "false"):
        return value == "true"
    return value


@functools.cache
def compiled() -> dict[tuple[str, str], Operation]:
    """Every operation of the description, ready to check requests."""
    spec = description()
    registry: Registry = Registry().with_resource(
        ROOT, Resource.from_contents(spec, default_specification=DRAFT202012))

    def validator(*pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{ROOT}#/{_pointer(*pointer)}"},
                                    registry=registry)

    out: dict[tuple[str, str], Operation] = {}
    for route, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            params = []
            for origin, index, p in ([("item", i, p) for i, p in enumerate(shared)]
                                     + [("op", i, p) for i, p in
                                        enumerate(op.get("parameters", []))]):
                where = (("paths", route, "parameters", str(index)) if origin == "item"
                         else ("paths", route, method, "parameters", str(index)))
                if isinstance(p.get("$ref"), str):   # a shared parameter of components
                    where = tuple(part.replace("~1", "/").replace("~0", "~")
                                  for part in p["$ref"][2:].split("/"))
                    p = _resolve(p)
                if p.get("in") not in ("path", "query"):
                    continue
                params.append(Parameter(p["name"], p["in"], bool(p.get("required")),
                                        p.get("schema", {}), validator(*where, "schema")))
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json")
            if op.get("x-body-checked-by-route"):
                body = None   # the route reads and checks its own body (base.yaml)
            responses: dict[str, Draft202012Validator | None] = {}
            for status, answer in (op.get("responses") or {}).items():
                pointer: tuple[str, ...] = ("paths", route, method, "responses", str(status))
                if isinstance(answer.get("$ref"), str):
                    pointer = tuple(part.replace("~1", "/").replace("~0", "~")
                                    for part in answer["$ref"][2:].split("/"))
                    answer = _resolve(answer)
                json_body = (answer.get("content") or {}).get("application/json")
                responses[str(status).upper()] = (
                    validator(*pointer, "content", "application/json", "schema")
                    if json_body and "schema" in json_body else None)
            roles = op.get("x-roles")
            out[(method.upper(), route)] = Operation(
                method.upper(), route, frozenset(roles) if roles is not None else None,
                tuple(params),
                validator("paths", route, method, "requestBody", "content",
                          "application/json", "schema") if body else None,
                bool((op.get("requestBody") or {}).get("required")), responses)
    return out


# Tests set CCENGINE_CHECK_RESPONSES=1: every answer is also checked against the
# description, and one it does not allow becomes a 500 naming the difference (so no test
# passes on an undescribed answer).


@web.middleware
async def validate_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    operation = None
    if resource is not None:
        method = "GET" if request.method == "HEAD" else request.method
        operation = compiled().get((method, resource.canonical))
    if operation is None:
        return await handler(request)
    if os.environ.get("CCENGINE_CHECK_RESPONSES") != "1":
        await operation.check(request)
        return await handler(request)
    try:
        await operation.check(request)
        response = await handler(request)
    except web.HTTPException as e:
        _check_answer(operation, e.status, e.content_type, e.text or "")
        raise
    except Exception as e:
        code = getattr(e, "code", None)   # a domain error: auth_and_errors answers it
        if isinstance(code, str):
            _check_answer(operation, status_for(code), "application/json",
                          json.dumps({"error": code, "message": str(e)}))
        raise
    if isinstance(response, web.Response) and not response.prepared:
        body = response.body if isinstance(response.body, bytes) else b""
        _check_answer(operation, response.status, response.content_type, body)
    return response


def _check_answer(operation: Operation, status: int, content_type: str,
                  body: bytes | str) -> None:
    if status >= 500:
        return
    problem = operation.response_problem(status, content_type,
                                         body.encode() if isinstance(body, str) else body)
    if problem is not None:
        log.error("the API broke its description: %s", problem)
        raise web.HTTPInternalServerError(
            text=json.dumps({"error": "response_not_described", "message": problem}),
            content_type="application/json")


__all__ = ["Operation", "compiled", "validate_requests"]
