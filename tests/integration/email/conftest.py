"""An email channel wired like the engine wires it (store on SQLite, dispatcher on memory
state, the HTTP API), against a private dovecot IMAP server and an SMTP sink on loopback.
No Asterisk: the engine-level journeys are in tests/e2e/test_email*.py."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from ccengine.api.auth import TokenAuth, User
from ccengine.api.http import build_api
from ccengine.api.service_level import add_routes as add_service_level
from ccengine.channels.email.api import add_routes
from ccengine.channels.email.config import EmailConfig, parse_email_config
from ccengine.channels.email.service import EmailChannel
from ccengine.core.agent import AgentProfile
from ccengine.core.media import Medium
from ccengine.core.queue import QueueConfig
from ccengine.cti.customers import CustomerContext
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.state.memory import MemoryState
from ccengine.store.customers import CustomerRepository
from ccengine.store.db import Database
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository
from tests.e2e.ports import free_port
from tests.feeds import RecordingSocket
from tests.mail import dovecot
from tests.mail.dovecot import Dovecot, Mailbox
from tests.mail.servers import running_dovecot, running_sink
from tests.mail.sink import SmtpSink
from tests.polling import eventually  # noqa: F401 - the tests import it from here

if not dovecot.available():
    pytest.skip("needs dovecot (scripts/install-system.sh --test)", allow_module_level=True)

TOKENS = {"alice": "tok-alice", "bob": "tok-bob", "sam": "tok-sam"}
MAIL_USER, MAIL_PASSWORD = "sales@shop.test", "mail-secret"
QUEUES = {"sales": QueueConfig("sales", frozenset({Medium.EMAIL}), {"sales": 1},
                               wrapup_seconds=0, sl_seconds=3600, sl_percent=90)}
# alice has the skill but no email capacity; bob can take two emails at once
AGENTS = {"alice": AgentProfile("alice", "Alice", {"sales": 5}, {Medium.VOICE: 1}),
          "bob": AgentProfile("bob", "Bob", {"sales": 5}, {Medium.EMAIL: 2})}




@dataclass
class EmailRig:
    db: Database
    dispatcher: Dispatcher
    messages: MessageRepository
    interactions: InteractionRepository
    channel: EmailChannel
    client: TestClient
    sink: SmtpSink
    server: Dovecot
    mailbox: Mailbox
    feeds: dict[str, RecordingSocket] = field(default_factory=dict)

    @staticmethod
    def auth(user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKENS[user]}"}

    async def api(self, method: str, path: str, user: str, **kw: Any) -> tuple[int, Any]:
        r = await self.client.request(method, path, headers=self.auth(user), **kw)
        return r.status, await r.json()

    async def inbound(self) -> list[Any]:
        rows = await self.messages.in_state("email", "routed", limit=1000)
        return [m for m in rows if m["direction"] == "in"]


def email_section(imap_port: int, relay_port: int, listener_port: int | None = None,
                  **extra: Any) -> dict[str, Any]:
    section: dict[str, Any] = {
        "domain": "shop.test",
        "mailboxes": [{"name": "sales", "address": MAIL_USER, "queue": "sales",
                       "display_name": "Shop sales",
                       "imap": {"host": "127.0.0.1", "port": imap_port, "tls": False,
                                "user": MAIL_USER, "password": MAIL_PASSWORD,
                                "poll_seconds": 0.5, "timeout": 5}}],
        "relay": {"host": "127.0.0.1", "port": relay_port, "security": "none",
                  "timeout": 5},
        "send_retry": {"first_seconds": 0.2, "max_seconds": 1},
        "reconnect": {"first_seconds": 0.1, "max_seconds": 0.5},
        "auto_ack": {"subject": "Re: {{ subject }} [{{ interaction_id }}]",
                     "body": "Dear {{ sender_name or sender }}, we have your message."},
    }
    if listener_port is not None:
        section["listener"] = {"host": "127.0.0.1", "port": listener_port}
    section.update(extra)
    return section


@pytest.fixture
async def mail_server() -> AsyncIterator[Dovecot]:
    async with running_dovecot(free_port(), {MAIL_USER: MAIL_PASSWORD}) as server:
        yield server


@pytest.fixture
async def sink() -> AsyncIterator[SmtpSink]:
    async with running_sink(free_port()) as s:
        yield s


RigFactory = Callable[..., Awaitable[EmailRig]]


@pytest.fixture
async def make_rig(tmp_path: Path, mail_server: Dovecot, sink: SmtpSink
                   ) -> AsyncIterator[RigFactory]:
    """Builds (and afterwards stops) the channel; ``section`` replaces the email config."""
    stops: list[Callable[[], Awaitable[None]]] = []

    async def build(section: dict[str, Any] | None = None,
                    db_name: str = "email.db") -> EmailRig:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / db_name}")
        await db.migrate()
        config: EmailConfig | None = parse_email_config(
            section or email_section(mail_server.port, sink.port), "test", QUEUES)
        assert config is not None
        dispatcher = Dispatcher(MemoryState(), QUEUES, AGENTS, tick_seconds=0.1,
                                offer_timeout=600)
        interactions = InteractionRepository(db)
        messages = MessageRepository(db)
        customers = CustomerRepository(db, "GB")
        feed = ScreenPopFeed(enrich=CustomerContext(customers).screen_pop)
        dispatcher.subscribe(feed.on_event)
        dispatcher.subscribe(interactions.on_event)
        channel = EmailChannel(config, dispatcher, messages, customers, interactions,
                               notify=feed.send, clock=time.time)
        dispatcher.register_channel(channel)
        await dispatcher.start()
        feeds = {a: RecordingSocket() for a in AGENTS}
        for agent, socket in feeds.items():
            feed.add(agent, socket)
        await channel.start()
        users = {"alice": User("alice", "agent"), "bob": User("bob", "agent"),
                 "sam": User("sam", "supervisor")}
        app = build_api(TokenAuth(users, TOKENS), dispatcher, feed, interactions, messages)
        add_routes(app, channel)
        add_service_level(app)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()

        async def stop() -> None:
            await client.close()
            await channel.stop()
            await dispatcher.stop()
            await db.close()
        stops.append(stop)
        return EmailRig(db, dispatcher, messages, interactions, channel, client, sink,
                        mail_server, Mailbox(mail_server.port, MAIL_USER, MAIL_PASSWORD),
                        feeds)

    try:
        yield build
    finally:
        for stop in reversed(stops):
            await stop()
