"""A visitor asks, from the chat, to be called back: the request becomes a callback
interaction (Medium.CALLBACK) in the queue model, carrying the chat as its context. The
callback channel (another part) dials it when an agent takes it; without a callback
channel, or with a queue that takes no callbacks, the visitor is told it is unavailable."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ccengine.core.errors import CoreError, NoChannel
from ccengine.core.interaction import Interaction
from ccengine.core.media import Medium
from ccengine.dispatcher import Dispatcher
from ccengine.store.customers import CustomerRepository
from ccengine.store.errors import IdentityTaken


class CallbacksUnavailable(CoreError):
    code = "callbacks_unavailable"


async def request_callback(dispatcher: Dispatcher, customers: CustomerRepository,
                           chat: Interaction, number: str, queue: str,
                           clock: Callable[[], float]) -> Interaction:
    """Queue a callback to ``number`` (normalised to E.164; InvalidIdentity if it is not a
    phone number) in ``queue``, linked to the chat (``from_chat``) and its customer.
    CallbacksUnavailable if no callback channel is registered or the queue takes none."""
    try:
        dispatcher.channel(Medium.CALLBACK)
    except NoChannel as e:
        raise CallbacksUnavailable("callbacks are not available here") from e
    config = dispatcher.queues.get(queue)
    if config is None or Medium.CALLBACK not in config.media:
        raise CallbacksUnavailable(f"queue {queue!r} takes no callbacks")
    e164 = customers.normalise("phone", number)
    customer_id = chat.customer_id
    if customer_id is None:
        customer_id = str((await customers.get_or_create_by_identity("phone", e164))["id"])
    else:
        try:
            await customers.add_identity(customer_id, "phone", e164)
        except IdentityTaken:
            pass  # the number is another customer's: the callback stays with the chat's
    callback = Interaction(
        id=str(uuid.uuid4()), medium=Medium.CALLBACK, queue=queue, priority=chat.priority,
        customer_id=customer_id, created_at=clock(),
        attributes={"number": e164, "from_chat": chat.id, "customer": customer_id,
                    "caller_number": e164,
                    "pop": {"number": e164, "from_chat": chat.id}})
    await dispatcher.enqueue(callback)
    await dispatcher.record(chat.id, "callback_requested", callback_id=callback.id,
                            number=e164)
    return callback
