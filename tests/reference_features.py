"""Independent numpy float64 references for the feature presets, written from the specs
(../shared/specs) vectorised with numpy, sharing no code with the C core."""
import numpy as np


def _frames(x, length, step):
    n = 1 + (len(x) - length) // step
    idx = np.arange(length)[None, :] + step * np.arange(n)[:, None]
    return x[idx]


def _preemphasis(x, coef):
    return np.concatenate([x[:1], x[1:] - coef * x[:-1]])


def _normalise(feats, unbiased, eps):
    mean = feats.mean(axis=0)
    std = feats.std(axis=0, ddof=1 if unbiased else 0)
    return (feats - mean) / (std + eps)


def deepspeech_mfcc(x):
    """TF AudioSpectrogram(512, 320) + TF Mfcc(40, 20-8000 Hz, 26), deepspeech.md 2.2-2.3."""
    x = np.asarray(x, dtype=np.float64)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(512) / 512)
    spec = np.fft.rfft(_frames(x, 512, 320) * window, 512)
    power = (spec.real**2 + spec.imag**2).astype(np.float32).astype(np.float64)  # a float32 tensor in TF
    channels, lo, hi, bins = 40, 20.0, 8000.0, 257

    def mel(f):
        return 1127.0 * np.log1p(f / 700.0)

    centres = mel(lo) + (mel(hi) - mel(lo)) / (channels + 1) * (np.arange(channels + 1) + 1)
    hz_per_bin = 8000.0 / (bins - 1)
    start, end = int(1.5 + lo / hz_per_bin), int(hi / hz_per_bin)
    k = np.arange(start, end + 1)
    mel_k = mel(k * hz_per_bin)
    band = np.searchsorted(centres[:channels], mel_k, side="left") - 1  # channels whose centre < mel_k
    upper = centres[band + 1]
    lower = np.where(band >= 0, centres[np.maximum(band, 0)], mel(lo))
    weight = (upper - mel_k) / (upper - lower)
    fb = np.zeros((bins, channels))
    ok = band >= 0
    fb[k[ok], band[ok]] += weight[ok]
    nxt = band + 1 < channels
    fb[k[nxt], band[nxt] + 1] += 1.0 - weight[nxt]
    energies = np.sqrt(power) @ fb
    logs = np.log(np.maximum(energies, 1e-12))
    dct = np.sqrt(2.0 / channels) * np.cos(np.arange(26)[:, None] * np.pi / channels * (np.arange(channels) + 0.5))
    return logs @ dct.T


def htk_mel_matrix_tf(num_mel=64, bins=257, sr=16000.0, lo=20.0, hi=8000.0):
    """tf.signal.linear_to_mel_weight_matrix in float64: [bins, num_mel], DC row zero."""

    def mel(f):
        return 1127.0 * np.log1p(f / 700.0)

    mel_bins = mel(np.linspace(0.0, sr / 2, bins))[1:, None]
    edges = np.linspace(mel(lo), mel(hi), num_mel + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    w = np.maximum(0.0, np.minimum((mel_bins - lower) / (centre - lower), (upper - mel_bins) / (upper - centre)))
    return np.vstack([np.zeros((1, num_mel)), w])


def scribosermo_log_mel(x):
    """The Scribosermo TFLite in-graph features before normalisation, quartznet.md 4.5 steps 1-8."""
    p = _preemphasis(np.asarray(x, dtype=np.float64), 0.97)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(320) / 320)
    mag = np.abs(np.fft.rfft(_frames(p, 320, 160) * window, 512))
    return np.log(mag @ htk_mel_matrix_tf() + 1e-6)


def scribosermo_logmel(x):
    """The Scribosermo TFLite in-graph features, quartznet.md 4.5 steps 1-9."""
    return _normalise(scribosermo_log_mel(x), unbiased=False, eps=1e-7)


def slaney_mel_matrix(num_mel=64, n_fft=512, sr=16000.0, fmin=0.0, fmax=8000.0):
    """librosa.filters.mel(htk=False, norm='slaney') in float64: [num_mel, bins]."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def to_mel(f):
        f = np.asarray(f, dtype=np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp)

    def to_hz(m):
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    edges = to_hz(np.linspace(to_mel(fmin), to_mel(fmax), num_mel + 2))
    freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    rising = (freqs[None, :] - edges[:-2, None]) / np.diff(edges)[:-1, None]
    falling = (edges[2:, None] - freqs[None, :]) / np.diff(edges)[1:, None]
    w = np.maximum(0.0, np.minimum(rising, falling))
    return w * (2.0 / (edges[2:] - edges[:-2]))[:, None]


def nemo_logmel(x):
    """NeMo AudioToMelSpectrogramPreprocessor as the QuartzNet checkpoints use it, quartznet.md 1.2."""
    y = _preemphasis(np.asarray(x, dtype=np.float64), 0.97)
    padded = np.pad(y, 256, mode="reflect")
    window = np.zeros(512)
    window[96:416] = np.hanning(320)  # symmetric Hann, centred in n_fft as torch.stft does
    spec = np.fft.rfft(_frames(padded, 512, 160) * window, 512)
    power = spec.real**2 + spec.imag**2
    logs = np.log(power @ slaney_mel_matrix().T + 2.0**-24)
    return _normalise(logs, unbiased=True, eps=1e-5)

