"""QuartzNet models (NVIDIA NeMo, Scribosermo) and edgestt's own, run in buffered windows.

Two families (specs/quartznet.md):
- quartznet_signal: a Scribosermo export. Input float32 [1, N] audio (resized per call), the
  features computed inside the graph, output softmax [1, T, 29], blank last, one frame per
  20 ms (time stride 2 over a 10 ms feature hop).
- quartznet_logmel: a NeMo QuartzNet without its preprocessor. Input log-mel [1, 64, T] from
  edgestt's C `nemo` preset, output log-probs [1, ceil(T/2), 29] (NeMo's ConvASRDecoder
  ends in log_softmax, in export too), blank last.
A file with edgestt metadata (edgestt.tflite_metadata) names its family, alphabet, blank,
output kind, stride, feature preset and beam width itself; without metadata the families are
recognised from the tensor shapes and use the English alphabet [" ", a-z, "'"].

Streaming. QuartzNet is not causal: every output frame depends on seconds of audio on both
sides, so a stream runs the model on windows of `window_seconds` (default 5 s) every
`hop_seconds` (1 s), as NeMo's FrameBatchASR and Scribosermo's streaming example do, and keeps
from each window its centre hop of output frames. Window k starts at k * hop in the audio, and
its local output frame j is the utterance's frame k * hop + j (hop in output frames). The first
window also keeps its left part and the last (run at finish on whatever audio is left, 4-5 s)
its right part, so every output frame of the utterance is emitted exactly once and the stream
yields as many frames as one run over the whole utterance. The schedule depends only on how
much audio there is, never on how it was cut into feed() chunks. A frame is final about
(window - hop) / 2 + hop = 3 s after its audio arrived; pending() gives tentative frames for the
rest by running the model on the audio past the last window (at most once per
`partial_interval_seconds` of new audio).

Normalisation. Both reference front-ends normalise each feature over their whole input
(Scribosermo in the graph: population std + 1e-7; NeMo: unbiased std + 1e-5), so the same
audio gives other features in a 5 s window than in the whole utterance (quartznet.md 4.5, 4.8).
- quartznet_signal: the graph normalises whatever it is given, so each window is normalised
  on its own, exactly as in Scribosermo's streaming example. Nothing else is possible without
  changing the graph (Scribosermo's fixed-normalisation export raised WER 3.7 -> 4.4 % and was
  dropped).
- quartznet_logmel: edgestt computes the raw log-mel of the stream once (C; streaming ==
  one-shot) and normalises each window with the preset's formula over the statistics of ALL
  audio up to the window's end ("cumulative", the default; the last window thus uses the
  whole utterance's statistics, as one-shot does), or over the window alone
  (stream_normalization="window", NeMo FrameBatchASR's choice). A model whose features use a
  fixed mean/std (metadata feature_config) needs no statistics and streams without this
  difference. In every case an utterance shorter than one window gives exactly the one-shot
  frames.

new_session(streaming=False), what Model.stt uses, gives a session for a recording given
whole: one run of the model over all of it, or, beyond `oneshot_window_seconds` (60 s), the
same schedule with 60 s windows every 50 s, so memory stays bounded on long files.

Final results (exact_final, default True). The windows' edge frames see less context than one
run over the recording, so a stream's audio also goes through such a one-shot session (run as
each 60 s window fills, and at finish) and a second search: Model's Stream returns that search's
result at finish, which is exactly stt()'s on the same audio, and uses the short windows only
for partial results. The price is the one-shot run at finish (latency) and its audio buffer (at
most oneshot_window_seconds); exact_final=False makes the final result the windows' own.

Lazy preview (exact_final). The short windows exist only for partial results, so such a
stream's window session is lazy (BufferedSession(lazy=True)): feed() buffers its input and runs
no short window until the first partial is asked for; that partial runs the windows due
(catch_up) and from then on they run in feed() as usual. A stream nobody asks for partials
(a file through stream(), the CLI) thus runs the model once over its audio, not twice. The
frames and pending() after catch_up are those an eager session has at that point (the schedule
depends only on the audio), so partials are the same as without laziness, except in one case:
to keep memory bounded, a lazy session skips (skip_to) the frames the exact search has made
final each time a one-shot window runs (streams longer than oneshot_window_seconds), and a
first partial asked after that decodes those frames from the exact search's state (the frames
of the final result) instead of the short windows'; the frames after them are the windows' as
before. The lazy session holds at most about oneshot_window_seconds + window_seconds of input.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from . import constants, errors
from .families import AcousticFamily, ModelIO, TensorInfo, register
from .features import FeatureConfig, Features
from .runtime import Runtime

#: The English QuartzNet vocabulary (quartznet.md 2.5); the blank is appended last.
ENGLISH_LABELS: Tuple[str, ...] = (" ",) + tuple("abcdefghijklmnopqrstuvwxyz") + ("'",)

_FLOAT = "float32"

#: How a log-mel stream normalises its windows: with the statistics of all audio so far
#: ("cumulative") or of each window alone ("window", as NeMo's FrameBatchASR).
STREAM_NORMALIZATIONS = ("cumulative", "window")


class RunningMoments:
    """Per-feature count, mean and sum of squared deviations, merged block by block (Chan et
    al.'s pairwise update, stable in float64)."""

    def __init__(self, dim: int):
        self.count = 0
        self.mean = np.zeros(dim)
        self.m2 = np.zeros(dim)

    def add(self, block: np.ndarray) -> None:
        n = block.shape[0]
        if n == 0:
            return
        block = block.astype(np.float64)
        mean = block.mean(axis=0)
        m2 = ((block - mean) ** 2).sum(axis=0)
        total = self.count + n
        delta = mean - self.mean
        self.mean = self.mean + delta * (n / total)
        self.m2 = self.m2 + m2 + delta**2 * (self.count * n / total)
        self.count = total

    def std(self, ddof: int) -> np.ndarray:
        return np.sqrt(self.m2 / max(self.count - ddof, 1))


@dataclass(frozen=True)
class WindowSchedule:
    """Windows of `window` output frames every `hop` frames; each keeps its centre hop (the
    first also its left part, the last its right part)."""

    window: int
    hop: int

    @property
    def left(self) -> int:
        """Frames of left context; an odd remainder goes to the right (look-ahead)."""
        return (self.window - self.hop) // 2

    @classmethod
    def of(cls, window_seconds, hop_seconds, frame_seconds: float, what: str = "") -> "WindowSchedule":
        """The schedule in output frames (rounded); InvalidConfig when impossible."""
        for name, value in ((f"{what}window_seconds", window_seconds), (f"{what}hop_seconds", hop_seconds)):
            if (not isinstance(value, (int, float)) or isinstance(value, bool) or not np.isfinite(value)
                    or value <= 0):
                raise errors.InvalidConfig(f"{name} must be a positive number of seconds, got {value!r}")
        window, hop = int(round(window_seconds / frame_seconds)), int(round(hop_seconds / frame_seconds))
        if hop < 1 or window < hop:
            raise errors.InvalidConfig(
                f"need {what}hop_seconds >= one output frame ({frame_seconds} s) and {what}window_seconds >= "
                f"{what}hop_seconds, got window {window_seconds} s, hop {hop_seconds} s"
            )
        return cls(window, hop)


class QuartzNetFamily(AcousticFamily):
    """What both QuartzNet families share: labels and settings from metadata or defaults,
    the window schedule, and running the interpreter on one window. Subclasses define the
    front-end (what an "input unit" is) and how units become the model's input tensor."""

    has_pending = True
    default_output = "probs"
    fallback_beam_width: Optional[int] = None

    # set by subclasses' __init__
    units_per_frame: int  # input units (samples, or feature frames) per output frame
    min_units: int  # shortest input the model can run on

    def _common_init(self, runtime: Runtime, io: ModelIO, metadata: Optional[dict], scores: TensorInfo,
                     window_seconds, hop_seconds, partial_interval_seconds, oneshot_window_seconds,
                     oneshot_hop_seconds, exact_final) -> None:
        self.runtime = runtime
        self.metadata = metadata
        self._scores_index = scores.index
        if len(scores.shape) != 3 or scores.shape[0] != 1 or scores.dtype != _FLOAT:
            raise errors.ModelError(f"{runtime.name}: the output must be float32 [1, T, classes], got {scores}")
        self.num_classes = scores.shape[2]
        meta = metadata or {}
        if metadata is not None:
            self.labels = tuple(meta["alphabet"])
            self.blank_index = int(meta["blank_index"])
            self.output = meta["output"]
            self.default_beam_width = meta["default_beam_width"]
            self.stride = int(meta["stride"])
        else:
            if self.num_classes != len(ENGLISH_LABELS) + 1:
                raise errors.ModelError(
                    f"{runtime.name}: the output has {self.num_classes} classes; without edgestt metadata only the "
                    f"{len(ENGLISH_LABELS) + 1}-class English QuartzNet alphabet is known. Embed the alphabet with "
                    "tools/tflite_metadata_writer.py"
                )
            self.labels = ENGLISH_LABELS
            self.blank_index = len(ENGLISH_LABELS)
            self.output = self.default_output
            self.default_beam_width = self.fallback_beam_width
            self.stride = 2
        if len(self.labels) + 1 != self.num_classes:
            raise errors.ModelError(
                f"{runtime.name}: the output has {self.num_classes} classes but the metadata's alphabet "
                f"{len(self.labels)} labels (expected labels + 1 for the blank)"
            )
        self.schedule = WindowSchedule.of(
            constants.QUARTZNET_WINDOW_SECONDS if window_seconds is None else window_seconds,
            constants.QUARTZNET_HOP_SECONDS if hop_seconds is None else hop_seconds, self.frame_seconds)
        if oneshot_window_seconds is None:
            self.oneshot_schedule = None
        else:
            self.oneshot_schedule = WindowSchedule.of(oneshot_window_seconds, oneshot_hop_seconds,
                                                      self.frame_seconds, "oneshot_")
        if partial_interval_seconds is not None and (
                not isinstance(partial_interval_seconds, (int, float)) or partial_interval_seconds < 0):
            raise errors.InvalidConfig(
                f"partial_interval_seconds must be >= 0 or None, got {partial_interval_seconds!r}")
        self.partial_interval_seconds = partial_interval_seconds
        if not isinstance(exact_final, bool):
            raise errors.InvalidConfig(f"exact_final must be True or False, got {exact_final!r}")
        self.exact_final = exact_final

    # ---- what subclasses provide
    def frontend(self):
        """A per-session object: accept(samples) -> units, finish() -> units, close()."""
        raise NotImplementedError

    def _tensor(self, units: np.ndarray, moments: Optional["RunningMoments"]) -> np.ndarray:
        """The model's input for these units (moments: statistics of the utterance so far,
        for front-ends that normalise; None to use the units' own)."""
        raise NotImplementedError

    def new_moments(self) -> Optional["RunningMoments"]:
        """Running statistics for a streaming session, or None when windows use their own."""
        return None

    def empty_units(self) -> np.ndarray:
        raise NotImplementedError

    # ---- running the model
    def run(self, units: np.ndarray, moments: Optional["RunningMoments"] = None) -> np.ndarray:
        """Scores [T, classes] (float32) of the model over `units`; [0, classes] when too short."""
        if units.shape[0] < self.min_units:
            return np.zeros((0, self.num_classes), dtype=np.float32)
        x = self._tensor(units, moments)
        with self.runtime.interpreter() as interpreter:
            try:
                self._set_inputs(interpreter, x)
                interpreter.invoke()
                scores = interpreter.get_tensor(self._scores_index)
            except (ValueError, RuntimeError) as exc:
                raise errors.ModelError(f"{self.runtime.name}: the model failed on an input of shape "
                                        f"{list(x.shape)}: {exc}") from None
        if scores.ndim != 3 or scores.shape[0] != 1 or scores.shape[2] != self.num_classes:
            raise errors.ModelError(f"{self.runtime.name}: output of shape {list(scores.shape)}, expected "
                                    f"[1, T, {self.num_classes}]")
        return np.array(scores[0], dtype=np.float32)

    def _set_inputs(self, interpreter, x: np.ndarray) -> None:
        index = self._input_index
        if tuple(interpreter.get_input_details()[self._input_position]["shape"]) != x.shape:
            interpreter.resize_tensor_input(index, list(x.shape), strict=True)
            interpreter.allocate_tensors()
        interpreter.set_tensor(index, x)

    # ---- sessions
    def new_session(self, streaming: bool = True, lazy: bool = False) -> "BufferedSession":
        """A session: buffered windows for live audio (streaming=True), or for a recording
        given whole (streaming=False) one run over it, cut into long windows only beyond
        oneshot_window_seconds. lazy: the windows run only at catch_up() (BufferedSession)."""
        return BufferedSession(self, self.schedule if streaming else self.oneshot_schedule, lazy)

    def scores(self, samples: np.ndarray) -> np.ndarray:
        """One-shot: the scores [T, classes] of one whole utterance (float32 samples)."""
        session = self.new_session(streaming=False)
        try:
            first = session.accept(samples)
            return np.concatenate([first, session.finish()])
        finally:
            session.close()

    def describe(self):
        info = dict(super().describe())
        info.update(window_seconds=self.schedule.window * self.frame_seconds,
                    hop_seconds=self.schedule.hop * self.frame_seconds, stride=self.stride)
        if self.metadata:
            info.update({k: self.metadata[k] for k in ("name", "version", "license", "description")
                         if k in self.metadata})
        return info


def _single_float_input(io: ModelIO, rank: int) -> Optional[TensorInfo]:
    floats = [t for t in io.inputs if t.dtype == _FLOAT]
    if len(floats) != 1 or len(floats[0].shape) != rank or floats[0].shape[0] != 1:
        return None
    return floats[0]


def _single_output(io: ModelIO) -> Optional[TensorInfo]:
    if len(io.outputs) != 1:
        return None
    out = io.outputs[0]
    return out if len(out.shape) == 3 and out.dtype == _FLOAT and out.shape[0] == 1 else None


@register
class QuartzNetSignalFamily(QuartzNetFamily):
    """Scribosermo-style: audio in, features in the graph, probabilities out."""

    name = "quartznet_signal"
    aliases = ("scribosermo",)
    expected = ("one input float32 [1, N] (audio; features computed in the graph) and one output float32 "
                "[1, T, classes] (Scribosermo QuartzNet export)")
    default_output = "probs"
    fallback_beam_width = 256  # Scribosermo's TFLite examples

    @classmethod
    def recognises(cls, io: ModelIO, metadata: Optional[dict]) -> bool:
        if metadata is not None:
            return metadata.get("family") == cls.name
        return len(io.inputs) == 1 and _single_float_input(io, 2) is not None and _single_output(io) is not None

    def __init__(self, runtime: Runtime, io: ModelIO, metadata: Optional[dict] = None, *,
                 window_seconds: Optional[float] = None, hop_seconds: Optional[float] = None,
                 partial_interval_seconds=constants.QUARTZNET_PARTIAL_INTERVAL_SECONDS,
                 oneshot_window_seconds=constants.QUARTZNET_ONESHOT_WINDOW_SECONDS,
                 oneshot_hop_seconds=constants.QUARTZNET_ONESHOT_HOP_SECONDS,
                 exact_final: bool = constants.QUARTZNET_EXACT_FINAL, **_other_families_options):
        signal = _single_float_input(io, 2)
        if signal is None or len(io.inputs) != 1 or len(io.outputs) != 1:
            raise errors.ModelError(f"{runtime.name}: a {self.name} model has {self.expected}; found {io.describe()}")
        meta = metadata or {}
        self.sample_rate = int(meta.get("sample_rate", constants.DEFAULT_SAMPLE_RATE_HZ))
        self.frame_seconds = float(meta.get("frame_seconds", 0.02))
        samples_per_frame = self.frame_seconds * self.sample_rate
        if abs(samples_per_frame - round(samples_per_frame)) > 1e-6 or round(samples_per_frame) < 1:
            raise errors.ModelError(f"{runtime.name}: frame_seconds {self.frame_seconds} is not a whole number of "
                                    f"samples at {self.sample_rate} Hz")
        self.units_per_frame = int(round(samples_per_frame))
        # Scribosermo's graph needs one full 20 ms analysis window (320 samples at 16 kHz).
        self.min_units = self.units_per_frame
        self._input_index, self._input_position = signal.index, io.inputs.index(signal)
        self._common_init(runtime, io, metadata, io.outputs[0], window_seconds, hop_seconds,
                          partial_interval_seconds, oneshot_window_seconds, oneshot_hop_seconds, exact_final)

    def frontend(self):
        return _SignalFrontend()

    def empty_units(self) -> np.ndarray:
        return np.zeros(0, dtype=np.float32)

    def _tensor(self, units: np.ndarray, moments=None) -> np.ndarray:
        return units[None, :]


class _SignalFrontend:
    """The graph computes its own features: the units are the samples."""

    def accept(self, samples: np.ndarray) -> np.ndarray:
        return samples

    def finish(self) -> np.ndarray:
        return np.zeros(0, dtype=np.float32)

    def close(self) -> None:
        pass


@register
class QuartzNetLogMelFamily(QuartzNetFamily):
    """NeMo-style: log-mel [1, mels, T] from an edgestt feature preset in, log-probs out."""

    name = "quartznet_logmel"
    aliases = ("nemo",)
    expected = ("one input float32 [1, 64, T] (NeMo log-mel, channels first; an integer length input [1] "
                "may follow) and one output float32 [1, ceil(T/2), classes] (NeMo QuartzNet export)")
    default_output = "log_probs"
    fallback_beam_width = 128  # NeMo's beam-search scripts
    default_preset = "nemo"

    @classmethod
    def recognises(cls, io: ModelIO, metadata: Optional[dict]) -> bool:
        if metadata is not None:
            return metadata.get("family") == cls.name
        feats = _single_float_input(io, 3)
        return (feats is not None and feats.shape[1] == FeatureConfig.preset(cls.default_preset).num_features
                and _single_output(io) is not None and cls._length_inputs(io, feats) is not None)

    @staticmethod
    def _length_inputs(io: ModelIO, feats: TensorInfo):
        """The inputs besides the features: none, or one integer [1] (NeMo's `length`)."""
        others = [t for t in io.inputs if t is not feats]
        if not others:
            return ()
        if len(others) == 1 and others[0].dtype in ("int32", "int64") and others[0].shape == (1,):
            return tuple(others)
        return None

    def __init__(self, runtime: Runtime, io: ModelIO, metadata: Optional[dict] = None, *,
                 window_seconds: Optional[float] = None, hop_seconds: Optional[float] = None,
                 partial_interval_seconds=constants.QUARTZNET_PARTIAL_INTERVAL_SECONDS,
                 oneshot_window_seconds=constants.QUARTZNET_ONESHOT_WINDOW_SECONDS,
                 oneshot_hop_seconds=constants.QUARTZNET_ONESHOT_HOP_SECONDS,
                 stream_normalization: Optional[str] = None,
                 exact_final: bool = constants.QUARTZNET_EXACT_FINAL, **_other_families_options):
        feats = _single_float_input(io, 3)
        lengths = self._length_inputs(io, feats) if feats is not None else None
        if feats is None or lengths is None or len(io.outputs) != 1:
            raise errors.ModelError(f"{runtime.name}: a {self.name} model has {self.expected}; found {io.describe()}")
        meta = metadata or {}
        preset = meta.get("feature_preset") or self.default_preset
        config = self._feature_config(runtime, preset, meta.get("feature_config"))
        if config.num_mfcc:
            raise errors.ModelError(
                f"{runtime.name}: the preset {preset!r} gives MFCC, a {self.name} model takes log-mel")
        if feats.shape[1] != config.num_features:
            raise errors.ModelError(f"{runtime.name}: the input has {feats.shape[1]} features per frame, the "
                                    f"{preset!r} preset gives {config.num_features}")
        # The preset the features are, or None when the metadata's feature_config changes it.
        self.feature_preset = meta.get("feature_preset") if meta.get("feature_config") else preset
        stream_normalization = (constants.QUARTZNET_STREAM_NORMALIZATION if stream_normalization is None
                                else stream_normalization)
        if stream_normalization not in STREAM_NORMALIZATIONS:
            raise errors.InvalidConfig(f"stream_normalization must be one of {STREAM_NORMALIZATIONS}, "
                                       f"got {stream_normalization!r}")
        self.stream_normalization = stream_normalization
        # Raw log-mel for the whole stream; each window is normalised on its own (module docstring).
        self.norm_config = config
        self.feature_config = dataclasses.replace(config, normalization="none")
        Features(self.feature_config).close()  # refuse impossible settings now
        self.sample_rate = int(round(config.sample_rate_hz))
        if int(meta.get("sample_rate", self.sample_rate)) != self.sample_rate:
            raise errors.ModelError(f"{runtime.name}: metadata sample_rate {meta['sample_rate']} differs from the "
                                    f"{preset!r} preset's {self.sample_rate} Hz")
        stride = int(meta.get("stride", 2))
        self.frame_seconds = stride * config.frame_step_samples / config.sample_rate_hz
        if "frame_seconds" in meta and abs(meta["frame_seconds"] - self.frame_seconds) > 1e-6:
            raise errors.ModelError(f"{runtime.name}: metadata frame_seconds {meta['frame_seconds']} differs from "
                                    f"stride {stride} x the preset's hop = {self.frame_seconds}")
        self.units_per_frame = stride
        self.min_units = 1
        self._input_index, self._input_position = feats.index, io.inputs.index(feats)
        self._length = lengths[0] if lengths else None
        self._common_init(runtime, io, metadata, io.outputs[0], window_seconds, hop_seconds,
                          partial_interval_seconds, oneshot_window_seconds, oneshot_hop_seconds, exact_final)

    @staticmethod
    def _feature_config(runtime: Runtime, preset: str, fields: Optional[dict]) -> FeatureConfig:
        """The preset, with the metadata's feature_config fields (if any) put over it."""
        if preset not in constants.FEATURE_PRESETS:
            raise errors.ModelError(f"{runtime.name}: its metadata names the feature preset {preset!r}; "
                                    f"edgestt has {', '.join(constants.FEATURE_PRESETS)}")
        config = FeatureConfig.preset(preset)
        if not fields:
            return config
        known = {f.name for f in dataclasses.fields(FeatureConfig)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise errors.ModelError(f"{runtime.name}: its metadata's feature_config has fields edgestt does not "
                                    f"know: {', '.join(unknown)}")
        values = {k: tuple(v) if k in ("norm_mean", "norm_std") else v for k, v in fields.items()}
        try:
            config = dataclasses.replace(config, **values)
            config.check()
        except (errors.InvalidConfig, TypeError, ValueError) as exc:
            raise errors.ModelError(f"{runtime.name}: its metadata's feature_config is not usable: {exc}") from None
        return config

    def frontend(self):
        return _LogMelFrontend(Features(self.feature_config))

    def describe(self):
        info = super().describe()
        info.update(feature_preset=self.feature_preset, normalization=self.norm_config.normalization,
                    stream_normalization=self.stream_normalization)
        return info

    def empty_units(self) -> np.ndarray:
        return np.zeros((0, self.feature_config.num_features), dtype=np.float32)

    def normalise(self, logmel: np.ndarray, moments: Optional["RunningMoments"] = None) -> np.ndarray:
        """The preset's normalisation of [frames, mels], with the statistics in `moments` or,
        when None, those of these frames."""
        c = self.norm_config
        if c.normalization == "none":
            return logmel
        x = logmel.astype(np.float64)
        if c.normalization == "fixed":
            # As the C front-end's fixed normalisation: the epsilon is added to the std.
            return ((x - np.asarray(c.norm_mean)) / (np.asarray(c.norm_std) + c.norm_epsilon)).astype(np.float32)
        if moments is None:
            moments = RunningMoments(x.shape[1])
            moments.add(x)
        std = moments.std(ddof=1 if c.norm_std_unbiased else 0)
        return ((x - moments.mean) / (std + c.norm_epsilon)).astype(np.float32)

    def new_moments(self) -> Optional["RunningMoments"]:
        if self.stream_normalization == "window" or self.norm_config.normalization != "utterance":
            return None
        return RunningMoments(self.feature_config.num_features)

    def _tensor(self, units: np.ndarray, moments: Optional["RunningMoments"] = None) -> np.ndarray:
        return np.ascontiguousarray(self.normalise(units, moments).T[None])

    def _set_inputs(self, interpreter, x: np.ndarray) -> None:
        super()._set_inputs(interpreter, x)
        if self._length is not None:
            interpreter.set_tensor(self._length.index, np.array([x.shape[2]], dtype=self._length.dtype))


class _LogMelFrontend:
    """Raw log-mel frames of the stream from the C front-end (streaming == one-shot)."""

    def __init__(self, features: Features):
        self.features = features

    def accept(self, samples: np.ndarray) -> np.ndarray:
        self.features.accept(samples)
        return self.features.pop()

    def finish(self) -> np.ndarray:
        try:
            self.features.finish()
        except (errors.EmptyInput, errors.InputTooShort):
            # No frame fits (nemo: 256 samples or fewer): no output, as for the signal family.
            return np.zeros((0, self.features.num_features), dtype=np.float32)
        return self.features.pop()

    def close(self) -> None:
        self.features.close()


class _Units:
    """The input units of an utterance from index `start` on. Appended chunks are joined only
    when the units are read (joining at every feed would copy the whole buffer each time)."""

    def __init__(self, empty: np.ndarray):
        self._joined = empty
        self._parts = []
        self.start = 0  # index (in units) of the first unit held
        self.length = 0  # units held

    @property
    def end(self) -> int:
        return self.start + self.length

    def append(self, units: np.ndarray) -> None:
        if units.shape[0]:
            self._parts.append(units.copy())  # the caller may reuse its array (audio buffers)
            self.length += units.shape[0]

    def array(self) -> np.ndarray:
        """The units held, [length, ...]."""
        if self._parts:
            self._joined = np.concatenate([self._joined] + self._parts)
            self._parts = []
        return self._joined

    def drop(self, n: int) -> None:
        """Forget the first n units."""
        self._joined = self.array()[n:]
        self.start += n
        self.length -= n


class BufferedSession:
    """One utterance through a QuartzNet family (see the module docstring for the schedule).

    accept(float32 samples) -> [n, classes] frames now final; pending() -> tentative frames
    that follow them; finish() -> the remaining frames. Frames are in utterance order and
    each is returned once by accept/finish/catch_up, none before skip_to's frame.

    lazy=True (a stream's preview when exact_final is on): accept() only buffers and returns
    no frames; catch_up() runs the windows due and returns what accept() would have, so the
    frames and pending() are the same as eager ones at the points catch_up is called.
    skip_to(frame) gives up the frames before `frame` (their windows are dropped unrun), which
    bounds the buffer of a lazy session nobody catches up.
    """

    def __init__(self, family: QuartzNetFamily, schedule: Optional[WindowSchedule], lazy: bool = False):
        self.family = family
        self.schedule = schedule  # None: no windows, one run over everything at finish
        self.lazy = lazy
        self._frontend = family.frontend()
        f = family
        if schedule is not None:
            self._window = schedule.window * f.units_per_frame  # in input units
            self._hop = schedule.hop * f.units_per_frame
        self._units = _Units(f.empty_units())  # units from the next window's start on
        self._windows_run = 0  # windows run or skipped
        self._emitted = 0  # output frames returned (or skipped): the index of the next one
        self._tentative = np.zeros((0, f.num_classes), dtype=np.float32)
        self._tentative_upto = 0  # units the last model run covered (end index)
        # Normalisation statistics of units [0, _moments_upto), updated only at windows and
        # finish so that they depend on the audio alone, not on when pending() was called.
        self._moments = family.new_moments()
        self._moments_upto = 0
        interval = f.partial_interval_seconds
        self._partial_interval = None if interval is None else max(
            1, int(round(interval / f.frame_seconds * f.units_per_frame)))
        self._finished = False

    @property
    def frames_emitted(self) -> int:
        """Output frames returned or skipped so far."""
        return self._emitted

    @property
    def windows_run(self) -> int:
        return self._windows_run

    @property
    def units_buffered(self) -> int:
        """Input units held (the memory a lazy session keeps)."""
        return self._units.length

    def _check_open(self, what: str) -> None:
        if self._finished:
            raise errors.StateError(f"{what} after finish: this session is finished")
        if self._frontend is None:
            raise errors.ClosedError(f"{what}: this session is closed")

    def accept(self, samples: np.ndarray) -> np.ndarray:
        self._check_open("accept")
        if not isinstance(samples, np.ndarray) or samples.dtype != np.float32 or samples.ndim != 1:
            raise errors.InvalidAudio(
                "accept takes a 1-D float32 numpy array of samples, got "
                + (f"{samples.dtype} of shape {samples.shape}" if isinstance(samples, np.ndarray)
                   else type(samples).__name__))
        if not np.isfinite(samples).all():
            raise errors.NonFiniteInput("the audio holds NaN or infinity; nothing was consumed")
        self._units.append(self._frontend.accept(samples))
        return self._run_windows(run_model=not self.lazy)

    def catch_up(self) -> np.ndarray:
        """Run the windows a lazy session has due; return the frames they make final."""
        self._check_open("catch_up")
        return self._run_windows(run_model=True)

    def skip_to(self, frame: int) -> None:
        """Never return frames before `frame` (output frames from the utterance's start): the
        windows whose kept frames all lie before it are dropped without running the model."""
        self._check_open("skip_to")
        if frame > self._emitted:
            self._emitted = frame
            self._tentative = self._no_frames()  # it started before `frame`
            self._tentative_upto = -1 if self._partial_interval is None else -self._partial_interval
            self._run_windows(run_model=False)

    def pending(self) -> np.ndarray:
        """Tentative frames after the final ones (may be empty). Runs the model on the input
        past the last window when enough new input came in since the last run."""
        if self._finished or self._frontend is None:
            return self._no_frames()
        if self.schedule is not None and self._units.length >= self._window:
            raise errors.StateError("pending: this lazy session has windows due; call catch_up() first")
        end = self._units.end
        if (self._partial_interval is not None and end - self._tentative_upto >= self._partial_interval
                and self._units.length >= self.family.min_units):
            moments = self._moments_through(end, commit=False)
            self._tentative = self._keep_right(self.family.run(self._units.array(), moments))
            self._tentative_upto = end
        return self._tentative

    def finish(self) -> np.ndarray:
        self._check_open("finish")
        self._finished = True
        try:
            self._units.append(self._frontend.finish())
            windows = self._run_windows(run_model=True)
            # The last, shorter window (or the whole utterance): everything from its centre on.
            end = self._units.end
            tail = (self._keep_right(self.family.run(self._units.array(), self._moments_through(end, commit=True)))
                    if self._units.length else self._no_frames())
            self._emitted += tail.shape[0]
            return np.concatenate([windows, tail])
        finally:
            self.close()

    def close(self) -> None:
        if self._frontend is not None:
            self._frontend.close()
            self._frontend = None
        self._units = _Units(self.family.empty_units())
        self._tentative = self._no_frames()

    # ---- internals
    def _no_frames(self) -> np.ndarray:
        return np.zeros((0, self.family.num_classes), dtype=np.float32)

    def _moments_through(self, end: int, commit: bool) -> Optional[RunningMoments]:
        """Statistics of units [0, end) (None for windows normalised on their own)."""
        if self._moments is None:
            return None
        moments = self._moments if commit else copy.deepcopy(self._moments)
        start = self._units.start
        moments.add(self._units.array()[self._moments_upto - start: end - start])
        if commit:
            self._moments_upto = end
        return moments

    def _first_kept(self) -> int:
        """The first frame not returned yet, in the next window's output frames (the left
        context of every window but the first, unless skip_to moved it further)."""
        hop = self.schedule.hop if self.schedule is not None else 0
        return self._emitted - self._windows_run * hop

    def _keep_right(self, scores: np.ndarray) -> np.ndarray:
        """The frames of a window starting at the buffer's start that are not final yet."""
        return scores[self._first_kept():]

    def _run_windows(self, run_model: bool) -> np.ndarray:
        """Go over every complete window: drop those whose frames were skipped, run the others
        (or stop at the first of them when not run_model); return the frames made final."""
        f, schedule = self.family, self.schedule
        rows = []
        while schedule is not None and self._units.length >= self._window:
            first, keep_to = self._first_kept(), schedule.left + schedule.hop
            window_end = self._units.start + self._window
            if first < keep_to:
                if not run_model:
                    break
                scores = f.run(self._units.array()[: self._window], self._moments_through(window_end, commit=True))
                if scores.shape[0] != schedule.window:
                    raise errors.ModelError(
                        f"{f.runtime.name}: a window of {schedule.window * f.frame_seconds:g} s gave "
                        f"{scores.shape[0]} output frames, expected {schedule.window} (one per "
                        f"{f.frame_seconds:g} s): the model's time stride is not what its family or metadata says"
                    )
                rows.append(scores[first:keep_to])
                self._emitted += keep_to - first
                self._tentative = scores[keep_to:]
                self._tentative_upto = window_end
            else:
                self._moments_through(window_end, commit=True)  # as if it had run
            self._units.drop(self._hop)
            self._windows_run += 1
        return np.concatenate(rows) if rows else self._no_frames()
