"""The ``campaigns:`` config section (docs/campaigns.md): where campaign mail comes from,
how fast it goes out, and its templates. Checked at load like every other section: each
problem names the file, the line and the key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ccengine.campaigns.bounces import SuppressionSettings
from ccengine.campaigns.mailing import CampaignTemplates, TemplateError, load_templates
from ccengine.campaigns.windows import CallingWindows
from ccengine.config import ConfigSection, locate

SECTION = "campaigns"
KEYS = frozenset({"from", "rate_per_minute", "templates", "calling_windows",
                  "require_opt_in", "bounces", "abandon_message"})
TEMPLATE_KEYS = frozenset({"subject", "text", "html"})
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}\Z")
MAX_TEMPLATE = 100_000


@dataclass(frozen=True)
class MailTemplate:
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class CampaignSettings:
    sender: str | None = None          # From: of campaign mail (None: no email steps)
    rate_per_minute: int = 60          # campaign mail handed to the relay at most
    templates: Mapping[str, MailTemplate] = field(
        default_factory=lambda: MappingProxyType({}))
    compiled: Mapping[str, CampaignTemplates] = field(   # the same, compiled (sandboxed)
        default_factory=lambda: MappingProxyType({}))
    # when campaigns may call: the called party's local time (campaigns/windows.py)
    calling_windows: CallingWindows = field(default_factory=CallingWindows)
    # marketing on these channels needs the customer's opt-in (a grant in the ledger);
    # elsewhere anyone not opted out or listed as do-not-call may be contacted
    require_opt_in: Mapping[str, bool] = field(
        default_factory=lambda: MappingProxyType({"email": True, "phone": False}))
    bounces: SuppressionSettings = field(default_factory=SuppressionSettings)
    # predictive dialling: what a person who answers and gets no agent in time hears (a
    # short recording naming the company: sound names or media URIs); none: no predictive
    abandon_message: tuple[str, ...] = ()


def load_campaign_settings(data: Any, source: str) -> CampaignSettings:
    s = ConfigSection({} if data is None else data, source, SECTION, KEYS)
    default = CampaignSettings()
    raw = s.data.get("templates") or {}
    if not isinstance(raw, Mapping):
        raise s.error("templates", "must map template names to {subject, text, html}")
    templates, compiled = {}, {}
    for name, item in raw.items():
        if not isinstance(name, str) or not NAME.match(name):
            raise s.error(f"templates.{name}", "a template's name is lower-case letters, "
                                               "digits, '_', '.', '-'")
        t = ConfigSection(item, source, f"{SECTION}.templates.{name}", TEMPLATE_KEYS)
        subject = t.text("subject", required=True)
        text = t.text("text", required=True)
        html = t.text("html")
        for key, value in (("subject", subject), ("text", text), ("html", html)):
            if value is not None and len(value) > MAX_TEMPLATE:
                raise t.error(key, f"is longer than {MAX_TEMPLATE} characters")
        assert subject is not None and text is not None
        templates[name] = MailTemplate(subject, text, html)
        try:
            compiled[name] = load_templates(name, subject=subject, text=text, html=html)
        except TemplateError as e:
            part = e.name.rpartition(".")[2]
            line = f" (line {e.line})" if e.line is not None else ""
            raise t.error(part, f"the template does not load{line}: {e.message}") from e
    sender = s.text("from")
    if templates and sender is None:
        raise s.error("from", "is required with templates: the From address of campaign "
                              "mail")
    opt_in = s.section("require_opt_in", ("email", "phone"))
    message = tuple(s.strings("abandon_message"))
    if len(message) > 10 or any(not m.strip() or len(m) > 200 for m in message):
        raise s.error("abandon_message", "must be 1 to 10 sound names or media URIs (a "
                                         "short recording naming the company)")
    return CampaignSettings(
        abandon_message=message,
        bounces=SuppressionSettings.from_mapping(s.data.get("bounces") or {},
                                                 f"{locate(source, SECTION)}: "
                                                 f"{SECTION}.bounces"),
        calling_windows=CallingWindows.from_mapping(
            s.data.get("calling_windows"), locate(source, f"{SECTION}.calling_windows")),
        require_opt_in=MappingProxyType({c: opt_in.flag(c, d) for c, d in
                                         (("email", True), ("phone", False))}),
        sender=sender,
        rate_per_minute=int(s.integer("rate_per_minute", default.rate_per_minute,
                                      minimum=1) or default.rate_per_minute),
        templates=MappingProxyType(templates), compiled=MappingProxyType(compiled))
