"""Visitors' chat sessions on this engine node. A session is created with its chat and
reached only by its token (a random secret given once to the visitor; only its SHA-256 is
kept); it is forgotten when the chat ends, so an old token opens nothing."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol


class VisitorSocket(Protocol):
    async def send_json(self, data: Any) -> None: ...
    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


@dataclass(eq=False)
class ChatSession:
    chat_id: str                  # the chat interaction's id
    token_hash: str
    queue: str
    customer_id: str | None
    visitor_name: str | None
    created_at: float
    away_since: float | None      # when the last visitor socket went (creation counts)
    last_activity: float          # the last message either way, or the agent joining
    sockets: set[VisitorSocket] = field(default_factory=set)
    agent_id: str | None = None   # the agent holding the chat once accepted
    agent_name: str | None = None
    callback_id: str | None = None
    messages_in: int = 0
    messages_out: int = 0


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionRegistry:
    def __init__(self) -> None:
        self._by_id: dict[str, ChatSession] = {}
        self._by_hash: dict[str, ChatSession] = {}

    def create(self, chat_id: str, queue: str, customer_id: str | None,
               visitor_name: str | None, now: float) -> tuple[ChatSession, str]:
        """A new session and its token (returned once, never stored)."""
        token = secrets.token_urlsafe(32)
        session = ChatSession(chat_id, token_hash(token), queue, customer_id, visitor_name,
                              created_at=now, away_since=now, last_activity=now)
        self._by_id[chat_id] = session
        self._by_hash[session.token_hash] = session
        return session, token

    def by_token(self, token: str) -> ChatSession | None:
        if not token or len(token) > 200:
            return None
        return self._by_hash.get(token_hash(token))

    def get(self, chat_id: str) -> ChatSession | None:
        return self._by_id.get(chat_id)

    def remove(self, chat_id: str) -> ChatSession | None:
        """Forget the session (its token stops working); None if already gone."""
        session = self._by_id.pop(chat_id, None)
        if session is not None:
            self._by_hash.pop(session.token_hash, None)
        return session

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[ChatSession]:
        return iter(list(self._by_id.values()))
