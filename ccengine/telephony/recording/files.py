"""Recording files: Asterisk writes a recording into its spool (``<spool>/recording/<name>
.<format>``); once finished, the file moves to ``<dir>/<YYYY>/<MM>/<DD>/<recording id>
.<format>`` (owner-only permissions) and only that relative path is stored. When the
spool is not on this machine (an Asterisk the engine does not run), the file comes over
ARI instead. Stored paths are resolved so that none can point outside ``dir``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
import wave
from pathlib import Path

from ccengine.core.errors import CoreError
from ccengine.telephony.ari.client import AriClient
from ccengine.telephony.ari.errors import AriError

# bytes per second of the headerless formats (8 kHz)
_RATES = {"gsm": 1650.0, "ulaw": 8000.0, "alaw": 8000.0, "sln": 16000.0}


class RecordingFileMissing(CoreError):
    """The recording's file is not (or no longer) in the recordings directory."""

    code = "recording_file_not_found"


class RecordingFiles:
    """Where finished recordings go, and how they get there."""

    def __init__(self, directory: Path, spool: Path, ari: AriClient) -> None:
        self.dir = directory.resolve()
        self.spool = spool
        self.ari = ari

    def prepare(self) -> None:
        """Make the recordings directory (owner only when new) and Asterisk's recording spool."""
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.spool.mkdir(parents=True, exist_ok=True)

    async def collect(self, name: str, fmt: str, recording_id: str, started_at: float
                      ) -> tuple[str, float]:
        """Move Asterisk's finished recording ``name`` into the recordings directory;
        returns its path relative to the directory and its duration in seconds."""
        relative = Path(time.strftime("%Y/%m/%d", time.gmtime(started_at))) \
            / f"{recording_id}.{fmt}"
        target = self.dir / relative
        source = self.spool / f"{name}.{fmt}"
        await asyncio.to_thread(target.parent.mkdir, parents=True, exist_ok=True)
        if source.exists():
            await asyncio.to_thread(shutil.move, source, target)
        else:  # the spool is on another machine: fetch it over ARI, then delete it there
            await self.ari.download(f"/recordings/stored/{name}/file", target)
            with contextlib.suppress(AriError):
                await self.ari.delete_stored_recording(name)
        await asyncio.to_thread(os.chmod, target, 0o600)
        return str(relative), await asyncio.to_thread(audio_duration, target, fmt)

    def resolve(self, relative: str | None) -> Path:
        """The file of a stored relative path; RecordingFileMissing for a path outside the
        recordings directory (whatever the database says) or a file that is gone."""
        if not relative:
            raise RecordingFileMissing("the recording has no file (yet)")
        path = (self.dir / relative).resolve()
        if not path.is_relative_to(self.dir) or path == self.dir:
            raise RecordingFileMissing("the recording's stored path is outside the "
                                       "recordings directory: refused")
        if not path.is_file():
            raise RecordingFileMissing("the recording's file is gone")
        return path


def audio_duration(path: Path, fmt: str) -> float:
    """Seconds of audio in a recording file (from the WAV header, or the size of a
    headerless 8 kHz format)."""
    if fmt == "wav":
        try:
            with wave.open(str(path)) as w:
                return w.getnframes() / float(w.getframerate())
        except (wave.Error, EOFError):
            return 0.0
    return path.stat().st_size / _RATES[fmt]
