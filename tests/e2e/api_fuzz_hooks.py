"""Schemathesis hooks for tests/e2e/test_api_description.py (loaded through
SCHEMATHESIS_HOOKS in the schemathesis process): path parameters that are often the ids of
things that exist (so the fuzzed bodies reach the routes' code past "not found"), and a
check that a role the description does not allow an operation (``x-roles``) is always
refused."""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis
from hypothesis import strategies as st

from ccengine.api.openapi import operations

ROLE = os.environ.get("CCENGINE_FUZZ_ROLE", "")
# path parameter name: ids that exist in the engine under test (the test made them)
KNOWN: dict[str, list[str]] = json.loads(os.environ.get("CCENGINE_FUZZ_IDS", "{}"))


@schemathesis.hook
def flatmap_path_parameters(ctx: object, path_parameters: dict[str, Any] | None
                            ) -> st.SearchStrategy[dict[str, Any] | None]:
    """Each path parameter as generated, or one of the known ids of its name."""
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries({name: st.sampled_from([value, *KNOWN.get(name, [])])
                                  for name, value in path_parameters.items()})


@schemathesis.check
def role_respected(ctx: object, response: schemathesis.Response,
                   case: schemathesis.Case) -> None:
    """A user whose role is not in the operation's x-roles gets 403 forbidden (or 404/405
    when the generated path does not reach the route at all), never an answer."""
    operation = operations().get((case.method.upper(), case.operation.path))
    roles = operation.get("x-roles") if operation else None
    if roles is None or ROLE in roles:
        return
    if response.status_code not in (403, 404, 405):
        raise AssertionError(f"{ROLE} may not {case.method} {case.operation.path} "
                             f"(x-roles: {roles}) but got {response.status_code}")
