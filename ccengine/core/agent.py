"""Agents as configured: skills with levels, capacity per medium, blocking rules, site."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ccengine.core.media import Medium
from ccengine.core.validate import Fields, medium

# the phone an agent (or supervisor) takes calls on: the desk's WebRTC softphone in the
# browser, or a SIP phone of their own (a desk phone, baresip, Zoiper...)
PHONES = ("webrtc", "sip")


@dataclass(frozen=True)
class AgentProfile:
    id: str
    name: str
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[Medium, int] = field(default_factory=lambda: {Medium.VOICE: 1})
    # medium -> media it blocks: {VOICE: {CHAT}} means "no new chat while on a call"
    blocks: Mapping[Medium, frozenset[Medium]] = field(default_factory=dict)
    site: str = "main"
    timezone: str = "UTC"
    phone: str = "webrtc"  # one of PHONES

    FIELDS = frozenset({"id", "name", "skills", "capacity", "blocks", "site", "timezone",
                        "sip_password", "api_token", "phone"})

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str) -> AgentProfile:
        """Build and validate an agent from config; errors name ``where`` and the key."""
        f = Fields(data, where, set(cls.FIELDS))
        agent_id = f.text("id")
        if not agent_id.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise f.error("id", "may hold only letters, digits, '-', '_' and '.' "
                                "(it is also the agent's SIP user name)")
        blocks_doc = data.get("blocks", {})
        if not isinstance(blocks_doc, Mapping):
            raise f.error("blocks", "must map a medium to the media it blocks")
        blocks = {medium(f, "blocks", k): frozenset(medium(f, f"blocks.{k}", v) for v in vs)
                  for k, vs in blocks_doc.items()}
        return cls(id=agent_id, name=f.text("name", agent_id), skills=f.skills("skills"),
                   capacity=f.capacity("capacity"), blocks=blocks,
                   site=f.text("site", "main"), timezone=f.text("timezone", "UTC"),
                   phone=f.choice("phone", PHONES, "webrtc"))

    def to_dict(self) -> dict[str, Any]:
        """The profile as the desk shows it: id, name, skills, capacity, blocks, phone."""
        return {"id": self.id, "name": self.name, "skills": dict(self.skills), "phone": self.phone,
                "capacity": {m.value: n for m, n in self.capacity.items()},
                "blocks": {m.value: sorted(b.value for b in blocked)
                           for m, blocked in self.blocks.items()}}

    def has_skills(self, required: Mapping[str, int]) -> bool:
        return all(self.skills.get(s, 0) >= level for s, level in required.items())
