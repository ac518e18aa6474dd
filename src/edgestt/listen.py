"""Live dictation: audio from a source, cut into utterances by the voice activity detector,
each recognised by a model stream while it is spoken.

    import edgestt
    model = edgestt.Model("model.tflite")
    for event in edgestt.listen(model):                 # the default microphone
        if isinstance(event, edgestt.Partial):
            print(event.text, end="\\r")
        elif isinstance(event, edgestt.Final):
            print(event.text, event.start_time, event.end_time)

The source may be a Microphone, a WavFileSource, any AudioSource at the model's rate, a WAV
path, or an iterable of numpy chunks at the model's rate. Ctrl-C (KeyboardInterrupt while the
listener waits for audio or recognises), `stop()` from another thread, or the end of the
source finish the open utterance (its Final is the last event) and close the source.
"""
from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass, replace
from typing import Iterator, Optional, Tuple, Union

import numpy as np

from . import constants, errors
from .model import Word
from .sources import AudioSource, IteratorSource, Microphone, WavFileSource
from .vad import Endpointer, SpeechAudio, SpeechEnd, SpeechStart, VADConfig


@dataclass(frozen=True)
class Partial:
    """The best transcript so far of the utterance being spoken, from the audio up to
    `end_time` (seconds in the source); `start_time` is where its speech began."""

    text: str
    start_time: float
    end_time: float
    utterance: int


@dataclass(frozen=True)
class Final:
    """One finished utterance. start_time / end_time: its first and last voiced audio
    (seconds in the source); words carry times in the source too. reason: why it ended,
    "silence", "max_length" (cut at VADConfig.max_utterance_seconds), "end_of_source",
    "stopped" (stop()), "interrupted" (Ctrl-C) or "source_error" (the device failed: this
    Final comes first, then the iteration raises the source's error). audio_start / audio_end: the span of source
    audio the model was given (pre-roll and trailing silence included). confidence: the
    transcript's natural-log score (None when nothing was recognised)."""

    text: str
    words: Tuple[Word, ...]
    start_time: float
    end_time: float
    reason: str
    utterance: int
    audio_start: float
    audio_end: float
    confidence: Optional[float] = None


@dataclass(frozen=True)
class Overrun:
    """Captured audio was lost (the source reported it; see edgestt.AudioOverrun). time: where
    the source was (seconds of audio) when the loss was noticed."""

    message: str
    lost_samples: int
    time: float


Event = Union[Partial, Final, Overrun]


class _Utterance:
    """The model stream of the utterance being spoken."""

    def __init__(self, model, start: SpeechStart, index: int):
        self.stream = model.stream()
        self.audio_start = start.audio_start
        self.speech_start = start.speech_start
        self.index = index
        self.fed = 0
        self.since_partial = 0
        self.next_partial = 0  # samples before the next partial, set by the cost of the last one
        self.last_partial = None

    def feed(self, samples: np.ndarray) -> None:
        self.stream.feed(samples)
        self.fed += len(samples)
        self.since_partial += len(samples)


class Listener:
    """Iterate for Partial, Final and Overrun events (once). Made by edgestt.listen()."""

    def __init__(self, model, source: AudioSource, vad: VADConfig, *, partial_interval_ms: Optional[float],
                 catch_interrupt: bool = True):
        if source.sample_rate != model.sample_rate:
            raise errors.InvalidArgument(
                f"the source delivers {source.sample_rate} Hz audio; the model needs {model.sample_rate} Hz")
        self.model = model
        self.source = source
        self.endpointer = Endpointer(model.sample_rate, vad)
        self._partial_samples = None if partial_interval_ms is None else max(
            1, int(partial_interval_ms * model.sample_rate / 1000))
        self._catch_interrupt = catch_interrupt
        self._stop = threading.Event()
        self._started = False
        self._utterance: Optional[_Utterance] = None
        self._count = 0
        self.interrupted = False

    def stop(self) -> None:
        """Finish the open utterance and end the iteration; safe from any thread."""
        self._stop.set()
        self.source.stop()

    def __iter__(self) -> Iterator[Event]:
        if self._started:
            raise errors.StateError("a Listener can be iterated once; call edgestt.listen() again")
        self._started = True
        return self._events()

    def _events(self) -> Iterator[Event]:
        failure = None
        chunks = iter(self.source)
        try:
            try:
                while not self._stop.is_set():
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    except errors.EdgeSTTError as exc:  # the device failed: finish what was heard, then raise
                        failure = exc
                        break
                    yield from self._overruns()
                    for event in self.endpointer.process(chunk):
                        yield from self._handle(event)
            except KeyboardInterrupt:
                if not self._catch_interrupt:
                    raise
                self.interrupted = True
            reason = ("source_error" if failure is not None else "interrupted" if self.interrupted
                      else "stopped" if self._stop.is_set() else "end_of_source")
            yield from self._overruns()
            for event in self.endpointer.flush(reason):
                yield from self._handle(event)
            if self._utterance is not None:  # a Ctrl-C inside the endpointer lost this utterance's end
                u = self._utterance
                end = u.audio_start + u.fed / self.model.sample_rate
                yield self._final(SpeechEnd(speech_end=end, audio_end=end, reason=reason))
            if failure is not None:
                raise failure
        finally:
            self.close()

    def _overruns(self) -> Iterator[Overrun]:
        now = self.endpointer.frames_classified * self.endpointer.config.frame_ms / 1000
        for overrun in self.source.take_overruns():
            yield Overrun(str(overrun), overrun.lost_samples, now)

    def _handle(self, event) -> Iterator[Event]:
        if isinstance(event, SpeechStart):
            self._utterance = _Utterance(self.model, event, self._count)
            self._count += 1
            self._utterance.feed(event.samples)
        elif self._utterance is None:
            return  # a Ctrl-C interrupted the start of this utterance: there is nothing to finish
        elif isinstance(event, SpeechAudio):
            self._utterance.feed(event.samples)
            partial = self._partial()
            if partial is not None:
                yield partial
        elif isinstance(event, SpeechEnd):
            yield self._final(event)

    def _partial(self) -> Optional[Partial]:
        u = self._utterance
        if self._partial_samples is None or u.since_partial < max(self._partial_samples, u.next_partial):
            return None
        rate = self.model.sample_rate
        if self.source.backlog > self._partial_samples / rate:
            return None  # behind real time: catch up first, a partial now would be stale anyway
        u.since_partial = 0
        started = time.perf_counter()
        text = u.stream.partial()
        u.next_partial = int((time.perf_counter() - started) / constants.LISTEN_PARTIAL_BUDGET * rate)
        if text == u.last_partial:
            return None
        u.last_partial = text
        return Partial(text, u.speech_start, u.audio_start + u.fed / self.model.sample_rate, u.index)

    @contextlib.contextmanager
    def _ctrl_c_deferred(self):
        """A Ctrl-C while an utterance is being finished would lose its transcript: hold it
        until the Final is out, then stop as if interrupted. Only the main thread receives
        SIGINT, so elsewhere (or when Ctrl-C is not caught) nothing changes."""
        if (not self._catch_interrupt or threading.current_thread() is not threading.main_thread()
                or signal.getsignal(signal.SIGINT) is None):  # None: a handler set from C, not restorable
            yield
            return

        def on_sigint(signum, frame):
            self.interrupted = True
            self._stop.set()
        try:
            previous = signal.signal(signal.SIGINT, on_sigint)
        except ValueError:  # not the main interpreter
            yield
            return
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _final(self, end: SpeechEnd) -> Final:
        u, self._utterance = self._utterance, None
        try:
            with self._ctrl_c_deferred():
                best = u.stream.finish_with_metadata(1).transcripts
        finally:
            u.stream.close()
        span = dict(start_time=u.speech_start, end_time=end.speech_end, reason=end.reason, utterance=u.index,
                    audio_start=u.audio_start, audio_end=end.audio_end)
        if not best:
            return Final("", (), **span)
        words = tuple(replace(w, start_time=w.start_time + u.audio_start, end_time=w.end_time + u.audio_start)
                      for w in best[0].words)
        return Final(best[0].text, words, confidence=best[0].confidence, **span)

    def close(self) -> None:
        """Close the source and drop an unfinished utterance (idempotent)."""
        utterance, self._utterance = self._utterance, None
        if utterance is not None:
            utterance.stream.close()
        self.source.close()

    def __enter__(self) -> "Listener":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _source_for(model, source, device) -> AudioSource:
    if source is None:
        return Microphone(device, model.sample_rate, on_overrun="report")
    if device is not None:
        raise errors.InvalidArgument("device= applies to the default microphone; give it to Microphone() instead")
    if isinstance(source, AudioSource):
        return source
    if isinstance(source, (str, os.PathLike)):
        return WavFileSource(source, model.sample_rate)
    if isinstance(source, np.ndarray):
        return IteratorSource([source], model.sample_rate)
    return IteratorSource(source, model.sample_rate)


def listen(model, source=None, *, device: Union[None, int, str] = None, vad: Optional[VADConfig] = None,
           aggressiveness: Optional[int] = None, frame_ms: Optional[int] = None, pre_roll_ms: Optional[int] = None,
           end_silence_ms: Optional[int] = None, max_utterance_seconds: Optional[float] = None,
           start_window_ms: Optional[int] = None, start_ratio: Optional[float] = None,
           partial_interval_ms: Optional[float] = constants.LISTEN_PARTIAL_INTERVAL_MS,
           catch_interrupt: bool = True) -> Listener:
    """Recognise utterances from `source` as they are spoken; iterate the result for events.

    source: None (the microphone `device`, opened at a rate it supports and resampled to the
    model's; overruns become Overrun events), an AudioSource at model.sample_rate, a WAV path,
    a numpy array, or an iterable of numpy chunks at model.sample_rate.
    VAD options (aggressiveness 0-3, frame_ms 10/20/30, pre_roll_ms, end_silence_ms,
    max_utterance_seconds, start_window_ms, start_ratio) override `vad` or the defaults.
    partial_interval_ms: a Partial (when its text changed) after each this much new speech,
    spaced further when partials are expensive (at most LISTEN_PARTIAL_BUDGET of real time) and
    skipped while the source is behind real time; None: no partials. catch_interrupt: Ctrl-C ends the iteration cleanly (with the Final of
    the open utterance) instead of propagating KeyboardInterrupt.
    """
    config = VADConfig.from_options(vad, aggressiveness=aggressiveness, frame_ms=frame_ms, pre_roll_ms=pre_roll_ms,
                                    end_silence_ms=end_silence_ms, max_utterance_seconds=max_utterance_seconds,
                                    start_window_ms=start_window_ms, start_ratio=start_ratio)
    if partial_interval_ms is not None and partial_interval_ms <= 0:
        raise errors.InvalidArgument(f"partial_interval_ms must be positive or None, got {partial_interval_ms!r}")
    src = _source_for(model, source, device)
    try:
        return Listener(model, src, config, partial_interval_ms=partial_interval_ms, catch_interrupt=catch_interrupt)
    except BaseException:
        if src is not source:
            src.close()
        raise
