"""Chat on the running engine (its private Asterisk, store, dispatcher and API): the chat
part starts from the config's chat: section, a visitor's chat is offered to an agent with
chat capacity, they talk through the engine's own listener, the agent closes it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CHAT_SITE, Rig, eventually

CHAT_ON = {"overrides": [
    "queues=[{name: sales, media: [voice, chat], required_skills: {sales: 1}, "
    "wrapup_seconds: 5}, {name: support, media: [voice], required_skills: {support: 1}}]",
    f"chat={{allowed_origins: ['{CHAT_SITE}'], entry_points: {{web: sales}}, reconnect_grace: 5}}",
]}


@pytest.mark.parametrize("rig", [CHAT_ON], indirect=True)
async def test_given_engine_with_chat_when_visitor_chats_then_agent_answers_and_closes(
        rig: Rig) -> None:
    await rig.login("alice")
    feed = await rig.open_feed("alice")
    async with rig.http.get(f"{rig.api}/chat/widget.js") as r:
        assert r.status == 200 and r.content_type == "text/javascript"
    async with rig.visitor_chat(name="Eve", phone="07700900999") as (chat, ws):
        await eventually(feed.offers, 20, "the chat offered to alice")
        offer = feed.offers()[0]
        assert (offer["interaction_id"], offer["medium"]) == (chat["chat_id"], "chat")
        assert offer["customer"]["identities"] == [{"kind": "phone",
                                                    "value": "+447700900999"}]
        await rig.call_api("POST", f"/api/interactions/{chat['chat_id']}/accept", "alice")
        assert (await ws.receive_json(timeout=10))["type"] == "agent_joined"
        await ws.send_json({"type": "message", "text": "Is my parcel coming?",
                            "client_id": "1"})
        assert (await ws.receive_json(timeout=10))["type"] == "ack"
        await eventually(lambda: [m for m in feed.messages if m["type"] == "chat_message"],
                         10, "the visitor's message on alice's feed")
        await rig.call_api("POST", f"/api/interactions/{chat['chat_id']}/messages", "alice",
                           json={"text": "Tomorrow."})
        reply = await ws.receive_json(timeout=10)
        assert (reply["type"], reply["text"]) == ("message", "Tomorrow.")
        await rig.call_api("POST", f"/api/interactions/{chat['chat_id']}/close", "alice",
                           json={"reason": "resolved"})
        ended = await ws.receive_json(timeout=10)
        assert (ended["type"], ended["reason"]) == ("ended", "agent_closed")
    assert await rig.agent_state("alice") == "wrap_up"
    await eventually(lambda: _available(rig), 30, "alice available after wrap-up")
    transcript = await rig.call_api("GET", f"/api/interactions/{chat['chat_id']}/messages",
                                    "alice")
    assert [m["text"] for m in transcript["messages"]] == ["Is my parcel coming?",
                                                           "Tomorrow."]
    stored = await rig.call_api("GET", f"/api/interactions/{chat['chat_id']}", "alice")
    assert (stored["medium"], stored["status"], stored["hung_up_by"]) == ("chat", "ended",
                                                                          "agent")


async def _available(rig: Rig) -> bool:
    return await rig.agent_state("alice") == "available"
