"""Hypothesis strategies for fuzzing the engine's websockets and public chat routes with
hostile input (tests/integration/test_fuzz_feeds.py), and the small machinery that lets
hypothesis drive an async server: hypothesis runs in a worker thread, each example's
coroutine runs on the test's event loop (where the real aiohttp server lives)."""

from __future__ import annotations

import asyncio
import json
import os
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def pick(*groups: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One of ``groups``, each as likely as the others (st.one_of flattens nested one_ofs,
    so a group of twelve kinds of raw frame would crowd out a group of one)."""
    return st.sampled_from(groups).flatmap(lambda group: group)


# ------------------------------------------------------------------ text and JSON
NASTY = [
    "", " ", "\t\r\n", "\x00", "null", "NaN", "-0", "1e999", "[]", "{}", '"', "\\", "\\u0000",
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "&amp;&lt;&#0;",
    "'; DROP TABLE messages; --", "' OR '1'='1", "{{7*7}}", "${jndi:ldap://x/a}", "%s%n%x",
    "../../../../etc/passwd", "\u202eexe.txt", "\u2066isolate\u2069", "\ufeffbom",
    "\u200b\u200c\u200d", "e\u0301\u0301\u0301\u0301", "\U0001f4a9\U0001f600", "\uffff\ufffe",
    "\U0010ffff", "\x7f\x80\x9f", "ǅǈǋ", "İıſ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\u0600\u0601\u06dd",
    "a\u0000b", "line\u2028sep\u2029", "🏳️‍🌈" * 50, "x" * 5000, "€" * 3000,
]
texts = st.one_of(
    st.text(max_size=64),
    st.text(st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(NASTY),
    # huge strings are built, not drawn character by character (cheap for hypothesis)
    st.builds(lambda ch, n: ch * n, st.characters(codec="utf-8"),
              st.integers(1000, 40_000)),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**80), 2**80),
    st.floats(allow_nan=True, allow_infinity=True), texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=6),
                            st.dictionaries(st.text(max_size=12), inner, max_size=6)),
    max_leaves=12)


def json_text(value: Any) -> str:
    """JSON as Python writes it: NaN and Infinity included (hostile for strict parsers)."""
    return json.dumps(value)


# JSON text that is not quite JSON, or JSON that strains a parser
odd_json = st.one_of(
    st.sampled_from(["{", "}", "[", '{"type":', '{"type": "message"', "{'type': 'message'}",
                     '{"type": "message", "text": "a",}', "\u0000{}", '{"a":1}{"b":2}',
                     "nul", "true false", '"\\ud800"', '{"\\ud800": "\\udfff"}', "1" * 5000,
                     "[" * 5000 + "]" * 5000, '{"a":' * 2000 + "1" + "}" * 2000,
                     '{"type": "end", "type": "message"}', "-", "0x10", "Infinity"]),
    st.builds(lambda n: "[" * n, st.integers(1, 100_000)),
)


def typed_frames(types: list[str], fields: dict[str, st.SearchStrategy[Any]]
                 ) -> st.SearchStrategy[dict[str, Any]]:
    """JSON objects shaped like a protocol's frames: a known type (or a hostile one) and
    its fields with hypothesis-generated values (wrong types, huge, odd text)."""
    kinds = st.one_of(st.sampled_from(types), json_values)
    return st.builds(
        lambda kind, known, extra: {"type": kind, **known, **extra},
        kinds,
        st.fixed_dictionaries({}, optional={k: v for k, v in fields.items()}),
        st.dictionaries(st.text(max_size=10), json_values, max_size=3))


# ------------------------------------------------------------------ frames
@dataclass(frozen=True)
class Frame:
    """One thing a fuzzing client sends on an open websocket."""

    kind: str            # text | binary | ping | pong | raw
    data: Any            # str (text), bytes (binary, ping, pong, raw)
    note: str = ""       # what a raw frame breaks (for the report)

    @property
    def size(self) -> int:
        return len(self.data.encode("utf-8", "surrogatepass") if isinstance(self.data, str)
                   else self.data)

    def __repr__(self) -> str:
        shown = self.data if self.size <= 200 else (
            f"{self.data[:80]!r}... ({self.size} bytes)")
        return f"Frame({self.kind}{', ' + self.note if self.note else ''}: {shown!r})"


def text_frames(json_objects: st.SearchStrategy[Any] | None = None
                ) -> st.SearchStrategy[Frame]:
    """Text frames: arbitrary unicode, odd JSON, JSON of any shape, protocol-like objects."""
    options = [st.builds(lambda t: Frame("text", t), texts),
               st.builds(lambda t: Frame("text", t), odd_json),
               st.builds(lambda v: Frame("text", json_text(v)), json_values)]
    if json_objects is not None:
        options.append(st.builds(lambda v: Frame("text", json_text(v)), json_objects))
        options.append(st.builds(lambda v: Frame("text", json_text(v)), json_objects))
    return pick(*options)


binary_frames = st.one_of(
    st.builds(lambda b: Frame("binary", b), st.binary(max_size=2000)),
    st.builds(lambda b, n: Frame("binary", b * n), st.binary(min_size=1, max_size=8),
              st.integers(1000, 20_000)),
    st.builds(lambda t: Frame("binary", t.encode("utf-8", "surrogatepass")), texts),
)
control_frames = st.one_of(
    st.builds(lambda b: Frame("ping", b), st.binary(max_size=125)),
    st.builds(lambda b: Frame("pong", b), st.binary(max_size=125)),
)

# frames a well-behaved websocket client would never send: the server must refuse them
# (a close with a protocol-level code), not crash
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING = 0x0, 0x1, 0x2, 0x8, 0x9


def raw_frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0,
              masked: bool = True, length: int | None = None) -> bytes:
    """One websocket frame's bytes as a client would put them on the wire (RFC 6455 5.2),
    with every header bit under the caller's control (``length``: a lying length)."""
    n = len(payload) if length is None else length
    first = (0x80 if fin else 0) | (rsv & 0x7) << 4 | (opcode & 0xF)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        header = struct.pack("!BB", first, n | mask_bit)
    elif n < 65536:
        header = struct.pack("!BBH", first, 126 | mask_bit, n)
    else:
        header = struct.pack("!BBQ", first, 127 | mask_bit, n)
    if not masked:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


raw_frames = st.one_of(
    st.builds(lambda b: Frame("raw", raw_frame(OP_TEXT, b), "invalid UTF-8 text"),
              st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"ok\xf4\x90\x80\x80",
                               b"\xe2\x82"])),
    st.builds(lambda op, b: Frame("raw", raw_frame(op, b), f"reserved opcode {op:#x}"),
              st.sampled_from([0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF]),
              st.binary(max_size=50)),
    st.builds(lambda rsv, b: Frame("raw", raw_frame(OP_TEXT, b, rsv=rsv), f"rsv bits {rsv}"),
              st.integers(1, 7), st.binary(max_size=50)),
    st.builds(lambda b: Frame("raw", raw_frame(OP_CONTINUATION, b), "continuation first"),
              st.binary(max_size=50)),
    st.builds(lambda b: Frame("raw", raw_frame(OP_TEXT, b, fin=False)
                              + raw_frame(OP_TEXT, b), "text inside a fragmented text"),
              st.binary(max_size=20)),
    st.builds(lambda b: Frame("raw", raw_frame(OP_PING, b), "control frame over 125 bytes"),
              st.binary(min_size=126, max_size=300)),
    st.builds(lambda b: Frame("raw", raw_frame(OP_PING, b, fin=False), "fragmented ping"),
              st.binary(max_size=20)),
    st.builds(lambda b: Frame("raw", raw_frame(OP_TEXT, b, masked=False), "unmasked"),
              st.binary(max_size=50)),
    st.builds(lambda code, why: Frame("raw", raw_frame(OP_CLOSE, struct.pack("!H", code) + why),
                                      f"close {code}"),
              st.integers(0, 65535), st.binary(max_size=60)),
    st.builds(lambda: Frame("raw", raw_frame(OP_CLOSE, b"\x03"), "one-byte close")),
    st.builds(lambda n: Frame("raw", raw_frame(OP_BINARY, b"", length=n)[:10],
                              f"claims {n} bytes"), st.integers(2**20, 2**63 - 1)),
    st.builds(lambda b: Frame("raw", b, "garbage bytes"), st.binary(min_size=1, max_size=64)),
)


async def send(ws: Any, frame: Frame) -> None:
    """Put ``frame`` on the client websocket ``ws`` (aiohttp's ClientWebSocketResponse)."""
    if frame.kind == "text":
        await ws.send_str(frame.data)
    elif frame.kind == "binary":
        await ws.send_bytes(frame.data)
    elif frame.kind == "ping":
        await ws.ping(frame.data)
    elif frame.kind == "pong":
        await ws.pong(frame.data)
    else:  # raw bytes straight onto the connection
        ws._writer.transport.write(frame.data)


# ------------------------------------------------------------------ header values
# what an HTTP client can put in a header (no CR/LF/NUL), hostile otherwise
header_texts = st.one_of(
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200),
    st.sampled_from(["null", "file://", "https://shop.example.com.evil.com", "http://",
                     "https://SHOP.EXAMPLE.COM", "https://shop.example.com/",
                     "https://shop.example.com:443", "https://shop.example.com:x",
                     "http://[::1", "http://127.0.0.1:0", "*", "javascript:alert(1)",
                     "https://user:pw@shop.example.com", " https://shop.example.com",
                     "x" * 2000, "%00", "%ff%fe", "Bearer", "Bearer ", "Bearer  tok-sam"]),
)


# ------------------------------------------------------------------ hypothesis, async
FUZZ_SETTINGS = dict(deadline=None, derandomize=False, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.large_base_example,
                                            HealthCheck.function_scoped_fixture])


async def fuzz(strategy: st.SearchStrategy[Any], case: Callable[[Any], Awaitable[None]],
               examples: int, *, reset: Callable[[], Awaitable[None]] | None = None,
               timeout: float = 30.0) -> int:
    """Run ``case`` on up to ``examples`` values of ``strategy``, one after another, on the
    running event loop (hypothesis itself runs in a worker thread). Returns the number of
    cases run (``CCENGINE_FUZZ_SCALE=10``: ten times as many); a failing case fails with
    hypothesis's shrunk, reproducible example. After a
    failing case ``reset`` runs, so that the cases hypothesis then tries to shrink it start
    afresh (not on a socket the failure left in some state)."""
    loop = asyncio.get_running_loop()
    count = 0
    examples = max(1, round(examples * float(os.environ.get("CCENGINE_FUZZ_SCALE", "1"))))

    @settings(max_examples=examples, **FUZZ_SETTINGS)  # type: ignore[arg-type]
    @given(strategy)
    def run(value: Any) -> None:
        nonlocal count
        count += 1
        try:
            asyncio.run_coroutine_threadsafe(case(value), loop).result(timeout)
        except BaseException:
            if reset is not None:
                asyncio.run_coroutine_threadsafe(reset(), loop).result(timeout)
            raise

    await asyncio.to_thread(run)
    return count
