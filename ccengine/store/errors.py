"""Errors of the records store. Each has a stable ``code`` (the web layer maps codes to
status codes); none knows anything of HTTP or of the core. Library errors (SQLAlchemy,
phonenumbers) are wrapped with ``raise ... from e``."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error."""

    code = "store_error"


class NotFound(StoreError, KeyError):
    """No record with this id."""

    code = "not_found"
    what = "record"

    def __str__(self) -> str:
        return f"no {self.what} {self.args[0]!r}" if self.args else f"no such {self.what}"


class UnknownCustomer(NotFound):
    code = "customer_not_found"
    what = "customer"


class UnknownInteraction(NotFound):
    code = "interaction_not_found"
    what = "interaction"


class UnknownIdentity(NotFound):
    code = "identity_not_found"
    what = "identity"


class UnknownUser(NotFound):
    code = "user_not_found"
    what = "user"


class UnknownConfig(NotFound):
    code = "config_not_found"
    what = "config item"


class InvalidIdentity(StoreError, ValueError):
    """An identity value that cannot be normalised (bad phone number, email, unknown kind)."""

    code = "invalid_identity"

    def __init__(self, kind: str, value: str, reason: str) -> None:
        self.kind, self.value, self.reason = kind, value, reason
        super().__init__(f"invalid {kind} identity {value!r}: {reason}")


class IdentityTaken(StoreError):
    """The identity already belongs to another customer; nothing changed."""

    code = "identity_taken"

    def __init__(self, kind: str, value: str, owner_id: str) -> None:
        self.kind, self.value, self.owner_id = kind, value, owner_id
        super().__init__(f"{kind} {value!r} already belongs to customer {owner_id}")


class InvalidMerge(StoreError):
    """A merge that cannot happen (a customer into itself); nothing changed."""

    code = "merge_invalid"


class InvalidRecord(StoreError, ValueError):
    """An interaction, note or config record with a missing or wrongly typed field."""

    code = "record_invalid"


class UserExists(StoreError):
    code = "user_exists"


class InvalidUser(StoreError, ValueError):
    """A role outside agent|supervisor|admin, an empty id, password or token."""

    code = "user_invalid"


class BadPassword(InvalidUser):
    """A new password outside the rules (its length); nothing changed."""

    code = "bad_password"


class StoreConflict(StoreError):
    """Concurrent writers kept colliding on the same record; the caller may retry."""

    code = "store_conflict"


class CustomerLinked(StoreError):
    """The stored interaction already belongs to another customer."""

    code = "customer_conflict"
