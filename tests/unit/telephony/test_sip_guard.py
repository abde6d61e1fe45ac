"""The SIP edge's guard without Asterisk: the ``sip_security:`` section (every mistake
refused with file, line and key), which security events count, the failures per address
and the blocks, the blocks on disk, and the ACL the rendered config carries."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ccengine.cli import main
from ccengine.config import ConfigError, load_config
from ccengine.telephony.asterisk.render import render
from ccengine.telephony.sip_guard.blocks import Block, Blocklist, Failure, Spared, failure_of
from ccengine.telephony.sip_guard.settings import SipSecurity, parse_sip_security
from ccengine.telephony.sip_guard.store import blocks_file, load_blocks, save_blocks

REPO = Path(__file__).resolve().parents[3]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------------- settings
def test_given_the_embedded_defaults_when_loaded_then_5_failures_in_60_s_block_for_600_s(
        ) -> None:
    config = load_config(None, env={})
    s = parse_sip_security(config.raw.get("sip_security"), config.source)
    assert (s.enabled, s.max_failures, s.window_seconds, s.block_seconds) == \
        (True, 5, 60, 600)
    assert [str(n) for n in s.never_block] == ["127.0.0.1/32"]
    assert s.never_blocked("127.0.0.1") and not s.never_blocked("127.0.0.2")


def test_given_a_partial_section_when_loaded_then_the_rest_takes_the_defaults() -> None:
    config = load_config(None, env={}, overrides=[
        'sip_security={block_seconds: 30, never_block: ["10.0.0.0/8", "2001:db8::1"]}'])
    s = parse_sip_security(config.raw.get("sip_security"), config.source)
    assert (s.max_failures, s.window_seconds, s.block_seconds) == (5, 60, 30)
    assert s.never_blocked("10.1.2.3") and s.never_blocked("2001:db8::1")
    assert not s.never_blocked("127.0.0.1") and not s.never_blocked("2001:db8::2")


@pytest.mark.parametrize(("body", "key", "message"), [
    ("  max_failures: 0\n", "sip_security.max_failures", "from 1 to 1000"),
    ("  window_seconds: soon\n", "sip_security.window_seconds", "whole number"),
    ("  block_seconds: 99999999\n", "sip_security.block_seconds", "from 1 to 2592000"),
    ("  enabled: sometimes\n", "sip_security.enabled", "true or false"),
    ("  never_block: 127.0.0.1\n", "sip_security.never_block", "list of IP addresses"),
    ('  never_block: ["127.0.0.1", "localhost"]\n', "sip_security.never_block[1]",
     "'localhost' is not an IP address"),
    ("  max_failure: 3\n", "sip_security.max_failure", "unknown key"),
])
def test_given_a_bad_key_when_loading_then_refused_naming_file_line_and_key(
        tmp_path: Path, body: str, key: str, message: str) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text(f"# the SIP edge\nsip_security:\n{body}")
    config = load_config(f, env={})
    with pytest.raises(ConfigError, match=message) as e:
        parse_sip_security(config.raw.get("sip_security"), config.source)
    assert e.value.key == key
    assert e.value.where == f"{f}:3"


def test_given_a_bad_key_when_checking_then_ccengine_check_refuses_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "engine.yaml"
    f.write_text(f"runtime_dir: {tmp_path / 'var'}\nivr:\n  dir: {REPO / 'ivr'}\n"
                 "sip_security:\n  block_seconds: -1\n")
    assert main(["--config", str(f), "check"]) == 2
    err = capsys.readouterr().err
    assert f"{f}:5: sip_security.block_seconds: must be a whole number from 1 to 2592000, "\
           "got -1" in err


# ---------------------------------------------------------------------- events
def event(kind: str, remote: str = "IPV4/UDP/203.0.113.9/5060", **more: str
          ) -> dict[str, Any]:
    return {"Event": kind, "Service": "PJSIP", "AccountID": "alice",
            "RemoteAddress": remote, **more}


def test_given_security_events_when_read_then_only_failed_authentications_count() -> None:
    assert failure_of(event("ChallengeResponseFailed")) == \
        Failure("203.0.113.9", "ChallengeResponseFailed", "alice")
    assert failure_of(event("InvalidPassword", "IPV6/UDP/2001:db8::7/5062")) == \
        Failure("2001:db8::7", "InvalidPassword", "alice")
    acl = failure_of(event("FailedACL", AccountID="anonymous@callers",
                           ACLName="registrar_attempt_without_configured_aors"))
    assert acl is not None and acl.describe() == \
        "FailedACL (registrar_attempt_without_configured_aors) for 'anonymous@callers'"
    unknown_name = failure_of(event("ChallengeResponseFailed", AccountID="<unknown>"))
    assert unknown_name is not None and unknown_name.describe() == "ChallengeResponseFailed"
    # an unknown name alone, a challenge, a success: not failures (the first would tell
    # a scanner which names exist); nor anything but PJSIP's, nor a missing address
    for kind in ("InvalidAccountID", "ChallengeSent", "SuccessfulAuth"):
        assert failure_of(event(kind)) is None
    assert failure_of({**event("InvalidPassword"), "Service": "AMI"}) is None
    assert failure_of(event("ChallengeResponseFailed", "")) is None
    assert failure_of(event("ChallengeResponseFailed", "IPV4/UDP/not-an-ip/5060")) is None


# ---------------------------------------------------------------------- the blocklist
def failure(address: str = "203.0.113.9") -> Failure:
    return Failure(address, "ChallengeResponseFailed", "alice")


def test_given_five_failures_within_the_window_when_counted_then_the_fifth_blocks() -> None:
    clock = Clock()
    table = Blocklist(SipSecurity(), clock)
    for _ in range(4):
        assert table.failed(failure()) is None
        clock.now += 10
    block = table.failed(failure())
    assert isinstance(block, Block)
    assert (block.address, block.failures, block.until - block.since) == \
        ("203.0.113.9", 5, 600)
    assert block.reason == ("5 failed authentications within 60 s (the last: "
                            "ChallengeResponseFailed for 'alice')")
    assert block.network == "203.0.113.9/32"
    # failures still in flight once blocked are not counted again
    assert table.failed(failure()) is None
    assert [b.address for b in table.active()] == ["203.0.113.9"]


def test_given_failures_spread_wider_than_the_window_when_counted_then_no_block() -> None:
    clock = Clock()
    table = Blocklist(SipSecurity(max_failures=3, window_seconds=60), clock)
    for _ in range(10):
        assert table.failed(failure()) is None
        clock.now += 31   # never three within 60 s
    assert table.active() == []


def test_given_a_never_blocked_network_when_it_reaches_the_limit_then_spared_once() -> None:
    import ipaddress
    clock = Clock()
    settings = SipSecurity(max_failures=2, never_block=(ipaddress.ip_network("10.0.0.0/8"),))
    table = Blocklist(settings, clock)
    assert table.failed(failure("10.1.2.3")) is None
    spared = table.failed(failure("10.1.2.3"))
    assert isinstance(spared, Spared) and spared.address == "10.1.2.3"
    assert table.failed(failure("10.1.2.3")) is None   # said once per window
    assert table.active() == []


def test_given_blocks_when_time_passes_or_lifted_then_they_end() -> None:
    clock = Clock()
    table = Blocklist(SipSecurity(max_failures=1, block_seconds=30), clock)
    first = table.failed(failure("203.0.113.1"))
    clock.now += 10
    second = table.failed(failure("203.0.113.2"))
    assert isinstance(first, Block) and isinstance(second, Block)
    assert table.next_expiry() == first.until
    clock.now += 20
    assert table.expired() == [first]
    assert table.next_expiry() == second.until
    assert table.lift("203.0.113.2") == second
    assert table.lift("203.0.113.2") is None
    assert table.active() == [] and table.next_expiry() is None


# ---------------------------------------------------------------------- on disk, in the ACL
def test_given_saved_blocks_when_loaded_then_the_same(tmp_path: Path) -> None:
    path = blocks_file(tmp_path)
    blocks = [Block("203.0.113.9", "5 failed authentications", 1.0, 601.0, 5),
              Block("2001:db8::7", "3 failed authentications", 2.0, 302.0, 3)]
    save_blocks(path, blocks)
    assert load_blocks(path) == blocks
    assert load_blocks(tmp_path / "missing.json") == []


def test_given_an_unreadable_file_when_loaded_then_no_blocks_and_said(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = blocks_file(tmp_path)
    path.write_text('{"blocks": [{"address": "not an address"}]}')
    with caplog.at_level(logging.ERROR):
        assert load_blocks(path) == []
    assert "cannot read" in caplog.text and str(path) in caplog.text


def test_given_saved_blocks_when_rendering_then_the_acl_denies_those_still_on(
        tmp_path: Path) -> None:
    import time
    now = time.time()
    save_blocks(blocks_file(tmp_path), [
        Block("203.0.113.9", "5 failed authentications", now - 10, now + 590, 5),
        Block("203.0.113.10", "5 failed authentications", now - 700, now - 100, 5),
        Block("2001:db8::7", "5 failed authentications", now - 10, now + 590, 5)])
    rendered = render(load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}"]))
    acl = (rendered.etc_dir / "acl.conf").read_text()
    denies = [line.split(";")[0].strip() for line in acl.splitlines()
              if line.startswith("deny")]
    assert denies == ["deny = 203.0.113.9/32", "deny = 2001:db8::7/128"]
    assert "[ccengine-sip-blocks]" in acl
    pjsip = (rendered.etc_dir / "pjsip.conf").read_text()
    assert "[ccengine-blocks]\ntype = acl\nacl = ccengine-sip-blocks\n" in pjsip
    modules = (rendered.etc_dir / "modules.conf").read_text()
    assert "load => res_pjsip_acl.so" in modules and "load => res_security_log.so" in modules
    assert "security.log => security" in (rendered.etc_dir / "logger.conf").read_text()
    assert "security" in (rendered.etc_dir / "manager.conf").read_text().split("read =")[1]
    # blocking off: no address is denied, whatever was saved
    off = render(load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}",
                                                      "sip_security={enabled: false}"]))
    assert "deny" not in (off.etc_dir / "acl.conf").read_text().split("]", 1)[1]
    assert json.loads(blocks_file(tmp_path).read_text())["blocks"]   # left as it was
