"""A visitor asks, from the chat, to be called back: the request is booked with the callback
feature (the same requests as the IVR's and the API's: stored, placed in the queue at once,
dialled with the retry policy), carrying the chat as its context. Without the callback
feature (no outbound trunk), or with a queue that takes no callbacks, the visitor is told
callbacks are unavailable."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ccengine.core.errors import CoreError
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.store.customers import CustomerRepository
from ccengine.store.errors import IdentityTaken


class CallbacksUnavailable(CoreError):
    code = "callbacks_unavailable"


class CallbackBooker(Protocol):
    """What the callback feature offers other channels (its CallbackRequests)."""

    async def request(self, *, number: str, queue: str, due_at: float | None, via: str,
                      by: str | None, name: str | None = None, note: str | None = None,
                      priority: int = 0, enqueued_at: float | None = None,
                      from_interaction: str | None = None) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class BookedCallback:
    callback_id: str
    interaction_id: str
    number: str   # E.164


async def request_callback(dispatcher: Dispatcher, customers: CustomerRepository,
                           booker: CallbackBooker | None, chat: Interaction, number: str,
                           queue: str, name: str | None = None) -> BookedCallback:
    """Book a callback to ``number`` in ``queue`` for the chat's customer, linked to the chat
    (``from_interaction``). The number is added to the chat's customer first when nobody
    owns it, so the callback lands on the same customer record. CallbacksUnavailable
    without the callback feature or when the queue takes none; the feature's BadNumber /
    NumberRefused (clear codes) when the number cannot be called."""
    config = dispatcher.queues.get(queue)
    if booker is None or config is None or Medium.CALLBACK not in config.media:
        raise CallbacksUnavailable("callbacks are not available here" if booker is None
                                   else f"queue {queue!r} takes no callbacks")
    e164 = customers.normalise("phone", number)
    if chat.customer_id is not None:
        try:
            await customers.add_identity(chat.customer_id, "phone", e164)
        except IdentityTaken:
            pass  # another customer's number: the callback is theirs, the chat says so
    row = await booker.request(number=e164, queue=queue, due_at=None, via="chat", by=None,
                               name=name, priority=chat.priority, from_interaction=chat.id)
    await dispatcher.record(chat.id, "callback_requested", callback_id=row["id"],
                            callback_interaction=row["interaction_id"], number=row["number"])
    return BookedCallback(str(row["id"]), str(row["interaction_id"]), str(row["number"]))
