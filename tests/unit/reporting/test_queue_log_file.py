"""The queue log file: lines in order, one write per turn of the loop, rotation followed,
a file that cannot be written logged once and caught up later."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from ccengine.reporting.queue_log_file import QueueLogFile


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_given_lines_from_many_tasks_when_written_then_in_order_one_write_per_turn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "log" / "queue_log"     # its folder is made
    f = QueueLogFile(path)
    writes: list[int] = []
    real_write = os.write

    def counting(fd: int, data: bytes) -> int:
        writes.append(len(data))
        return real_write(fd, data)
    monkeypatch.setattr(os, "write", counting)

    async def burst(n: int) -> None:
        for k in range(3):
            f.write(f"{n}-{k}")
            await asyncio.sleep(0)
    for n in range(5):
        f.write(f"first-{n}")
    assert lines(path) == []          # nothing written inside the turn
    await asyncio.gather(*(burst(n) for n in range(4)))
    await asyncio.sleep(0)
    f.close()
    got = lines(path)
    assert got[:5] == [f"first-{n}" for n in range(5)]
    for n in range(4):   # each task's lines in its order
        assert [x for x in got if x.startswith(f"{n}-")] == [f"{n}-{k}" for k in range(3)]
    assert len(got) == 17 and len(writes) <= 5
    assert path.stat().st_mode & 0o007 == 0   # callers' numbers: not for every user


async def test_given_logrotate_renamed_the_file_when_writing_then_a_new_file_at_the_path(
        tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    f = QueueLogFile(path, check_seconds=0)
    f.write("before")
    f.flush()
    path.rename(tmp_path / "queue_log.1")
    f.write("after")
    f.flush()
    f.close()
    assert lines(tmp_path / "queue_log.1") == ["before"]
    assert lines(path) == ["after"]


async def test_given_rename_within_the_check_interval_then_old_file_until_reopen(
        tmp_path: Path) -> None:
    clock = [0.0]
    path = tmp_path / "queue_log"
    f = QueueLogFile(path, check_seconds=1.0, clock=lambda: clock[0])
    f.write("a")
    f.flush()
    path.rename(tmp_path / "queue_log.1")
    f.write("b")          # within a second: still the open (renamed) file, nothing lost
    f.flush()
    f.reopen()            # SIGHUP / reload
    f.write("c")
    f.flush()
    clock[0] = 5.0
    path.rename(tmp_path / "queue_log.2")
    f.write("d")          # a second later: the rename is noticed
    f.flush()
    f.close()
    assert (lines(tmp_path / "queue_log.1"), lines(tmp_path / "queue_log.2"), lines(path)) \
        == (["a", "b"], ["c"], ["d"])


async def test_given_copytruncate_when_writing_then_appended_at_the_new_end(
        tmp_path: Path) -> None:
    path = tmp_path / "queue_log"
    f = QueueLogFile(path)
    f.write("one")
    f.flush()
    path.write_text("")          # logrotate copytruncate
    f.write("two")
    f.close()
    assert path.read_bytes() == b"two\n"


async def test_given_unwritable_path_when_writing_then_logged_once_kept_and_caught_up(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file where the folder should be")
    path = blocker / "queue_log"
    f = QueueLogFile(path, check_seconds=0)
    with caplog.at_level(logging.INFO, logger="ccengine.reporting.queue_log_file"):
        for n in range(3):
            f.write(f"line {n}")
            f.flush()
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "cannot be written" in errors[0].getMessage()
        blocker.unlink()
        f.flush()
        assert lines(path) == ["line 0", "line 1", "line 2"]
        assert any("written again" in r.getMessage() for r in caplog.records)
    f.close()


async def test_given_a_full_buffer_while_failing_then_new_lines_counted_as_dropped(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("")
    f = QueueLogFile(blocker / "queue_log", max_buffer=20)
    with caplog.at_level(logging.ERROR):
        for n in range(5):
            f.write(f"line {n}")   # 7 bytes each
        f.flush()
        assert f.dropped == 3
        f.close()
    assert "could not be written before stopping" in caplog.text


async def test_given_a_new_path_when_retargeted_then_queued_lines_go_to_the_old_one(
        tmp_path: Path) -> None:
    f = QueueLogFile(tmp_path / "a")
    f.write("1")
    f.retarget(tmp_path / "b")
    f.write("2")
    f.close()
    assert (lines(tmp_path / "a"), lines(tmp_path / "b")) == (["1"], ["2"])
    with pytest.raises(RuntimeError, match="closed"):
        f.write("3")
