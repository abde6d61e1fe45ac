"""The IVR part of the engine config (``ivr:``): every flow loaded and checked, which
service number runs which flow, lookups' base URLs and the extensions transfers reach."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccengine.config import ConfigError, EngineConfig
from ccengine.telephony.ivr.flow import load_flows
from ccengine.telephony.ivr.model import Flow

_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_URL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_ENDPOINT = re.compile(r"^[A-Za-z]+/[^\s,]+$")


@dataclass(frozen=True)
class IvrSetup:
    flows: Mapping[str, Flow]            # every flow of ivr.dir by name
    entry: Flow                          # ivr.entry: the flow of any other number
    by_number: Mapping[str, Flow]        # ivr.numbers
    endpoints: Mapping[str, str]         # extension -> ARI endpoint (agents + extensions)


def load_ivr(config: EngineConfig, queues: Collection[str], agents: Collection[str],
             intents: Collection[str] = ()) -> IvrSetup:
    """Load every flow and the ``ivr`` settings; ConfigError names file and key.
    ``intents``: the names ``intents:`` defines, which recent-intent checks may name (none
    defined: any)."""
    raw: Mapping[str, Any] = config.raw.get("ivr") or {}
    urls = _urls(config.source, raw.get("urls"))
    endpoints = {str(a): f"PJSIP/{a}" for a in agents}
    endpoints.update(_extensions(config.source, raw.get("extensions"), endpoints))
    custom = config.ivr_sounds_dir
    if custom is not None and not custom.is_dir():
        raise ConfigError(config.source, "ivr.sounds_dir", f"{custom} is not a directory")
    flows = load_flows(config.ivr_dir, sounds_dir=Path(config.asterisk.sounds_dir),
                       queues=queues, custom_sounds=custom, extensions=endpoints.keys(),
                       urls=urls, intents=intents)
    if config.ivr_entry not in flows:
        raise ConfigError(config.source, "ivr.entry",
                          f"no flow {config.ivr_entry!r} in {config.ivr_dir}")
    by_number = {}
    for number, name in config.ivr_numbers.items():
        if name not in flows:
            raise ConfigError(config.source, f"ivr.numbers.{number}",
                              f"no flow {name!r} in {config.ivr_dir}; known: {sorted(flows)}")
        by_number[number] = flows[name]
    return IvrSetup(flows, flows[config.ivr_entry], by_number, endpoints)


def _urls(source: str, value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(source, "ivr.urls", "must map names to base URLs")
    out = {}
    for name, url in value.items():
        if not isinstance(name, str) or not _URL_NAME.match(name):
            raise ConfigError(source, f"ivr.urls.{name}", "a name is letters, digits and _")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(source, f"ivr.urls.{name}", "must be an http:// or https:// URL")
        out[name] = url.rstrip("/")
    return out


def _extensions(source: str, value: Any, agents: Mapping[str, str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(source, "ivr.extensions", "must map names to endpoints "
                                                    "(e.g. reception: PJSIP/reception)")
    out = {}
    for name, endpoint in value.items():
        key = f"ivr.extensions.{name}"
        if not _NAME.match(str(name)):
            raise ConfigError(source, key, "a name is letters, digits, '.', '_' or '-'")
        if str(name) in agents:
            raise ConfigError(source, key, "is already an agent's extension")
        if not isinstance(endpoint, str) or not _ENDPOINT.match(endpoint):
            raise ConfigError(source, key, "must be an Asterisk endpoint such as "
                                           "PJSIP/reception")
        out[str(name)] = endpoint
    return out
