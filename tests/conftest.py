"""Shared fixtures: test audio (real recordings, synthetic speech, noise, silence, clipping)."""
import wave
from pathlib import Path

import numpy as np
import pytest

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
REPO = TESTS.parent
EVALDATA = REPO.parent / "shared" / "evaldata"


def read_wav_int16(path):
    """Mono 16-bit PCM WAV -> (int16 samples, sample rate)."""
    with wave.open(str(path), "rb") as w:
        assert w.getsampwidth() == 2, f"{path}: expected 16-bit PCM"
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)
        channels = w.getnchannels()
        if channels > 1:
            pcm = pcm.reshape(-1, channels).mean(axis=1).astype(np.int16)
        return pcm, w.getframerate()


def _real_recordings():
    if not EVALDATA.is_dir():
        return []
    clips = []
    for line in (EVALDATA / "MANIFEST.tsv").read_text().splitlines()[1:]:
        name, rate, channels = line.split("\t")[:3]
        if rate == "16000" and channels == "1":
            clips.append((f"real:{name}", read_wav_int16(EVALDATA / "audio" / name)[0]))
    return clips


def _varied_audio():
    """(name, int16 audio at 16 kHz) for every kind of input the front-end must handle."""
    rng = np.random.default_rng(20261122)
    clips = _real_recordings()
    for path in sorted(DATA.glob("synth_*.wav")):
        clips.append((f"synth:{path.name}", read_wav_int16(path)[0]))
    clips.append(("white_noise", np.clip(rng.normal(0, 6000, 48000), -32768, 32767).astype(np.int16)))
    clips.append(("quiet_noise", rng.integers(-3, 4, 16000).astype(np.int16)))
    clips.append(("silence", np.zeros(16000, dtype=np.int16)))
    # Full-scale clipping: speech driven 20x into the rails, and a square wave of the extremes.
    speech = clips[0][1]  # a real recording, or synthetic speech without them
    clips.append(("clipped_speech", np.clip(speech.astype(np.int64) * 20, -32768, 32767).astype(np.int16)))
    square = np.where((np.arange(32000) // 40) % 2 == 0, 32767, -32768).astype(np.int16)
    clips.append(("full_scale_square", square))
    return clips


VARIED_AUDIO = _varied_audio()


@pytest.fixture(scope="session")
def varied_audio():
    if not any(name.startswith("real:") for name, _ in VARIED_AUDIO):
        pytest.skip(f"the real recordings are missing: expected {EVALDATA}")
    return VARIED_AUDIO


def int16_to_float(pcm, scale):
    return (pcm.astype(np.float32) * np.float32(scale)).astype(np.float32)
