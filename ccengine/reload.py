"""Admins change things live: ``ccengine reload`` (or SIGHUP to the engine) reads the config,
the IVR flows and the Asterisk/dialplan templates again and applies them without dropping a
call.

It goes the way a start goes: everything is read and checked first (``Settings.load``, then
every template rendered), and only then applied; a broken change is refused with its file,
line and key, and nothing changes. Applied:

- agents, queues, skills, strategies, business rules, supervisors, not-ready reasons,
  canned responses, dispositions, waiting settings, recording policy, trunks and the
  dialling policy, WebRTC and SIP-edge settings: for what comes next;
- IVR flows: new calls take the new flows; a call in progress keeps the flow it started
  with;
- Asterisk's config is rendered again and the modules whose files changed are reloaded
  (PJSIP, the dialplan, music on hold, RTP, the ACL); the admin's own files in
  ``asterisk.custom_dir`` count as part of it.

A queue the reload removes keeps the work waiting in it (routed with its old settings) until
that is served: nothing is dropped in silence. An agent removed keeps the work in hand and is
offered nothing more. Some keys can only change at a start (where the engine listens, its
store and live state, its Asterisk's ports and binaries, chat, email, sign-in sessions, and
whether outbound calling exists at all): a reload that changes one of them is refused, naming
them; restart then (a restart keeps every call).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ccengine.config import ConfigError, EngineConfig
from ccengine.settings import Settings
from ccengine.telephony.asterisk.render import render_changes, render_texts

if TYPE_CHECKING:
    from ccengine.engine import Engine

log = logging.getLogger(__name__)

# top-level keys and sections that take effect only at a start
RESTART_ONLY = ("runtime_dir", "store", "state", "api", "event_loop", "chat", "email",
                "sessions")
# asterisk.* keys a reload may change (the rest are the process, its ports and folders)
ASTERISK_RELOADABLE = frozenset({"sounds_dir", "moh_dir", "custom_dir", "media_timeout"})
# rendered file -> what Asterisk reloads for it (AMI Reload action's Module)
MODULE_OF = {"pjsip.conf": "res_pjsip.so", "extensions.conf": "pbx_config.so",
             "musiconhold.conf": "res_musiconhold.so", "rtp.conf": "res_rtp_asterisk.so",
             "acl.conf": "acl"}

# what a part does with new settings (parts register theirs in ``engine.reloaders``)
Reloader = Callable[[Settings], Awaitable[None] | None]


@dataclass
class ReloadReport:
    """What a reload changed."""

    sections: list[str] = field(default_factory=list)
    asterisk_files: list[str] = field(default_factory=list)
    asterisk_modules: list[str] = field(default_factory=list)
    draining_queues: list[str] = field(default_factory=list)
    retired_agents: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def restart_only_changes(old: EngineConfig, new: EngineConfig, old_settings: Settings,
                         new_settings: Settings) -> list[str]:
    """The keys that changed and can only change at a start."""
    changed = [key for key in RESTART_ONLY
               if _raw(old, key) != _raw(new, key)]
    for f in fields(old.asterisk):
        if f.name not in ASTERISK_RELOADABLE and \
                getattr(old.asterisk, f.name) != getattr(new.asterisk, f.name):
            changed.append(f"asterisk.{f.name}")
    if (old_settings.outbound.outbound is None) != (new_settings.outbound.outbound is None):
        changed.append("outbound")
    return changed


def _raw(config: EngineConfig, key: str) -> Any:
    if key == "runtime_dir":
        return config.runtime_dir
    return config.raw.get(key)


def changed_sections(old: EngineConfig, new: EngineConfig) -> list[str]:
    keys = set(old.raw) | set(new.raw)
    return sorted(k for k in keys if old.raw.get(k) != new.raw.get(k))


async def reload(engine: Engine, config: EngineConfig) -> ReloadReport:
    """Check ``config`` whole, then apply it (see the module's docstring); ConfigError,
    naming file and key, when anything is wrong (nothing changed then)."""
    settings = Settings.load(config)
    restart = restart_only_changes(engine.config, config, engine.settings, settings)
    if restart:
        raise ConfigError(config.source, ", ".join(restart),
                          "changed, and takes effect only at a start: nothing was reloaded "
                          "(restart the engine: every call goes on)")
    # every template renders before anything is written or applied (new people get their
    # SIP password and API token here)
    _, rendered = render_texts(config)
    report = ReloadReport(sections=changed_sections(engine.config, config))
    old = engine.config
    engine.config = config
    engine._take(settings)
    engine.rendered = rendered
    try:
        if engine.dispatcher is not None:
            await engine.dispatcher.reconfigure(settings.queues, settings.agents,
                                                config.offer_timeout + 10)
            report.draining_queues = sorted(engine.dispatcher.draining)
            report.retired_agents = sorted(engine.dispatcher.retired)
        for reloader in list(engine.reloaders):
            done = reloader(settings)
            if inspect.isawaitable(done):
                await done
        files, rendered = render_changes(config)
        engine.rendered = rendered
        report.asterisk_files = files
        report.asterisk_modules = await _reload_asterisk(engine, files)
    except Exception:
        log.exception("reload half applied from %s (the config before it was %s)",
                      config.source, old.source)
        raise
    log.info("reloaded %s: sections %s; Asterisk files %s (modules %s)", config.source,
             report.sections or "none", files or "none", report.asterisk_modules or "none")
    return report


async def _reload_asterisk(engine: Engine, files: list[str]) -> list[str]:
    modules = sorted({MODULE_OF[f] for f in files if f in MODULE_OF})
    unknown = [f for f in files if f not in MODULE_OF]
    if unknown:
        log.warning("Asterisk files changed that a reload does not apply: %s (they apply "
                    "when Asterisk next starts)", ", ".join(unknown))
    ami = engine.ami
    if ami is None or ami.manager is None:
        return []
    for module in modules:
        reply = await ami.manager.send_action({"Action": "Reload", "Module": module})
        replies = reply if isinstance(reply, list) else [reply]
        if not any(str(r.get("Response", "")).lower() == "success" for r in replies):
            raise ReloadFailed(f"Asterisk did not reload {module}: "
                               f"{[dict(r) for r in replies]}")
    return modules


class ReloadFailed(Exception):
    code = "reload_failed"
