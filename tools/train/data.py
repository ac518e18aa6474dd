"""Stage 4: training data: manifests -> augmented audio -> edgestt C front-end features -> batches.

The features are computed by edgestt's own C front-end (edgestt.features), the code that
computes them at inference, with the FeatureConfig stored in the run's config.json.
"""
from __future__ import annotations

import dataclasses
import glob
import wave

import numpy as np

import augment
from common import MANIFEST_DIR, read_tsv, use_edgestt
from metrics import text_to_labels


def feature_config_from_dict(d: dict):
    use_edgestt()
    from edgestt.features import FeatureConfig
    d = dict(d)
    for k in ("norm_mean", "norm_std"):
        d[k] = tuple(d.get(k, ()))
    return FeatureConfig(**d)


def base_feature_config() -> dict:
    """NeMo's log-mel (64 Slaney mels, 25->20 ms windows every 10 ms, ln(x+2^-24)) without the
    per-utterance normalisation, which cannot stream; a fixed mean/std replaces it."""
    use_edgestt()
    from edgestt.features import FeatureConfig
    cfg = dataclasses.asdict(FeatureConfig.preset("nemo"))
    cfg["normalization"] = "none"
    cfg["norm_mean"], cfg["norm_std"] = [], []
    return cfg


def load_wav(path: str) -> np.ndarray:
    with wave.open(path, "rb") as w:
        if w.getframerate() != 16000 or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError("%s: expected 16 kHz mono 16-bit" % path)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def load_manifests(pattern: str, max_duration: float = 1e9) -> list[dict]:
    rows = []
    for path in sorted(glob.glob(str(MANIFEST_DIR / pattern))):
        for r in read_tsv(path):
            r["duration"] = float(r["duration"])
            if 0.3 < r["duration"] <= max_duration and r["transcript"]:
                rows.append(r)
    return rows


class FeatureMaker:
    def __init__(self, config_dict: dict):
        use_edgestt()
        from edgestt.features import Features
        self.features = Features(feature_config_from_dict(config_dict))

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        return self.features.compute(audio.astype(np.float32))


def compute_norm_stats(rows: list[dict], config_dict: dict, seed: int, n: int = 400) -> tuple[list, list]:
    """Per-feature mean and std of un-normalised features over n augmented training utterances."""
    rng = np.random.default_rng([seed, 999])
    fm = FeatureMaker(config_dict)
    pick = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    feats = [fm(augment.augment_waveform(load_wav(rows[i]["path"]), rng)) for i in pick]
    allf = np.concatenate(feats).astype(np.float64)
    return allf.mean(axis=0).tolist(), allf.std(axis=0).tolist()


class BatchMaker:
    """Batches of about `batch_seconds` of audio, utterances of similar length together.
    Everything random comes from default_rng([seed, step]): a resumed run sees the same batches."""

    def __init__(self, rows: list[dict], config_dict: dict, seed: int, batch_seconds: float, max_batch: int = 64):
        self.set_rows(rows)
        self.seed, self.batch_seconds, self.max_batch = seed, batch_seconds, max_batch
        self.fm = FeatureMaker(config_dict)

    def set_rows(self, rows: list[dict]) -> None:
        """Swap in a new utterance list (one assignment, so the batch thread never sees a mix)."""
        rows = sorted(rows, key=lambda r: r["duration"])
        self.pool = (rows, np.array([r["duration"] for r in rows]))

    @property
    def rows(self) -> list[dict]:
        return self.pool[0]

    def make(self, step: int, max_duration: float, strength: float = 1.0):
        rng = np.random.default_rng([self.seed, step])
        rows, durations = self.pool
        limit = int(np.searchsorted(durations, max_duration, side="right"))
        limit = max(limit, min(len(rows), 16))
        start = int(rng.integers(0, limit))
        picked, total, i = [], 0.0, start
        while total < self.batch_seconds and len(picked) < self.max_batch and i < limit:
            picked.append(i)
            total += durations[i]
            i += 1
        i = start - 1
        while total < self.batch_seconds and len(picked) < self.max_batch and i >= 0:
            picked.append(i)
            total += durations[i]
            i -= 1
        feats, labels = [], []
        for k in picked:
            r = rows[k]
            audio = augment.augment_waveform(load_wav(r["path"]), rng,
                                             lambda g: load_wav(rows[g.integers(0, len(rows))]["path"]), strength)
            f = augment.vtlp(self.fm(audio), rng, prob=0.5 * strength)
            if rng.random() < strength:
                f = augment.spec_augment(f, rng)
            feats.append(f)
            labels.append(text_to_labels(r["transcript"]))
        return pad_batch(feats, labels), total


def pad_batch(feats: list[np.ndarray], labels: list[list[int]]):
    n, dim = len(feats), feats[0].shape[1]
    t_max = max(f.shape[0] for f in feats)
    l_max = max(1, max(len(lab) for lab in labels))
    x = np.zeros((n, t_max, dim), np.float32)
    y = np.zeros((n, l_max), np.int32)
    for i, (f, lab) in enumerate(zip(feats, labels)):
        x[i, : f.shape[0]] = f
        y[i, : len(lab)] = lab
    return (x, np.array([f.shape[0] for f in feats], np.int32), y, np.array([len(lab) for lab in labels], np.int32))
