"""Band-limited sample-rate conversion in C (windowed-sinc polyphase, Kaiser window).

    from edgestt.resample import resample, Resampler
    y = resample(x, 44100, 16000)            # one shot: ceil(len(x) * 16000 / 44100) samples
    with Resampler(48000, 16000) as r:       # streaming: the same samples, whatever the chunking
        for chunk in chunks:
            out = r.process(chunk)
        tail = r.flush()

Output sample k is the band-limited input at time k / to_hz (no delay to undo), with zeros
assumed before and after the signal, as scipy.signal.resample_poly does. The filter is flat
to 0.9 of the lower Nyquist frequency and attenuates from the lower Nyquist frequency on.
"""
from __future__ import annotations

import numpy as np

from . import constants, errors
from ._ffi import NativeObject, as_audio, check, new_err_buffer
from ._native import ffi, lib


def as_rate_hz(value, name: str) -> int:
    """A sample rate as an int: integers and whole floats (16000.0) pass, anything else is refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer, float, np.floating)):
        raise errors.InvalidArgument(f"{name} must be an integer sample rate in Hz, got {value!r}")
    if value != int(value):
        raise errors.InvalidArgument(f"{name} must be a whole number of Hz, got {value!r}")
    return int(value)


def _as_float32(samples, what: str) -> np.ndarray:
    """int16 -> x/32768 exactly; float32/float64 -> float32; anything else is refused."""
    audio = as_audio(samples, what)
    if audio.dtype == np.int16:
        return audio.astype(np.float32) * np.float32(1.0 / 32768.0)
    return audio


class Resampler(NativeObject):
    """A streaming resampler from `from_hz` to `to_hz` (integers, 1 kHz .. 768 kHz, ratio <= 64).

    `process(chunk)` returns the output samples the chunk completes; `flush()` returns the tail
    and starts a new stream. Streaming output == `resample()` of the whole signal, bit for bit.
    Not thread-safe; use one per stream.
    """

    def __init__(self, from_hz: int, to_hz: int, *,
                 passband_edge: float = constants.RESAMPLE_PASSBAND_EDGE,
                 stopband_edge: float = constants.RESAMPLE_STOPBAND_EDGE,
                 stopband_attenuation_db: float = constants.RESAMPLE_STOPBAND_ATTENUATION_DB):
        from_hz, to_hz = as_rate_hz(from_hz, "from_hz"), as_rate_hz(to_hz, "to_hz")
        for name, value in (("from_hz", from_hz), ("to_hz", to_hz)):
            if not lib.ES_RESAMPLER_MIN_RATE_HZ <= value <= lib.ES_RESAMPLER_MAX_RATE_HZ:
                raise errors.InvalidConfig(f"{name} {value} is outside [{lib.ES_RESAMPLER_MIN_RATE_HZ}, "
                                           f"{lib.ES_RESAMPLER_MAX_RATE_HZ}] Hz")
        cfg = ffi.new("es_resampler_config *", lib.es_resampler_config_default())
        cfg.input_rate_hz, cfg.output_rate_hz = from_hz, to_hz
        cfg.passband_edge, cfg.stopband_edge = passband_edge, stopband_edge
        cfg.stopband_attenuation_db = stopband_attenuation_db
        err = new_err_buffer()
        out = ffi.new("es_resampler **")
        check(lib.es_resampler_new(cfg, out, err, len(err)), err)
        self._own(out[0], lib.es_resampler_free)
        self._count = ffi.new("size_t *")  # reused by every call: process runs per 20 ms of audio
        self.from_hz, self.to_hz = from_hz, to_hz

    @property
    def latency(self) -> int:
        """Input samples held back until later input (or flush) lets their outputs be computed."""
        return int(lib.es_resampler_latency(self._live()))

    @property
    def taps(self) -> int:
        """Filter taps per output sample (0 for equal rates: a plain copy)."""
        return int(lib.es_resampler_taps(self._live()))

    def output_length(self, num_input: int) -> int:
        """Samples a whole stream of num_input samples resamples to: ceil(num_input * to / from)."""
        return int(lib.es_resampler_total_output(self._live(), int(num_input)))

    def process(self, chunk: np.ndarray) -> np.ndarray:
        """Consume a chunk (int16 scaled by 1/32768, or float) and return the float32 output it completes."""
        handle = self._live()
        x = _as_float32(chunk, "chunk")
        out = np.empty(lib.es_resampler_output_size(handle, x.size), dtype=np.float32)
        check(lib.es_resampler_process(handle, ffi.from_buffer("float[]", x), x.size,
                                       ffi.from_buffer("float[]", out), out.size, self._count), context="process")
        return out[: self._count[0]]

    def flush(self) -> np.ndarray:
        """The last output samples (the input is followed by zeros); then a new stream starts."""
        handle = self._live()
        out = np.empty(lib.es_resampler_finish_size(handle), dtype=np.float32)
        check(lib.es_resampler_finish(handle, ffi.from_buffer("float[]", out), out.size, self._count), context="flush")
        lib.es_resampler_reset(handle)
        return out[: self._count[0]]

    def reset(self) -> None:
        """Forget the current stream without producing its tail."""
        lib.es_resampler_reset(self._live())


def resample(samples: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """Resample mono audio (int16 scaled by 1/32768, or float) to `to_hz`; returns float32
    with ceil(len * to_hz / from_hz) samples. Equal rates return a float32 copy."""
    x = _as_float32(samples, "samples")
    with Resampler(from_hz, to_hz) as r:
        head = r.process(x)
        return np.concatenate([head, r.flush()])
