"""Everything the config says, read and checked as a whole before anything uses it.

``Settings.load(config)`` parses every section (queues, agents, supervisors, IVR flows, the
parts' sections) and fails at once with the file, the line and the key of the first thing
wrong; nothing is started. The engine builds one at start, and ``ccengine reload`` builds a
new one the same way before any of it is applied: a broken change changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccengine.api.auth import User
from ccengine.channels.chat.config import load_chat_settings
from ccengine.config import EngineConfig, locate
from ccengine.core.agent import AgentProfile
from ccengine.core.canned import CannedResponses
from ccengine.core.dispositions import Dispositions
from ccengine.core.errors import ConfigError
from ccengine.core.not_ready import NotReadyReasons
from ccengine.core.queue import QueueConfig
from ccengine.core.rules import validate_references
from ccengine.core.supervision import SupervisorProfile, build_supervisors
from ccengine.core.waiting import parse_waiting
from ccengine.reporting.settings import ReportingSettings, parse_reporting
from ccengine.telephony.asterisk.webrtc import WebrtcSettings, parse_webrtc
from ccengine.telephony.ivr.setup import IvrSetup, load_ivr
from ccengine.telephony.outbound.part import check_callback_setup
from ccengine.telephony.outbound.settings import Settings as OutboundParts
from ccengine.telephony.outbound.settings import load_settings
from ccengine.telephony.overload import OverloadSettings, parse_overload
from ccengine.telephony.recording.settings import RecordingSettings
from ccengine.telephony.recording.settings import parse_settings as parse_recording_settings
from ccengine.telephony.sip_guard.settings import SipSecurity, parse_sip_security


def build_profiles(config: EngineConfig) -> tuple[dict[str, QueueConfig],
                                                   dict[str, AgentProfile]]:
    """Queues and agents from the config, validated (errors name the source and key)."""
    queues = {}
    for i, q in enumerate(config.queues):
        queue = QueueConfig.from_mapping(q, f"{config.source}: queues[{i}]")
        queues[queue.name] = queue
    validate_references(queues, f"{config.source}: queues")
    agents = {}
    for i, a in enumerate(config.agents):
        agent = AgentProfile.from_mapping(a, f"{config.source}: agents[{i}]")
        agents[agent.id] = agent
    return queues, agents


def build_users(config: EngineConfig) -> dict[str, User]:
    """The API's users: every agent, every supervisor, and ``admin`` (with their names)."""
    users = {str(a["id"]): User(str(a["id"]), "agent", name=_name(a)) for a in config.agents}
    users.update({str(s["id"]): User(str(s["id"]), "supervisor", name=_name(s))
                  for s in config.supervisors})
    users["admin"] = User("admin", "admin")
    return users


def _intents(config: EngineConfig, queues: Mapping[str, QueueConfig]) -> Any:
    """The ``intents:`` section; a route names a queue that exists."""
    from ccengine.intents.settings import load_intents
    where = locate(config.source, "intents")
    settings = load_intents(config.raw.get("intents"), where)
    for n, d in enumerate(settings.definitions):
        if d.route is not None and d.route.queue is not None and d.route.queue not in queues:
            raise ConfigError(where, f"intents.definitions[{n}].route.queue",
                              f"no queue {d.route.queue!r} (known: {', '.join(sorted(queues))})")
    return settings


def _campaigns(config: EngineConfig) -> Any:
    """The ``campaigns:`` section: campaign mail's sender, rate and templates."""
    from ccengine.campaigns.settings import load_campaign_settings
    return load_campaign_settings(config.raw.get("campaigns"), config.source)


def _rules(config: EngineConfig, intents: Any) -> Any:
    """The ``next_best_action:`` rules; an intent they name must be defined."""
    from ccengine.nba.rules import load_rules
    return load_rules(config.raw.get("next_best_action"), config.source, intents.names)


def _name(item: Mapping[str, Any]) -> str | None:
    name = item.get("name")
    return str(name) if name is not None else None


@dataclass(frozen=True)
class Settings:
    """The config, parsed: what every part of the engine reads."""

    config: EngineConfig
    queues: dict[str, QueueConfig]
    agents: dict[str, AgentProfile]
    supervisors: dict[str, SupervisorProfile]
    ivr: IvrSetup
    chat: Any                      # ccengine.channels.chat.config.ChatSettings
    email: Any                     # ccengine.channels.email.config.EmailConfig or None
    waiting: Mapping[str, Any]     # queue -> its waiting settings
    dispositions: Dispositions
    not_ready_reasons: NotReadyReasons
    canned_responses: CannedResponses
    recording: RecordingSettings
    outbound: OutboundParts        # trunks, outbound calls, callbacks
    webrtc: WebrtcSettings
    sip_security: SipSecurity
    overload: OverloadSettings
    reporting: ReportingSettings
    intents: Any                   # ccengine.intents.settings.IntentSettings
    next_best_action: Any          # tuple[ccengine.nba.rules.Rule, ...]
    campaigns: Any                 # ccengine.campaigns.settings.CampaignSettings

    @classmethod
    def load(cls, config: EngineConfig) -> Settings:
        """Parse and check everything (ConfigError naming file, line and key)."""
        from ccengine.channels.email.config import parse_email_config
        queues, agents = build_profiles(config)
        supervisors = build_supervisors(config.supervisors, config.source, queues, agents)
        intents = _intents(config, queues)   # before the flows: they may name intents
        ivr = load_ivr(config, queues.keys(), agents.keys(), intents.names)
        outbound = load_settings(config)  # trunks:, outbound:, callbacks:
        check_callback_setup(ivr.flows, queues, agents, outbound)
        return cls(
            config=config, queues=queues, agents=agents, supervisors=supervisors, ivr=ivr,
            chat=load_chat_settings(config.raw, config.source, queues),
            email=parse_email_config(config.raw.get("email"), config.source, queues),
            waiting=parse_waiting(config.raw.get("waiting"), config.source, queues),
            dispositions=Dispositions.from_config(config.raw.get("dispositions"),
                                                  config.source, queues),
            not_ready_reasons=NotReadyReasons.from_config(
                config.raw.get("not_ready_reasons"),
                locate(config.source, "not_ready_reasons")),
            canned_responses=CannedResponses.from_config(
                config.raw.get("canned_responses"), locate(config.source, "canned_responses")),
            recording=parse_recording_settings(
                config.raw.get("recording"), source=config.source,
                runtime_dir=config.runtime_dir, queues=queues.keys(),
                sounds_dir=Path(config.asterisk.sounds_dir)),
            outbound=outbound,
            webrtc=parse_webrtc(config),
            sip_security=parse_sip_security(config.raw.get("sip_security"), config.source),
            overload=parse_overload(config.raw.get("overload"), config.source),
            reporting=parse_reporting(config.raw.get("reporting"), config.source),
            intents=intents,
            next_best_action=_rules(config, intents),
            campaigns=_campaigns(config))

    @property
    def users(self) -> dict[str, User]:
        return build_users(self.config)
