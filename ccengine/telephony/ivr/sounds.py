"""Where prompts come from: Asterisk's packaged sounds (``sounds/<lang>/NAME``) and the
admin's own recordings (``ivr.sounds_dir``, laid out the same way: ``<dir>/<lang>/NAME``).
A prompt is found (or not) when a flow loads, never at call time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SOUND_EXTENSIONS = (".gsm", ".wav", ".ulaw", ".alaw", ".sln", ".g722", ".wav49")
# media URI schemes ARI plays; anything else handed to CallerLeg.play is a sound name
MEDIA_SCHEMES = ("sound:", "digits:", "number:", "characters:", "recording:", "tone:")


def _exists(base: Path) -> bool:
    return any(base.with_name(base.name + ext).is_file() for ext in SOUND_EXTENSIONS)


def sound_exists(sounds_dir: Path, name: str, language: str = "en") -> bool:
    """True when Asterisk can play sound ``name`` (absolute path or under sounds/<lang>)."""
    base = Path(name) if name.startswith("/") else sounds_dir / language / name
    return _exists(base)


def media_uri(item: str) -> str:
    """An ARI media URI for ``item`` (a sound name, or already a URI such as digits:12)."""
    return item if item.startswith(MEDIA_SCHEMES) else f"sound:{item}"


@dataclass(frozen=True)
class SoundLibrary:
    """Finds prompts for a language: the admin's directory first, then the packaged one."""

    packaged: Path
    custom: Path | None = None

    def media(self, name: str, language: str) -> str | None:
        """What to ask Asterisk to play for ``name`` in ``language``; None if no file.

        An admin's file becomes ``sound:<its path without extension>``; a packaged sound
        stays a name (Asterisk picks sounds/<language>/ from the playback's language)."""
        if name.startswith("/"):
            return name if _exists(Path(name)) else None
        if self.custom is not None:
            base = self.custom / language / name
            if _exists(base):
                return f"sound:{base}"
        return name if _exists(self.packaged / language / name) else None

    def where(self, language: str) -> str:
        dirs = [d / language for d in (self.custom, self.packaged) if d is not None]
        return " or ".join(str(d) for d in dirs)
