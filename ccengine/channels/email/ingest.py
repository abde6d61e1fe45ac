"""Inbound mail, at least once and idempotent.

``store`` keeps the raw message first (idempotent by Message-ID, or a hash of the bytes when
it has none); only after that commit does the caller acknowledge it (IMAP \\Seen or move,
SMTP 250). ``process`` then threads it: a reply to a conversation whose interaction is live
joins that interaction (its agent is told); anything else opens a new email interaction,
linked to the earlier one of its thread if there was one. Every step can be repeated: the
interaction's id derives from the message, saves are upserts, the acknowledgement's
Message-ID derives from the message's, so a crash between two steps is resumed by
``resume`` at the next start with nothing lost or doubled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ccengine.channels.email.compose import (
    Original,
    TemplateError,
    ack_message_id,
    compose,
    render_template,
)
from ccengine.channels.email.config import EmailConfig, Mailbox
from ccengine.channels.email.parse import parse_email
from ccengine.core.errors import UnknownInteraction
from ccengine.core.interaction import Interaction, InteractionEvent
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.store.customers import CustomerRepository
from ccengine.store.errors import InvalidRecord, StoreError
from ccengine.store.interactions import InteractionRepository
from ccengine.store.messages import MessageRepository, MessageView
from ccengine.store.records import InteractionView

log = logging.getLogger(__name__)

MEDIUM = Medium.EMAIL.value
RECEIVED, ROUTED = "received", "routed"   # inbound: stored, then on its interaction
BOUNCE = "bounce"   # inbound: a delivery report, handled by campaigns (not work)
QUEUED = "queued"                          # outbound: waiting for the outbox
UNFINISHED = ("new", "queued", "offered", "answered")
MAX_THREAD_LOOKUPS = 20

Notify = Callable[[str, dict[str, Any]], Awaitable[None]]


def interaction_id_of(message_id: int) -> str:
    """The interaction a message opens is named after it (so reprocessing finds it)."""
    return f"email-{message_id}"


def public_message(m: MessageView) -> dict[str, Any]:
    """A stored message as agents see it (no raw bytes, no bookkeeping)."""
    meta = m["meta"]
    return {"id": m["id"], "direction": m["direction"], "interaction_id": m["interaction_id"],
            "message_id": meta.get("message_id") if m["direction"] == "in"
            else m["external_id"],
            "from": m["sender"], "from_name": meta.get("sender_name"),
            "to": list(m["recipients"]), "subject": m["subject"], "body": m["body"],
            "attachments": meta.get("attachments", []), "problem": meta.get("problem"),
            "kind": meta.get("kind", "customer" if m["direction"] == "in" else "reply"),
            "by": meta.get("by"), "state": m["state"], "error": m["error"],
            "created_at": m["created_at"], "sent_at": meta.get("sent_at")}


class Ingest:
    """Stores inbound mail and turns it into (or onto) email interactions."""

    def __init__(self, config: EmailConfig, dispatcher: Dispatcher,
                 messages: MessageRepository, customers: CustomerRepository,
                 interactions: InteractionRepository, *, notify: Notify,
                 wake_outbox: Callable[[], None], clock: Callable[[], float]) -> None:
        self.config, self.dispatcher, self.messages = config, dispatcher, messages
        self.customers, self.interactions = customers, interactions
        self.notify, self.wake_outbox, self.clock = notify, wake_outbox, clock
        self._lock = asyncio.Lock()  # one message threaded at a time on this node
        # knowledge articles for a mail (its interaction id, its text): [{"title", "url"}],
        # given to the acknowledgement's template as ``articles`` (the knowledge part
        # sets it; None: no articles)
        self.articles: Callable[[str, str], Awaitable[list[dict[str, str]]]] | None = None
        # classifies a new conversation's work from its text before it is queued (its
        # intent, maybe its queue or skills); set by the intents part, None: not classified
        self.classify: Callable[[Interaction, str], None] | None = None
        # a delivery report (a bounce: multipart/report) is handled there and is not work;
        # set by campaigns
        self.bounces: Callable[[MessageView], Awaitable[bool]] | None = None

    # ------------------------------------------------------------------ storing
    async def store(self, raw: bytes, mailbox: Mailbox,
                    source: Mapping[str, Any] | None = None) -> MessageView:
        """Keep the raw message (idempotent); returns once it is committed."""
        parsed = parse_email(raw)
        meta = {**parsed.meta(), "mailbox": mailbox.name, **(source or {})}
        view, created = await self.messages.add(
            medium=MEDIUM, direction="in", external_id=parsed.external_id,
            sender=parsed.sender, recipients=[*parsed.to, *parsed.cc],
            subject=parsed.subject, body=parsed.body, raw=raw, meta=meta, state=RECEIVED,
            at=self.clock())
        if not created:
            log.info("email %s was stored before (message %s): not stored again",
                     parsed.external_id, view["id"])
        return view

    # ------------------------------------------------------------------ threading
    async def process(self, message_id: int) -> None:
        """Put a stored inbound message on its interaction (no-op once done)."""
        async with self._lock:
            m = await self.messages.get(message_id)
            if m is None or m["direction"] != "in" or m["state"] != RECEIVED:
                return
            if (self.bounces is not None and m["meta"].get("report")
                    and await self.bounces(m)):
                await self.messages.update(m["id"], state=BOUNCE)
                return
            meta = m["meta"]
            ids = [*meta.get("in_reply_to", []), *reversed(meta.get("references", []))]
            found = await self._referenced(ids)
            thread = (found["thread_key"] if found and found["thread_key"] else None) \
                or (meta.get("references") or meta.get("in_reply_to") or [None])[0] \
                or m["external_id"]
            previous = found["interaction_id"] if found else None
            live = await self._live(previous)
            if live is not None:
                await self._join(m, live, thread)
            else:
                await self._open(m, thread, previous)

    async def _referenced(self, ids: list[str]) -> MessageView | None:
        """The stored message nearest in the thread among ``ids`` (nearest first)."""
        seen: set[str] = set()
        for external_id in ids[:MAX_THREAD_LOOKUPS]:
            if external_id in seen:
                continue
            seen.add(external_id)
            found = await self.messages.by_external_id(MEDIUM, external_id)
            if found is not None and found["interaction_id"]:
                return found
        return None

    async def _live(self, interaction_id: str | None) -> Interaction | None:
        if interaction_id is None:
            return None
        try:
            live = await self.dispatcher.live_interaction(interaction_id)
        except UnknownInteraction:
            return None
        return live if live.medium == Medium.EMAIL else None

    async def _join(self, m: MessageView, live: Interaction, thread: str) -> None:
        """A reply in a conversation still being worked: it goes to that interaction."""
        await self.messages.update(m["id"], interaction_id=live.id, thread_key=thread,
                                   state=ROUTED)
        pop = dict(live.attributes.get("pop", {}))
        pop["messages"] = int(pop.get("messages", 1)) + 1
        pop["latest_subject"] = m["subject"]
        interaction = await self.dispatcher.record(live.id, "message_received",
                                                   attributes={"pop": pop},
                                                   message_id=m["id"])
        log.info("email %s joins live interaction %s", m["external_id"], live.id)
        if interaction.agent_id:
            await self.notify(interaction.agent_id, {
                "type": "email_message", "interaction_id": live.id,
                "message": public_message({**m, "interaction_id": live.id,
                                           "state": ROUTED})})

    async def _open(self, m: MessageView, thread: str, previous: str | None) -> None:
        """A new conversation, or a reply after its interaction ended: a new interaction
        (linked to the earlier one), queued."""
        iid = interaction_id_of(m["id"])
        mailbox = self.config.mailbox(m["meta"].get("mailbox"))
        if await self.interactions.get(iid) is None:
            queue = await self._queue_for(mailbox, previous)
            customer_id, tier = await self._customer(m)
            attributes = self._attributes(m, mailbox, thread, previous)
            if tier:
                attributes["customer_tier"] = tier  # key-account rules apply to email too
            interaction = Interaction(
                iid, Medium.EMAIL, queue=queue, priority=mailbox.priority,
                customer_id=customer_id, created_at=m["created_at"],
                sl_target_seconds=self.dispatcher.queues[queue].sl_seconds,
                attributes=attributes)
            interaction.record("entered", m["created_at"], mailbox=mailbox.name,
                               message_id=m["id"], **({"previous_interaction": previous}
                                                      if previous else {}))
            if self.classify is not None and previous is None:
                try:
                    self.classify(interaction, f"{m['subject'] or ''}\n{m['body'] or ''}")
                except Exception:   # unclassified work is still work
                    log.exception("classifying message %s failed", m["id"])
            await self.interactions.save(interaction)
        if previous is None:  # before "routed": a crash here acknowledges it next time
            await self._acknowledge(m, mailbox, iid, thread)
        await self.messages.update(m["id"], interaction_id=iid, thread_key=thread,
                                   state=ROUTED)
        await self.ensure_queued(iid)

    async def _queue_for(self, mailbox: Mailbox, previous: str | None) -> str:
        """A follow-up goes to the queue its conversation was in; else the mailbox's."""
        if previous is not None:
            earlier = await self.interactions.get(previous)
            queue = self.dispatcher.queues.get((earlier or {}).get("queue") or "")
            if queue is not None and Medium.EMAIL in queue.media:
                return queue.name
        return mailbox.queue

    async def _customer(self, m: MessageView) -> tuple[str | None, str | None]:
        """(id, tier) of the sender's customer, created on first contact."""
        if not m["sender"]:
            return None, None
        try:
            customer = await self.customers.get_or_create_by_identity(
                "email", m["sender"], name=m["meta"].get("sender_name"))
        except (InvalidRecord, StoreError) as e:
            log.info("sender %r of message %s not linked to a customer: %s", m["sender"],
                     m["id"], e)
            return None, None
        return str(customer["id"]), customer.get("tier")

    @staticmethod
    def _attributes(m: MessageView, mailbox: Mailbox, thread: str,
                    previous: str | None) -> dict[str, Any]:
        meta = m["meta"]
        pop: dict[str, Any] = {
            "subject": m["subject"], "from": m["sender"], "from_name": meta.get("sender_name"),
            "mailbox": mailbox.name, "to": mailbox.address, "received_at": m["created_at"],
            "messages": 1, "attachments": len(meta.get("attachments", []))}
        attributes: dict[str, Any] = {"from_address": m["sender"], "pop": pop,
                                      "email": {"thread": thread, "first_message": m["id"]}}
        if meta.get("problem"):
            pop["problem"] = meta["problem"]
            attributes["unparsed"] = True
        if previous:
            pop["previous_interaction"] = previous
            attributes["previous_interaction"] = previous
        return attributes

    async def _acknowledge(self, m: MessageView, mailbox: Mailbox, iid: str,
                           thread: str) -> None:
        """The automatic acknowledgement of a new conversation (never of automatic mail,
        of mail from our own mailboxes, or of mail the engine could not read)."""
        ack = self.config.auto_ack
        meta = m["meta"]
        to = meta.get("reply_to") or m["sender"]
        if ack is None or not to or meta.get("problem") or meta.get("automatic") \
                or self.config.mailbox_for(to) is not None:
            return
        values = {"subject": m["subject"] or "", "sender": m["sender"] or "",
                  "sender_name": meta.get("sender_name") or "", "queue": mailbox.queue,
                  "mailbox": mailbox.name, "interaction_id": iid,
                  "articles": await self._articles(iid, m)}
        try:
            subject = render_template(ack.subject, values).strip()
            body = render_template(ack.body, values)
        except TemplateError as e:
            log.error("auto-ack template failed for message %s: %s", m["id"], e)
            return
        out = compose(original=Original(meta.get("message_id"), meta.get("references", []),
                                        m["subject"], to),
                      sender=mailbox.address, sender_name=mailbox.display_name, body=body,
                      subject=" ".join(subject.split()), domain=self.config.domain,
                      message_id=ack_message_id(m["external_id"] or str(m["id"]),
                                                self.config.domain),
                      automatic=True, now=self.clock())
        await self.messages.add(
            medium=MEDIUM, direction="out", external_id=out.message_id, interaction_id=iid,
            thread_key=thread, sender=out.sender, recipients=list(out.recipients),
            subject=out.subject, body=body, raw=out.raw, state=QUEUED, at=self.clock(),
            meta={"kind": "auto_ack", "answers": m["id"], "attempts": 0})
        self.wake_outbox()

    async def _articles(self, iid: str, m: MessageView) -> list[dict[str, str]]:
        """Published articles matching the mail, for its acknowledgement (none when the
        knowledge base is off or fails: the acknowledgement goes anyway)."""
        if self.articles is None:
            return []
        try:
            return await self.articles(iid, f"{m['subject'] or ''}\n{m['body'] or ''}")
        except Exception:
            log.exception("suggesting articles for message %s failed", m["id"])
            return []

    # ------------------------------------------------------------------ live again
    async def ensure_queued(self, interaction_id: str) -> None:
        """An unfinished stored email interaction that is not live (the engine stopped or
        crashed) goes back to its queue, keeping its history and its original wait."""
        try:
            await self.dispatcher.live_interaction(interaction_id)
            return
        except UnknownInteraction:
            pass
        view = await self.interactions.get(interaction_id)
        if view is None or view["status"] not in UNFINISHED:
            return
        interaction = interaction_from_view(view, self.dispatcher.queues)
        if interaction is None:
            log.error("email interaction %s is in unknown queue %r: left as it is",
                      interaction_id, view["queue"])
            return
        if interaction.timestamp("queued") is not None:
            interaction.record("restored", self.clock(), status=view["status"],
                               previous_agent=view["agent_id"])
        await self.dispatcher.enqueue(interaction)

    async def resume(self) -> int:
        """At start: thread every stored message not yet on an interaction, and put every
        unfinished email interaction that is not live back in its queue. Returns how many
        messages were threaded."""
        done = 0
        while True:
            pending = [m for m in await self.messages.in_state(MEDIUM, RECEIVED, limit=200)
                       if m["direction"] == "in"]
            for m in pending:
                await self.process(m["id"])
            done += len(pending)
            if len(pending) < 200:
                break
        for status in UNFINISHED:
            for view in await self.interactions.list(medium=MEDIUM, status=status,
                                                     limit=100_000):
                async with self._lock:
                    await self.ensure_queued(view["id"])
        return done

    async def sweep(self) -> None:
        """Thread messages a failed attempt left behind (e.g. the store was briefly down)."""
        for m in await self.messages.in_state(MEDIUM, RECEIVED, limit=200):
            if m["direction"] == "in":
                await self.process(m["id"])


def interaction_from_view(view: InteractionView, queues: Mapping[str, Any]
                          ) -> Interaction | None:
    """A live Interaction from its stored record, history included (so later saves append
    after what is stored), queued anew without an agent."""
    queue = queues.get(view["queue"] or "")
    if queue is None:
        return None
    events = [InteractionEvent(e["kind"], e["at"], dict(e["data"])) for e in view["events"]]
    ts = view["timestamps"]
    return Interaction(
        id=view["id"], medium=Medium(view["medium"]), queue=queue.name,
        priority=view["priority"], customer_id=view["customer_id"],
        attributes=dict(view["attributes"]), created_at=ts.get("entered") or 0.0,
        # the wait counts from the mail's arrival, and goes on across restarts
        enqueued_at=ts.get("entered") or ts.get("queued"), sl_target_seconds=queue.sl_seconds,
        required_skills=_skills(view["attributes"].get("required_skills")), events=events)


def _skills(kept: Any) -> dict[str, int]:
    """Skills the work needs beyond its queue's, as kept on the record (an intent's)."""
    if not isinstance(kept, dict):
        return {}
    return {k: v for k, v in kept.items()
            if isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)}
