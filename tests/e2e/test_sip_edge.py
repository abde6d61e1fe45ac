"""The SIP edge under attack (issue 15), on the engine's own Asterisk with real tools:
sipvicious' svcrack and svwar run as attackers from addresses of their own (127.0.0.x,
see tests/sip/sipvicious.py), agents on baresip phones from 127.0.0.1, sipp callers.

- Password guessing is cut off after ``max_failures`` failed authentications: the address
  is blocked in Asterisk (a PJSIP ACL), agents elsewhere keep registering and taking calls.
- No user name can be told from another: svwar finds none, and every answer (status,
  headers, time) to REGISTER, OPTIONS and INVITE is the same for real and made-up names.
- A block outlives a reload of the PJSIP config, ends when its time is up, or when an
  admin lifts it (``/api/sip/blocks``); each block and unblock is logged once.
"""

from __future__ import annotations

import logging
import re
import statistics
from pathlib import Path
from typing import Any

import pytest

from ccengine.telephony.asterisk.render import render
from tests.e2e.conftest import Rig, eventually
from tests.sip.probe import Answer, SipProbe
from tests.sip.sipp import CallerScript
from tests.sip.sipvicious import SIPVICIOUS, Sipvicious

pytestmark = pytest.mark.asterisk
needs_sipvicious = pytest.mark.skipif(
    not SIPVICIOUS.is_dir(), reason="needs sipvicious (scripts/install-system.sh --test)")

PEOPLE = ("alice", "bob", "sam")   # the rig's agents and supervisor
GUARD_LOG = "ccengine.telephony.sip_guard.guard"
# names a scanner tries first (sipvicious' own "typical extensions" among them)
COMMON = ("admin", "operator", "reception", "test", "guest", "user", "support", "sales",
          "100", "101", "102", "200", "201", "1000", "1001", "1002", "1234", "2000", "3000")


async def blocks(rig: Rig) -> list[dict[str, Any]]:
    return (await rig.call_api("GET", "/api/sip/blocks", "admin"))["blocks"]


async def blocked(rig: Rig, address: str, timeout: float = 10) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        return next((b for b in await blocks(rig) if b["address"] == address), None)
    return await eventually(find, timeout, f"{address} blocked")


async def answer_from(address: str, port: int, method: str = "OPTIONS") -> Answer:
    async with SipProbe(address) as probe:
        return await probe.request(method, "nobody", port)


def guard_lines(caplog: pytest.LogCaptureFixture, address: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == GUARD_LOG and re.search(rf"\b{re.escape(address)}\b", r.getMessage())]


@needs_sipvicious
async def test_given_svcrack_with_300_passwords_when_it_attacks_an_agent_then_blocked_after_5_answers_and_a_registered_agent_keeps_taking_calls(  # noqa: E501
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    """svcrack guesses alice's password from 127.0.0.66 with 300 words, of which the
    101st is the right one, at 4 guesses a second (``-t 0.25``).

    "Answers" are what tells svcrack whether a guess was right: Asterisk's answer to a
    REGISTER that carried credentials (CSeq 2): 401 for a wrong password, 200 for the right
    one. Not answers: the first 401, which only hands out a challenge (CSeq 1), and the 403
    Forbidden the ACL gives every request once the address is blocked (it says nothing of
    any password). svcrack gets no more than max_failures (5) answers: exactly 5.

    Why that slowly: a guess already on its way while the block is applied still gets its
    answer. The block is in force a few ms after the fifth failure on a quiet machine, but
    the engine (here in the test's own process) may be held up tens of ms when the machine
    is saturated, and once in a while over 100 ms (a pause of its garbage collector, say).
    4 guesses a second leaves it 250 ms; svcrack at its full speed on loopback (a guess
    every ~6 ms) may get a few more answers (docs/telephony.md "Blocking password guessers").

    Meanwhile alice's phone, registered from 127.0.0.1, stays registered and a caller
    reaches her while svcrack goes on sending (it stops only when nothing answers)."""
    caplog.set_level(logging.INFO, logger=GUARD_LOG)
    await rig.start_phone("alice")
    await rig.open_feed("alice")
    await rig.login("alice")
    secrets = rig.engine.rendered.secrets  # type: ignore[union-attr]
    words = [f"guess{i:03d}" for i in range(300)]
    words[100] = secrets.sip_passwords["alice"]
    (rig.workdir / "passwords.txt").write_text("\n".join(words) + "\n")
    attacker = Sipvicious(rig.workdir, "svcrack", "127.0.0.66", [
        "-u", "alice", "-d", str(rig.workdir / "passwords.txt"), "-P", "0", "-t", "0.25",
        "-p", str(rig.engine.config.asterisk.phone_sip_port), "127.0.0.1"])
    await attacker.start()
    try:
        block = await blocked(rig, "127.0.0.66")
        # the block is in force: the attacker's requests get the ACL's 403
        await eventually(lambda: any(p.status == 403 for p in attacker.responses()), 10,
                         "svcrack answered 403 Forbidden")
        # svcrack goes on sending (it stops only when nothing answers) while a caller
        # reaches alice, whose phone registered from 127.0.0.1
        caller = await rig.place_call(CallerScript(digits="1", dtmf="info", hold_ms=3000))
        offer = (await eventually(rig.feeds["alice"].offers, 20, "alice's screen pop"))[0]
        assert offer["queue"] == "sales"
        await eventually(lambda: _busy(rig), 15, "alice on the call")
        assert await caller.wait(40) == 0, caller.errors()
        assert rig.engine.ami is not None and rig.engine.ami.contacts.get("alice")
    finally:
        await attacker.stop()
    guesses = [p for p in attacker.trace() if p.sent and p.with_credentials]
    answers = [p for p in attacker.responses()
               if p.cseq.startswith("CSeq: 2 ") and p.status in (200, 401)]
    assert len(guesses) > 5, "svcrack sent its guesses"
    assert len(answers) == 5, timeline(attacker, caplog)
    assert "The password for alice" not in attacker.output()
    assert not any(p.status == 200 for p in attacker.responses())
    assert block["failures"] == 5 and "ChallengeResponseFailed for 'alice'" in block["reason"]
    assert 590 <= block["seconds_left"] <= 600
    # logged once, with the address and the reason
    assert guard_lines(caplog, "127.0.0.66") == [
        "SIP: blocked 127.0.0.66 for 600 s: 5 failed authentications within 60 s "
        "(the last: ChallengeResponseFailed for 'alice')"]


def timeline(tool: Sipvicious, caplog: pytest.LogCaptureFixture) -> str:
    """What the attacker sent and got, and what the guard logged, in order (for a failing
    assertion's message)."""
    rows = [(p.at, f"{'>' if p.sent else '<'} {p.first_line[:28]} {p.cseq}"
                   f"{' +credentials' if p.with_credentials else ''}")
            for p in tool.trace()[:40]]
    rows += [(r.created, f"LOG {r.getMessage()}") for r in caplog.records]
    rows.sort()
    start = rows[0][0] if rows else 0.0
    return "\n" + "\n".join(f"{(at - start) * 1000:9.1f} ms  {what}" for at, what in rows)


async def _busy(rig: Rig) -> bool:
    return await rig.agent_state("alice") == "busy"


# ---------------------------------------------------------------------- no enumeration
SCANS = [(port, method) for port in ("sip_port", "phone_sip_port")
         for method in ("REGISTER", "OPTIONS", "INVITE")]
_ROW = re.compile(r"^\|\s*(\S+)\s*\|\s*(\S+)\s*\|\s*$", re.M)


def found_by(scan: Sipvicious) -> set[str]:
    """The names svwar's result table lists."""
    return {name for name, _ in _ROW.findall(scan.output()) if name != "Extension"}


@needs_sipvicious
async def test_given_svwar_with_every_agent_and_supervisor_when_scanning_both_ports_by_register_options_and_invite_then_none_found_and_every_agent_registers(  # noqa: E501
        rig: Rig) -> None:
    """svwar --force, one scan per port and method, each from its own address, with a
    dictionary of every agent's and supervisor's id, common extensions and the public
    service number 5000. svwar asks first for a random (made-up) name and lists every
    name whose answer's first line differs from that one's.

    On the public port it goes through the whole dictionary and finds 5000 by OPTIONS and
    INVITE (a service number is public: callers dial it), and no one else. Where every
    name gets the same 401 or 403 (REGISTER on the public port, everything on the phones'
    port), svwar stops at the first answer like the made-up name's, having found no one:
    the next test compares every name's answers itself. Meanwhile every agent's and the
    supervisor's phone registers."""
    names = [*PEOPLE, *COMMON, "5000"]
    (rig.workdir / "names.txt").write_text("\n".join(names) + "\n")
    config = rig.engine.config.asterisk
    scans = [Sipvicious(rig.workdir, "svwar", f"127.0.0.{71 + i}", [
        "--force", "-m", method, "-d", str(rig.workdir / "names.txt"), "-P", "0",
        "-p", str(getattr(config, port)), "127.0.0.1"], name=f"{port}-{method}")
        for i, (port, method) in enumerate(SCANS)]
    for scan in scans:
        await scan.start()
    try:
        for person in PEOPLE:   # while the scans run
            await rig.start_phone(person)
        for scan in scans:
            await scan.wait(60)
    finally:
        for scan in scans:
            await scan.stop()
    for (port, method), scan in zip(SCANS, scans, strict=True):
        found = found_by(scan) & set(names)
        assert scan.responses(), f"{port} {method}: svwar got no answer at all"
        if port == "sip_port" and method in ("OPTIONS", "INVITE"):
            assert found == {"5000"}, (port, method, scan.output()[-2000:])
        else:
            assert found == set(), (port, method, scan.output()[-2000:])
    ami = rig.engine.ami
    assert ami is not None
    await ami.resync()
    assert all(ami.contacts.get(person) for person in PEOPLE), ami.contacts


PROBER = "127.0.0.77"
MADE_UP = ("nobody", "carol", "zed", "x9", "2000")


@pytest.mark.parametrize("rig", [{"overrides": [
    f'sip_security={{never_block: ["127.0.0.1", "{PROBER}"]}}']}], indirect=True)
async def test_given_real_and_made_up_names_when_probed_by_register_options_and_invite_then_every_answer_has_the_same_status_headers_and_time(  # noqa: E501
        rig: Rig) -> None:
    """Each of REGISTER, OPTIONS and INVITE (and, on the phones' port, REGISTER answering
    the challenge with a wrong password) for every agent and supervisor and for made-up
    names, on both ports, 7 times each, interleaved. For each port and kind of probe every
    name gets the same status line, the same header names, the same challenge parameters
    (realm, nonce, opaque, algorithm, qop), and the real names' median answer time is
    within 1 ms or half of the made-up names'. The prober's address is never blocked here
    (a REGISTER on the public port counts as a failure): this test looks at the answers,
    the others at the blocks."""
    config = rig.engine.config.asterisk
    kinds = [(port, method, None) for port in ("sip_port", "phone_sip_port")
             for method in ("REGISTER", "OPTIONS", "INVITE")]
    kinds += [("phone_sip_port", "REGISTER", "wrong-password"),
              ("sip_port", "REGISTER", "wrong-password")]
    names = [*PEOPLE, *MADE_UP]
    async with SipProbe(PROBER) as probe:
        for port, method, password in kinds:
            answers: dict[str, list[Answer]] = {n: [] for n in names}
            for _round in range(7):
                for name in names:
                    answers[name].append(await probe.request(
                        method, name, getattr(config, port), password=password))
            what = f"{method} on {port}" + (" with a wrong password" if password else "")
            shapes = {(a.status_line, a.header_names(), frozenset(a.challenge()),
                       a.challenge().get("realm"), a.challenge().get("algorithm"),
                       a.challenge().get("qop"))
                      for every in answers.values() for a in every}
            assert len(shapes) == 1, f"{what}: names answered differently: {shapes}"
            real = statistics.median(a.seconds for n in PEOPLE for a in answers[n])
            made_up = statistics.median(a.seconds for n in MADE_UP for a in answers[n])
            assert abs(real - made_up) <= max(0.001, 0.5 * max(real, made_up)), \
                f"{what}: median {real * 1000:.2f} ms for real names, " \
                f"{made_up * 1000:.2f} ms for made-up ones"
            status = next(iter(shapes))[0]
            expected = "401" if port == "phone_sip_port" else \
                {"REGISTER": "403", "OPTIONS": "404", "INVITE": "404"}[method]
            assert status.split()[1] == expected, (what, status)
    assert await blocks(rig) == []


# ---------------------------------------------------------------------- blocks end
SHORT = 'sip_security={max_failures: 3, window_seconds: 30, block_seconds: 3}'


async def fail_passwords(address: str, user: str, port: int, times: int) -> None:
    async with SipProbe(address) as probe:
        for _ in range(times):
            answer = await probe.request("REGISTER", user, port, password="not-the-password")
            assert answer.status == 401, answer.status_line


@pytest.mark.parametrize("rig", [{"overrides": [SHORT]}], indirect=True)
async def test_given_a_short_block_when_the_pjsip_config_is_reloaded_and_its_time_is_up_then_it_holds_then_ends_and_both_are_logged_once(  # noqa: E501
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=GUARD_LOG)
    port = rig.engine.config.asterisk.phone_sip_port
    await fail_passwords("127.0.0.91", "bob", port, 3)
    block = await blocked(rig, "127.0.0.91")
    assert block["failures"] == 3 and block["seconds_left"] <= 3
    await eventually(lambda: _status_is("127.0.0.91", port, 403), 5, "the ACL's 403")
    # the engine renders its Asterisk config again and PJSIP reloads it: the block holds
    render(rig.engine.config)
    assert "deny = 127.0.0.91/32" in (rig.engine.rendered.etc_dir / "acl.conf").read_text()  # type: ignore[union-attr]  # noqa: E501
    manager = rig.engine.ami.manager  # type: ignore[union-attr]
    reply = await manager.send_action({"Action": "Reload", "Module": "res_pjsip.so"})
    assert reply.success, reply
    assert (await answer_from("127.0.0.91", port)).status == 403
    assert (await answer_from("127.0.0.92", port)).status == 401   # others: as ever
    # its 3 s are up: lifted, the address is answered again
    await eventually(lambda: _status_is("127.0.0.91", port, 401), 10, "the block lifted")
    assert await blocks(rig) == []
    assert "127.0.0.91" not in saved_blocks(rig.engine.config.runtime_dir)
    assert guard_lines(caplog, "127.0.0.91") == [
        "SIP: blocked 127.0.0.91 for 3 s: 3 failed authentications within 30 s "
        "(the last: ChallengeResponseFailed for 'bob')",
        "SIP: unblocked 127.0.0.91: its block of 3 s expired (it was: 3 failed "
        "authentications within 30 s (the last: ChallengeResponseFailed for 'bob'))"]


def saved_blocks(runtime_dir: Path) -> str:
    return (runtime_dir / "sip-blocks.json").read_text()


async def _status_is(address: str, port: int, status: int) -> bool:
    return (await answer_from(address, port)).status == status


@pytest.mark.parametrize("rig", [{"overrides": [SHORT.replace("block_seconds: 3",
                                                              "block_seconds: 600")]}],
                         indirect=True)
async def test_given_a_blocked_address_when_an_admin_lifts_it_by_the_api_then_it_is_answered_again_and_only_admins_may(  # noqa: E501
        rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=GUARD_LOG)
    port = rig.engine.config.asterisk.phone_sip_port
    await fail_passwords("127.0.0.93", "sam", port, 3)
    await blocked(rig, "127.0.0.93")
    await eventually(lambda: _status_is("127.0.0.93", port, 403), 5, "the ACL's 403")
    url = f"{rig.api}/api/sip/blocks"
    for user in ("alice", "sam"):   # an agent, a supervisor
        for method, path in (("GET", ""), ("DELETE", "/127.0.0.93")):
            async with rig.http.request(method, url + path, headers=rig.auth(user)) as r:
                assert (r.status, (await r.json())["error"]) == (403, "forbidden")
    for path, status, code in (("/not-an-address", 400, "bad_address"),
                               ("/127.0.0.94", 404, "block_not_found")):
        async with rig.http.delete(url + path, headers=rig.auth("admin")) as r:
            assert (r.status, (await r.json())["error"]) == (status, code)
    view = await rig.call_api("GET", "/api/sip/blocks", "admin")
    assert (view["enabled"], view["max_failures"], view["window_seconds"],
            view["block_seconds"], view["never_block"]) == (True, 3, 30, 600,
                                                            ["127.0.0.1/32"])
    assert [b["address"] for b in view["blocks"]] == ["127.0.0.93"]
    lifted = await rig.call_api("DELETE", "/api/sip/blocks/127.0.0.93", "admin")
    assert lifted["lifted"]["address"] == "127.0.0.93"
    # Asterisk reloaded the ACL before the API answered; PJSIP rereads its endpoints on
    # the ACL's change notice, a moment later
    await eventually(lambda: _status_is("127.0.0.93", port, 401), 2, "a challenge again")
    assert await blocks(rig) == []
    assert guard_lines(caplog, "127.0.0.93")[1:] == [
        "SIP: unblocked 127.0.0.93: lifted by admin (it was: 3 failed authentications "
        "within 30 s (the last: ChallengeResponseFailed for 'sam'))"]
