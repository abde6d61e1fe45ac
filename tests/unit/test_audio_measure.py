"""The e2e tests' tone measure (tests/sip/audio.py) tells a tone apart from other sound,
so the supervision tests' "who hears whom" checks can fail."""

from __future__ import annotations

import math
import random
import struct
from pathlib import Path

from tests.sip.audio import Pcm, median_tone_share, read_wav, tone_share, wav_seconds

RATE = 8000


def sine(freq: float, seconds: float, amplitude: float = 8000) -> list[float]:
    return [amplitude * math.sin(2 * math.pi * freq * i / RATE)
            for i in range(int(seconds * RATE))]


def pcm(*signals: list[float]) -> Pcm:
    return Pcm(RATE, [int(sum(parts)) for parts in zip(*signals, strict=True)])


def test_given_a_pure_tone_then_its_share_is_near_one_and_another_tone_near_zero() -> None:
    tone = pcm(sine(1300, 1))
    assert tone_share(tone, 1300) > 0.95
    assert tone_share(tone, 440) < 0.01


def test_given_two_tones_mixed_then_each_holds_about_half() -> None:
    mixed = pcm(sine(1300, 1), sine(440, 1))
    assert 0.4 < median_tone_share(mixed, 1300) < 0.6
    assert 0.4 < median_tone_share(mixed, 440) < 0.6


def test_given_noise_or_silence_then_no_tone() -> None:
    rng = random.Random(7)
    noise = Pcm(RATE, [int(rng.gauss(0, 3000)) for _ in range(RATE)])
    assert median_tone_share(noise, 1300) < 0.05
    assert median_tone_share(Pcm(RATE, [0] * RATE), 1300) == 0.0


def test_given_a_wav_still_being_written_then_all_its_samples_are_read(tmp_path: Path) -> None:
    samples = [int(x) for x in sine(440, 0.5)]
    data = struct.pack(f"<{len(samples)}h", *samples)
    # a header whose sizes are still 0, as a writer leaves them until it closes the file
    header = (b"RIFF" + struct.pack("<I", 0) + b"WAVE" + b"fmt " +
              struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16) +
              b"data" + struct.pack("<I", 0))
    path = tmp_path / "growing.wav"
    path.write_bytes(header + data)
    read = read_wav(path)
    assert read.rate == RATE and read.samples == samples
    assert abs(read.seconds - 0.5) < 1e-9
    assert abs(wav_seconds(path) - 0.5) < 1e-9
    assert wav_seconds(tmp_path / "absent.wav") == 0.0
    assert read.between(0.1, 0.2).samples == samples[800:1600]
