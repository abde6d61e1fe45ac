"""What a reload may change: most of the config, but not what takes effect only at a start
(where the engine listens, its store and live state, its Asterisk's process, ports and
folders, chat, email, sessions, whether outbound calling exists at all)."""

from __future__ import annotations

import pytest

from ccengine.config import load_config
from ccengine.reload import changed_sections, restart_only_changes
from ccengine.settings import Settings

BASE = ["runtime_dir=/tmp/ccengine-reload-rules"]


def changes(*overrides: str) -> tuple[list[str], list[str]]:
    old = load_config(None, env={}, overrides=BASE)
    new = load_config(None, env={}, overrides=[*BASE, *overrides])
    return (restart_only_changes(old, new, Settings.load(old), Settings.load(new)),
            changed_sections(old, new))


@pytest.mark.parametrize("override", [
    "agents=[{id: alice, name: Alice, skills: {sales: 9}}]",
    "queues=[{name: sales, media: [voice], required_skills: {sales: 1}, "
    "strategy: highest_skill}, {name: support, media: [voice]}]",
    "not_ready_reasons=[break, lunch]",
    "asterisk.moh_dir=/srv/moh",
    "asterisk.custom_dir=/srv/custom",
    "offer_timeout=25",
])
def test_given_a_reloadable_change_then_no_restart_is_asked(override: str) -> None:
    restart, sections = changes(override)
    assert restart == [] and sections


@pytest.mark.parametrize(("override", "key"), [
    ("api.port=9999", "api"),
    ("store.url=sqlite+aiosqlite:///x.db", "store"),
    ("state.backend=redis", "state"),
    ("asterisk.sip_port=5070", "asterisk.sip_port"),
    ("asterisk.http_port=8099", "asterisk.http_port"),
    ("event_loop=asyncio", "event_loop"),
    ("sessions={idle_minutes: 5}", "sessions"),
    ("chat={allowed_origins: ['https://x.example'], entry_points: {web: sales}}", "chat"),
])
def test_given_a_start_only_change_then_it_is_named(override: str, key: str) -> None:
    restart, _ = changes(override)
    assert restart == [key]
