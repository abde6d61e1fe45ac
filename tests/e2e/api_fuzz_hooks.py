"""Schemathesis hooks for tests/e2e/test_api_description.py (loaded through
SCHEMATHESIS_HOOKS in the schemathesis process): a check that a role the description does
not allow an operation (``x-roles``) is always refused."""

from __future__ import annotations

import os

import schemathesis

from ccengine.api.openapi import operations

ROLE = os.environ.get("CCENGINE_FUZZ_ROLE", "")


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
