"""Audio in, as the models want it: float32 mono at the model's sample rate.

    samples = load_audio("clip.wav", 16000)     # any WAV layout, resampled in C if needed
    samples = load_audio(pcm_int16, 16000)      # arrays are taken to be at 16000 Hz already
"""
from __future__ import annotations

import os

import numpy as np

from . import errors
from .resample import as_rate_hz, resample
from .wav import read_wav

__all__ = ["load_audio", "read_wav"]


def _from_array(audio: np.ndarray) -> np.ndarray:
    if audio.ndim != 1:
        raise errors.InvalidAudio(f"audio must be 1-D (mono samples), got shape {audio.shape}; mix channels down first")
    if audio.dtype == np.int16:
        # x * 2^-15 is exact in float32: the same numbers as DeepSpeech's int16 / 32768.
        return audio.astype(np.float32) * np.float32(1.0 / 32768.0)
    if audio.dtype in (np.float32, np.float64):
        return np.ascontiguousarray(audio, dtype=np.float32)
    raise errors.InvalidAudio(f"audio must be int16, float32 or float64 samples, got dtype {audio.dtype}")


def load_audio(source, sample_rate: int, allow_resample: bool = True) -> np.ndarray:
    """float32 mono samples at `sample_rate` from a WAV path or a numpy array.

    A path: any PCM (8/16/24/32-bit) or float WAV, channels averaged; a file at another rate is
    resampled in C (allow_resample=False refuses it with InvalidAudio naming both rates).
    An array: 1-D int16 (scaled by exactly 1/32768) or float32/float64 (kept), taken to be at
    `sample_rate` already. Empty audio raises EmptyInput, NaN or infinity NonFiniteInput.
    """
    sample_rate = as_rate_hz(sample_rate, "sample_rate")
    if sample_rate <= 0:
        raise errors.InvalidArgument(f"sample_rate must be positive, got {sample_rate}")
    if isinstance(source, (str, os.PathLike)):
        samples, file_rate = read_wav(source)
        where = f"{os.fspath(source)}: "
        if file_rate != sample_rate:
            if not allow_resample:
                raise errors.InvalidAudio(f"{where}{file_rate} Hz audio; {sample_rate} Hz is needed "
                                          "and resampling is not allowed")
            if not np.isfinite(samples).all():
                raise errors.NonFiniteInput(f"{where}the samples contain NaN or infinity")
            samples = resample(samples, file_rate, sample_rate)
    elif isinstance(source, np.ndarray):
        samples, where = _from_array(source), ""
    else:
        raise errors.InvalidAudio(f"audio must be a WAV path or a numpy array, got {type(source).__name__}")
    if samples.size == 0:
        raise errors.EmptyInput(f"{where}no audio samples")
    if not np.isfinite(samples).all():
        raise errors.NonFiniteInput(f"{where}the samples contain NaN or infinity")
    return samples
