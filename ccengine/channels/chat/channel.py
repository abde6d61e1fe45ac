"""The chat channel adapter: visitors' conversations in the one queue model.

A visitor starts a chat (``open_chat``): it is linked to a customer, queued through the
dispatcher (Medium.CHAT) and offered to an agent with chat capacity; the agent accepts,
talks through the API and closes it (WorkChannel). Every message is stored before it is
acknowledged or delivered. The chat ends, cleanly for everyone (the agent to wrap-up, the
visitor told, nothing left in live state), when the visitor ends it or stays away longer
than ``reconnect_grace``, when the agent closes it, or after ``idle_timeout`` without a
message once an agent has joined.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ccengine.channels.chat.callbacks import BookedCallback, CallbackBooker, request_callback
from ccengine.channels.chat.config import ChatSettings, EntryPoint
from ccengine.channels.chat.frames import message_payload
from ccengine.channels.chat.ratelimit import RateLimiter
from ccengine.channels.chat.sessions import ChatSession, SessionRegistry, VisitorSocket
from ccengine.channels.chat.text import check_text
from ccengine.channels.chat.visitors import Visitor, link_customer
from ccengine.channels.work import NotYourWork, WorkChannel
from ccengine.core.agent_state import SlotState
from ccengine.core.errors import CoreError, InvalidTransition, UnknownInteraction
from ccengine.core.events import Event, InteractionCancelled, InteractionEnded
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.cti.screenpop import ScreenPopFeed
from ccengine.dispatcher import Dispatcher
from ccengine.store.customers import CustomerRepository
from ccengine.store.messages import MessageRepository, MessageView

if TYPE_CHECKING:
    from ccengine.store.knowledge import KnowledgeRepository

log = logging.getLogger(__name__)
FIRST_MESSAGE_SHOWN = 500   # characters of the pre-chat question kept in the screen pop

T = TypeVar("T")
MEDIUM = "chat"
MAX_SOCKETS_PER_CHAT = 3


class RateLimited(CoreError):
    code = "rate_limited"


class ChatBusy(CoreError):
    code = "chat_busy"


class ChatEnded(CoreError):
    code = "chat_ended"


class CallbackAlreadyRequested(CoreError):
    code = "callback_already_requested"


class ChatChannel(WorkChannel):
    medium = Medium.CHAT

    def __init__(self, dispatcher: Dispatcher, messages: MessageRepository,
                 customers: CustomerRepository, feed: ScreenPopFeed,
                 settings: ChatSettings, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(dispatcher)
        self.messages, self.customers, self.feed = messages, customers, feed
        self.settings, self.clock = settings, clock
        self.sessions = SessionRegistry()
        # the callback feature's requests, when it runs (the engine sets it)
        self.callbacks: CallbackBooker | None = None
        # the knowledge base, for the widget's self-service search (GET /chat/kb), and the
        # base of its articles' public links (None: the address the visitor used); the
        # knowledge part sets them when the engine has a store
        self.knowledge: KnowledgeRepository | None = None
        self.public_base: str | None = None
        # classifies the chat from its first message (the intents part; None: never)
        self.classify: Callable[[Interaction, str], None] | None = None
        self._message_limit = RateLimiter(settings.messages_per_minute, clock)
        self._sweeper: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self._sweeper = asyncio.ensure_future(self._sweep_forever())
        self._sweeper.set_name("chat-sweeper")

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=10)
            if pending:
                log.error("%d chat task(s) did not finish within 10 s", len(pending))
        await self.close_visitor_sockets()

    async def close_visitor_sockets(self) -> None:
        """The engine is going away: visitors' sockets close with 1001 (their widget
        reconnects to whatever serves the chat next); the chats themselves are not ended."""
        for session in self.sessions:
            for socket in list(session.sockets):
                with contextlib.suppress(Exception):
                    await socket.close(code=1001, message=b"engine stopping")

    async def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a visitor's request to the end even if the visitor's connection (and with it
        the handler awaiting this) goes meanwhile: the work is a tracked task of the
        channel, its errors are raised here or logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return await asyncio.shield(task)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(getattr(exc, "code", None), str):
                log.error("chat task failed", exc_info=exc)

    def _tick_seconds(self) -> float:
        s = self.settings
        return max(0.05, min(1.0, s.reconnect_grace / 4 or 0.05, s.idle_timeout / 4))

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self._tick_seconds())
            try:
                await self.sweep()
            except Exception:
                log.exception("chat sweep failed")

    async def sweep(self) -> None:
        """End chats whose visitor stayed away past the grace period, and chats idle past
        the idle timeout."""
        now = self.clock()
        for session in self.sessions:
            try:
                if not session.sockets and session.away_since is not None \
                        and now - session.away_since > self.settings.reconnect_grace:
                    await self.end_chat(session.chat_id, "visitor_left", "caller")
                elif session.agent_id is not None \
                        and now - session.last_activity > self.settings.idle_timeout:
                    await self.end_chat(session.chat_id, "idle_timeout", "system")
            except Exception:
                log.exception("chat %s: ending it failed", session.chat_id)

    # ------------------------------------------------------------------ the visitor's side
    def entry_point(self, name: str | None) -> EntryPoint:
        entry = self.settings.entry_points.get(name or self.settings.default_entry)
        if entry is None:
            raise UnknownEntryPoint(f"no chat entry point {name!r}")
        return entry

    async def open_chat(self, visitor: Visitor, entry: EntryPoint, *,
                        extra: Mapping[str, Any] | None = None,
                        first_message: str | None = None) -> tuple[ChatSession, str]:
        """Start a chat: link the customer, queue the interaction; returns the session and
        its token (the only time the token exists outside the visitor). ``extra``: more
        attributes of the interaction (already checked), e.g. the widget's
        ``kb_self_service``. ``first_message``: the visitor's question from the pre-chat
        form, stored as the chat's first message and classified before the chat is queued
        (so its intent can choose the queue, skills and preferred agent)."""
        if len(self.sessions) >= self.settings.max_sessions:
            raise ChatBusy("too many chats are open; try again later")
        body = None if first_message is None else check_text(first_message,
                                                             self.settings.max_message_chars)
        customer = await link_customer(self.customers, visitor)
        customer_id = str(customer["id"]) if customer else None
        now = self.clock()
        chat_id = str(uuid.uuid4())
        pop = {"entry": entry.name, "visitor": visitor.name, "email": visitor.email,
               "phone": visitor.phone}
        if body is not None:    # the offer shows what the visitor asked
            pop["first_message"] = body[:FIRST_MESSAGE_SHOWN]
        attributes: dict[str, Any] = {**(extra or {}), "entry": entry.name, "pop": pop}
        if customer and customer.get("tier"):
            # the queues' key-account rules apply to the customer's chats too
            attributes["customer_tier"] = customer["tier"]
        if visitor.name:
            attributes["caller_name"] = visitor.name
        if visitor.phone:
            attributes["caller_number"] = visitor.phone
        identities = visitor.identities()
        if identities:
            kind, value = identities[0]
            attributes["from_address"] = value
            attributes["customer_identity"] = {"kind": kind, "value": value}
        interaction = Interaction(chat_id, Medium.CHAT, queue=entry.queue,
                                  priority=entry.priority, customer_id=customer_id,
                                  attributes=attributes, created_at=now)
        if body is not None and self.classify is not None:
            try:
                self.classify(interaction, body)
            except Exception:   # an unclassified chat is still a chat
                log.exception("classifying chat %s failed", chat_id)
        session, token = self.sessions.create(chat_id, entry.queue, customer_id,
                                              visitor.name, now)
        try:
            if body is not None:
                await self.messages.add(
                    medium=MEDIUM, direction="in", body=body, interaction_id=chat_id,
                    external_id=f"{chat_id}:first", sender=visitor.name or "visitor",
                    meta={}, at=now)
                session.messages_in = 1
                session.last_activity = now
            await self.dispatcher.enqueue(interaction)
        except BaseException:
            self.sessions.remove(chat_id)
            raise
        return session, token

    async def visitor_connected(self, session: ChatSession, socket: VisitorSocket) -> None:
        """A visitor's websocket opened (first time or a reconnect): the hello frame
        carries the state and the whole conversation so far."""
        if len(session.sockets) >= MAX_SOCKETS_PER_CHAT:
            raise ChatBusy(f"at most {MAX_SOCKETS_PER_CHAT} connections per chat")
        session.sockets.add(socket)
        session.away_since = None
        transcript = await self.messages.for_interaction(session.chat_id)
        await socket.send_json({
            "type": "hello", "chat_id": session.chat_id,
            "state": "active" if session.agent_id else "waiting",
            "agent": session.agent_name,
            "max_message_chars": self.settings.max_message_chars,
            "messages": [message_payload(m) for m in transcript]})

    def visitor_disconnected(self, session: ChatSession, socket: VisitorSocket) -> None:
        session.sockets.discard(socket)
        if not session.sockets:
            session.away_since = self.clock()

    async def visitor_message(self, session: ChatSession, text: object,
                              client_id: str | None,
                              socket: VisitorSocket | None = None) -> MessageView:
        """Store the visitor's message (idempotent by ``client_id``), then deliver it to
        the agent offered or holding the chat (and the visitor's other sockets)."""
        body = check_text(text, self.settings.max_message_chars)
        self._open(session)
        if not self._message_limit.allow(session.chat_id):
            wait = self._message_limit.retry_after(session.chat_id)
            raise RateLimited(f"too many messages; wait {wait:.0f} s")
        view, created = await self.messages.add(
            medium=MEDIUM, direction="in", body=body, interaction_id=session.chat_id,
            external_id=f"{session.chat_id}:{client_id}" if client_id else None,
            sender=session.visitor_name or "visitor",
            meta={"client_id": client_id} if client_id else {}, at=self.clock())
        if created:
            session.messages_in += 1
            session.last_activity = self.clock()
            if session.messages_in == 1 and self.classify is not None:
                await self._classify(session.chat_id, body)
            payload = message_payload(view)
            await self._to_visitor(session, {"type": "message", **payload}, exclude=socket)
            agent = await self._agent_of(session.chat_id)
            if agent is not None:
                await self.feed.send(agent, {"type": "chat_message", **payload})
        return view

    async def _classify(self, chat_id: str, text: str) -> None:
        """The chat's first message tells what it is about (its intent; while it waits,
        maybe its queue or skills): the intents part's classifier."""
        classify = self.classify
        assert classify is not None
        try:
            await self.dispatcher.classify_live(chat_id, lambda i: classify(i, text))
        except Exception:   # an unclassified chat is still a chat
            log.exception("classifying chat %s failed", chat_id)

    async def visitor_callback(self, session: ChatSession, number: object
                               ) -> BookedCallback:
        """The visitor asks to be called back on ``number`` (one callback per chat)."""
        self._open(session)
        if session.callback_id is not None:
            raise CallbackAlreadyRequested("a callback was already asked for in this chat")
        if not isinstance(number, str) or not number.strip() or len(number) > 40:
            raise BadNumber("number must be a phone number")
        chat = await self.dispatcher.live_interaction(session.chat_id)
        queue = self.settings.callback_queue or session.queue
        callback = await request_callback(self.dispatcher, self.customers, self.callbacks,
                                          chat, number, queue, session.visitor_name)
        session.callback_id = callback.callback_id
        agent = await self._agent_of(session.chat_id)
        if agent is not None:
            await self.feed.send(agent, {"type": "chat_callback_requested",
                                         "interaction_id": session.chat_id,
                                         "callback_id": callback.callback_id,
                                         "callback_interaction": callback.interaction_id,
                                         "number": callback.number})
        return callback

    # ------------------------------------------------------------------ the agent's side
    async def send_message(self, interaction_id: str, agent_id: str,
                           text: object) -> MessageView:
        """The agent holding the chat writes to the visitor: stored, then delivered (a
        visitor away gets it with the transcript on reconnecting)."""
        body = check_text(text, self.settings.max_message_chars)
        session = self.sessions.get(interaction_id)
        if session is None or session.agent_id != agent_id:
            raise NotYourWork(f"chat {interaction_id} is not held by {agent_id}")
        view, _ = await self.messages.add(
            medium=MEDIUM, direction="out", body=body, interaction_id=interaction_id,
            sender=agent_id, state="sent", at=self.clock())
        session.messages_out += 1
        session.last_activity = self.clock()
        payload = message_payload(view)
        await self._to_visitor(session, {"type": "message", "agent": session.agent_name,
                                         **payload})
        return view

    async def accepted(self, interaction: Interaction, agent_id: str) -> None:
        session = self.sessions.get(interaction.id)
        if session is None:
            return
        session.agent_id = agent_id
        session.agent_name = self.dispatcher.profiles[agent_id].name
        session.last_activity = self.clock()
        await self._to_visitor(session, {"type": "agent_joined",
                                         "agent": session.agent_name})

    async def closing(self, interaction: Interaction, agent_id: str,
                      data: dict[str, Any]) -> None:
        """The agent (or a supervisor for them) closes the chat: the visitor is told.
        An offer not accepted yet cannot be closed (decline it instead)."""
        if await self._slot_state(agent_id, interaction.id) != SlotState.BUSY:
            raise InvalidTransition(f"chat {interaction.id} is not accepted by {agent_id}: "
                                    "accept or decline the offer")
        session = self.sessions.remove(interaction.id)
        data.setdefault("hung_up_by", "agent")
        if session is not None:
            data.update(messages_in=session.messages_in, messages_out=session.messages_out)
            await self._visitor_ended(session, "agent_closed")

    # ------------------------------------------------------------------ ending
    async def end_chat(self, chat_id: str, reason: str, hung_up_by: str) -> None:
        """End the chat from the visitor's side or the engine's (idle): the visitor is
        told, a joined agent goes to wrap-up, an offer is withdrawn, a waiting chat leaves
        its queue; the session and its token are forgotten."""
        session = self.sessions.remove(chat_id)
        if session is None:
            return
        self._message_limit.forget(chat_id)
        agent = None
        try:
            interaction = await self.dispatcher.live_interaction(chat_id)
        except UnknownInteraction:
            interaction = None
        if interaction is not None:
            agent = interaction.agent_id
            counts = {"messages_in": session.messages_in,
                      "messages_out": session.messages_out}
            if agent is not None and await self._slot_state(agent, chat_id) == SlotState.BUSY:
                await self.dispatcher.interaction_ended(chat_id, agent, reason=reason,
                                                        hung_up_by=hung_up_by, **counts)
            else:
                await self.dispatcher.cancel(chat_id, reason, hung_up_by=hung_up_by,
                                             **counts)
        await self._visitor_ended(session, reason)
        if agent is not None:
            await self.feed.send(agent, {"type": "chat_ended", "interaction_id": chat_id,
                                         "reason": reason})

    async def on_event(self, event: Event) -> None:
        """Dispatcher subscriber: a chat ended or cancelled any other way still tells its
        visitor and forgets the session."""
        if not isinstance(event, (InteractionEnded, InteractionCancelled)):
            return
        if event.interaction.medium != Medium.CHAT:
            return
        session = self.sessions.remove(event.interaction.id)
        if session is not None:
            await self._visitor_ended(session, "ended")

    # ------------------------------------------------------------------ helpers
    def _open(self, session: ChatSession) -> None:
        if self.sessions.get(session.chat_id) is not session:
            raise ChatEnded(f"chat {session.chat_id} has ended")

    async def _visitor_ended(self, session: ChatSession, reason: str) -> None:
        await self._to_visitor(session, {"type": "ended", "reason": reason})
        for socket in list(session.sockets):
            with contextlib.suppress(Exception):
                await socket.close(code=1000, message=reason.encode())
        session.sockets.clear()

    async def _to_visitor(self, session: ChatSession, frame: dict[str, Any],
                          exclude: VisitorSocket | None = None) -> None:
        sockets = [s for s in session.sockets if s is not exclude]
        results = await asyncio.gather(*(s.send_json(frame) for s in sockets),
                                       return_exceptions=True)
        for socket, result in zip(sockets, results, strict=True):
            if isinstance(result, Exception):
                log.info("dropping a dead visitor socket of chat %s: %s", session.chat_id,
                         result)
                self.visitor_disconnected(session, socket)

    async def _agent_of(self, chat_id: str) -> str | None:
        try:
            return (await self.dispatcher.live_interaction(chat_id)).agent_id
        except UnknownInteraction:
            return None

    async def _slot_state(self, agent_id: str, interaction_id: str) -> SlotState | None:
        live = await self.dispatcher.state.get_agent(agent_id)
        slot = live.slot(interaction_id) if live is not None else None
        return slot.state if slot is not None else None


class UnknownEntryPoint(CoreError):
    code = "bad_entry"


class BadNumber(CoreError):
    code = "bad_number"
