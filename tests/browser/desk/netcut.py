"""A TCP relay between the browser and the engine that a test can cut, as a network drop
does to a page: every open connection is reset and new ones are refused until it is back.
The page is loaded through the relay, so its API calls and websockets (the feed, the SIP
socket) all cross it; media goes to Asterisk directly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from tests.e2e.ports import free_port


class NetCut:
    def __init__(self, target_port: int) -> None:
        self.target_port, self.port = target_port, free_port()
        self.down = False
        self._links: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._links.update((writer, up_writer))
        try:
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        finally:
            self._links.difference_update((writer, up_writer))

    def cut(self) -> None:
        """The network is gone: every connection reset, new ones refused."""
        self.down = True
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    def restore(self) -> None:
        self.down = False

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, target_port: int) -> AsyncIterator[NetCut]:
        relay = cls(target_port)
        relay._server = await asyncio.start_server(relay._client, "127.0.0.1", relay.port)
        try:
            yield relay
        finally:
            relay.cut()
            relay._server.close()
            await relay._server.wait_closed()
