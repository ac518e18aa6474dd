"""Mozilla DeepSpeech 0.9.x and Coqui STT 1.x .tflite models, run as their native client does.

The file holds three graphs in one: a feature subgraph (input_samples[512] -> mfccs), the
acoustic model (input_node[1, 16, 19, 26] + LSTM state -> logits[16, 29], already softmaxed)
and constant metadata_* outputs (graph version, sample rate, window, beam width, alphabet).

Per stream (specs/deepspeech.md §3):
- MFCC frames come from edgestt's C front-end (the `deepspeech` preset reproduces the graph's
  AudioSpectrogram + Mfcc ops), one per 512-sample window every 320 samples;
- 9 zero frames precede the first, each timestep sees a 19-frame window (9 + 1 + 9);
- the acoustic model runs on 16 timesteps at a time with the LSTM state carried over;
- at finish, one more frame from the partial last window (the "flush"), 9 zero frames, and
  the partial last batch (zero-padded: rows past n do not change rows before n).

The flush window. DeepSpeech 0.9.3's TFLite client copies only the leftover samples into the
512-float input tensor and leaves the rest as the previous window left it, so the last frame
is computed on [leftover samples, stale tail of the previous window]; for an input shorter
than one window the tail is what the model's tensor held from the stream before.
final_window="stale" (the default) reproduces this, the model keeping the last window it
computed for that case; final_window="zeros" zero-pads as Coqui STT 1.x (and DeepSpeech's
TensorFlow runtime) do.
"""
from __future__ import annotations

import struct
import threading
from typing import Optional, Tuple

import numpy as np

from . import constants, errors
from .families import AcousticFamily, ModelIO, register
from .features import FeatureConfig, Features
from .runtime import Runtime

GRAPH_VERSION = 6
FINAL_WINDOWS = ("stale", "zeros")

_INPUTS = ("input_node", "previous_state_c", "previous_state_h")
_OUTPUTS = ("logits", "new_state_c", "new_state_h")
_METADATA = (
    "metadata_version", "metadata_sample_rate", "metadata_feature_win_len",
    "metadata_feature_win_step", "metadata_beam_width", "metadata_alphabet",
)


def deserialize_alphabet(blob: bytes) -> Tuple[str, ...]:
    """DeepSpeech's Alphabet::Serialize format (uint16 count, then per label: uint16 index,
    uint16 byte length, UTF-8 bytes; little-endian, in any order) -> labels in index order."""
    try:
        (count,) = struct.unpack_from("<H", blob, 0)
        labels = {}
        pos = 2
        for _ in range(count):
            index, length = struct.unpack_from("<HH", blob, pos)
            pos += 4
            if pos + length > len(blob):
                raise struct.error("label runs past the end")
            labels[index] = blob[pos: pos + length].decode("utf-8")
            pos += length
    except (struct.error, UnicodeDecodeError) as exc:
        raise errors.ModelError(f"the model's metadata_alphabet is not a serialised alphabet ({exc})") from None
    if sorted(labels) != list(range(count)) or not all(labels.values()):
        raise errors.ModelError(
            f"the model's metadata_alphabet does not number its {count} labels 0..{count - 1} (got {sorted(labels)})"
        )
    return tuple(labels[i] for i in range(count))


def _scalar(interpreter, info) -> object:
    value = interpreter.get_tensor(info.index).reshape(-1)
    if value.size < 1:
        raise errors.ModelError(f"the model's {info.name} output is empty")
    return value[0]


@register
class DeepSpeechFamily(AcousticFamily):
    name = "deepspeech"
    aliases = ("coqui",)
    expected = (
        "inputs input_node[1, steps, 2*context+1, features] float32, previous_state_c[1, H], previous_state_h[1, H]; "
        "outputs logits[steps, classes], new_state_c[1, H], new_state_h[1, H], and metadata_sample_rate, "
        "metadata_feature_win_len, metadata_feature_win_step, metadata_beam_width, metadata_alphabet "
        "(DeepSpeech 0.9.x / Coqui STT 1.x export, graph version 6)"
    )
    has_pending = False  # like DS_IntermediateDecode: frames still buffered are not decoded

    @classmethod
    def recognises(cls, io: ModelIO, metadata: Optional[dict]) -> bool:
        return all(io.input(n) for n in _INPUTS) and all(io.output(n) for n in _OUTPUTS)

    def __init__(self, runtime: Runtime, io: ModelIO, metadata: Optional[dict] = None, *,
                 final_window: Optional[str] = None, **_other_families_options):
        final_window = constants.DEFAULT_DEEPSPEECH_FINAL_WINDOW if final_window is None else final_window
        if final_window not in FINAL_WINDOWS:
            raise errors.InvalidConfig(f"final_window must be one of {FINAL_WINDOWS}, got {final_window!r}")
        self.runtime = runtime
        self.final_window = final_window
        node = io.input("input_node")
        if len(node.shape) != 4 or node.shape[0] != 1 or node.shape[2] % 2 != 1 or node.dtype != "float32":
            raise errors.ModelError(f"{runtime.name}: input_node must be float32 [1, steps, 2*context+1, features], "
                                    f"got {node}")
        self.n_steps, window, self.n_features = node.shape[1], node.shape[2], node.shape[3]
        self.n_context = (window - 1) // 2
        state_c, state_h = io.input("previous_state_c"), io.input("previous_state_h")
        if len(state_c.shape) != 2 or state_c.shape != state_h.shape:
            raise errors.ModelError(f"{runtime.name}: previous_state_c/h must both be [1, H], got {state_c}, {state_h}")
        self.state_size = state_c.shape[1]
        logits = io.output("logits")
        if len(logits.shape) != 2 or logits.shape[0] != self.n_steps:
            raise errors.ModelError(f"{runtime.name}: logits must be [{self.n_steps}, classes], got {logits}")
        self.num_classes = logits.shape[1]
        self._index = {n: io.input(n).index for n in _INPUTS}
        self._index.update({n: io.output(n).index for n in _OUTPUTS})

        self._read_metadata(io, metadata)
        if self.num_classes - 1 != len(self.labels):
            raise errors.ModelError(
                f"{runtime.name}: logits has {self.num_classes} classes but the alphabet {len(self.labels)} labels "
                "(expected labels + 1 for the blank)"
            )
        self.blank_index = self.num_classes - 1
        self.output = "probs"
        self.frame_seconds = float(np.float32(self.win_step) / np.float32(self.sample_rate))
        self.feature_config = self._feature_config()
        Features(self.feature_config).close()  # refuse impossible settings now
        # For an input shorter than one window, 0.9.3 fills the window's tail from whatever
        # the model's input tensor held: the last window computed by the stream before.
        self._last_window = np.zeros(self.win_len, dtype=np.float32)
        self._last_window_lock = threading.Lock()

    # ---- metadata
    def _read_metadata(self, io: ModelIO, metadata: Optional[dict]) -> None:
        found = {n: io.output(n) for n in _METADATA if io.output(n) is not None}
        values = {}
        if found:
            # Constant or produced by an op: one run of the whole graph computes them all.
            with self.runtime.interpreter() as interpreter:
                try:
                    interpreter.invoke()
                except (ValueError, RuntimeError) as exc:
                    raise errors.ModelError(f"{self.runtime.name}: the model does not run: {exc}") from None
                values = {n: _scalar(interpreter, t) for n, t in found.items()}
        meta = metadata or {}
        if "metadata_version" in values and int(values["metadata_version"]) < GRAPH_VERSION:
            raise errors.ModelError(
                f"{self.runtime.name}: graph version {int(values['metadata_version'])} is older than the "
                f"supported {GRAPH_VERSION} (re-export it with DeepSpeech 0.9.x or Coqui STT 1.x)"
            )

        def pick(tensor: str, key: str, default=None):
            if tensor in values:
                return int(values[tensor])
            if key in meta:
                return int(meta[key])
            if default is not None:
                return default
            raise errors.ModelError(
                f"{self.runtime.name}: no {tensor} output and no edgestt metadata {key!r}; "
                f"expected {self.expected}"
            )

        self.sample_rate = pick("metadata_sample_rate", "sample_rate")
        win_len_ms = pick("metadata_feature_win_len", "feature_win_len_ms", 32)
        win_step_ms = pick("metadata_feature_win_step", "feature_win_step_ms", 20)
        # The client's double arithmetic truncated to unsigned (16000 * 0.032 = 512 exactly).
        self.win_len = int(self.sample_rate * (win_len_ms / 1000.0))
        self.win_step = int(self.sample_rate * (win_step_ms / 1000.0))
        self.default_beam_width = pick("metadata_beam_width", "default_beam_width", 0) or None
        if "metadata_alphabet" in values:
            blob = values["metadata_alphabet"]
            self.labels = deserialize_alphabet(bytes(blob))
        elif "alphabet" in meta:
            self.labels = tuple(meta["alphabet"])
        else:
            raise errors.ModelError(f"{self.runtime.name}: no metadata_alphabet output and no edgestt metadata "
                                    f"'alphabet'; expected {self.expected}")
        if self.sample_rate <= 0 or not 0 < self.win_step <= self.win_len:
            raise errors.ModelError(f"{self.runtime.name}: impossible metadata: sample rate {self.sample_rate}, "
                                    f"window {win_len_ms} ms, step {win_step_ms} ms")

    def _feature_config(self) -> FeatureConfig:
        config = FeatureConfig.preset("deepspeech")
        if (config.sample_rate_hz, config.frame_length_samples, config.frame_step_samples, config.num_mfcc) == (
            self.sample_rate, self.win_len, self.win_step, self.n_features
        ):
            return config
        import dataclasses

        # Another rate or window: the same TF ops with DeepSpeech's other settings
        # (FFT = next power of two of the window, mel up to half the rate).
        fft = 1 << max(0, (self.win_len - 1).bit_length())
        return dataclasses.replace(
            config, sample_rate_hz=float(self.sample_rate), frame_length_samples=self.win_len,
            frame_step_samples=self.win_step, fft_size=fft, high_freq_hz=self.sample_rate / 2.0,
            num_mfcc=self.n_features,
        )

    def describe(self):
        info = super().describe()
        info.update(n_hidden=self.state_size, n_steps=self.n_steps, n_context=self.n_context,
                    final_window=self.final_window, mode=self.runtime.mode)
        return info

    def new_session(self, streaming: bool = True) -> "DeepSpeechSession":
        return DeepSpeechSession(self)  # streaming and one-shot are the same computation

    # ---- one batch through the acoustic model
    def run_batch(self, interpreter, windows: np.ndarray, c: np.ndarray, h: np.ndarray) -> np.ndarray:
        """windows: [1, n_steps, 2*context+1, features] C-contiguous; c, h are overwritten with
        the new state. Returns the probabilities [n_steps, classes] (a copy)."""
        index = self._index
        interpreter.set_tensor(index["input_node"], windows)
        interpreter.set_tensor(index["previous_state_c"], c)
        interpreter.set_tensor(index["previous_state_h"], h)
        interpreter.invoke()
        c[...] = interpreter.get_tensor(index["new_state_c"])
        h[...] = interpreter.get_tensor(index["new_state_h"])
        return interpreter.get_tensor(index["logits"])

    def swap_last_window(self, window: Optional[np.ndarray]) -> np.ndarray:
        """Remember `window` as the model's last input window; return the one it replaces."""
        with self._last_window_lock:
            previous = self._last_window
            if window is not None:
                self._last_window = window
            return previous


class DeepSpeechSession:
    """The stream state of DeepSpeech's client: audio tail, feature frames, LSTM state."""

    def __init__(self, family: DeepSpeechFamily):
        self.family = family
        f = family
        self._features = Features(f.feature_config)
        self._context_rows = 2 * f.n_context
        # Feature frames not yet consumed by a batch, starting with the 9 leading zero frames.
        self._rows = np.zeros((f.n_context, f.n_features), dtype=np.float32)
        self._c = np.zeros((1, f.state_size), dtype=np.float32)
        self._h = np.zeros((1, f.state_size), dtype=np.float32)
        # The last win_len + win_step samples: enough to rebuild the final window at finish.
        self._tail = np.zeros(0, dtype=np.float32)
        self._num_samples = 0
        self._finished = False
        self._empty = np.zeros((0, f.num_classes), dtype=np.float32)

    def accept(self, samples: np.ndarray) -> np.ndarray:
        """Add float32 samples in [-1, 1); returns the probabilities of the timesteps now complete."""
        if self._finished:
            raise errors.StateError("accept after finish")
        f = self.family
        if samples.size == 0:
            return self._empty
        self._features.accept(samples)
        self._num_samples += samples.size
        keep = f.win_len + f.win_step
        self._tail = samples[-keep:].copy() if samples.size >= keep else np.concatenate((self._tail, samples))[-keep:]
        frames = self._features.pop()
        if frames.shape[0]:
            self._rows = np.concatenate((self._rows, frames))
        return self._run(final=False)

    def pending(self) -> np.ndarray:
        return self._empty

    def finish(self) -> np.ndarray:
        """The flush frame, 9 trailing zero frames, the partial last batch; the rest of the probabilities."""
        if self._finished:
            raise errors.StateError("finish called twice")
        self._finished = True
        f = self.family
        window = self._final_window()
        self._features.reset()
        flush = self._features.compute(window)
        self._features.close()
        zeros = np.zeros((f.n_context, f.n_features), dtype=np.float32)
        self._rows = np.concatenate((self._rows, flush, zeros))
        return self._run(final=True)

    def _final_window(self) -> np.ndarray:
        """The 512 samples DeepSpeech's client computes its last frame on (see the module docstring)."""
        f = self.family
        n = self._num_samples
        full = 0 if n < f.win_len else 1 + (n - f.win_len) // f.win_step
        leftover = n - full * f.win_step  # samples after the last hop (n itself when no full window)
        window = np.zeros(f.win_len, dtype=np.float32)
        window[:leftover] = self._tail[len(self._tail) - leftover:] if leftover else 0.0
        if f.final_window == "stale":
            if full:
                # The previous window started win_step samples before the leftover.
                previous = self._tail[len(self._tail) - leftover - f.win_step:][: f.win_len]
                window[leftover:] = previous[leftover:]
                f.swap_last_window(window)
            else:
                window[leftover:] = f.swap_last_window(window)[leftover:]
        return window

    def _run(self, final: bool) -> np.ndarray:
        """Run every complete batch of timesteps (and at finish the partial one)."""
        f = self.family
        steps = max(0, self._rows.shape[0] - self._context_rows)  # timesteps whose 19-frame window is complete
        batches = steps // f.n_steps
        last = steps - batches * f.n_steps
        if batches == 0 and not (final and last):
            return self._empty
        # Sliding 19-frame windows over the rows, as a view: [steps, 19, features].
        window = 2 * f.n_context + 1
        views = np.lib.stride_tricks.sliding_window_view(self._rows, window, axis=0).transpose(0, 2, 1)
        out = np.empty(((batches + (1 if final and last else 0)) * f.n_steps, f.num_classes), dtype=np.float32)
        batch = np.zeros((1, f.n_steps, window, f.n_features), dtype=np.float32)
        with f.runtime.interpreter() as interpreter:
            for b in range(batches):
                batch[0] = views[b * f.n_steps: (b + 1) * f.n_steps]
                out[b * f.n_steps: (b + 1) * f.n_steps] = f.run_batch(interpreter, batch, self._c, self._h)
            if final and last:
                batch[0, :last] = views[batches * f.n_steps:]
                batch[0, last:] = 0.0
                out[batches * f.n_steps:] = f.run_batch(interpreter, batch, self._c, self._h)
        consumed = batches * f.n_steps
        self._rows = self._rows[consumed:].copy()
        produced = consumed + (last if final else 0)
        return out[:produced]

    def close(self) -> None:
        self._features.close()
