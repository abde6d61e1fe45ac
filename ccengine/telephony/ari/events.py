"""ARI events decoded into small typed objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChannelInfo:
    id: str
    name: str
    state: str
    caller_number: str
    caller_name: str
    exten: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChannelInfo:
        caller = data.get("caller") or {}
        dialplan = data.get("dialplan") or {}
        return cls(id=data["id"], name=data.get("name", ""), state=data.get("state", ""),
                   caller_number=caller.get("number", ""), caller_name=caller.get("name", ""),
                   exten=dialplan.get("exten", ""))


@dataclass(frozen=True)
class AriEvent:
    """One event from the ARI websocket. ``channel`` is set for channel events."""

    type: str
    application: str
    channel: ChannelInfo | None
    args: tuple[str, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AriEvent:
        chan = data.get("channel")
        if chan is None and data.get("type") == "PlaybackFinished":
            chan = None
        return cls(type=str(data.get("type", "")), application=str(data.get("application", "")),
                   channel=ChannelInfo.from_json(chan) if isinstance(chan, dict) else None,
                   args=tuple(str(a) for a in data.get("args", ()) or ()), raw=data)

    @property
    def hung_up(self) -> bool:
        """The event's channel is gone or going for good: destroyed, or its hang-up asked
        for (by its far end, or by a request that is not a soft one: a redirect or a move
        between bridges is soft)."""
        if self.type == "ChannelHangupRequest":
            return not self.raw.get("soft")
        return self.type == "ChannelDestroyed"

    @property
    def digit(self) -> str:
        return str(self.raw.get("digit", ""))

    @property
    def playback_id(self) -> str:
        return str((self.raw.get("playback") or {}).get("id", ""))

    @property
    def cause(self) -> int:
        return int(self.raw.get("cause", 0) or 0)
