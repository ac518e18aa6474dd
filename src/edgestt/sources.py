"""Where live audio comes from: a microphone (PortAudio through pyaudio), a WAV file played at
real time or as fast as possible, or any iterator of numpy chunks.

    from edgestt.sources import Microphone, WavFileSource, IteratorSource, list_devices
    for device in list_devices():
        print(device.index, device.name, device.default_sample_rate)
    with Microphone(device="USB", sample_rate=16000) as mic:   # index, name or part of a name
        for chunk in mic:             # float32 mono in [-1, 1) at 16 kHz, whatever the device's rate
            ...

Every source yields float32 mono chunks in [-1, 1) at its `sample_rate` (the model's rate);
audio at another rate is resampled in C (edgestt.resample). `stop()` may be called from any
thread (or a signal handler): the iteration ends after the current chunk. `close()` releases
the device; sources are context managers and close themselves when their iteration ends.

The microphone never drops audio silently. PortAudio's callback thread only copies each block
into a ring buffer; the consumer reads, mixes down and resamples. When the driver reports an
input overflow, or the consumer falls so far behind that the ring buffer is full, an
AudioOverrun is raised (on_overrun="raise") or queued for `take_overruns()` ("report", which
edgestt.listen turns into Overrun events), and counted in `stats` either way.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Union

import numpy as np

from . import constants, errors
from ._ffi import as_audio

_INT16_SCALE = np.float32(1.0 / 32768.0)
_ON_OVERRUN = ("raise", "report")


@dataclass(frozen=True)
class AudioDevice:
    """An audio input device as PortAudio lists it."""

    index: int
    name: str
    host_api: str
    max_input_channels: int
    default_sample_rate: float
    is_default: bool


@dataclass(frozen=True)
class SourceStats:
    """Sample accounting of a source, in frames at the capture rate.

    captured = delivered + buffered + dropped at every moment: nothing disappears unaccounted.
    input_overflows counts the callbacks the driver flagged (the samples it lost are unknown).
    """

    capture_rate: int
    captured: int
    delivered: int
    buffered: int
    dropped: int
    input_overflows: int


def _float_chunk(chunk, what: str = "chunk") -> np.ndarray:
    """A chunk as float32 mono: int16 scaled by exactly 1/32768, float taken as is, a 2-D
    [frames, channels] array mixed down."""
    if isinstance(chunk, np.ndarray) and chunk.ndim == 2:
        if chunk.shape[1] == 0:
            raise errors.InvalidAudio(f"{what} has shape {chunk.shape}: no channels")
        scale = _INT16_SCALE if chunk.dtype == np.int16 else np.float32(1.0)
        if chunk.dtype not in (np.int16, np.float32, np.float64):
            raise errors.InvalidAudio(f"{what} must be int16, float32 or float64 samples, got dtype {chunk.dtype}")
        return (chunk.astype(np.float32).mean(axis=1) * scale).astype(np.float32)
    chunk = as_audio(np.ascontiguousarray(chunk) if isinstance(chunk, np.ndarray) else chunk, what)
    if chunk.dtype == np.int16:
        return chunk.astype(np.float32) * _INT16_SCALE
    return chunk


class _RateConverter:
    """Streaming conversion from the capture rate to the source rate (identity when equal)."""

    def __init__(self, from_hz: int, to_hz: int):
        self._resampler = None
        if int(from_hz) != int(to_hz):
            from .resample import Resampler

            self._resampler = Resampler(int(from_hz), int(to_hz))

    def process(self, chunk: np.ndarray) -> np.ndarray:
        return chunk if self._resampler is None else self._resampler.process(chunk)

    def flush(self) -> np.ndarray:
        return np.zeros(0, np.float32) if self._resampler is None else self._resampler.flush()


class AudioSource:
    """Base of the sources: iterate for float32 mono chunks at `sample_rate`."""

    sample_rate: int

    def __init__(self, sample_rate: int):
        if not isinstance(sample_rate, (int, np.integer)) or isinstance(sample_rate, bool) or sample_rate <= 0:
            raise errors.InvalidArgument(f"sample_rate must be a positive integer (Hz), got {sample_rate!r}")
        self.sample_rate = int(sample_rate)
        self._stop_requested = threading.Event()
        self._overruns: List[errors.AudioOverrun] = []
        self._overrun_lock = threading.Lock()

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.chunks()

    def chunks(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def stop(self) -> None:
        """End the iteration after the current chunk; safe from any thread or a signal handler."""
        self._stop_requested.set()

    @property
    def stopped(self) -> bool:
        return self._stop_requested.is_set()

    @property
    def backlog(self) -> float:
        """Seconds of audio captured but not yet delivered (0 for sources that do not capture):
        how far the consumer is behind real time."""
        return 0.0

    def take_overruns(self) -> List[errors.AudioOverrun]:
        """The overruns reported since the last call (on_overrun="report"), oldest first."""
        with self._overrun_lock:
            taken, self._overruns = self._overruns, []
        return taken

    def _report_overrun(self, overrun: errors.AudioOverrun, policy: str) -> None:
        if policy == "raise":
            raise overrun
        with self._overrun_lock:
            self._overruns.append(overrun)

    def close(self) -> None:
        """Release what the source holds (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class IteratorSource(AudioSource):
    """Any iterable of numpy chunks (int16, float32/64; 1-D mono or 2-D [frames, channels])
    at `source_rate` (default: `sample_rate`), resampled to `sample_rate` when they differ."""

    def __init__(self, chunks: Iterable[np.ndarray], sample_rate: int, *, source_rate: Optional[int] = None):
        super().__init__(sample_rate)
        if isinstance(chunks, np.ndarray):
            raise errors.InvalidArgument("IteratorSource takes an iterable of chunks; wrap one array in a list")
        self._chunks = chunks
        self.source_rate = self.sample_rate if source_rate is None else int(source_rate)
        if self.source_rate <= 0:
            raise errors.InvalidArgument(f"source_rate must be positive, got {source_rate!r}")
        self.samples_read = 0

    def chunks(self) -> Iterator[np.ndarray]:
        converter = _RateConverter(self.source_rate, self.sample_rate)
        for index, chunk in enumerate(self._chunks):
            if self.stopped:
                break
            samples = _float_chunk(chunk, f"chunk {index}")
            self.samples_read += len(samples)
            out = converter.process(samples)
            if out.size:
                yield out
        tail = converter.flush()
        if tail.size:
            yield tail


class WavFileSource(AudioSource):
    """A WAV file (any format edgestt.audio reads, resampled to `sample_rate`), delivered in
    chunks of `chunk_ms` as fast as the consumer takes them, or at real time (`realtime=True`:
    each chunk becomes available when its last sample would have been recorded, as from a
    microphone)."""

    def __init__(self, path: Union[str, os.PathLike], sample_rate: int, *, realtime: bool = False,
                 chunk_ms: float = constants.SOURCE_CHUNK_MS):
        super().__init__(sample_rate)
        from .audio import load_audio

        if chunk_ms <= 0:
            raise errors.InvalidArgument(f"chunk_ms must be positive, got {chunk_ms!r}")
        self.path = path
        self.realtime = bool(realtime)
        self.samples = load_audio(path, self.sample_rate)
        self._chunk = max(1, int(round(chunk_ms * self.sample_rate / 1000)))

    @property
    def duration(self) -> float:
        """Length of the file in seconds."""
        return len(self.samples) / self.sample_rate

    def chunks(self) -> Iterator[np.ndarray]:
        start = time.monotonic()
        for begin in range(0, len(self.samples), self._chunk):
            if self.stopped:
                break
            chunk = self.samples[begin:begin + self._chunk]
            if self.realtime:
                due = start + (begin + len(chunk)) / self.sample_rate
                # Waiting on the stop event (not time.sleep) lets stop() end the wait at once.
                if self._stop_requested.wait(max(0.0, due - time.monotonic())):
                    break
            yield chunk


# ----------------------------------------------------------------------------- microphone


class _RingBuffer:
    """Fixed-capacity FIFO of int16 frames between PortAudio's callback thread (write) and the
    consumer (read). A write that does not fit keeps what fits and counts the rest as dropped:
    the callback must never block."""

    def __init__(self, capacity_frames: int, channels: int):
        self._data = np.zeros((capacity_frames, channels), np.int16)
        self._capacity = capacity_frames
        self._read = 0  # absolute frame counts; positions are taken modulo the capacity
        self._write = 0
        self._ready = threading.Condition(threading.Lock())
        self.captured = 0
        self.dropped = 0
        self.overflows = 0
        # Losses since the last take_losses(), summed: one report per kind, however many callbacks.
        self._new_overflows = 0
        self._new_dropped = 0

    def write(self, frames: np.ndarray, driver_overflow: bool) -> None:
        with self._ready:
            self.captured += len(frames)
            self.overflows += driver_overflow
            self._new_overflows += driver_overflow
            fits = min(len(frames), self._capacity - (self._write - self._read))
            self.dropped += len(frames) - fits
            self._new_dropped += len(frames) - fits
            position = self._write % self._capacity
            first = min(fits, self._capacity - position)
            self._data[position:position + first] = frames[:first]
            self._data[:fits - first] = frames[first:fits]
            self._write += fits
            self._ready.notify()

    def read(self, max_frames: int, timeout: float) -> np.ndarray:
        """Up to max_frames frames, waiting at most `timeout` seconds for the first one."""
        with self._ready:
            if self._write == self._read:
                self._ready.wait(timeout)
            count = min(self._write - self._read, max_frames)
            position = self._read % self._capacity
            first = min(count, self._capacity - position)
            out = np.concatenate([self._data[position:position + first], self._data[:count - first]])
            self._read += count
            return out

    def take_losses(self) -> List[errors.AudioOverrun]:
        with self._ready:
            overflows, self._new_overflows = self._new_overflows, 0
            dropped, self._new_dropped = self._new_dropped, 0
        losses = []
        if overflows:
            losses.append(errors.AudioOverrun(
                f"the audio driver reported {overflows} input overflow(s): samples were lost before edgestt "
                "saw them (the system was too busy to run the capture callback in time)"))
        if dropped:
            losses.append(errors.AudioOverrun(
                f"the capture buffer ({self._capacity} frames) was full: {dropped} frames lost; recognition "
                "is slower than real time (a smaller model, fewer partials or more num_threads may help)",
                lost_samples=dropped))
        return losses

    @property
    def buffered(self) -> int:
        with self._ready:
            return self._write - self._read

    @property
    def delivered(self) -> int:
        with self._ready:
            return self._read


def _import_pyaudio():
    try:
        import pyaudio
    except ImportError:
        raise errors.AudioDeviceError(
            "the microphone needs pyaudio: pip install 'edgestt[mic]' (on Debian / Raspberry Pi OS "
            "first: sudo apt-get install portaudio19-dev)") from None
    return pyaudio


class _CapturedStderr:
    """Collects what C libraries write to file descriptor 2 meanwhile: ALSA and JACK print
    dozens of probing messages when PortAudio starts, which would bury the transcript. The text
    is kept and put into the error message if something fails."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.text = ""

    @contextlib.contextmanager
    def capture(self):
        if not self.enabled:
            yield
            return
        with tempfile.TemporaryFile(mode="w+b") as sink:
            saved = os.dup(2)
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
                os.close(saved)
                sink.seek(0)
                self.text += sink.read().decode("utf-8", "replace")

    def tail(self, lines: int = 5) -> str:
        kept = [line for line in self.text.splitlines() if line.strip()][-lines:]
        return ("\nPortAudio said:\n  " + "\n  ".join(kept)) if kept else ""


def _device(pa, info: dict, default_index: Optional[int]) -> AudioDevice:
    host = pa.get_host_api_info_by_index(info["hostApi"])["name"]
    return AudioDevice(index=int(info["index"]), name=str(info["name"]), host_api=str(host),
                       max_input_channels=int(info["maxInputChannels"]),
                       default_sample_rate=float(info["defaultSampleRate"]),
                       is_default=info["index"] == default_index)


def _default_input_index(pa) -> Optional[int]:
    try:
        return int(pa.get_default_input_device_info()["index"])
    except (OSError, IOError):  # "No Default Input Device Available"
        return None


def _input_devices(pa) -> List[AudioDevice]:
    default = _default_input_index(pa)
    infos = (pa.get_device_info_by_index(i) for i in range(pa.get_device_count()))
    return [_device(pa, info, default) for info in infos if info["maxInputChannels"] > 0]


def list_devices(*, pyaudio_module=None, quiet: bool = True) -> List[AudioDevice]:
    """The audio input devices PortAudio sees (an empty list on a machine without a sound card)."""
    pyaudio = pyaudio_module or _import_pyaudio()
    stderr = _CapturedStderr(quiet)
    with stderr.capture():
        pa = pyaudio.PyAudio()
    try:
        return _input_devices(pa)
    finally:
        pa.terminate()


def _describe(devices: List[AudioDevice]) -> str:
    if not devices:
        return "no input devices exist (no sound card, or no permission to open it: is the user in group 'audio'?)"
    return "input devices: " + "; ".join(f"{d.index}: {d.name!r}" for d in devices)


def _resolve_device(pa, device) -> AudioDevice:
    """The input device named by `device`: None (the default), an index, or a name / part of a
    name (case-insensitive; it must match one device). Checked here because PortAudio crashes
    on an out-of-range index instead of failing."""
    devices = _input_devices(pa)
    if device is None:
        default = [d for d in devices if d.is_default]
        if not default:
            raise errors.AudioDeviceError(f"no default input device; {_describe(devices)}")
        return default[0]
    if isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    if isinstance(device, (int, np.integer)) and not isinstance(device, bool):
        found = [d for d in devices if d.index == device]
        if not found:
            count = pa.get_device_count()
            what = "is not an input device" if 0 <= device < count else "does not exist"
            raise errors.AudioDeviceError(f"audio device {device} {what}; {_describe(devices)}")
        return found[0]
    if isinstance(device, str):
        exact = [d for d in devices if d.name == device]
        if exact:
            return exact[0]
        partial = [d for d in devices if device.casefold() in d.name.casefold()]
        if len(partial) == 1:
            return partial[0]
        what = "matches no" if not partial else f"matches {len(partial)}"
        raise errors.AudioDeviceError(f"the device name {device!r} {what} input devices; {_describe(devices)}")
    raise errors.InvalidArgument(f"device must be None, an index or a name, got {type(device).__name__}")


def _unique(values) -> list:
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def _choose_format(pa, pyaudio, device: AudioDevice, sample_rate: int, capture_rate, channels):
    """(rate, channels) for 16-bit capture: the model's rate if the device takes it, else the
    device's default, else common rates; mono if possible, else the device's channels mixed down."""
    rates = [int(capture_rate)] if capture_rate else _unique(
        [sample_rate, int(device.default_sample_rate), *constants.MIC_FALLBACK_RATES_HZ])
    channel_options = [int(channels)] if channels else _unique([1, min(2, device.max_input_channels),
                                                                device.max_input_channels])
    for count in channel_options:
        for rate in rates:
            try:
                if pa.is_format_supported(rate, input_device=device.index, input_channels=count,
                                          input_format=pyaudio.paInt16):
                    return rate, count
            except ValueError:  # pyaudio raises instead of returning False
                continue
    raise errors.AudioDeviceError(
        f"device {device.index} ({device.name!r}) accepts none of the rates {rates} Hz with "
        f"{channel_options} channel(s) of 16-bit samples")


class Microphone(AudioSource):
    """Live capture from an input device through PortAudio (pyaudio), resampled in C to
    `sample_rate`.

    device: None (the default input device), an index or a name / part of a name (see
    list_devices()). capture_rate / channels: force the device format; by default the model's
    rate is tried first, then the device's default rate and common rates (USB microphones often
    take only 44.1 or 48 kHz), mono first. buffer_seconds: how far the consumer may fall behind
    before audio is lost. on_overrun: "raise" an AudioOverrun from the iteration, or "report":
    queue it for take_overruns(). max_seconds: end after this much audio (None: until stop()).
    pyaudio_module: a stand-in for the pyaudio module (tests). quiet: keep ALSA's start-up
    messages off the terminal (they are quoted in errors).

    The device is opened here (errors surface at once); capture starts when the iteration
    starts and stops when it ends.
    """

    def __init__(self, device: Union[None, int, str] = None, sample_rate: int = constants.DEFAULT_SAMPLE_RATE_HZ,
                 *, capture_rate: Optional[int] = None, channels: Optional[int] = None,
                 chunk_ms: float = constants.SOURCE_CHUNK_MS, buffer_seconds: float = constants.MIC_BUFFER_SECONDS,
                 on_overrun: str = "raise", max_seconds: Optional[float] = None, pyaudio_module=None,
                 quiet: bool = True):
        super().__init__(sample_rate)
        if on_overrun not in _ON_OVERRUN:
            raise errors.InvalidArgument(f"on_overrun must be one of {_ON_OVERRUN}, got {on_overrun!r}")
        if chunk_ms <= 0 or buffer_seconds <= 0 or (max_seconds is not None and max_seconds < 0):
            raise errors.InvalidArgument("chunk_ms and buffer_seconds must be positive, max_seconds >= 0")
        self.on_overrun = on_overrun
        self._pyaudio = pyaudio_module or _import_pyaudio()
        self._stderr = _CapturedStderr(quiet)
        self._lock = threading.Lock()
        self._pa = self._stream = None
        self._started = False
        with self._stderr.capture():
            self._pa = self._pyaudio.PyAudio()
        try:
            self.device = _resolve_device(self._pa, device)
            self.capture_rate, self.channels = _choose_format(self._pa, self._pyaudio, self.device,
                                                              self.sample_rate, capture_rate, channels)
            self._chunk_frames = max(1, int(round(chunk_ms * self.capture_rate / 1000)))
            self._max_frames = None if max_seconds is None else int(round(max_seconds * self.capture_rate))
            self._ring = _RingBuffer(max(self._chunk_frames, int(buffer_seconds * self.capture_rate)), self.channels)
            self._stream = self._open()
        except BaseException:
            self.close()
            raise

    def _open(self):
        try:
            with self._stderr.capture():
                return self._pa.open(format=self._pyaudio.paInt16, channels=self.channels, rate=self.capture_rate,
                                     input=True, input_device_index=self.device.index,
                                     frames_per_buffer=self._chunk_frames, stream_callback=self._callback,
                                     start=False)
        except (OSError, IOError, ValueError) as exc:
            raise errors.AudioDeviceError(
                f"cannot open device {self.device.index} ({self.device.name!r}) at {self.capture_rate} Hz, "
                f"{self.channels} channel(s): {exc}{self._stderr.tail()}") from None

    def _callback(self, in_data, frame_count, time_info, status_flags):
        # PortAudio's thread: copy and return at once (no allocation beyond the view, no locks held long).
        frames = np.frombuffer(in_data, dtype="<i2").reshape(-1, self.channels)
        self._ring.write(frames, bool(status_flags & self._pyaudio.paInputOverflow))
        return None, self._pyaudio.paContinue

    @property
    def stats(self) -> SourceStats:
        ring = self._ring
        return SourceStats(capture_rate=self.capture_rate, captured=ring.captured, delivered=ring.delivered,
                           buffered=ring.buffered, dropped=ring.dropped, input_overflows=ring.overflows)

    @property
    def backlog(self) -> float:
        return self._ring.buffered / self.capture_rate

    def chunks(self) -> Iterator[np.ndarray]:
        with self._lock:
            if self._stream is None:
                raise errors.ClosedError("the microphone is closed")
            if self._started:
                raise errors.StateError("a Microphone can be iterated once; open a new one")
            self._started = True
            with self._stderr.capture():
                self._stream.start_stream()
        converter = _RateConverter(self.capture_rate, self.sample_rate)
        try:
            while not self.stopped:
                wanted = self._chunk_frames
                if self._max_frames is not None:
                    wanted = min(wanted, self._max_frames - self._ring.delivered)
                    if wanted <= 0:
                        break
                block = self._ring.read(wanted, timeout=0.05)
                for overrun in self._ring.take_losses():
                    self._report_overrun(overrun, self.on_overrun)
                if not len(block):
                    if not self._stream.is_active():
                        raise errors.AudioDeviceError(
                            f"the input stream of device {self.device.index} ({self.device.name!r}) stopped "
                            f"(unplugged?){self._stderr.tail()}")
                    continue
                mono = block[:, 0] if self.channels == 1 else block.mean(axis=1, dtype=np.float32)
                out = converter.process(np.asarray(mono, np.float32) * _INT16_SCALE)
                if out.size:
                    yield out
            self.close()  # losses may have happened meanwhile: stop the device, then report them all
            for overrun in self._ring.take_losses():
                self._report_overrun(overrun, self.on_overrun)
            tail = converter.flush()
            if tail.size:
                yield tail
        finally:
            self.close()

    def close(self) -> None:
        """Stop capture and release the device and PortAudio (idempotent; joins PortAudio's thread)."""
        with self._lock:
            stream, self._stream = self._stream, None
            pa, self._pa = self._pa, None
        with self._stderr.capture():
            if stream is not None:
                with contextlib.suppress(OSError, IOError):
                    if stream.is_active():
                        stream.stop_stream()
                stream.close()
            if pa is not None:
                pa.terminate()
