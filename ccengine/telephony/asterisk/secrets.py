"""Deployment secrets: generated once into the runtime directory, readable only by root."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Secrets:
    """ARI/AMI credentials plus per-agent SIP passwords and per-user API tokens."""

    ari_user: str
    ari_password: str
    ami_user: str
    ami_secret: str
    sip_passwords: dict[str, str]
    api_tokens: dict[str, str]


def _token() -> str:
    return secrets.token_urlsafe(24)


def load_or_create(path: Path, user_ids: list[str], configured: dict[str, dict[str, str]]
                   ) -> Secrets:
    """Read ``path`` (creating it with fresh random values if absent) and fill in any user
    that has no SIP password or API token yet. Values given in the config win."""
    data: dict = {}
    if path.exists():
        data = json.loads(path.read_text())
    data.setdefault("ari_user", "ccengine")
    data.setdefault("ari_password", _token())
    data.setdefault("ami_user", "ccengine")
    data.setdefault("ami_secret", _token())
    sip = data.setdefault("sip_passwords", {})
    tokens = data.setdefault("api_tokens", {})
    for uid in user_ids:
        given = configured.get(uid, {})
        sip[uid] = given.get("sip_password") or sip.get(uid) or _token()
        tokens[uid] = given.get("api_token") or tokens.get(uid) or _token()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
    os.replace(tmp, path)
    return Secrets(data["ari_user"], data["ari_password"], data["ami_user"], data["ami_secret"],
                   dict(sip), dict(tokens))
