"""Desktop-handled work (chat/email) over the real HTTP API: the offered agent accepts,
declines or closes it; the one agent state machine and the dispatcher do the rest."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.channels.work import WorkChannel
from ccengine.core.agent import AgentProfile
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam"}


class ChatLike(WorkChannel):
    medium = Medium.CHAT

    def __init__(self, dispatcher: Dispatcher) -> None:
        super().__init__(dispatcher)
        self.seen: list[tuple[str, str]] = []

    async def accepted(self, interaction: Interaction, agent_id: str) -> None:
        self.seen.append(("accepted", agent_id))

    async def closing(self, interaction: Interaction, agent_id: str, data: dict) -> None:
        self.seen.append(("closing", data["reason"]))


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[tuple[TestClient, Dispatcher, ChatLike]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}")
    await db.migrate()
    profile = {Medium.CHAT: 2}
    dispatcher = Dispatcher(MemoryState(), {"sales": QueueConfig("sales",
                                                                 frozenset({Medium.CHAT}))},
                            {"alice": AgentProfile("alice", "Alice", capacity=profile),
                             "bob": AgentProfile("bob", "Bob", capacity=profile)},
                            tick_seconds=3600)
    channel = ChatLike(dispatcher)
    dispatcher.register_channel(channel)
    await dispatcher.start()
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor")}
    repo = InteractionRepository(db)
    dispatcher.subscribe(repo.on_event)
    app = build_api(TokenAuth(users, TOKENS), dispatcher, ScreenPopFeed(), repo)
    async with TestClient(TestServer(app, host="127.0.0.1")) as c:
        yield c, dispatcher, channel
    await dispatcher.stop()
    await db.close()


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[user]}"}


async def offered_chat(dispatcher: Dispatcher) -> Interaction:
    await dispatcher.login("alice")
    chat = Interaction("chat-1", Medium.CHAT, queue="sales", created_at=1.0)
    await dispatcher.enqueue(chat)
    live = await dispatcher.live_interaction("chat-1")
    assert live.agent_id == "alice"
    return live


async def test_given_offered_chat_when_agent_accepts_then_busy_and_close_wraps_up(
        setup: tuple[TestClient, Dispatcher, ChatLike]) -> None:
    client, dispatcher, channel = setup
    await offered_chat(dispatcher)
    r = await client.post("/api/interactions/chat-1/accept", headers=auth("alice"))
    assert r.status == 200, await r.text()
    assert (await r.json())["agent_id"] == "alice"
    view = await dispatcher.agent_view("alice")
    assert [s["state"] for s in view["slots"]] == ["busy"]
    r = await client.post("/api/interactions/chat-1/close", headers=auth("alice"),
                          json={"reason": "resolved"})
    assert r.status == 200, await r.text()
    view = await dispatcher.agent_view("alice")
    assert [s["state"] for s in view["slots"]] == ["wrap_up"]
    assert channel.seen == [("accepted", "alice"), ("closing", "resolved")]
    stored = await client.get("/api/interactions/chat-1", headers=auth("alice"))
    kinds = [e["kind"] for e in (await stored.json())["events"]]
    assert kinds[-3:] == ["offered", "answered", "ended"]


async def test_given_offer_to_alice_when_bob_accepts_or_closes_then_403_and_nothing_changes(
        setup: tuple[TestClient, Dispatcher, ChatLike]) -> None:
    client, dispatcher, _ = setup
    await offered_chat(dispatcher)
    for action in ("accept", "decline", "close"):
        r = await client.post(f"/api/interactions/chat-1/{action}", headers=auth("bob"))
        assert r.status == 403, action
        assert (await r.json())["error"] == "forbidden"
    assert (await dispatcher.live_interaction("chat-1")).agent_id == "alice"


async def test_given_offer_when_agent_declines_then_rona_and_back_in_queue(
        setup: tuple[TestClient, Dispatcher, ChatLike]) -> None:
    client, dispatcher, _ = setup
    await offered_chat(dispatcher)
    r = await client.post("/api/interactions/chat-1/decline", headers=auth("alice"))
    assert r.status == 200
    view = await dispatcher.agent_view("alice")
    assert (view["state"], view["reason"]) == ("not_ready", "rona")
    assert [i.id for i in await dispatcher.state.waiting()] == ["chat-1"]


async def test_given_bad_requests_then_clear_4xx(
        setup: tuple[TestClient, Dispatcher, ChatLike]) -> None:
    client, dispatcher, _ = setup
    r = await client.post("/api/interactions/nope/accept", headers=auth("alice"))
    assert (r.status, (await r.json())["error"]) == (404, "interaction_not_found")
    await offered_chat(dispatcher)
    r = await client.post("/api/interactions/chat-1/close", headers=auth("alice"),
                          json={"reason": ""})
    assert (r.status, (await r.json())["error"]) == (400, "bad_reason")
    r = await client.post("/api/interactions/chat-1/close", headers=auth("alice"),
                          data=b"{not json")
    assert (r.status, (await r.json())["error"]) == (400, "bad_json")
    r = await client.post("/api/interactions/chat-1/accept")
    assert r.status == 401


async def test_given_busy_chat_when_supervisor_closes_then_recorded_as_closed_by(
        setup: tuple[TestClient, Dispatcher, ChatLike]) -> None:
    client, dispatcher, _ = setup
    await offered_chat(dispatcher)
    await client.post("/api/interactions/chat-1/accept", headers=auth("alice"))
    r = await client.post("/api/interactions/chat-1/close", headers=auth("sam"),
                          json={"reason": "abusive"})
    assert r.status == 200, await r.text()
    stored = await (await client.get("/api/interactions/chat-1", headers=auth("sam"))).json()
    ended = [e for e in stored["events"] if e["kind"] == "ended"][0]
    assert ended["data"]["closed_by"] == "sam"
    assert ended["data"]["agent_id"] == "alice"
