"""A minimal SIP client for probing the engine's SIP edge from an address of its own: one
request at a time (REGISTER, OPTIONS or INVITE for a user name), optionally answering the
401 challenge with a password, and the answer's status line, header names and time.

Any address of 127.0.0.0/8 works as the prober's own on Linux (they all route to the
loopback interface), so Asterisk bound to 127.0.0.1 sees each as a host of its own."""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from dataclasses import dataclass

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]+))')


@dataclass(frozen=True)
class Answer:
    status_line: str
    headers: dict[str, str]      # lower-case name -> value (the last one of a name)
    seconds: float

    @property
    def status(self) -> int:
        return int(self.status_line.split()[1])

    def header_names(self) -> frozenset[str]:
        return frozenset(self.headers)

    def challenge(self) -> dict[str, str]:
        """The WWW-Authenticate header's parameters (none without one)."""
        value = self.headers.get("www-authenticate", "")
        return {k: a or b for k, a, b in _PARAM.findall(value)}


class _Socket(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait(data)


class SipProbe:
    """Requests from ``source`` (any free port) to 127.0.0.1:``port``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.transport: asyncio.DatagramTransport | None = None
        self.protocol = _Socket()

    async def __aenter__(self) -> SipProbe:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: self.protocol, local_addr=(self.source, 0))
        self.transport = transport  # type: ignore[assignment]
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.transport is not None:
            self.transport.close()

    @property
    def local_port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    async def request(self, method: str, user: str, port: int, *,
                      password: str | None = None, timeout: float = 3.0) -> Answer:
        """One request for ``user``; with ``password``, the 401 challenge is answered with
        it and the answer to that is returned."""
        call_id = f"{random.getrandbits(64):x}"
        answer = await self._send(method, user, port, call_id, 1, None, timeout)
        if password is None or answer.status != 401:
            return answer
        c = answer.challenge()
        uri = "sip:127.0.0.1" if method == "REGISTER" else f"sip:{user}@127.0.0.1"
        cnonce = f"{random.getrandbits(32):x}"
        ha1 = _md5(f"{user}:{c['realm']}:{password}")
        ha2 = _md5(f"{method}:{uri}")
        response = _md5(f"{ha1}:{c['nonce']}:00000001:{cnonce}:auth:{ha2}")
        auth = (f'Digest username="{user}", realm="{c["realm"]}", nonce="{c["nonce"]}", '
                f'uri="{uri}", response="{response}", algorithm=MD5, qop=auth, nc=00000001, '
                f'cnonce="{cnonce}", opaque="{c.get("opaque", "")}"')
        return await self._send(method, user, port, call_id, 2, auth, timeout)

    async def _send(self, method: str, user: str, port: int, call_id: str, cseq: int,
                    auth: str | None, timeout: float) -> Answer:
        assert self.transport is not None
        while not self.protocol.queue.empty():   # late answers to an earlier request
            self.protocol.queue.get_nowait()
        uri = "sip:127.0.0.1" if method == "REGISTER" else f"sip:{user}@127.0.0.1"
        branch = f"z9hG4bK{random.getrandbits(64):x}"
        here = f"{self.source}:{self.local_port}"
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {here};branch={branch};rport",
                 f"From: <sip:{user}@127.0.0.1>;tag={random.getrandbits(32):x}",
                 f"To: <sip:{user}@127.0.0.1>", f"Call-ID: {call_id}",
                 f"CSeq: {cseq} {method}", f"Contact: <sip:{user}@{here}>",
                 "Max-Forwards: 70", "User-Agent: probe"]
        if auth:
            lines.append(f"Authorization: {auth}")
        lines += ["Content-Length: 0", "", ""]
        started = time.perf_counter()
        self.transport.sendto("\r\n".join(lines).encode(), ("127.0.0.1", port))
        async with asyncio.timeout(timeout):
            while True:
                data = (await self.protocol.queue.get()).decode(errors="replace")
                if f"Call-ID: {call_id}" not in data or data.startswith("SIP/2.0 1"):
                    continue   # another request's answer, or a provisional one
                seconds = time.perf_counter() - started
                head = data.split("\r\n\r\n", 1)[0].split("\r\n")
                headers = {}
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                if method == "INVITE":   # a final answer to an INVITE is acknowledged
                    self._ack(uri, head, here, port)
                return Answer(head[0], headers, seconds)

    def _ack(self, uri: str, head: list[str], here: str, port: int) -> None:
        assert self.transport is not None
        keep = [line for line in head[1:]
                if line.split(":", 1)[0].lower() in ("via", "from", "to", "call-id")]
        cseq = next(line for line in head if line.lower().startswith("cseq:"))
        number = cseq.split(":", 1)[1].split()[0]
        ack = [f"ACK {uri} SIP/2.0", *keep, f"CSeq: {number} ACK", "Max-Forwards: 70",
               "Content-Length: 0", "", ""]
        self.transport.sendto("\r\n".join(ack).encode(), ("127.0.0.1", port))


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - SIP digest is MD5
