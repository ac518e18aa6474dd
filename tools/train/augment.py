"""Stage 3: on-the-fly augmentation that makes synthetic speech sound like people, microphones and rooms.

Waveform (16 kHz float32), each step with its own probability, all from one numpy Generator
so a batch is reproducible from (seed, step):
  speed (tempo+pitch+formants together, 0.85-1.15), reverberation (synthetic exponential room
  impulse responses, RT60 0.15-0.9 s, with early reflections), babble (2-6 other utterances)
  and generated noise (white/pink/brown, hum), band-limiting (telephone band, low-pass
  3.4-7 kHz, high-pass), codec-like damage (8 kHz round trip, mu-law 8-bit, coarse
  quantisation), loudness (-35..+6 dB) and clipping; always a small noise floor, since
  synthetic audio has digital silence that real microphones never give.
Features (after edgestt's C front-end): vocal-tract-length warping of the mel axis
(factor 0.88-1.12) and SpecAugment (frequency and time masks).
"""
from __future__ import annotations

import numpy as np

SR = 16000


def _resample_linear(x: np.ndarray, factor: float) -> np.ndarray:
    """Play x `factor` times faster (linear interpolation; good enough for augmentation)."""
    n_out = max(1, int(round(len(x) / factor)))
    pos = np.arange(n_out, dtype=np.float64) * factor
    return np.interp(pos, np.arange(len(x)), x).astype(np.float32)


def _fft_filter(x: np.ndarray, gain_fn) -> np.ndarray:
    n = len(x)
    spec = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(n, 1.0 / SR)
    return np.fft.irfft(spec * gain_fn(freqs), n).astype(np.float32)


def _colored_noise(rng: np.random.Generator, n: int, kind: str) -> np.ndarray:
    white = rng.standard_normal(n).astype(np.float32)
    if kind == "white":
        return white
    exponent = {"pink": 0.5, "brown": 1.0}[kind]
    return _fft_filter(white, lambda f: 1.0 / np.maximum(f, 20.0) ** exponent)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9)


def _mix_at_snr(x: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    if len(noise) < len(x):
        noise = np.tile(noise, int(np.ceil(len(x) / len(noise))))
    noise = noise[: len(x)]
    scale = _rms(x) / (_rms(noise) * 10 ** (snr_db / 20))
    return x + scale * noise


def room_impulse_response(rng: np.random.Generator) -> np.ndarray:
    """Direct path, a few early reflections, then an exponentially decaying diffuse tail."""
    rt60 = rng.uniform(0.15, 0.9)
    n = int(SR * min(rt60 * 1.2, 1.0))
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail = _fft_filter(tail.astype(np.float32), lambda f: 1.0 / (1.0 + (f / rng.uniform(2000, 7000)) ** 2))
    pre_delay = int(SR * rng.uniform(0.002, 0.02))
    tail[:pre_delay] = 0
    h = tail * rng.uniform(0.05, 0.4)
    h[0] = 1.0
    for _ in range(rng.integers(2, 7)):
        k = int(SR * rng.uniform(0.001, 0.03))
        if k < n:
            h[k] += rng.uniform(-0.6, 0.6)
    return (h / np.sqrt(np.sum(h ** 2))).astype(np.float32)


def _convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    n = len(x) + len(h) - 1
    size = 1 << (n - 1).bit_length()
    y = np.fft.irfft(np.fft.rfft(x, size) * np.fft.rfft(h, size), size)[: len(x)]
    return y.astype(np.float32)


def augment_waveform(x: np.ndarray, rng: np.random.Generator, babble_pool=None, strength: float = 1.0) -> np.ndarray:
    """One random corruption chain. `babble_pool`: callable(rng) -> float32 utterance, or None.
    `strength` in [0, 1] scales the probabilities (0 = only the noise floor)."""
    p = lambda prob: rng.random() < prob * strength  # noqa: E731
    x = x.astype(np.float32)
    if p(0.6):
        x = _resample_linear(x, rng.uniform(0.85, 1.15))
    if p(0.4):
        x = _convolve(x, room_impulse_response(rng))
    if babble_pool is not None and p(0.25):
        babble = np.zeros_like(x)
        for _ in range(rng.integers(2, 7)):
            other = babble_pool(rng)
            start = rng.integers(0, max(1, len(other) - len(x) + 1))
            seg = other[start: start + len(x)]
            off = rng.integers(0, len(x) - len(seg) + 1)
            babble[off: off + len(seg)] += seg / _rms(seg) if len(seg) else 0
        x = _mix_at_snr(x, babble, rng.uniform(5, 25))
    if p(0.45):
        kind = rng.choice(["white", "pink", "brown"])
        noise = _colored_noise(rng, len(x), kind)
        if rng.random() < 0.2:       # mains hum with harmonics
            t = np.arange(len(x)) / SR
            f0 = rng.choice([50.0, 60.0])
            noise = noise * 0.3 + sum(np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6)) / k for k in (1, 2, 3))
        x = _mix_at_snr(x, noise.astype(np.float32), rng.uniform(3, 35))
    if p(0.35):
        choice = rng.integers(0, 3)
        if choice == 0:     # telephone band
            lo, hi = rng.uniform(200, 400), rng.uniform(3000, 3600)
            x = _fft_filter(x, lambda f: ((f > lo) & (f < hi)).astype(np.float32) * 0.9 + 0.1 * (f < hi))
        elif choice == 1:   # cheap microphone / low-pass
            fc = rng.uniform(3400, 7000)
            x = _fft_filter(x, lambda f: 1.0 / np.sqrt(1.0 + (f / fc) ** 8))
        else:               # high-pass, thin sound
            fc = rng.uniform(100, 500)
            x = _fft_filter(x, lambda f: 1.0 / np.sqrt(1.0 + (fc / np.maximum(f, 1.0)) ** 4))
    if p(0.2):
        choice = rng.integers(0, 3)
        if choice == 0:     # 8 kHz round trip
            x = _resample_linear(_fft_filter(x, lambda f: (f < 3900).astype(np.float32)), 2.0)
            x = _resample_linear(x, 0.5)[: len(x)]
        elif choice == 1:   # mu-law 8 bit
            mu = 255.0
            peak = np.max(np.abs(x)) + 1e-9
            y = np.sign(x / peak) * np.log1p(mu * np.abs(x / peak)) / np.log1p(mu)
            y = np.round(y * 127) / 127
            x = (np.sign(y) * ((1 + mu) ** np.abs(y) - 1) / mu * peak).astype(np.float32)
        else:               # coarse quantisation
            bits = rng.integers(6, 11)
            peak = np.max(np.abs(x)) + 1e-9
            q = 2.0 ** (bits - 1)
            x = (np.round(x / peak * q) / q * peak).astype(np.float32)
    # loudness, then clipping
    peak = np.max(np.abs(x)) + 1e-9
    x = x / peak * 10 ** (rng.uniform(-35, -1) / 20 if p(0.7) else -3 / 20)
    if p(0.1):
        x = x * 10 ** (rng.uniform(3, 12) / 20)
    x = np.clip(x, -1.0, 1.0)
    # noise floor: every real recording has one
    floor_db = rng.uniform(-85, -55)
    x = x + (10 ** (floor_db / 20)) * rng.standard_normal(len(x)).astype(np.float32)
    return np.clip(x, -1.0, 32767 / 32768).astype(np.float32)


def clean_waveform(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Evaluation input: only the noise floor (so silence is not digital zero)."""
    return augment_waveform(x, rng, None, strength=0.0)


def vtlp(feats: np.ndarray, rng: np.random.Generator, prob: float = 0.5) -> np.ndarray:
    """Warp the mel axis by a factor in 0.88-1.12 (vocal-tract length), [frames, bins]."""
    if rng.random() >= prob:
        return feats
    alpha = rng.uniform(0.88, 1.12)
    bins = feats.shape[1]
    src = np.clip(np.arange(bins) / alpha, 0, bins - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, bins - 1)
    w = (src - lo).astype(np.float32)
    return feats[:, lo] * (1 - w) + feats[:, hi] * w


def spec_augment(feats: np.ndarray, rng: np.random.Generator, freq_masks: int = 2, freq_width: int = 12,
                 time_masks: int = 2, time_width: int = 30, max_time_fraction: float = 0.08) -> np.ndarray:
    """Zero (= the training mean, after fixed normalisation) random bands and spans."""
    f = feats.copy()
    frames, bins = f.shape
    for _ in range(freq_masks):
        w = rng.integers(0, freq_width + 1)
        s = rng.integers(0, max(1, bins - w))
        f[:, s: s + w] = 0
    limit = max(1, min(time_width, int(frames * max_time_fraction)))
    for _ in range(time_masks):
        w = rng.integers(0, limit + 1)
        s = rng.integers(0, max(1, frames - w))
        f[s: s + w, :] = 0
    return f
