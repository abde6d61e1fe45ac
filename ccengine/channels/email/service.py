"""The email channel adapter and its lifecycle: mailbox pollers, the SMTP listener, the
outbox, the sweep of messages left behind, and the agent's reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from ccengine.channels.email.compose import Original, compose
from ccengine.channels.email.config import EmailConfig
from ccengine.channels.email.imap import ImapPoller
from ccengine.channels.email.ingest import MEDIUM, QUEUED, Ingest, Notify
from ccengine.channels.email.outbox import Outbox
from ccengine.channels.email.smtp_in import start_listener
from ccengine.channels.work import WorkChannel
from ccengine.core.errors import CoreError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.store.customers import CustomerRepository
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository, MessageView

log = logging.getLogger(__name__)

SWEEP_SECONDS = 30.0


class NotEmail(CoreError):
    """The interaction is not an email interaction."""

    code = "not_email"


class NoRecipient(CoreError):
    """Nobody to reply to: the conversation has no customer message with an address."""

    code = "no_recipient"


class EmailChannel(WorkChannel):
    """Email work: offered like any desktop work; answered by replies through the API."""

    medium = Medium.EMAIL

    def __init__(self, config: EmailConfig, dispatcher: Dispatcher,
                 messages: MessageRepository, customers: CustomerRepository,
                 interactions: InteractionRepository, *, notify: Notify,
                 clock: Callable[[], float]) -> None:
        super().__init__(dispatcher)
        self.config, self.messages, self.interactions = config, messages, interactions
        self.clock = clock
        self.outbox = Outbox(config.relay, config.send_retry, messages, clock=clock)
        self.ingest = Ingest(config, dispatcher, messages, customers, interactions,
                             notify=notify, wake_outbox=self.outbox.wake, clock=clock)
        self.pollers = [ImapPoller(m, self.ingest.store, self.ingest.process, config.reconnect)
                        for m in config.mailboxes if m.imap is not None]
        self.listener: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle
    def spawn(self, work: Awaitable[Any], name: str = "email-work") -> None:
        """Run ``work`` as a task this channel keeps (its failure is logged; stop() ends
        it)."""
        async def guarded() -> None:
            try:
                await work
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("email: %s failed", name)

        task = asyncio.ensure_future(guarded())
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Resume what a stop or crash left, then listen, poll and send."""
        threaded = await self.ingest.resume()
        if threaded:
            log.info("email: resumed %d stored message(s)", threaded)
        self.spawn(self.outbox.run(), "email-outbox")
        self.spawn(self._sweep_forever(), "email-sweep")
        for poller in self.pollers:
            self.spawn(poller.run(), f"email-imap-{poller.mailbox.name}")
        if self.config.listener is not None:
            self.listener = await start_listener(
                self.config, self.config.listener, self.ingest.store, self.ingest.process,
                lambda work: self.spawn(work, "email-smtp-message"))

    async def stop(self) -> None:
        if self.listener is not None:
            self.listener.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self.listener.wait_closed()
            self.listener = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            await self.ingest.sweep()

    # ------------------------------------------------------------------ the thread
    async def conversation(self, interaction_id: str) -> list[dict[str, Any]]:
        """The thread as the agent's API shows it (GET /api/interactions/{id}/messages)."""
        from ccengine.channels.email.ingest import public_message
        return [public_message(m) for m in await self.thread(interaction_id)]

    async def thread(self, interaction_id: str) -> list[MessageView]:
        """The interaction's messages and the rest of their conversation (earlier and
        later interactions of the same thread), oldest first."""
        own = await self.messages.for_interaction(interaction_id)
        keys = {m["thread_key"] for m in own if m["thread_key"]}
        found: dict[int, MessageView] = {m["id"]: m for m in own}
        for key in keys:
            for m in await self.messages.for_thread(MEDIUM, key):
                found[m["id"]] = m
        return [found[i] for i in sorted(found)]

    # ------------------------------------------------------------------ replying
    async def reply(self, interaction: Interaction, body: str, by: str) -> MessageView:
        """Store the reply (queued for the outbox) and record it on the interaction; the
        first reply is the interaction's first response (service level)."""
        if interaction.medium != Medium.EMAIL:
            raise NotEmail(f"interaction {interaction.id} is {interaction.medium}, not email")
        inbound = [m for m in await self.messages.for_interaction(interaction.id)
                   if m["direction"] == "in"
                   and (m["meta"].get("reply_to") or m["sender"])]
        if not inbound:
            raise NoRecipient(f"interaction {interaction.id} has no customer message with a "
                              "sender address to reply to")
        original = inbound[-1]
        meta = original["meta"]
        mailbox = self.config.mailbox(meta.get("mailbox"))
        out = compose(original=Original(meta.get("message_id"), meta.get("references", []),
                                        original["subject"],
                                        meta.get("reply_to") or original["sender"] or ""),
                      sender=mailbox.address, sender_name=mailbox.display_name, body=body,
                      domain=self.config.domain, now=self.clock())
        view, _ = await self.messages.add(
            medium=MEDIUM, direction="out", external_id=out.message_id,
            interaction_id=interaction.id, thread_key=original["thread_key"],
            sender=out.sender, recipients=list(out.recipients), subject=out.subject,
            body=body, raw=out.raw, state=QUEUED, at=self.clock(),
            meta={"kind": "reply", "by": by, "answers": original["id"], "attempts": 0})
        first = interaction.timestamp("first_response") is None
        await self.dispatcher.record(interaction.id, "replied", message_id=view["id"], by=by)
        if first:
            since = interaction.enqueued_at or interaction.created_at
            await self.dispatcher.record(
                interaction.id, "first_response",
                attributes={"first_response_seconds": round(self.clock() - since, 3)},
                by=by, seconds=round(self.clock() - since, 3))
        self.outbox.wake()
        return view
