"""A private dovecot IMAP server for tests: its own config, a passwd-file of users, Maildirs
under a temporary folder, IMAP on one loopback port: plain, or IMAPS with a self-signed
certificate (``tls=True``); nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import aioimaplib

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def available() -> bool:
    return Path(DOVECOT).exists()


class Dovecot:
    """``start()`` / ``stop()`` (and again: the same mail survives a restart)."""

    def __init__(self, port: int, users: dict[str, str], *, tls: bool = False) -> None:
        self.port, self.users, self.tls = port, users, tls
        # not under pytest's tmp_path: that is private to root, and the mail processes run
        # as an unprivileged user who must reach the Maildirs
        self.dir = Path(tempfile.mkdtemp(prefix="ccengine-dovecot-"))
        self.dir.chmod(0o755)
        self.proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    def _write_config(self) -> None:
        d = self.dir
        for sub in ("run", "state", "home"):
            (d / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:  # dovecot never keeps mail as root
            uid, gid = 65534, 65534
            run_as = ""
        else:
            uid, gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(uid).pw_name
            run_as = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        os.chown(d / "home", uid, gid)
        if self.tls:  # a self-signed certificate: IMAPS only
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"),
                            "-days", "2", "-subj", "/CN=127.0.0.1"],
                           check=True, capture_output=True)
            ssl = f"ssl = required\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n"
            plain, secure = 0, self.port
        else:
            ssl = "ssl = no\n"
            plain, secure = self.port, 0
        (d / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}\n"
                                          for u, p in self.users.items()))
        (d / "dovecot.conf").write_text(f"""\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = ccengine-test-{self.port}
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {min(uid, 500)}
mail_location = maildir:~/Maildir
{run_as}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {secure}
  }}
}}
""")

    def start(self, timeout: float = 15.0) -> None:
        with open(self.dir / "stderr.log", "ab") as err:
            self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.dir / "dovecot.conf")],
                                         stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            with contextlib.suppress(OSError), socket.create_connection(
                    ("127.0.0.1", self.port), timeout=0.5):
                return
            time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}: {self.log()}")

    def stop(self) -> None:
        """Stop the server (the mail stays for the next start)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    async def crash(self) -> None:
        """The server dies at once (SIGKILL to its whole process group): connections drop
        without a goodbye, like a crashed host. (A graceful stop lets IDLE sessions linger
        for 10 s.)"""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        texts = []
        for name in ("stderr.log", "dovecot.log"):
            with contextlib.suppress(OSError):
                texts.append((self.dir / name).read_text()[-2000:])
        return "\n".join(texts)


class Mailbox:
    """A test's IMAP client for one user: deliver mail (APPEND) and look at flags."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.port, self.user, self.password = port, user, password

    async def _client(self) -> aioimaplib.IMAP4:
        client = aioimaplib.IMAP4(host="127.0.0.1", port=self.port, timeout=10)
        try:
            await client.wait_hello_from_server()
            response = await client.login(self.user, self.password)
            assert response.result == "OK", response
        except BaseException:
            _close(client)   # not left open for the loop's end to trip on
            raise
        return client

    async def append(self, *raws: bytes, folder: str = "INBOX") -> None:
        client = await self._client()
        try:
            for raw in raws:
                response = await client.append(raw, mailbox=folder)
                assert response.result == "OK", response
        finally:
            await _logout(client)

    async def search(self, criteria: str, folder: str = "INBOX") -> list[int]:
        """UIDs matching ``criteria`` (e.g. "UNSEEN", "SEEN", "ALL")."""
        client = await self._client()
        try:
            response = await client.select(folder)
            assert response.result == "OK", response
            found = await client.uid_search(criteria, charset=None)
            assert found.result == "OK", found
            return [int(x) for x in found.lines[0].split()] if found.lines[0].strip() \
                and found.lines[0][:1].isdigit() else []
        finally:
            await _logout(client)


async def _logout(client: aioimaplib.IMAP4) -> None:
    """LOGOUT, then close our side of the connection: aioimaplib may leave its transport
    open after the server's BYE, and a loop closed with it open fails the next test."""
    try:
        await client.logout()
    finally:
        _close(client)
        await asyncio.sleep(0)   # the loop finishes closing it (uvloop needs a turn)


def _close(client: aioimaplib.IMAP4) -> None:
    protocol = getattr(client, "protocol", None)
    transport = getattr(protocol, "transport", None)
    if transport is not None and not transport.is_closing():
        transport.close()
