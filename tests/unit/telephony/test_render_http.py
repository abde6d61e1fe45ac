"""The rendered http.conf and the engine's ARI connection pool agree: the pool stays under
Asterisk's session limit (the events websocket needs a session too) and lets an idle
connection go before Asterisk closes it (else a request can meet "Server disconnected")."""

from __future__ import annotations

from pathlib import Path

from ccengine.config import load_config
from ccengine.telephony.ari.client import ARI_CONNECTIONS, ARI_KEEPALIVE_SECONDS
from ccengine.telephony.asterisk.render import render


def test_given_rendered_http_conf_then_ari_pool_fits_under_its_limits(tmp_path: Path) -> None:
    rendered = render(load_config(None, env={}, overrides=[f"runtime_dir={tmp_path}"]))
    options = {}
    for line in (rendered.etc_dir / "http.conf").read_text().splitlines():
        line = line.split(";", 1)[0].strip()
        if "=" in line:
            key, value = (p.strip() for p in line.split("=", 1))
            options[key] = value
    assert ARI_CONNECTIONS + 1 < int(options["sessionlimit"])
    assert ARI_KEEPALIVE_SECONDS * 1000 < int(options["session_keep_alive"])
