"""Supervisors get their own PJSIP endpoint (digest auth, a context that dials nothing),
and `ccengine credentials` prints their SIP password."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest

from ccengine.cli import main
from ccengine.config import load_config
from ccengine.telephony.asterisk.render import render

SUPERVISORS = ("supervisors=[{id: sam, name: Sam Super, queues: [sales]}, "
               "{id: sue, queues: [support], sip_password: given-password-123}]")


def pjsip_sections(text: str) -> list[tuple[str, dict[str, str]]]:
    """(name, options) of every section in order (PJSIP reuses a name per object type)."""
    out: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("["):
            out.append((line.strip("[]"), {}))
        elif "=" in line and out:
            key, value = (p.strip() for p in line.split("=", 1))
            out[-1][1][key] = value
    return out


def test_given_supervisors_when_rendered_then_each_has_an_endpoint_auth_and_aor(
        tmp_path: Path) -> None:
    config = load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}", SUPERVISORS])
    rendered = render(config)
    sections = pjsip_sections((rendered.etc_dir / "pjsip.conf").read_text())
    by_type = {(name, opts.get("type")): opts for name, opts in sections}
    for sup, password in (("sam", rendered.secrets.sip_passwords["sam"]),
                          ("sue", "given-password-123")):
        endpoint = by_type[(sup, "endpoint")]
        assert endpoint["context"] == "ccengine-supervisors"
        assert endpoint["auth"] == f"{sup}-auth" and endpoint["aors"] == sup
        assert endpoint["direct_media"] == "no"
        auth = by_type[(f"{sup}-auth", "auth")]
        assert (auth["username"], auth["password"]) == (sup, password)
        assert by_type[(sup, "aor")]["max_contacts"] == "1"
    assert by_type[("sam", "endpoint")]["callerid"] == '"Sam Super" <sam>'
    assert len(rendered.secrets.sip_passwords["sam"]) >= 24
    # their context exists and holds no extension: a supervisor's phone dials nothing
    dialplan = configparser.ConfigParser(strict=False, allow_no_value=True,
                                         interpolation=None, delimiters=("=>", "="))
    dialplan.read_string((rendered.etc_dir / "extensions.conf").read_text())
    assert dialplan.has_section("ccengine-supervisors")
    assert list(dialplan["ccengine-supervisors"]) == []


def test_given_supervisors_when_printing_credentials_then_their_sip_passwords_show(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--set", f"runtime_dir={tmp_path}", "--set", SUPERVISORS]
    assert main([*args, "credentials"]) == 0
    out = capsys.readouterr().out
    sue = next(line for line in out.splitlines() if line.startswith("sue "))
    assert "given-password-123" in sue
    config = load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}", SUPERVISORS])
    sam = next(line for line in out.splitlines() if line.startswith("sam "))
    assert render(config).secrets.sip_passwords["sam"] in sam
