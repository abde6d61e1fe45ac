"""What the agent desk needs from the API, over a real aiohttp server and real websockets:
not-ready reasons, canned responses, the pickers' lists, the desk bootstrap, the pop after a
reload, ending wrap-up early, and the feed's hello and state frames."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.desk import DeskSettings, RunningParts
from ccengine.api.desk import add_routes as add_desk_routes
from ccengine.api.http import build_api
from ccengine.channels.work import WorkChannel
from ccengine.core.agent import AgentProfile
from ccengine.core.canned import CannedResponses
from ccengine.core.dispositions import Dispositions
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.core.not_ready import NotReadyReasons
from ccengine.core.queue import QueueConfig
from ccengine.cti.customers import CustomerContext
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository

TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam", "admin": "tok-admin"}
OFFER_TIMEOUT = 30.0      # the dispatcher's deadline
RING_SECONDS = 8.0        # how long the phone-like channel rings
CANNED = [{"shortcut": "thanks", "title": "Thank you", "text": "Thanks!"},
          {"shortcut": "hold", "title": "One moment", "text": "Hold on.", "media": ["chat"]}]


class ChatLike(WorkChannel):
    medium = Medium.CHAT


class RingingPhone:
    """A phone medium whose offers ring for ``offer_seconds`` (like the voice channel)."""

    medium = Medium.VOICE
    offer_seconds = RING_SECONDS

    async def offer(self, interaction: Interaction, agent_id: str) -> None:
        return None


@dataclass
class Desk:
    client: TestClient
    dispatcher: Dispatcher
    customers: CustomerRepository

    async def call(self, method: str, path: str, user: str | None = None,
                   **kw: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {TOKENS[user]}"} if user else {}
        r = await self.client.request(method, path, headers=headers, **kw)
        return r.status, await r.json()

    async def feed(self, user: str) -> ClientWebSocketResponse:
        return await self.client.ws_connect(f"/ws/agent?token={TOKENS[user]}")


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    await db.migrate()
    both = {Medium.CHAT: 2, Medium.VOICE: 1}
    dispatcher = Dispatcher(
        MemoryState(),
        {"sales": QueueConfig("sales", frozenset({Medium.CHAT, Medium.VOICE}), {"sales": 1},
                              wrapup_seconds=600),
         "support": QueueConfig("support", frozenset({Medium.EMAIL}))},
        {"alice": AgentProfile("alice", "Alice", {"sales": 5}, both,
                               blocks={Medium.VOICE: frozenset({Medium.CHAT})}),
         "bob": AgentProfile("bob", "Bob", {"sales": 2}, both)},
        offer_timeout=OFFER_TIMEOUT, tick_seconds=3600)
    dispatcher.register_channel(ChatLike(dispatcher))
    dispatcher.register_channel(RingingPhone())
    await dispatcher.start()
    repo, customers = InteractionRepository(db), CustomerRepository(db, "GB")
    dispatcher.subscribe(repo.on_event)
    feed = ScreenPopFeed(enrich=CustomerContext(customers).screen_pop, views=dispatcher)
    dispatcher.subscribe(feed.on_event)
    users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
             "sam": User("sam", "supervisor"), "admin": User("admin", "admin")}
    app = build_api(TokenAuth(users, TOKENS), dispatcher, feed, repo,
                    not_ready_reasons=NotReadyReasons.from_config(
                        ["lunch", {"code": "break", "label": "Coffee"}, "training"], "test"))
    add_desk_routes(app, DeskSettings(
        canned=CannedResponses.from_config(CANNED, "test"),
        dispositions=Dispositions.from_config({"default": ["resolved", "sale"],
                                               "queues": {"support": ["fixed"]}},
                                              "test", ["sales", "support"]),
        parts=RunningParts(chat=True, recording=True), offer_timeout=20.0))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield Desk(client, dispatcher, customers)
    await dispatcher.stop()
    await db.close()


async def offered_chat(desk: Desk, iid: str = "chat-1", **attrs: Any) -> Interaction:
    if (await desk.dispatcher.agent_view("alice"))["presence"] == "logged_out":
        await desk.dispatcher.login("alice")
    await desk.dispatcher.enqueue(Interaction(iid, Medium.CHAT, queue="sales",
                                              created_at=time.time(), attributes=attrs))
    live = await desk.dispatcher.live_interaction(iid)
    assert live.agent_id == "alice"
    return live


async def frame(ws: ClientWebSocketResponse, kind: str, timeout: float = 5.0
                ) -> dict[str, Any]:
    """The next frame of ``kind`` (others skipped), within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        msg = await ws.receive_json(timeout=max(0.01, deadline - time.monotonic()))
        if msg["type"] == kind:
            return msg


# ------------------------------------------------------------------ not-ready reasons
async def test_given_reason_list_when_going_not_ready_then_listed_ones_only(desk: Desk) -> None:
    await desk.dispatcher.login("alice")
    status, body = await desk.call("POST", "/api/agents/alice/not-ready", "alice",
                                   json={"reason": "nap"})
    assert (status, body["error"]) == (400, "bad_reason")
    assert "lunch, break, training" in body["message"]
    status, body = await desk.call("POST", "/api/agents/alice/not-ready", "alice",
                                   json={"reason": "training"})
    assert (status, body["state"], body["reason"]) == (200, "not_ready", "training")


async def test_given_no_reason_when_going_not_ready_then_break_if_listed(desk: Desk) -> None:
    await desk.dispatcher.login("alice")
    status, body = await desk.call("POST", "/api/agents/alice/not-ready", "alice")
    assert (status, body["reason"]) == (200, "break")


async def test_given_supervisor_when_forcing_not_ready_then_free_text_still(desk: Desk) -> None:
    await desk.dispatcher.login("bob")
    status, body = await desk.call("POST", "/api/agents/bob/force", "sam",
                                   json={"state": "not_ready", "reason": "1:1 with Sam"})
    assert (status, body["reason"]) == (200, "1:1 with Sam")


# ------------------------------------------------------------------ canned responses
async def test_given_canned_responses_when_searched_then_filtered_by_query_and_medium(
        desk: Desk) -> None:
    status, body = await desk.call("GET", "/api/canned-responses", "alice")
    assert (status, [r["shortcut"] for r in body]) == (200, ["thanks", "hold"])
    assert body[0] == {"shortcut": "thanks", "title": "Thank you", "text": "Thanks!",
                       "media": ["chat", "email"]}
    _, body = await desk.call("GET", "/api/canned-responses?q=MOM", "bob")
    assert [r["shortcut"] for r in body] == ["hold"]
    _, body = await desk.call("GET", "/api/canned-responses?medium=email", "sam")
    assert [r["shortcut"] for r in body] == ["thanks"]


@pytest.mark.parametrize(("query", "code"), [("medium=voice", "bad_medium"),
                                             ("medium=fax", "bad_medium"),
                                             ("q=" + "x" * 101, "bad_query")])
async def test_given_bad_canned_query_when_searched_then_400(desk: Desk, query: str,
                                                             code: str) -> None:
    status, body = await desk.call("GET", f"/api/canned-responses?{query}", "alice")
    assert (status, body["error"]) == (400, code)


@pytest.mark.parametrize("path", ["/api/canned-responses", "/api/desk", "/api/agents",
                                  "/api/queues", "/api/interactions/x/pop"])
async def test_given_no_token_when_reading_desk_routes_then_401(desk: Desk,
                                                                path: str) -> None:
    status, body = await desk.call("GET", path)
    assert (status, body["error"]) == (401, "unauthenticated")


# ------------------------------------------------------------------ pickers and bootstrap
async def test_given_agents_when_listed_then_states_for_all_and_skills_for_staff(
        desk: Desk) -> None:
    await desk.dispatcher.login("bob")
    status, body = await desk.call("GET", "/api/agents", "alice")
    assert status == 200
    assert [(a["id"], a["name"], a["state"]) for a in body] == [
        ("alice", "Alice", "logged_out"), ("bob", "Bob", "available")]
    assert set(body[1]) == {"id", "name", "state", "presence", "reason", "since",
                            "capacity", "reachable"}
    assert body[1]["capacity"] == {"chat": 2, "voice": 1}
    assert body[1]["reachable"] == ["callback", "chat", "email", "voice"]
    _, body = await desk.call("GET", "/api/agents", "sam")
    assert [a["skills"] for a in body] == [{"sales": 5}, {"sales": 2}]


async def test_given_waiting_work_when_queues_listed_then_counts_per_queue(desk: Desk) -> None:
    await desk.dispatcher.enqueue(Interaction("w1", Medium.CHAT, queue="sales"))
    status, body = await desk.call("GET", "/api/queues", "bob")
    assert (status, body) == (200, [{"name": "sales", "media": ["chat", "voice"],
                                     "waiting": 1},
                                    {"name": "support", "media": ["email"], "waiting": 0}])
    status, body = await desk.call("GET", "/api/queues/sales", "bob")  # still routed
    assert (status, body["waiting"]) == (200, 1)


async def test_given_agent_when_desk_starts_then_profile_reasons_dispositions_and_parts(
        desk: Desk) -> None:
    status, body = await desk.call("GET", "/api/desk", "alice")
    assert status == 200
    assert body["user"] == {"id": "alice", "role": "agent"}
    assert body["agent"] == {"id": "alice", "name": "Alice", "skills": {"sales": 5},
                             "capacity": {"chat": 2, "voice": 1},
                             "blocks": {"voice": ["chat"]}, "phone": "webrtc"}
    assert body["not_ready_reasons"] == [{"code": "lunch", "label": "Lunch"},
                                         {"code": "break", "label": "Coffee"},
                                         {"code": "training", "label": "Training"}]
    assert body["dispositions"] == {"default": ["resolved", "sale"],
                                    "queues": {"support": ["fixed"]}}
    assert [q["name"] for q in body["queues"]] == ["sales", "support"]
    assert body["media"] == {"chat": True, "email": False, "outbound": False,
                             "callbacks": False, "recording": True}
    assert body["offer_timeout"] == 20.0
    assert abs(body["now"] - time.time()) < 5   # the engine's clock, for the page's timers
    status, body = await desk.call("GET", "/api/desk", "sam")
    assert (status, body["user"], body["agent"]) == (200, {"id": "sam",
                                                          "role": "supervisor"}, None)


# ------------------------------------------------------------------ the pop again
async def test_given_offered_chat_when_popped_again_then_the_offer_payload_with_customer(
        desk: Desk) -> None:
    customer = await desk.customers.create(name="Ada Lovelace")
    ws = await desk.feed("alice")
    await frame(ws, "hello")
    live = await offered_chat(desk, pop={"first_message": "Hi"})
    live.customer_id = customer["id"]
    await desk.dispatcher.state.put_interaction(live)
    offer = await frame(ws, "offer")
    status, body = await desk.call("GET", "/api/interactions/chat-1/pop", "alice")
    assert status == 200
    assert (body["type"], body["interaction_id"], body["agent_id"], body["details"]) == (
        "offer", "chat-1", "alice", {"first_message": "Hi"})
    assert body["offered_at"] == offer["offered_at"]
    assert body["expires_at"] == offer["expires_at"] == offer["offered_at"] + OFFER_TIMEOUT
    assert body["customer"]["name"] == "Ada Lovelace"
    await ws.close()


async def test_given_live_work_when_others_pop_then_403_staff_ok_unknown_404(
        desk: Desk) -> None:
    await offered_chat(desk)
    status, body = await desk.call("GET", "/api/interactions/chat-1/pop", "bob")
    assert (status, body["error"]) == (403, "forbidden")
    status, body = await desk.call("GET", "/api/interactions/chat-1/pop", "sam")
    assert (status, body["agent_id"]) == (200, "alice")
    status, body = await desk.call("GET", "/api/interactions/nope/pop", "admin")
    assert (status, body["error"]) == (404, "interaction_not_found")


async def test_given_busy_then_wrap_up_when_popped_then_no_expiry_and_record_after_end(
        desk: Desk) -> None:
    await offered_chat(desk, pop={"visitor": "Ada"})
    await desk.call("POST", "/api/interactions/chat-1/accept", "alice")
    status, body = await desk.call("GET", "/api/interactions/chat-1/pop", "alice")
    assert (status, body["expires_at"], body["details"]) == (200, None, {"visitor": "Ada"})
    await desk.call("POST", "/api/interactions/chat-1/close", "alice",
                    json={"reason": "resolved"})
    # the interaction is no longer live, alice's wrap-up is: the pop comes from the record
    status, body = await desk.call("GET", "/api/interactions/chat-1/pop", "alice")
    assert (status, body["interaction_id"], body["details"]) == (200, "chat-1",
                                                                {"visitor": "Ada"})
    assert (await desk.call("GET", "/api/interactions/chat-1/pop", "bob"))[0] == 403
    await desk.call("POST", "/api/interactions/chat-1/wrapup/end", "alice")
    status, body = await desk.call("GET", "/api/interactions/chat-1/pop", "alice")
    assert (status, body["error"]) == (404, "interaction_not_found")


# ------------------------------------------------------------------ ending wrap-up early
async def wrapping_up(desk: Desk) -> None:
    await offered_chat(desk)
    await desk.call("POST", "/api/interactions/chat-1/accept", "alice")
    await desk.call("POST", "/api/interactions/chat-1/close", "alice")
    assert (await desk.dispatcher.agent_view("alice"))["state"] == "wrap_up"


async def test_given_wrap_up_when_agent_ends_it_then_released_and_work_routed(
        desk: Desk) -> None:
    await wrapping_up(desk)
    for iid in ("chat-2", "chat-3"):  # two chats at most: the wrap-up holds one place
        await desk.dispatcher.enqueue(Interaction(iid, Medium.CHAT, queue="sales"))
    assert (await desk.dispatcher.live_interaction("chat-3")).agent_id is None
    status, body = await desk.call("POST", "/api/interactions/chat-1/wrapup/end", "alice")
    assert status == 200
    assert [s["interaction_id"] for s in body["slots"]] == ["chat-2", "chat-3"]
    assert (await desk.dispatcher.live_interaction("chat-3")).agent_id == "alice"


async def test_given_wrap_up_when_supervisor_ends_it_for_the_agent_then_released(
        desk: Desk) -> None:
    await wrapping_up(desk)
    status, body = await desk.call("POST", "/api/interactions/chat-1/wrapup/end", "sam")
    assert (status, body["error"]) == (400, "bad_agent")
    status, body = await desk.call("POST", "/api/interactions/chat-1/wrapup/end", "sam",
                                   json={"agent": "alice"})
    assert (status, body["state"]) == (200, "available")


async def test_given_wrap_up_ending_refused_then_clear_4xx_and_nothing_changes(
        desk: Desk) -> None:
    await wrapping_up(desk)
    cases = [("bob", {"agent": "alice"}, 403, "forbidden"),
             ("bob", None, 409, "not_in_wrap_up"),
             ("sam", {"agent": "zoe"}, 404, "agent_not_found"),
             ("sam", {"agent": 7}, 400, "bad_agent")]
    for user, body, status, code in cases:
        got = await desk.call("POST", "/api/interactions/chat-1/wrapup/end", user,
                              json=body)
        assert (got[0], got[1]["error"]) == (status, code), (user, body)
    assert (await desk.dispatcher.agent_view("alice"))["state"] == "wrap_up"
    await offered_chat(desk, "chat-2")
    status, body = await desk.call("POST", "/api/interactions/chat-2/wrapup/end", "alice")
    assert (status, body["error"]) == (409, "not_in_wrap_up")  # offered, not wrap-up


# ------------------------------------------------------------------ the feed
async def test_given_agent_when_feed_opens_then_hello_carries_the_agent_object(
        desk: Desk) -> None:
    await desk.dispatcher.login("alice")
    ws = await desk.feed("alice")
    hello = await ws.receive_json(timeout=5)
    assert (hello["type"], hello["agent_id"]) == ("hello", "alice")
    assert hello["agent"] == await desk.dispatcher.agent_view("alice")
    assert hello["agent"]["state"] == "available"
    await ws.close()
    ws = await desk.feed("sam")
    assert await ws.receive_json(timeout=5) == {"type": "hello", "agent_id": "sam",
                                                "agent": None}
    await ws.close()


async def test_given_open_feed_when_supervisor_forces_state_then_frame_within_a_second(
        desk: Desk) -> None:
    await desk.dispatcher.login("alice")
    ws = await desk.feed("alice")
    await frame(ws, "hello")
    started = time.monotonic()
    status, _ = await desk.call("POST", "/api/agents/alice/force", "sam",
                                json={"state": "not_ready", "reason": "coaching call"})
    assert status == 200
    state = await frame(ws, "state", timeout=1.0)
    assert time.monotonic() - started < 1.0
    assert (state["cause"], state["reason"], state["by"]) == ("forced", "coaching call",
                                                              "sam")
    assert state["agent"] == await desk.dispatcher.agent_view("alice")
    assert state["agent"]["state"] == "not_ready"
    await ws.close()


async def test_given_open_feed_when_work_comes_and_goes_then_state_frames_carry_slots(
        desk: Desk) -> None:
    ws = await desk.feed("alice")
    await frame(ws, "hello")
    await offered_chat(desk)
    assert (await frame(ws, "state"))["cause"] == "login"
    offered = await frame(ws, "state")
    slot = offered["agent"]["slots"][0]
    assert (offered["cause"], offered["interaction_id"], offered["by"]) == (
        "offered", "chat-1", None)
    assert (slot["interaction_id"], slot["medium"], slot["state"]) == ("chat-1", "chat",
                                                                      "offered")
    assert slot["until"] == slot["since"] + OFFER_TIMEOUT
    await frame(ws, "offer")
    await desk.call("POST", "/api/interactions/chat-1/accept", "alice")
    assert (await frame(ws, "state"))["agent"]["slots"][0]["state"] == "busy"
    await desk.call("POST", "/api/interactions/chat-1/close", "alice")
    wrap = await frame(ws, "state")
    slot = wrap["agent"]["slots"][0]
    assert (wrap["cause"], slot["state"], slot["until"]) == ("wrap_up", "wrap_up",
                                                             slot["since"] + 600)
    await desk.call("POST", "/api/interactions/chat-1/wrapup/end", "alice")
    ended = await frame(ws, "state")
    assert (ended["cause"], ended["agent"]["state"], ended["agent"]["slots"]) == (
        "wrap_up_ended", "available", [])
    await ws.close()


async def test_given_phone_offer_when_popped_then_expires_when_the_phone_stops_ringing(
        desk: Desk) -> None:
    ws = await desk.feed("bob")
    await frame(ws, "hello")
    await desk.dispatcher.login("bob")
    await desk.dispatcher.enqueue(Interaction("call-1", Medium.VOICE, queue="sales",
                                              attributes={"caller_number": "+441632960001"}))
    offer = await frame(ws, "offer")
    assert offer["expires_at"] == offer["offered_at"] + RING_SECONDS  # before the deadline
    state = await desk.dispatcher.agent_view("bob")
    assert state["slots"][0]["until"] == offer["offered_at"] + OFFER_TIMEOUT
    await ws.close()


async def test_given_ringing_phone_offer_when_handled_in_the_desk_then_refused_as_before(
        desk: Desk) -> None:
    """Calls are answered and hung up on the phone; only a channel that can take an offer
    back (the voice channel hangs the ringing leg up) accepts a decline."""
    await desk.dispatcher.login("bob")
    await desk.dispatcher.enqueue(Interaction("call-1", Medium.VOICE, queue="sales"))
    for action in ("accept", "close", "decline"):
        status, body = await desk.call("POST", f"/api/interactions/call-1/{action}", "bob")
        assert (status, body["error"]) == (409, "not_desktop_work"), action
    assert (await desk.dispatcher.agent_view("bob"))["slots"][0]["state"] == "offered"
