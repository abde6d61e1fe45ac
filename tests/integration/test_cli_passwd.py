"""``ccengine passwd USER``, the real command in a process of its own: it sets the password
in the store (migrating a new store first) and ends the user's sessions, while an API on
the same store runs; it refuses users the config does not know and short passwords."""

from __future__ import annotations

import asyncio
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccengine.config import load_config
from ccengine.settings import build_users
from ccengine.store.db import Database
from tests.integration.session_rig import cookie, session_api

CCENGINE = Path(sys.executable).parent / "ccengine"


async def _passwd(runtime_dir: Path, *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        str(CCENGINE), "--set", f"runtime_dir={runtime_dir}", "passwd", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    async with asyncio.timeout(60):
        out, err = await process.communicate(stdin)
    return process.returncode or 0, out.decode(), err.decode()


def _typed(runtime_dir: Path, user: str, *lines: bytes) -> tuple[int, str, str]:
    """Run ``ccengine passwd USER`` on a terminal of its own (a pty, no controlling
    terminal: getpass reads the pty and prompts on stderr), typing each line once its
    prompt shows."""
    master, slave = pty.openpty()
    process = subprocess.Popen([str(CCENGINE), "--set", f"runtime_dir={runtime_dir}",
                                "passwd", user], stdin=slave, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    os.close(slave)
    assert process.stderr is not None
    seen, deadline = b"", time.monotonic() + 60
    try:
        for prompt, line in zip((b"New password: ", b"Again: "), lines, strict=True):
            while prompt not in seen:
                ready, _, _ = select.select([process.stderr], [], [],
                                            max(0.0, deadline - time.monotonic()))
                chunk = os.read(process.stderr.fileno(), 4096) if ready else b""
                assert chunk, f"no prompt {prompt!r} (got {seen!r})"
                seen += chunk
            seen = seen.replace(prompt, b"", 1)
            os.write(master, line)
        out, err = process.communicate(timeout=60)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
            process.wait()
    return process.returncode, out.decode(), (seen + err).decode()


async def test_given_new_store_when_password_set_then_user_signs_in_over_http(
        tmp_path: Path) -> None:
    code, out, err = await _passwd(tmp_path, "alice", "--password-stdin",
                                   stdin=b"correct horse battery\n")
    assert code == 0, err
    assert "password set for alice" in out
    config = load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}"])
    db = Database(config.store_url)
    try:
        await db.migrate()
        async with session_api(db, build_users(config), {}) as rig:
            r = await rig.client.post("/api/session", json={"user": "alice",
                                                            "password": "correct horse battery"})
            assert r.status == 200
            assert (await r.json())["user"] == {"id": "alice", "role": "agent",
                                                "name": "Alice"}
            r = await rig.client.post("/api/session", json={"user": "bob",
                                                            "password": "correct horse battery"})
            assert r.status == 401
    finally:
        await db.close()


async def test_given_running_api_when_password_changed_then_users_sessions_end(
        tmp_path: Path) -> None:
    assert (await _passwd(tmp_path, "sam", "--password-stdin", stdin=b"first-secret\n"))[0] == 0
    config = load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}"])
    db = Database(config.store_url)
    try:
        async with session_api(db, build_users(config), {}) as rig:
            value, _ = await rig.sign_in("sam", "first-secret")
            assert (await rig.client.get("/api/me", headers=cookie(value))).status == 200
            code, out, err = await _passwd(tmp_path, "sam", "--password-stdin",
                                           stdin=b"second-secret\r\n")
            assert code == 0, err
            assert "1 session(s) ended" in out
            r = await rig.client.get("/api/me", headers=cookie(value))
            assert (r.status, (await r.json())["error"]) == (401, "session_expired")
            await rig.sign_in("sam", "second-secret")
    finally:
        await db.close()


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (("zoe", "--password-stdin"), b"long-enough-1\n", "no user 'zoe' in the config"),
    (("alice", "--password-stdin"), b"short\n", "8 to 200 characters"),
    (("alice", "--password-stdin"), b"", "no password on standard input"),
    (("alice",), b"long-enough-1\n", "not a terminal: use --password-stdin"),
])
async def test_given_bad_user_or_password_when_run_then_exit_2_with_reason_and_no_store(
        tmp_path: Path, args: tuple[str, ...], stdin: bytes, message: str) -> None:
    code, _, err = await _passwd(tmp_path, *args, stdin=stdin)
    assert code == 2 and message in err, err
    assert not (tmp_path / "ccengine.db").exists()  # refused before touching anything


def test_given_a_terminal_when_password_typed_twice_then_set(tmp_path: Path) -> None:
    code, out, err = _typed(tmp_path, "bob", b"typed-secret-1\n", b"typed-secret-1\n")
    assert (code, out) == (0, "password set for bob; 0 session(s) ended\n"), err
    assert "alembic" not in err and "typed-secret" not in err  # quiet, and never echoed


def test_given_a_terminal_when_two_passwords_differ_then_exit_2(tmp_path: Path) -> None:
    code, _, err = _typed(tmp_path, "bob", b"typed-secret-1\n", b"typed-secret-2\n")
    assert code == 2 and "the two passwords differ" in err, err
