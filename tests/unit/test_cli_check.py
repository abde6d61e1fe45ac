"""``ccengine check`` validates every section, including those of the parts that start
after the voice core (recording, dispositions, waiting, chat, email, trunks...), without
starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccengine.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("override", "key"), [
    ("recording={record: maybe}", "recording.record"),
    ("dispositions={default: []}", "dispositions.default"),
    ("waiting={nope: {announce_every: 30}}", "waiting.nope"),
    ("chat={entry_points: {web: nope}}", "chat.entry_points"),
    ("trunks=[{name: t, type: ip, host: carrier.example.com}]", "trunks[0].host"),
    ("sessions={signin_limit: {per_user: 0}}", "sessions.signin_limit.per_user"),
    ("sip_security={max_failures: 0}", "sip_security.max_failures"),
    ('sip_security={never_block: ["localhost"]}', "sip_security.never_block[0]"),
    ("not_ready_reasons=lunch", "not_ready_reasons"),
    ("not_ready_reasons=[break, Lunch]", "not_ready_reasons[1]"),
    ("not_ready_reasons=[break, break]", "not_ready_reasons[1]"),
    ("canned_responses=[{shortcut: 'no way', title: t, text: x}]",
     "canned_responses[0].shortcut"),
    ("canned_responses=[{shortcut: a, title: t, text: x, media: [voice]}]",
     "canned_responses[0].media[0]"),
])
def test_given_bad_part_section_when_checked_then_refused_naming_the_key(
        override: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}",
                 "--set", override, "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "configuration error" in err and key in err, err


def test_given_defaults_when_checked_then_ok(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", f"ivr.dir={REPO / 'ivr'}", "--set", f"runtime_dir={tmp_path}",
                 "check"]) == 0
    assert "config OK" in capsys.readouterr().out


def test_given_config_file_with_bad_reasons_when_checked_then_file_line_and_key_named(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "engine.yaml"
    config.write_text("offer_timeout: 20\n"
                      "not_ready_reasons: [break, lunch, lunch]\n"
                      "canned_responses: []\n")
    code = main(["--config", str(config), "--set", f"ivr.dir={REPO / 'ivr'}",
                 "--set", f"runtime_dir={tmp_path}", "check"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{config}:2: not_ready_reasons[2]: 'lunch' is listed twice" in err, err
