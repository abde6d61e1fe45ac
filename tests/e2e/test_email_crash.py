"""Email ingestion survives ``kill -9`` of the engine mid-batch: the engine runs as its own
process (``ccengine run``, with its private Asterisk) against a mailbox holding a batch of
mail; it is SIGKILLed while it ingests, at several points, and restarted each time. In the
end every message is stored once, is exactly one queued interaction, is flagged on the
server, and has exactly one stored acknowledgement."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.conftest import REPO
from tests.e2e.engine_process import EngineProcess, stop_leftover_asterisk
from tests.e2e.ports import free_port, free_range
from tests.mail import dovecot
from tests.mail.dovecot import Dovecot, Mailbox
from tests.mail.messages import customer_mail
from tests.mail.servers import email_config
from tests.mail.sink import SmtpSink

pytestmark = pytest.mark.asterisk

if not dovecot.available():
    pytest.skip("needs dovecot (scripts/install-system.sh --test)", allow_module_level=True)

USER, PASSWORD = "support@shop.test", "mail-secret"
BATCH = 40
KILL_AFTER = (1, 14, 28)   # SIGKILL once this many messages are stored


def batch() -> list[bytes]:
    """Mail from 40 customers; every fifth has no Message-ID (a synthetic id), one is not
    mail at all."""
    out = []
    for n in range(BATCH):
        if n == 7:
            out.append(b"garbage " + str(n).encode() + b"\r\nwithout any header\r\n")
            continue
        out.append(customer_mail(
            subject=f"Question {n}", sender=f"Customer {n} <c{n}@example.org>",
            to=USER, body=f"Question number {n}. " + "More text. " * 200,
            message_id=None if n % 5 == 4 else f"<q{n}@example.org>"))
    return out


def engine_config(tmp: Path, imap_port: int, sink_port: int) -> Path:
    rtp = free_range(100)
    doc: dict[str, Any] = {
        "runtime_dir": str(tmp / "var"), "ivr": {"dir": str(REPO / "ivr")},
        "api": {"port": free_port()}, "offer_timeout": 8,
        "asterisk": {"sip_port": free_port(), "phone_sip_port": free_port(),
                     "http_port": free_port(), "ami_port": free_port(),
                     "rtp_start": rtp, "rtp_end": rtp + 99},
        "email": email_config(
            USER, PASSWORD, imap_port, sink_port, queue="support",
            send_retry={"first_seconds": 0.2, "max_seconds": 1},
            auto_ack={"body": "We have your message about {{ subject }}."}),
    }
    path = tmp / "engine.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the engine's SQLite store while it runs (read-only)."""
    if not db.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True,
                                                timeout=5)) as c:
            return c.execute(sql).fetchall()
    except sqlite3.OperationalError:  # not migrated yet
        return []


def stored_inbound(db: Path) -> int:
    rows = query(db, "select count(*) from messages where direction = 'in'")
    return rows[0][0] if rows else 0


async def wait_for(check: Any, timeout: float, what: str, engine: EngineProcess) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if engine.proc is not None and engine.proc.poll() is not None:
            raise AssertionError(f"the engine exited ({engine.proc.returncode}) while waiting "
                                 f"for {what}: {engine.log.read_text()[-3000:]}")
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}: {engine.log.read_text()[-3000:]}")


@pytest.fixture
async def servers() -> AsyncIterator[tuple[Dovecot, SmtpSink]]:
    server = Dovecot(free_port(), {USER: PASSWORD})
    server.start()
    sink = SmtpSink(free_port())
    await sink.start()
    try:
        yield server, sink
    finally:
        await sink.stop()
        server.cleanup()


async def test_given_batch_when_engine_killed_mid_ingest_repeatedly_then_each_mail_one_interaction(
        tmp_path: Path, servers: tuple[Dovecot, SmtpSink]) -> None:
    server, sink = servers
    mailbox = Mailbox(server.port, USER, PASSWORD)
    await mailbox.append(*batch())
    engine = EngineProcess(engine_config(tmp_path, server.port, sink.port),
                           tmp_path / "engine.log")
    db = tmp_path / "var" / "ccengine.db"
    killed_at: list[int] = []
    try:
        for point in KILL_AFTER:
            engine.start()
            await wait_for(lambda p=point: stored_inbound(db) >= p, 90,
                           f"{point} messages stored", engine)
            engine.kill()
            killed_at.append(stored_inbound(db))
        engine.start()

        def complete() -> bool:
            routed = query(db, "select count(*) from messages where direction = 'in' "
                               "and state = 'routed'")
            queued = query(db, "select count(*) from interactions where medium = 'email' "
                               "and status = 'queued'")
            return bool(routed and queued) and routed[0][0] == queued[0][0] == BATCH
        await wait_for(complete, 120, "every message routed", engine)
        unseen = await mailbox.search("UNSEEN")
        await engine.stop()
    finally:
        await engine.stop()
        stop_leftover_asterisk(tmp_path / "var")
    log = engine.log.read_text()
    # the kills did land mid-batch (else this test proves nothing)
    assert killed_at[0] < BATCH and killed_at[1] < BATCH, (killed_at, log[-2000:])
    assert unseen == []
    inbound = query(db, "select id, external_id, interaction_id, state from messages "
                        "where direction = 'in' order by id")
    assert len(inbound) == BATCH
    assert len({m[1] for m in inbound}) == BATCH
    assert all(m[3] == "routed" for m in inbound)
    assert [m[2] for m in inbound] == [f"email-{m[0]}" for m in inbound]
    interactions = query(db, "select id, status from interactions where medium = 'email'")
    assert sorted(i[0] for i in interactions) == sorted(m[2] for m in inbound)
    assert {i[1] for i in interactions} == {"queued"}
    # each interaction was entered once; restored ones were queued again, never twice over
    entered = query(db, "select interaction_id, count(*) from interaction_events "
                        "where kind = 'entered' group by interaction_id")
    assert {n for _, n in entered} == {1} and len(entered) == BATCH
    unparsed = query(db, "select count(*) from interactions "
                         "where attributes like '%\"unparsed\": true%'")
    assert unparsed[0][0] == 1
    # one acknowledgement stored per readable message (delivery is at least once)
    acks = query(db, "select count(*), count(distinct external_id) from messages "
                     "where direction = 'out'")
    assert acks == [(BATCH - 1, BATCH - 1)]
    assert {r.message["Message-ID"] for r in sink.received} <= {
        f"<{x[0]}>" for x in query(db, "select external_id from messages "
                                       "where direction = 'out'")}
