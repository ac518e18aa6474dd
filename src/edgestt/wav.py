"""Minimal WAV reading for the command line: 16-bit PCM, mixed down to mono.

(Full WAV support — 24/32-bit, float — and resampling belong to the model runtime.)"""
from __future__ import annotations

import wave

import numpy as np

from . import errors


def read_pcm16(path) -> tuple[np.ndarray, int]:
    """Return (int16 mono samples, sample rate) of a 16-bit PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, rate = w.getsampwidth(), w.getnchannels(), w.getframerate()
            data = w.readframes(w.getnframes())
    except wave.Error as exc:
        raise errors.FormatError(f"{path}: not a PCM WAV file ({exc})") from None
    except EOFError:
        raise errors.FormatError(f"{path}: truncated WAV file") from None
    if width != 2:
        raise errors.FormatError(f"{path}: {8 * width}-bit samples; only 16-bit PCM is read here")
    pcm = np.frombuffer(data, dtype="<i2")
    if channels > 1:
        pcm = pcm[: len(pcm) // channels * channels].reshape(-1, channels).mean(axis=1).round()
    return np.ascontiguousarray(pcm, dtype=np.int16), rate
