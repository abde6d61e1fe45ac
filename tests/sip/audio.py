"""What a recorded leg heard: read a WAV file that may still be growing, and measure how
much of the sound is one tone (a Goertzel filter), so a test can tell who hears whom by
giving each phone its own tone."""

from __future__ import annotations

import math
import statistics
import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pcm:
    """Mono 16-bit samples (the first channel) at ``rate`` Hz."""

    rate: int
    samples: list[int]

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    def between(self, start: float, end: float) -> Pcm:
        return Pcm(self.rate, self.samples[int(start * self.rate):int(end * self.rate)])


def read_wav(path: Path) -> Pcm:
    """The PCM data of a 16-bit WAV file, also while its writer is still appending (the
    header's sizes are then not final: everything after the data chunk header counts)."""
    data = path.read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"{path} is not a WAV file")
    offset, channels, rate, bits = 12, 1, 8000, 16
    while offset + 8 <= len(data):
        chunk, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        body = offset + 8
        if chunk == b"fmt ":
            _fmt, channels, rate, _rate_bytes, _align, bits = struct.unpack(
                "<HHIIHH", data[body:body + 16])
        elif chunk == b"data":
            if bits != 16:
                raise ValueError(f"{path}: {bits}-bit samples, expected 16")
            frame = 2 * channels
            raw = data[body:]
            raw = raw[:len(raw) - len(raw) % frame]
            values = struct.unpack(f"<{len(raw) // 2}h", raw)
            return Pcm(rate, list(values[::channels]))
        offset = body + size + (size & 1)
    return Pcm(rate, [])


def tone_share(pcm: Pcm, freq: float) -> float:
    """Share of the energy of ``pcm`` that is at ``freq`` (about 1.0 for that pure tone,
    about 0.5 for it mixed with another tone as loud, near 0 without it)."""
    n = len(pcm.samples)
    energy = sum(float(x) * x for x in pcm.samples)
    if n == 0 or energy == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / pcm.rate)
    s1 = s2 = 0.0
    for x in pcm.samples:
        s1, s2 = x + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * power / (n * energy)


def median_tone_share(pcm: Pcm, freq: float, window: float = 0.05) -> float:
    """The median of tone_share over ``window``-second slices (robust to speech bursts and
    the odd lost packet); 0.0 for silence."""
    size = int(window * pcm.rate)
    shares = [tone_share(Pcm(pcm.rate, pcm.samples[i:i + size]), freq)
              for i in range(0, len(pcm.samples) - size + 1, size)]
    return statistics.median(shares) if shares else 0.0


def wav_seconds(path: Path) -> float:
    """How many seconds a (possibly still growing) 16-bit WAV file holds so far, from its
    size: cheap enough to poll."""
    if not path.exists():
        return 0.0
    with path.open("rb") as f:
        head = f.read(4096)
    offset, channels, rate = 12, 1, 8000
    while offset + 8 <= len(head):
        chunk, size = head[offset:offset + 4], struct.unpack("<I", head[offset + 4:offset + 8])[0]
        if chunk == b"fmt ":
            _fmt, channels, rate = struct.unpack("<HHI", head[offset + 8:offset + 16])
        elif chunk == b"data":
            return max(0, path.stat().st_size - offset - 8) / (2 * channels * rate)
        offset += 8 + size + (size & 1)
    return 0.0
