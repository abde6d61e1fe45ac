"""The API's OpenAPI description is a valid OpenAPI 3.1 document, and every operation in
it says what an integrator needs: a unique operationId, a summary, the parameters of its
path, who may call it, and its 401 when it needs a token."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from ccengine.api.auth import ROLES
from ccengine.api.openapi import DescriptionError, _merge, description, operations


def test_given_description_when_validated_then_valid_openapi_3_1() -> None:
    spec = description()
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_given_operations_when_listed_then_ids_unique_and_summaries_present() -> None:
    ids = [op.get("operationId") for op in operations().values()]
    assert None not in ids
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert all(op.get("summary") for op in operations().values())


def _parameters(route: str, op: dict) -> set[str]:
    spec = description()
    declared = set()
    for p in spec["paths"][route].get("parameters", []) + op.get("parameters", []):
        if "$ref" in p:
            p = spec["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]
        if p["in"] == "path":
            declared.add(p["name"])
    return declared


@pytest.mark.parametrize(("method", "route"), sorted(operations()))
def test_given_operation_then_path_parameters_roles_and_401_described(
        method: str, route: str) -> None:
    op = operations()[(method, route)]
    assert _parameters(route, op) == set(re.findall(r"\{(\w+)\}", route))
    assert set(op.get("x-roles", ROLES)) <= set(ROLES)
    public = op.get("security") == []
    assert public or "401" in op["responses"], "an authenticated route answers 401"


def test_given_two_areas_describing_one_operation_when_merged_then_refused() -> None:
    base = {"paths": {"/x": {"get": {"responses": {}}}}, "components": {}}
    with pytest.raises(DescriptionError, match="GET /x is described twice"):
        _merge(base, {"paths": {"/x": {"get": {"responses": {}}}}}, "b.yaml")
