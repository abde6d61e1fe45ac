"""Typed ARI errors carrying the HTTP status and Asterisk's message."""

from __future__ import annotations


class AriError(Exception):
    """An ARI REST call failed: ``status`` is the HTTP status, ``message`` Asterisk's text."""

    code = "ari_error"

    def __init__(self, method: str, path: str, status: int, message: str) -> None:
        self.method, self.path, self.status, self.message = method, path, status, message
        super().__init__(f"ARI {method} {path} -> {status}: {message}")


class AriNotFound(AriError):
    """404: the channel, bridge or playback no longer exists (often: the caller hung up)."""

    code = "ari_not_found"


class AriConflict(AriError):
    """409: the resource is in the wrong state (e.g. channel not in Stasis)."""

    code = "ari_conflict"


class AriUnavailable(AriError):
    """Asterisk could not be reached at all."""

    code = "ari_unavailable"


def error_for(method: str, path: str, status: int, message: str) -> AriError:
    cls = {404: AriNotFound, 409: AriConflict}.get(status, AriError)
    return cls(method, path, status, message)
