"""Endpointing: cut a stream of audio into utterances with webrtcvad (package webrtcvad-wheels).

    from edgestt.vad import Endpointer, SpeechStart, SpeechAudio, SpeechEnd
    ep = Endpointer(16000, aggressiveness=2, end_silence_ms=700)
    for chunk in source:                      # float32 or int16 mono, any chunk length
        for event in ep.process(chunk):
            ...                               # SpeechStart(pre-roll audio), SpeechAudio, SpeechEnd
    for event in ep.flush():                  # the source ended: close an open utterance
        ...

Each frame of `frame_ms` is classified voiced or not. Speech starts when at least
`start_ratio` of the frames in the last `start_window_ms` are voiced; the utterance audio then
begins `pre_roll_ms` before the first voiced frame of that window (so the first syllable is
never cut), and every later sample belongs to it until `end_silence_ms` of unvoiced frames in
a row, or `max_utterance_seconds` of audio (the next utterance then starts with the very next
sample, so nothing is lost to the cut). Times are seconds from the start of the stream.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, fields, replace
from typing import List, Optional

import numpy as np

from . import constants, errors

#: The rates webrtcvad accepts.
VAD_SAMPLE_RATES = (8000, 16000, 32000, 48000)
VAD_FRAME_LENGTHS_MS = (10, 20, 30)


@dataclass(frozen=True)
class VADConfig:
    """Endpointing parameters (defaults in edgestt.constants)."""

    aggressiveness: int = constants.VAD_AGGRESSIVENESS
    frame_ms: int = constants.VAD_FRAME_MS
    start_window_ms: int = constants.VAD_START_WINDOW_MS
    start_ratio: float = constants.VAD_START_RATIO
    pre_roll_ms: int = constants.VAD_PRE_ROLL_MS
    end_silence_ms: int = constants.VAD_END_SILENCE_MS
    max_utterance_seconds: float = constants.VAD_MAX_UTTERANCE_SECONDS

    def __post_init__(self):
        if self.aggressiveness not in (0, 1, 2, 3):
            raise errors.InvalidConfig(f"aggressiveness must be 0, 1, 2 or 3, got {self.aggressiveness!r}")
        if self.frame_ms not in VAD_FRAME_LENGTHS_MS:
            raise errors.InvalidConfig(f"frame_ms must be 10, 20 or 30 (webrtcvad), got {self.frame_ms!r}")
        if not self.frame_ms <= self.start_window_ms:
            raise errors.InvalidConfig(f"start_window_ms must be at least frame_ms, got {self.start_window_ms!r}")
        if not 0 < self.start_ratio <= 1:
            raise errors.InvalidConfig(f"start_ratio must be in (0, 1], got {self.start_ratio!r}")
        if self.pre_roll_ms < 0:
            raise errors.InvalidConfig(f"pre_roll_ms must be >= 0, got {self.pre_roll_ms!r}")
        if self.end_silence_ms < self.frame_ms:
            raise errors.InvalidConfig(f"end_silence_ms must be at least frame_ms, got {self.end_silence_ms!r}")
        if not self.max_utterance_seconds * 1000 > self.start_window_ms + self.pre_roll_ms:
            raise errors.InvalidConfig(
                f"max_utterance_seconds must exceed the start window plus the pre-roll, got {self.max_utterance_seconds!r}")

    @classmethod
    def from_options(cls, config: Optional["VADConfig"] = None, **options) -> "VADConfig":
        """`config` (or the defaults) with the options that are not None replaced."""
        names = {f.name for f in fields(cls)}
        unknown = set(options) - names
        if unknown:
            raise errors.InvalidArgument(f"unknown VAD option(s) {sorted(unknown)}; known: {sorted(names)}")
        return replace(config or cls(), **{k: v for k, v in options.items() if v is not None})


@dataclass(frozen=True, eq=False)
class SpeechStart:
    """An utterance begins. `samples` is its audio so far (pre-roll and onset window), starting
    at `audio_start` s; `speech_start` is the start of its first voiced frame."""

    audio_start: float
    speech_start: float
    samples: np.ndarray


@dataclass(frozen=True, eq=False)
class SpeechAudio:
    """More audio of the open utterance."""

    samples: np.ndarray


@dataclass(frozen=True)
class SpeechEnd:
    """The utterance ended: `reason` is "silence", "max_length" or the reason given to flush()
    ("end_of_source" by default). `speech_end` is the end of its last voiced frame, `audio_end`
    the end of the audio it was given."""

    speech_end: float
    audio_end: float
    reason: str


def _load_webrtcvad():
    try:
        import webrtcvad
    except ImportError:
        raise errors.InvalidConfig("voice activity detection needs webrtcvad: pip install 'edgestt[mic]' "
                                   "(the package is webrtcvad-wheels)") from None
    return webrtcvad


def to_int16(samples: np.ndarray) -> np.ndarray:
    """float samples in [-1, 1) to int16 (x 32768, rounded, clipped); int16 unchanged."""
    if samples.dtype == np.int16:
        return samples
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


class Endpointer:
    """Streaming utterance segmentation of mono audio at `sample_rate` (8, 16, 32 or 48 kHz)."""

    def __init__(self, sample_rate: int, config: Optional[VADConfig] = None, **options):
        if sample_rate not in VAD_SAMPLE_RATES:
            raise errors.InvalidConfig(f"webrtcvad works at {VAD_SAMPLE_RATES} Hz, not {sample_rate!r}; "
                                       "resample the audio first")
        self.config = VADConfig.from_options(config, **options)
        self.sample_rate = int(sample_rate)
        self._vad = _load_webrtcvad().Vad(self.config.aggressiveness)
        self._frame = self.sample_rate * self.config.frame_ms // 1000
        self._window_frames = max(1, self.config.start_window_ms // self.config.frame_ms)
        self._start_voiced = max(1, math.ceil(self.config.start_ratio * self._window_frames))
        self._pre_roll_frames = self.config.pre_roll_ms // self.config.frame_ms
        self._end_frames = math.ceil(self.config.end_silence_ms / self.config.frame_ms)
        self._max_samples = int(self.config.max_utterance_seconds * self.sample_rate)
        self._pending = np.zeros(0, np.float32)   # the start of the next, incomplete frame
        self._position = 0                        # samples framed so far
        # Frames of the last pre-roll + start window, (first sample, samples, voiced), while idle.
        self._history: deque = deque(maxlen=self._pre_roll_frames + self._window_frames)
        self._in_speech = False
        self._utterance_start = 0
        self._last_voiced_end = 0
        self._silent_frames = 0
        self.frames_classified = 0
        self.voiced_frames = 0

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    def _seconds(self, samples: int) -> float:
        return samples / self.sample_rate

    def _is_speech(self, frame: np.ndarray) -> bool:
        voiced = self._vad.is_speech(to_int16(frame).astype("<i2").tobytes(), self.sample_rate)
        self.frames_classified += 1
        self.voiced_frames += bool(voiced)
        return bool(voiced)

    def process(self, samples: np.ndarray) -> List[object]:
        """Classify the whole frames now available; return the events they cause, in order."""
        samples = np.asarray(samples)
        if samples.ndim != 1:
            raise errors.InvalidAudio(f"the endpointer takes 1-D mono samples, got shape {samples.shape}")
        if samples.dtype == np.int16:
            samples = samples.astype(np.float32) * np.float32(1 / 32768)
        elif samples.dtype not in (np.float32, np.float64):
            raise errors.InvalidAudio(f"samples must be int16 or float, got dtype {samples.dtype}")
        audio = np.concatenate([self._pending, samples.astype(np.float32, copy=False)])
        whole = len(audio) // self._frame * self._frame
        self._pending = audio[whole:]
        events: List[object] = []
        speech_run: List[np.ndarray] = []  # consecutive utterance frames, sent as one SpeechAudio
        for begin in range(0, whole, self._frame):
            frame = audio[begin:begin + self._frame]
            start = self._position
            self._position += self._frame
            voiced = self._is_speech(frame)
            if not self._in_speech:
                self._history.append((start, frame, voiced))
                self._maybe_start(events)
                continue
            speech_run.append(frame)
            if voiced:
                self._silent_frames = 0
                self._last_voiced_end = self._position
            else:
                self._silent_frames += 1
            reason = None
            if self._silent_frames >= self._end_frames:
                reason = "silence"
            elif self._position - self._utterance_start >= self._max_samples:
                reason = "max_length"
            if reason:
                events.append(SpeechAudio(np.concatenate(speech_run)))
                speech_run = []
                events.append(self._end(reason))
        if speech_run:
            events.append(SpeechAudio(np.concatenate(speech_run)))
        return events

    def _maybe_start(self, events: List[object]) -> None:
        window = list(self._history)[-self._window_frames:]
        if sum(voiced for _, _, voiced in window) < self._start_voiced:
            return
        history = list(self._history)
        first_voiced = len(history) - len(window) + next(i for i, (_, _, v) in enumerate(window) if v)
        kept = history[max(0, first_voiced - self._pre_roll_frames):]
        self._history.clear()
        self._in_speech = True
        self._utterance_start = kept[0][0]
        self._silent_frames = 0
        # The window's trailing unvoiced frames count towards the end-of-utterance silence.
        for _, _, voiced in kept:
            self._silent_frames = 0 if voiced else self._silent_frames + 1
        self._last_voiced_end = max(start + len(frame) for start, frame, voiced in kept if voiced)
        events.append(SpeechStart(audio_start=self._seconds(self._utterance_start),
                                  speech_start=self._seconds(history[first_voiced][0]),
                                  samples=np.concatenate([frame for _, frame, _ in kept])))

    def _end(self, reason: str) -> SpeechEnd:
        self._in_speech = False
        self._history.clear()  # the next utterance must not repeat audio this one was given
        return SpeechEnd(speech_end=self._seconds(self._last_voiced_end),
                         audio_end=self._seconds(self._position), reason=reason)

    def flush(self, reason: str = "end_of_source") -> List[object]:
        """The stream ended: close the open utterance with the unframed tail; reset for reuse."""
        events: List[object] = []
        tail, self._pending = self._pending, np.zeros(0, np.float32)
        if self._in_speech:
            if len(tail):
                events.append(SpeechAudio(tail))
            self._position += len(tail)
            events.append(self._end(reason))
        else:
            self._position += len(tail)
        self._history.clear()
        return events
