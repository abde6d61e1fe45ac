"""The API's OpenAPI description against a real engine with every part configured: the
router and the description name the same operations (both ways), and Schemathesis fuzzes
every described operation as each role (valid and invalid input): no 5xx, no answer its
description does not allow, no undocumented status, invalid input refused, and no role
doing what its x-roles forbid."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from ccengine.api.openapi import description, operations
from tests.e2e.conftest import CHAT_SITE, REPO, Rig, running_rig
from tests.e2e.test_next_best_action import INTENTS

pytestmark = pytest.mark.asterisk

# Routes that are not REST operations, each with where it is described instead.
NOT_DESCRIBED = {
    ("GET", "/ws/agent"): "websocket: docs/integrators.md",
    ("GET", "/ws/wall"): "websocket: docs/integrators.md",
    ("GET", "/chat/ws"): "websocket: docs/integrators.md",
    ("GET", "/chat/widget.js"): "the chat widget's script",
    ("GET", "/chat/demo"): "the chat widget's demo page",
    ("GET", "/desk"): "web page: redirect to /desk/",
    ("GET", "/desk/{path}"): "web page: the agent desk's files",
    ("GET", "/wall"): "web page: redirect to /wall/",
    ("GET", "/wall/{path}"): "web page: the wallboard's files",
    ("GET", "/kb/{slug}"): "web page: a published knowledge article (docs/knowledge.md)",
    ("GET", "/ws/sip"): "websocket: the desk's WebRTC phone's SIP (docs/telephony.md)",
    ("GET", "/u/{token}"): "web page: a campaign mail's unsubscribe page (docs/campaigns.md)",
    ("POST", "/u/{token}"): "RFC 8058 one-click unsubscribe, the page's button "
                            "(docs/campaigns.md)",
}
ROLES = {"agent": "alice", "supervisor": "sam", "admin": "admin"}
EXAMPLES_PER_OPERATION = int(os.environ.get("CCENGINE_FUZZ_EXAMPLES", "12"))
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,negative_data_rejection,role_respected")

EVERY_PART = [
    "agents=[{id: alice, name: Alice, skills: {sales: 5}, capacity: {voice: 1, chat: 2, "
    "email: 2, callback: 1}, phone: sip}, {id: bob, name: Bob, skills: {support: 5}, "
    "phone: sip}]",
    "queues=[{name: sales, media: [voice, chat, email, callback], required_skills: "
    "{sales: 1}, wrapup_seconds: 1}, {name: support, media: [voice, callback], "
    "required_skills: {support: 1}}]",
    f"chat={{allowed_origins: ['{CHAT_SITE}'], entry_points: {{web: sales}}}}",
    "email={mailboxes: [{address: sales@shop.test, queue: sales}], "
    "relay: {host: 127.0.0.1, port: 9, security: none}}",
    "recording={format: wav, queues: {sales: on_demand}}",
    "trunks=[{name: carrier, type: ip, host: 127.0.0.1, port: 9, "
    "match: ['127.0.0.1:9'], dids: {'442079460100': '5000'}}]",
    "outbound={trunk: carrier, caller_id: '+442079460000', format: national}",
    "callbacks={attempts: 1, interval_seconds: 60}",
    f"intents={json.dumps(INTENTS)}",
]


@pytest.fixture
async def full_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with running_rig(tmp_path, "memory", EVERY_PART) as rig:
        yield rig


def routes_of(rig: Rig) -> set[tuple[str, str]]:
    app = rig.engine.api_app
    assert app is not None
    found = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "*") or route.resource is None:
            continue
        canonical = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.resource.canonical)
        found.add((route.method, canonical))
    return found


async def test_given_every_part_when_comparing_router_and_description_then_same_operations(
        full_rig: Rig) -> None:
    routes = routes_of(full_rig)
    described = set(operations())
    missing = sorted(routes - described - set(NOT_DESCRIBED))
    assert not missing, f"routes the description lacks: {missing}"
    extra = sorted(described - routes)
    assert not extra, f"operations the router lacks: {extra}"
    stale = sorted(set(NOT_DESCRIBED) - routes)
    assert not stale, f"NOT_DESCRIBED names routes that no longer exist: {stale}"


async def test_given_token_when_getting_description_then_served_and_without_token_401(
        full_rig: Rig) -> None:
    url = f"{full_rig.api}/api/openapi.json"
    async with full_rig.http.get(url, headers=full_rig.auth("alice")) as r:
        assert r.status == 200
        body = await r.json()
    assert body["openapi"] == "3.1.0" and body["paths"] == description()["paths"]
    async with full_rig.http.get(url) as r:
        assert r.status == 401 and (await r.json())["error"] == "unauthenticated"


async def known_ids(rig: Rig) -> dict[str, list[str]]:
    """Things for the fuzzed requests to act on: alice ready with a chat offered to her, a
    customer, the queues; the ids by path parameter name."""
    await rig.login("alice")
    async with rig.http.post(f"{rig.api}/chat/sessions", json={"name": "Fuzz Visitor"},
                             headers={"Origin": CHAT_SITE}) as r:
        assert r.status == 201, await r.text()
        chat = (await r.json())["chat_id"]
    customer = await rig.call_api("POST", "/api/customers", "admin",
                                  json={"name": "Fuzz Customer"})
    return {"agent_id": ["alice", "bob"], "user_id": ["alice", "sam"],
            "name": ["sales", "support"], "interaction_id": [chat],
            "customer_id": [customer["id"]]}


def run_schemathesis(rig: Rig, role: str, spec: Path, report: Path,
                     ids: dict[str, list[str]]) -> tuple[int, str]:
    user = ROLES[role]
    token = rig.tokens[user]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.e2e.api_fuzz_hooks",
           "CCENGINE_FUZZ_ROLE": role, "CCENGINE_FUZZ_IDS": json.dumps(ids),
           "PYTHONPATH": str(REPO)}
    cmd = [str(Path(sys.executable).with_name("schemathesis")), "run", str(spec),
           "--url", rig.api, "-H", f"Authorization: Bearer {token}",
           "--checks", CHECKS, "--max-examples", str(EXAMPLES_PER_OPERATION),
           "--seed", "19", "--generation-database", "none", "--no-color",
           "--phases", "examples,coverage,fuzzing", "--workers", "1",
           "--request-timeout", "20", "--suppress-health-check", "all",
           "--report", "ndjson", "--report-ndjson-path", str(report),
           ]
    done = subprocess.run(cmd, cwd=spec.parent, env=env, capture_output=True, text=True,
                          timeout=600)
    return done.returncode, done.stdout + done.stderr


def requests_in(report: Path) -> list[str]:
    """The URL of every request the run made (from its ndjson events)."""
    urls = []
    for line in report.read_text().splitlines():
        event = json.loads(line)
        for value in event.values():
            if isinstance(value, dict) and "recorder" in value:
                urls += [i["request"]["uri"]
                         for i in value["recorder"].get("interactions", {}).values()]
    return urls


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_given_role_when_fuzzing_every_operation_then_no_5xx_and_as_described(
        full_rig: Rig, tmp_path: Path, role: str,
        record_property: Callable[[str, object], None]) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(description()))
    report = tmp_path / "report.ndjson"
    ids = await known_ids(full_rig)
    code, output = await asyncio.to_thread(run_schemathesis, full_rig, role, spec, report,
                                           ids)
    urls = requests_in(report)
    real = [u for u in urls if any(f"/{i}" in u for i in (*ids["interaction_id"],
                                                          *ids["customer_id"]))]
    # the run's summary prints these (tests/conftest.py)
    record_property("api_fuzz", f"schemathesis as {role}: {len(operations())} operations, "
                                f"{len(urls)} requests ({len(real)} on a real interaction "
                                f"or customer), exit {code}")
    summary = output[-6000:]
    assert code == 0, f"schemathesis as {role} found failures:\n{summary}"
    assert len(urls) > 10 * len(operations()), f"too few requests ({len(urls)}):\n{summary}"
    assert real, "no request reached a real interaction or customer"

