"""The queue log file: lines appended in the order they are given, without holding up the
event loop, and following log rotation (docs/queue_log.md).

Lines given during one turn of the event loop are written together, at the end of that
turn, with one ``write`` to a file opened for appending (the page cache takes it: no
fsync, as Asterisk's own queue_log is only flushed). Rotation: at most once a second
before writing, the file's path is compared with the open file (device and inode); when it
was renamed or removed (logrotate), the file is opened again at its path. ``reopen()``
does it at once (the engine calls it on a reload, i.e. SIGHUP). A file that cannot be
written (a full disk, a folder gone) is logged once with its cause, and its lines are kept
(up to ``max_buffer`` bytes, then new ones are counted as dropped) and written once it
can be again, which is logged too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
MODE = 0o640   # it holds callers' numbers: not for every user of the machine


class QueueLogFile:
    """Appends lines to ``path`` (its folder is made if missing)."""

    def __init__(self, path: Path, *, check_seconds: float = 1.0,
                 max_buffer: int = 16 * 1024 * 1024,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.check_seconds, self.max_buffer, self.clock = check_seconds, max_buffer, clock
        self.dropped = 0                     # lines given up while the file was failing
        self._buffer = bytearray()
        self._fd: int | None = None
        self._ident: tuple[int, int] | None = None
        self._checked_at = -float("inf")
        self._flush_due: asyncio.Handle | None = None
        self._failure: str | None = None     # the error logged, until writing works again
        self._closed = False

    # ---------------------------------------------------------------- writing
    def write(self, line: str) -> None:
        """Queue one line (without its newline); it is written at the end of this turn of
        the event loop (at once when no loop runs)."""
        if self._closed:
            raise RuntimeError(f"queue log {self.path} is closed")
        data = line.encode() + b"\n"
        if len(self._buffer) + len(data) > self.max_buffer:
            self.dropped += 1
            return
        self._buffer += data
        self._schedule(0.0)

    def flush(self) -> None:
        """Write what is queued now."""
        self._flush_due = None
        if not self._buffer:
            return
        try:
            fd = self._open_file()
            while self._buffer:
                written = os.write(fd, self._buffer)
                del self._buffer[:written]
        except OSError as e:
            self._failed(e)
            self._schedule(RETRY_SECONDS)
            return
        if self._failure is not None:
            log.info("queue log %s written again (%s before)%s", self.path, self._failure,
                     f"; {self.dropped} line(s) were dropped meanwhile" if self.dropped else "")
            self._failure = None

    def _schedule(self, delay: float) -> None:
        if self._flush_due is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        self._flush_due = loop.call_soon(self.flush) if delay <= 0 else \
            loop.call_later(delay, self.flush)

    def _failed(self, error: OSError) -> None:
        cause = f"{type(error).__name__}: {error.strerror or error}"
        if self._failure != cause:
            log.error("queue log %s cannot be written (%s): its lines are kept until it "
                      "can", self.path, cause)
            self._failure = cause
        self._close_fd()

    # ---------------------------------------------------------------- the file
    def _open_file(self) -> int:
        now = self.clock()
        if self._fd is not None and now - self._checked_at < self.check_seconds:
            return self._fd
        self._checked_at = now
        if self._fd is not None and self._ident == _ident_of(self.path):
            return self._fd
        self._close_fd()   # rotated (renamed or removed), or not open yet
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, MODE)
        stat = os.fstat(fd)
        self._fd, self._ident = fd, (stat.st_dev, stat.st_ino)
        return fd

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = self._ident = None

    def reopen(self) -> None:
        """Open the file again at its path before the next write (after a rotation)."""
        self._close_fd()
        self._checked_at = -float("inf")

    def retarget(self, path: Path) -> None:
        """Write to ``path`` from now on (what is queued goes to the old file first)."""
        if path == self.path:
            self.reopen()
            return
        self.flush()
        self._close_fd()
        self.path = path
        self._checked_at = -float("inf")

    def close(self) -> None:
        """Write what is queued (if it can be) and close the file."""
        if self._flush_due is not None:
            self._flush_due.cancel()
        self.flush()
        if self._flush_due is not None:   # it could not: a retry was scheduled
            self._flush_due.cancel()
            self._flush_due = None
            if self._buffer:
                log.error("queue log %s: %d byte(s) of lines could not be written before "
                          "stopping", self.path, len(self._buffer))
        self._close_fd()
        self._closed = True


def _ident_of(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
