"""Audio features (MFCC, log-mel) computed by the C core.

    from edgestt.features import Features, FeatureConfig
    feats = Features("nemo")                 # or Features(FeatureConfig.preset("deepspeech"))
    x = feats.compute(samples)               # [frames, features] float32
    # streaming: the same numbers, whatever the chunking
    for chunk in chunks:
        feats.accept(chunk)
        rows = feats.pop()                   # frames ready so far (none until finish for
    feats.finish()                           # presets that normalise over the utterance)
    rows = feats.pop()
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from . import constants, errors
from ._ffi import NativeObject, as_audio, check, new_err_buffer
from ._native import ffi, lib

_PRESETS = {
    "deepspeech": lib.ES_PRESET_DEEPSPEECH,
    "scribosermo": lib.ES_PRESET_SCRIBOSERMO,
    "nemo": lib.ES_PRESET_NEMO,
}

# Python names of the C enums, per config field.
_ENUMS = {
    "window": {
        "hann_periodic": lib.ES_WINDOW_HANN_PERIODIC,
        "hann_symmetric": lib.ES_WINDOW_HANN_SYMMETRIC,
        "hamming_periodic": lib.ES_WINDOW_HAMMING_PERIODIC,
        "hamming_symmetric": lib.ES_WINDOW_HAMMING_SYMMETRIC,
        "rectangular": lib.ES_WINDOW_RECTANGULAR,
    },
    "padding": {
        "none": lib.ES_PADDING_NONE,
        "center_reflect": lib.ES_PADDING_CENTER_REFLECT,
        "center_zero": lib.ES_PADDING_CENTER_ZERO,
    },
    "spectrum": {"power": lib.ES_SPECTRUM_POWER, "magnitude": lib.ES_SPECTRUM_MAGNITUDE},
    "mel_scale": {"htk": lib.ES_MEL_SCALE_HTK, "slaney": lib.ES_MEL_SCALE_SLANEY},
    "mel_triangles": {
        "hz": lib.ES_MEL_TRIANGLES_HZ,
        "mel": lib.ES_MEL_TRIANGLES_MEL,
        "tf_mfcc": lib.ES_MEL_TRIANGLES_TF_MFCC,
    },
    "log_kind": {"none": lib.ES_LOG_NONE, "floor": lib.ES_LOG_FLOOR, "add": lib.ES_LOG_ADD},
    "dct": {"tf_mfcc": lib.ES_DCT_TF_MFCC, "orthonormal": lib.ES_DCT_ORTHONORMAL},
    "normalization": {"none": lib.ES_NORM_NONE, "utterance": lib.ES_NORM_UTTERANCE, "fixed": lib.ES_NORM_FIXED},
}
_BOOLS = ("mel_area_normalize", "norm_std_unbiased")
MAX_FEATURES = lib.ES_MAX_FEATURES


@dataclass(frozen=True)
class FeatureConfig:
    """Every knob of the front-end; units are in the names. Start from a preset:
    ``FeatureConfig.preset("nemo")`` and ``dataclasses.replace(cfg, num_mel_bins=80)``."""

    sample_rate_hz: float
    int16_scale: float
    preemphasis: float
    frame_length_samples: int
    frame_step_samples: int
    fft_size: int
    window: str
    padding: str
    spectrum: str
    num_mel_bins: int
    low_freq_hz: float
    high_freq_hz: float
    mel_scale: str
    mel_triangles: str
    mel_area_normalize: bool
    log_kind: str
    log_guard: float
    num_mfcc: int
    dct: str
    normalization: str
    norm_std_unbiased: bool
    norm_epsilon: float
    norm_mean: Tuple[float, ...] = ()
    norm_std: Tuple[float, ...] = ()

    @classmethod
    def preset(cls, name: str = constants.DEFAULT_FEATURE_PRESET) -> "FeatureConfig":
        """One of the reference presets: 'deepspeech', 'scribosermo' or 'nemo'."""
        if name not in _PRESETS:
            raise errors.InvalidConfig(f"unknown feature preset {name!r}; expected one of {sorted(_PRESETS)}")
        c = ffi.new("es_features_config *")
        check(lib.es_features_config_preset(_PRESETS[name], c))
        return cls._from_c(c)

    @classmethod
    def _from_c(cls, c) -> "FeatureConfig":
        values = {}
        for field in dataclasses.fields(cls):
            if field.name in ("norm_mean", "norm_std"):
                continue
            raw = getattr(c, field.name)
            if field.name in _ENUMS:
                raw = {v: k for k, v in _ENUMS[field.name].items()}[raw]
            elif field.name in _BOOLS:
                raw = bool(raw)
            values[field.name] = raw
        return cls(**values)

    @property
    def num_features(self) -> int:
        """Values per frame: num_mfcc, or num_mel_bins for log-mel output."""
        return self.num_mfcc if self.num_mfcc > 0 else self.num_mel_bins

    def _to_c(self):
        c = ffi.new("es_features_config *")
        for field in dataclasses.fields(self):
            name, value = field.name, getattr(self, field.name)
            if name in ("norm_mean", "norm_std"):
                continue
            if name in _ENUMS:
                if value not in _ENUMS[name]:
                    raise errors.InvalidConfig(f"{name} must be one of {sorted(_ENUMS[name])}, got {value!r}")
                value = _ENUMS[name][value]
            elif name in _BOOLS:
                value = int(bool(value))
            try:
                setattr(c, name, value)
            except (TypeError, OverflowError) as exc:
                raise errors.InvalidConfig(f"{name} has an invalid value {value!r}: {exc}") from None
        if self.normalization == "fixed":
            for name in ("norm_mean", "norm_std"):
                values = np.asarray(getattr(self, name), dtype=np.float64)
                if values.shape != (self.num_features,):
                    raise errors.InvalidConfig(
                        f"{name} must hold {self.num_features} values (one per feature), got {values.size}"
                    )
                getattr(c, name)[0 : self.num_features] = values.tolist()
        return c

    def check(self) -> None:
        """Raise InvalidConfig with the reason if this configuration is impossible."""
        err = new_err_buffer()
        check(lib.es_features_config_check(self._to_c(), err, len(err)), err)


class Features(NativeObject):
    """A streaming feature extractor. Not thread-safe; use one per stream."""

    def __init__(self, config: Union[FeatureConfig, str] = constants.DEFAULT_FEATURE_PRESET):
        if isinstance(config, str):
            config = FeatureConfig.preset(config)
        if not isinstance(config, FeatureConfig):
            raise errors.InvalidConfig(f"config must be a FeatureConfig or a preset name, got {type(config).__name__}")
        err = new_err_buffer()
        out = ffi.new("es_features **")
        check(lib.es_features_new(config._to_c(), out, err, len(err)), err)
        self._own(out[0], lib.es_features_free)
        self.config = config
        self.num_features = int(lib.es_features_num_features(self._handle))

    # ---- streaming
    def accept(self, audio: np.ndarray) -> None:
        """Add samples (int16 scaled by the config's int16_scale, or float in [-1, 1])."""
        handle = self._live()
        audio = as_audio(audio)
        if audio.dtype == np.int16:
            status = lib.es_features_accept_int16(handle, ffi.from_buffer("int16_t[]", audio), audio.size)
        else:
            status = lib.es_features_accept_float(handle, ffi.from_buffer("float[]", audio), audio.size)
        check(status, context="accept")

    def finish(self) -> None:
        """End of the utterance: pad, compute the last frames and normalise."""
        check(lib.es_features_finish(self._live()), context="finish")

    def ready(self) -> int:
        """Frames computed and not yet popped."""
        return int(lib.es_features_ready(self._live()))

    def pop(self, max_frames: Optional[int] = None) -> np.ndarray:
        """Remove and return up to max_frames ready frames (all when None) as [n, num_features]."""
        handle = self._live()
        n = self.ready() if max_frames is None else min(int(max_frames), self.ready())
        if n < 0:
            raise errors.InvalidArgument(f"max_frames must be >= 0, got {max_frames}")
        out = np.empty((n, self.num_features), dtype=np.float32)
        got = ffi.new("size_t *")
        check(lib.es_features_pop(handle, ffi.from_buffer("float[]", out), n, got))
        return out[: got[0]]

    def reset(self) -> None:
        """Forget all audio and frames."""
        lib.es_features_reset(self._live())

    # ---- one-shot
    def frames_for_samples(self, num_samples: int) -> int:
        """How many frames an utterance of num_samples samples yields (0 if too short)."""
        if num_samples < 0:
            raise errors.InvalidArgument(f"num_samples must be >= 0, got {num_samples}")
        return int(lib.es_features_frames_for_samples(self._live(), num_samples))

    def compute(self, audio: np.ndarray) -> np.ndarray:
        """Features of one whole utterance, [frames, num_features] float32. Resets the stream."""
        handle = self._live()
        audio = as_audio(audio)
        capacity = int(lib.es_features_frames_for_samples(handle, audio.size))
        out = np.empty((capacity, self.num_features), dtype=np.float32)
        got = ffi.new("size_t *")
        out_ptr = ffi.from_buffer("float[]", out)
        if audio.dtype == np.int16:
            status = lib.es_features_compute_int16(
                handle, ffi.from_buffer("int16_t[]", audio), audio.size, out_ptr, capacity, got
            )
        else:
            status = lib.es_features_compute_float(
                handle, ffi.from_buffer("float[]", audio), audio.size, out_ptr, capacity, got
            )
        check(status, context="compute")
        return out[: got[0]]


def compute(audio: np.ndarray, config: Union[FeatureConfig, str] = constants.DEFAULT_FEATURE_PRESET) -> np.ndarray:
    """Features of one utterance with a preset or config: [frames, num_features] float32."""
    with Features(config) as feats:
        return feats.compute(audio)
