"""A stand-in for an agent's feed websocket, for tests that drive ScreenPopFeed directly."""

from __future__ import annotations

from typing import Any


class RecordingSocket:
    """Keeps every JSON message the feed sends it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_json(self, data: Any) -> None:
        self.sent.append(data)

    async def close(self) -> None:
        return None
