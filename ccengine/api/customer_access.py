"""Who may do what with customers and their interactions (see docs/integrators.md "Customers").

Every signed-in user may look customers up, read a profile, create customers, change a
name or attributes and add identities. Supervisors and admins may do everything. Agents
additionally need to be working with, or to have worked with, the customer (an interaction
of theirs offered, taken or transferred) to read the timeline, remove an identity or merge
(one side of the merge is enough), and to have handled the interaction (it is theirs, or
they answered it) to add notes or set a disposition. Only supervisors and admins change a
customer's tier (a commercial decision, meant to weigh in routing).
"""

from __future__ import annotations

from aiohttp import web

from ccengine.api.auth import User
from ccengine.api.http import error
from ccengine.store.timeline import Timeline

STAFF = ("supervisor", "admin")


def is_staff(user: User) -> bool:
    return user.role in STAFF


def require_staff(user: User, what: str) -> None:
    if not is_staff(user):
        raise error(403, "forbidden", f"only supervisors and admins may {what}")


class CustomerAccess:
    """The rules above, answered from the records store."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline

    async def worked_with(self, user: User, *customer_ids: str) -> bool:
        if is_staff(user):
            return True
        for customer_id in customer_ids:
            if await self.timeline.worked_with(customer_id, user.id):
                return True
        return False

    async def require_worked_with(self, user: User, what: str, *customer_ids: str) -> None:
        """403 unless a supervisor/admin, or an agent who works or worked with one of them."""
        if not await self.worked_with(user, *customer_ids):
            raise error(403, "forbidden", f"agents may {what} only of customers they work "
                        "or have worked with")

    async def require_handled(self, user: User, interaction_id: str, what: str) -> None:
        """403 unless a supervisor/admin, or the agent who handled the interaction."""
        if is_staff(user) or await self.timeline.handled(interaction_id, user.id):
            return
        raise error(403, "forbidden", f"agents may {what} only on interactions they handled")


CUSTOMER_ACCESS = web.AppKey("customer_access", CustomerAccess)
