"""The guard's task with a stand-in for Asterisk's AMI (the end-to-end tests use the real
one): a block is written into acl.conf and reloaded at once; a reload Asterisk refuses is
logged once, retried every second and its recovery logged; a block ends when its time
is up."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from ccengine.telephony.sip_guard.guard import AmiLogin, SipGuard
from ccengine.telephony.sip_guard.settings import SipSecurity
from ccengine.telephony.sip_guard.store import load_blocks
from tests.polling import eventually


class Reply(dict[str, str]):
    @property
    def success(self) -> bool:
        return self.get("Response") == "Success"


class FakeAmi:
    """Answers every action at once, with Success unless told to refuse."""

    def __init__(self) -> None:
        self.actions: list[dict[str, str]] = []
        self.refuse = False

    def send_action(self, action: dict[str, str]) -> asyncio.Future[Any]:
        self.actions.append(action)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.set_result(Reply(Response="Error" if self.refuse else "Success",
                                Message="refused" if self.refuse else "Module Reloaded"))
        return future

    def reloads(self) -> int:
        return sum(1 for a in self.actions if a == {"Action": "Reload", "Module": "acl"})


def failed_password(address: str) -> dict[str, str]:
    return {"Event": "ChallengeResponseFailed", "Service": "PJSIP", "AccountID": "bob",
            "RemoteAddress": f"IPV4/UDP/{address}/5062"}


@pytest.fixture
async def guard(tmp_path: Path) -> Any:
    g = SipGuard(SipSecurity(max_failures=2, block_seconds=1),
                 AmiLogin("127.0.0.1", 1, "u", "s"), tmp_path, tmp_path / "blocks.json",
                 clock=time.time)
    g.manager = FakeAmi()  # type: ignore[assignment]
    g.follow()
    yield g
    await g.stop()


async def test_given_failures_when_the_limit_is_reached_then_acl_written_reloaded_and_saved(
        guard: SipGuard, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    ami: FakeAmi = guard.manager  # type: ignore[assignment]
    await eventually(lambda: ami.reloads() == 1, 2, "the reload at start")
    guard.on_event(None, failed_password("203.0.113.9"))  # type: ignore[arg-type]
    assert ami.reloads() == 1
    guard.on_event(None, failed_password("203.0.113.9"))  # type: ignore[arg-type]
    # written and reloaded from the event's own callback, before anything else runs
    assert ami.reloads() == 2
    assert "deny = 203.0.113.9/32" in (tmp_path / "acl.conf").read_text()
    assert [b.address for b in load_blocks(tmp_path / "blocks.json")] == ["203.0.113.9"]
    # one second later the block is over: lifted, written, reloaded, logged
    await eventually(lambda: ami.reloads() == 3, 3, "the block lifted")
    assert "deny" not in (tmp_path / "acl.conf").read_text().split("]", 1)[1]
    assert load_blocks(tmp_path / "blocks.json") == []
    lines = [r.getMessage() for r in caplog.records if "203.0.113.9" in r.getMessage()]
    assert lines == [
        "SIP: blocked 203.0.113.9 for 1 s: 2 failed authentications within 60 s (the last: "
        "ChallengeResponseFailed for 'bob')",
        "SIP: unblocked 203.0.113.9: its block of 1 s expired (it was: 2 failed "
        "authentications within 60 s (the last: ChallengeResponseFailed for 'bob'))"]


async def test_given_asterisk_refusing_the_reload_when_blocking_then_said_once_retried_and_recovery_said(  # noqa: E501
        guard: SipGuard, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    ami: FakeAmi = guard.manager  # type: ignore[assignment]
    await eventually(lambda: ami.reloads() == 1, 2, "the reload at start")
    ami.refuse = True
    for _ in range(2):
        guard.on_event(None, failed_password("203.0.113.7"))  # type: ignore[arg-type]
    await eventually(lambda: ami.reloads() >= 3, 3, "the reload tried again")
    ami.refuse = False
    await eventually(lambda: any("applied in Asterisk again" in r.getMessage()
                                 for r in caplog.records), 3, "the recovery logged")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "could not apply the blocks in Asterisk" in errors[0]
