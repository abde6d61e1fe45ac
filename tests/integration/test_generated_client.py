"""A client generated from the API's OpenAPI description works against a real API server:
the steps of "Generating a client" in docs/integrators.md, with openapi-python-client.

The generator must take the whole description without a warning (it warns, and leaves the
piece out of the client, for what it cannot handle), so the description stays
generatable: a failure here names what it warned about."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from http import HTTPStatus
from pathlib import Path
from types import ModuleType

import pytest
from aiohttp.test_utils import TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.api.openapi import description
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

PACKAGE = "ccengine_client"
TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam"}
# the generator's config, as in docs/integrators.md: no post-hooks (they would run ruff on
# the generated code); the recordings' audio read as bytes (the generator knows only JSON,
# text and application/octet-stream answers, and leaves the others out); the chat
# widget's POST /chat/sessions, whose body is any media type read as JSON, sent as JSON
# (the generator leaves out an operation whose body it does not know)
CONFIG = """\
post_hooks: []
content_type_overrides:
  audio/wav: application/octet-stream
  audio/x-gsm: application/octet-stream
  audio/basic: application/octet-stream
  audio/x-alaw-basic: application/octet-stream
  audio/L16;rate=8000: application/octet-stream
  text/csv: application/octet-stream
  "*/*": application/json
"""


def generator_warnings(output: str) -> list[str]:
    """Each of the generator's complaints, on one line: "WARNING parsing GET /x within y."
    (a response or parameter left out) and "Unable to process schema /components/..." (a
    schema left out), each with its reason and the piece of the description it means."""
    found: list[str] = []
    for line in output.splitlines():
        line = re.sub(r" ?<openapi_python_client\.[^>]*>", "", line).strip()
        if line.startswith(("WARNING", "Unable to process")):
            found.append(line)
        elif found and line and not line.startswith("If you believe"):
            found[-1] += " " + line
    return [" ".join(text.split())[:400] for text in found]


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The description generated into a Python package, once per module, and imported."""
    work = tmp_path_factory.mktemp("generated-client")
    (work / "openapi.json").write_text(json.dumps(description()))
    (work / "client-config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", "openapi.json",
         "--meta", "none", "--output-path", PACKAGE, "--config", "client-config.yaml",
         "--fail-on-warning"],
        cwd=work, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    warnings = generator_warnings(output)
    assert not warnings, "openapi-python-client warned about the description:\n" + "\n".join(
        warnings)
    assert done.returncode == 0, output
    assert "Warning" not in output, output
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [name for name in sys.modules
                     if name == PACKAGE or name.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
async def base_url(tmp_path: Path) -> AsyncIterator[str]:
    """A real API server on 127.0.0.1 (a free port), as tests/integration/test_api.py's."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    await db.migrate()
    dispatcher = Dispatcher(MemoryState(),
                            {"sales": QueueConfig("sales", frozenset({Medium.VOICE}))},
                            {"alice": AgentProfile("alice", "Alice"),
                             "bob": AgentProfile("bob", "Bob")})
    await dispatcher.start()
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, ScreenPopFeed(),
                    InteractionRepository(db))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
        await dispatcher.stop()
        await db.close()


def agent_session(base_url: str) -> None:
    """The guide's example, with the generated (blocking) client: alice signs in, reads the
    agents, logs in, goes not ready for lunch; her refused call is read as an Error."""
    from ccengine_client import AuthenticatedClient
    from ccengine_client.api.agents import (
        force_agent_state,
        get_agent,
        get_me,
        list_agents,
        login_agent,
        set_agent_not_ready,
    )
    from ccengine_client.models import (
        Agent,
        AgentStateWord,
        Error,
        ForceAgentStateBody,
        ForceAgentStateBodyState,
        Role,
        SetAgentNotReadyBody,
    )

    with AuthenticatedClient(base_url=base_url, token="tok-alice") as client:
        me = get_me.sync(client=client)
        assert (me.id, me.role) == ("alice", Role.AGENT)

        agents = list_agents.sync(client=client)
        assert [(a.id, a.state) for a in agents] == [("alice", AgentStateWord.LOGGED_OUT),
                                                     ("bob", AgentStateWord.LOGGED_OUT)]

        agent = login_agent.sync("alice", client=client)
        assert isinstance(agent, Agent)
        assert agent.state == AgentStateWord.AVAILABLE

        agent = set_agent_not_ready.sync("alice", client=client,
                                         body=SetAgentNotReadyBody(reason="lunch"))
        assert isinstance(agent, Agent)
        assert (agent.state, agent.reason) == (AgentStateWord.NOT_READY, "lunch")

        agent = get_agent.sync("alice", client=client)
        assert (agent.agent_id, agent.state, agent.reason) == (
            "alice", AgentStateWord.NOT_READY, "lunch")

        # only supervisors and admins may force a state: 403, with the API's Error body
        refused = force_agent_state.sync_detailed(
            "bob", client=client,
            body=ForceAgentStateBody(state=ForceAgentStateBodyState.AVAILABLE))
        assert refused.status_code == HTTPStatus.FORBIDDEN
        assert isinstance(refused.parsed, Error)
        assert refused.parsed.error == "forbidden"
        assert refused.parsed.message

        # a reason that is not one of the configured not_ready_reasons: 400 bad_reason
        refused = set_agent_not_ready.sync_detailed(
            "alice", client=client, body=SetAgentNotReadyBody(reason="nap"))
        assert refused.status_code == HTTPStatus.BAD_REQUEST
        assert isinstance(refused.parsed, Error)
        assert refused.parsed.error == "bad_reason"

    with AuthenticatedClient(base_url=base_url, token="tok-sam") as client:
        forced = force_agent_state.sync(
            "alice", client=client,
            body=ForceAgentStateBody(state=ForceAgentStateBodyState.AVAILABLE))
        assert isinstance(forced, Agent)
        assert forced.state == AgentStateWord.AVAILABLE


async def test_given_generated_client_when_agent_works_then_typed_answers(
        client_package: ModuleType, base_url: str) -> None:
    # the server runs on this loop; the blocking client runs in a thread
    await asyncio.to_thread(agent_session, base_url)


async def test_given_generated_client_when_called_from_asyncio_then_same_answers(
        client_package: ModuleType, base_url: str) -> None:
    from ccengine_client import AuthenticatedClient
    from ccengine_client.api.agents import get_me, login_agent
    from ccengine_client.models import Agent, Error, Role

    async with AuthenticatedClient(base_url=base_url, token="tok-sam") as client:
        me = await get_me.asyncio(client=client)
        assert (me.id, me.role) == ("sam", Role.SUPERVISOR)
        agent = await login_agent.asyncio("bob", client=client)
        assert isinstance(agent, Agent)
    async with AuthenticatedClient(base_url=base_url, token="wrong") as client:
        refused = await get_me.asyncio_detailed(client=client)
        assert refused.status_code == HTTPStatus.UNAUTHORIZED
        assert isinstance(refused.parsed, Error)
        assert refused.parsed.error == "unauthenticated"
