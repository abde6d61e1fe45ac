"""The customer API over real HTTP on a real store (SQLite or PostgreSQL): the API app with
the customer routes (and consent and the do-not-call list), a dispatcher with a
desktop-handled chat channel for live work, and helpers that write interactions and
messages of any medium straight into the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.consent import ConsentApi
from ccengine.api.consent import add_routes as add_consent_routes
from ccengine.api.customers import add_customer_api
from ccengine.api.http import build_api
from ccengine.channels.work import WorkChannel
from ccengine.core.agent import AgentProfile
from ccengine.core.dispositions import Dispositions
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.consent import ConsentLedger, DoNotCallList
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository
from ccengine.store.timeline import Timeline

USERS = {"alice": "agent", "bob": "agent", "carol": "agent", "sam": "supervisor",
         "admin": "admin"}
DISPOSITIONS = Dispositions(default=("resolved", "sale", "no_sale"),
                            per_queue={"support": ("fixed", "escalated")})
ALL_MEDIA = frozenset(Medium)


class Chat(WorkChannel):
    medium = Medium.CHAT


@dataclass
class CustomerApi:
    client: TestClient
    db: Database
    customers: CustomerRepository
    interactions: InteractionRepository
    messages: MessageRepository
    dispatcher: Dispatcher

    async def call(self, method: str, path: str, user: str | None,
                   **kw: Any) -> tuple[int, Any]:
        headers = {**kw.pop("headers", {}),
                   **({"Authorization": f"Bearer tok-{user}"} if user else {})}
        r = await self.client.request(method, path, headers=headers, **kw)
        assert r.content_type == "application/json", (r.status, await r.text())
        return r.status, await r.json()

    async def ok(self, method: str, path: str, user: str, **kw: Any) -> Any:
        status, body = await self.call(method, path, user, **kw)
        assert status in (200, 201), (method, path, status, body)
        return body

    async def new_customer(self, *identities: tuple[str, str], name: str | None = None,
                           user: str = "sam") -> dict[str, Any]:
        return await self.ok("POST", "/api/customers", user, json={
            "name": name, "identities": [{"kind": k, "value": v} for k, v in identities]})

    async def stored(self, iid: str, medium: str, customer_id: str | None, *,
                     at: float, queue: str = "sales", agent: str | None = "alice",
                     answered: bool = True, **attributes: Any) -> None:
        """An ended interaction written straight into the store."""
        events: list[dict[str, Any]] = [{"kind": "entered", "at": at},
                                        {"kind": "queued", "at": at + 1, "data": {}}]
        if agent:
            events.append({"kind": "offered", "at": at + 2, "data": {"agent_id": agent}})
            if answered:
                events.append({"kind": "answered", "at": at + 5, "data": {"agent_id": agent}})
        hung_up_by = attributes.pop("hung_up_by", None)
        events.append({"kind": "ended", "at": at + 65,
                       "data": {"hung_up_by": hung_up_by} if hung_up_by else {}})
        await self.interactions.save({"id": iid, "medium": medium, "queue": queue,
                                      "customer_id": customer_id, "attributes": attributes,
                                      "events": events})

    async def message(self, iid: str, medium: str, body: str, subject: str | None = None,
                      sender: str | None = None) -> None:
        await self.messages.add(medium=medium, direction="in", interaction_id=iid,
                                body=body, subject=subject, sender=sender)


async def customer_api(db: Database) -> AsyncIterator[CustomerApi]:
    """The rig on a migrated store; stopped afterwards."""
    queues = {name: QueueConfig(name, ALL_MEDIA) for name in ("sales", "support")}
    chat = {Medium.CHAT: 2}
    agents = {a: AgentProfile(a, a.title(), capacity=chat)
              for a, role in USERS.items() if role == "agent"}
    dispatcher = Dispatcher(MemoryState(), queues, agents, tick_seconds=3600)
    dispatcher.register_channel(Chat(dispatcher))
    await dispatcher.start()
    interactions = InteractionRepository(db)
    dispatcher.subscribe(interactions.on_event)
    customers = CustomerRepository(db, "GB")
    users = {uid: User(uid, role) for uid, role in USERS.items()}
    app = build_api(TokenAuth(users, {uid: f"tok-{uid}" for uid in USERS}), dispatcher,
                    ScreenPopFeed(), interactions)
    add_customer_api(app, customers, Timeline(db), DISPOSITIONS)
    add_consent_routes(app, ConsentApi(ConsentLedger(db), DoNotCallList(db, "GB"), customers))
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield CustomerApi(client, db, customers, interactions, MessageRepository(db),
                          dispatcher)
    await dispatcher.stop()
