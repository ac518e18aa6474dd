"""The reference DeepSpeech 0.9.3 client (libdeepspeech.so from PyPI) through ctypes.

Used by the parity tests and the benchmarks as an oracle; not part of the package.

    import sys; sys.path.insert(0, "<repo>/tools")
    from deepspeech_reference import fetch_library, ReferenceDeepSpeech
    lib = fetch_library()                     # Path, or None when it cannot be had
    with ReferenceDeepSpeech(lib, "tests/data/deepspeech_fixture.tflite") as ref:
        ref.stt(pcm_int16)                    # -> str
        ref.stt_with_metadata(pcm_int16, 3)   # -> [Candidate(text, confidence, tokens)]
        with ref.stream() as s:
            s.feed(chunk); s.intermediate(); s.finish_with_metadata(1)

fetch_library() runs `pip download deepspeech-tflite==0.9.3 --no-deps --python-version 3.9
--only-binary=:all:` (the wheel is for CPython 3.9, but libdeepspeech.so inside it is a plain
C library that needs only libc/libstdc++/libm, so any Python can load it with ctypes), unpacks
deepspeech/lib/libdeepspeech.so into the cache directory and returns its path. The wheel
exists for x86_64 Linux only; elsewhere, or without network, it returns None.

The C API and structures follow native_client/deepspeech.h of v0.9.3 (specs/deepspeech.md 6).
Every object the library allocates is freed here (DS_FreeString, DS_FreeMetadata,
DS_FreeStream, DS_FreeModel); errors become ReferenceError with DS_ErrorCodeToErrorMessage.
"""
import ctypes
import os
import platform
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = REPO / "build" / "reference_client"
PACKAGE = "deepspeech-tflite==0.9.3"
LIBRARY_IN_WHEEL = "deepspeech/lib/libdeepspeech.so"


def fetch_library(cache_dir=DEFAULT_CACHE) -> Optional[Path]:
    """Path of a cached libdeepspeech.so 0.9.3 (downloading it once), or None if unavailable."""
    cache_dir = Path(cache_dir)
    lib = cache_dir / "libdeepspeech.so"
    if lib.is_file():
        return lib
    if sys.platform != "linux" or platform.machine() != "x86_64":
        return None  # the deepspeech-tflite wheel is built for x86_64 Linux only
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_dir) as tmp:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", PACKAGE, "--no-deps", "--python-version", "3.9",
                 "--only-binary=:all:", "--platform", "manylinux1_x86_64", "-d", tmp, "-q"],
                check=True, capture_output=True, timeout=300)
            wheels = list(Path(tmp).glob("*.whl"))
            if len(wheels) != 1:
                return None
            with zipfile.ZipFile(wheels[0]) as wheel:
                data = wheel.read(LIBRARY_IN_WHEEL)
            partial = lib.with_suffix(".part")
            partial.write_bytes(data)
            os.replace(partial, lib)  # atomic: concurrent callers never see half a library
        return lib
    except (OSError, subprocess.SubprocessError, KeyError, zipfile.BadZipFile):
        return None


class ReferenceError(RuntimeError):
    """A DS_* call failed; .code is the DeepSpeech error code."""

    def __init__(self, call, code, message):
        super().__init__(f"{call} failed: {message} (0x{code:04x})")
        self.code = code


class _TokenMetadata(ctypes.Structure):
    _fields_ = [("text", ctypes.c_char_p), ("timestep", ctypes.c_uint), ("start_time", ctypes.c_float)]


class _CandidateTranscript(ctypes.Structure):
    _fields_ = [("tokens", ctypes.POINTER(_TokenMetadata)), ("num_tokens", ctypes.c_uint),
                ("confidence", ctypes.c_double)]


class _Metadata(ctypes.Structure):
    _fields_ = [("transcripts", ctypes.POINTER(_CandidateTranscript)), ("num_transcripts", ctypes.c_uint)]


@dataclass(frozen=True)
class Token:
    text: str
    timestep: int
    start_time: float


@dataclass(frozen=True)
class Candidate:
    text: str
    confidence: float
    tokens: Tuple[Token, ...]


_SIGNATURES = {
    # name: (restype, argtypes)
    "DS_Version": (ctypes.c_void_p, []),
    "DS_ErrorCodeToErrorMessage": (ctypes.c_void_p, [ctypes.c_int]),
    "DS_CreateModel": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]),
    "DS_FreeModel": (None, [ctypes.c_void_p]),
    "DS_GetModelBeamWidth": (ctypes.c_uint, [ctypes.c_void_p]),
    "DS_SetModelBeamWidth": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint]),
    "DS_GetModelSampleRate": (ctypes.c_int, [ctypes.c_void_p]),
    "DS_EnableExternalScorer": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "DS_DisableExternalScorer": (ctypes.c_int, [ctypes.c_void_p]),
    "DS_SetScorerAlphaBeta": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_float, ctypes.c_float]),
    "DS_AddHotWord": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_float]),
    "DS_EraseHotWord": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    "DS_ClearHotWords": (ctypes.c_int, [ctypes.c_void_p]),
    "DS_SpeechToText": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short), ctypes.c_uint]),
    "DS_SpeechToTextWithMetadata": (ctypes.POINTER(_Metadata),
                                    [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short), ctypes.c_uint, ctypes.c_uint]),
    "DS_CreateStream": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "DS_FeedAudioContent": (None, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_short), ctypes.c_uint]),
    "DS_IntermediateDecode": (ctypes.c_void_p, [ctypes.c_void_p]),
    "DS_IntermediateDecodeWithMetadata": (ctypes.POINTER(_Metadata), [ctypes.c_void_p, ctypes.c_uint]),
    "DS_FinishStream": (ctypes.c_void_p, [ctypes.c_void_p]),
    "DS_FinishStreamWithMetadata": (ctypes.POINTER(_Metadata), [ctypes.c_void_p, ctypes.c_uint]),
    "DS_FreeStream": (None, [ctypes.c_void_p]),
    "DS_FreeMetadata": (None, [ctypes.POINTER(_Metadata)]),
    "DS_FreeString": (None, [ctypes.c_void_p]),
}

_LIBRARIES = {}


def _load(lib_path):
    """The library, loaded once per path, with every signature declared."""
    key = str(lib_path)
    if key not in _LIBRARIES:
        lib = ctypes.CDLL(key)
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = restype, argtypes
        _LIBRARIES[key] = lib
    return _LIBRARIES[key]


def _pcm(audio):
    """int16 samples as a contiguous array and a ctypes pointer into it."""
    audio = np.asarray(audio)
    if audio.dtype != np.int16 or audio.ndim != 1:
        raise TypeError(f"the reference client takes 1-D int16 audio, got {audio.dtype} {audio.shape}")
    audio = np.ascontiguousarray(audio)
    return audio, audio.ctypes.data_as(ctypes.POINTER(ctypes.c_short))


class _Closes:
    """Context manager and finaliser around close(): the library's objects are always freed."""

    def close(self):
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class ReferenceDeepSpeech(_Closes):
    """One DeepSpeech 0.9.3 model (ModelState) from libdeepspeech.so."""

    def __init__(self, lib_path, model_path):
        self._model = None
        self._lib = _load(lib_path)
        handle = ctypes.c_void_p()
        self._check("DS_CreateModel", self._lib.DS_CreateModel(os.fsencode(model_path), ctypes.byref(handle)))
        self._model = handle

    # -- helpers
    def _check(self, call, code):
        if code != 0:
            raw = self._lib.DS_ErrorCodeToErrorMessage(code)
            message = ctypes.string_at(raw).decode("utf-8", "replace") if raw else "unknown error"
            if raw:
                self._lib.DS_FreeString(raw)
            raise ReferenceError(call, code, message)

    def _take_string(self, raw, call):
        if not raw:
            raise ReferenceError(call, -1, "returned NULL")
        try:
            return ctypes.string_at(raw).decode("utf-8")
        finally:
            self._lib.DS_FreeString(raw)

    def _take_metadata(self, meta, call):
        if not meta:
            raise ReferenceError(call, -1, "returned NULL")
        try:
            out = []
            for k in range(meta.contents.num_transcripts):
                cand = meta.contents.transcripts[k]
                tokens = tuple(Token(cand.tokens[i].text.decode("utf-8"), cand.tokens[i].timestep,
                                     cand.tokens[i].start_time) for i in range(cand.num_tokens))
                out.append(Candidate("".join(t.text for t in tokens), cand.confidence, tokens))
            return out
        finally:
            self._lib.DS_FreeMetadata(meta)

    def _handle(self):
        if self._model is None:
            raise ReferenceError("model", -1, "the model is closed")
        return self._model

    # -- model
    @property
    def version(self):
        return self._take_string(self._lib.DS_Version(), "DS_Version")

    @property
    def sample_rate(self) -> int:
        return self._lib.DS_GetModelSampleRate(self._handle())

    @property
    def beam_width(self) -> int:
        return self._lib.DS_GetModelBeamWidth(self._handle())

    @beam_width.setter
    def beam_width(self, width: int):
        self._check("DS_SetModelBeamWidth", self._lib.DS_SetModelBeamWidth(self._handle(), int(width)))

    def enable_scorer(self, path):
        self._check("DS_EnableExternalScorer", self._lib.DS_EnableExternalScorer(self._handle(), os.fsencode(path)))

    def disable_scorer(self):
        self._check("DS_DisableExternalScorer", self._lib.DS_DisableExternalScorer(self._handle()))

    def set_scorer_alpha_beta(self, alpha, beta):
        self._check("DS_SetScorerAlphaBeta", self._lib.DS_SetScorerAlphaBeta(self._handle(), alpha, beta))

    def add_hot_word(self, word, boost):
        self._check("DS_AddHotWord", self._lib.DS_AddHotWord(self._handle(), word.encode("utf-8"), boost))

    def erase_hot_word(self, word):
        self._check("DS_EraseHotWord", self._lib.DS_EraseHotWord(self._handle(), word.encode("utf-8")))

    def clear_hot_words(self):
        self._check("DS_ClearHotWords", self._lib.DS_ClearHotWords(self._handle()))

    def stt(self, audio) -> str:
        audio, ptr = _pcm(audio)
        return self._take_string(self._lib.DS_SpeechToText(self._handle(), ptr, len(audio)), "DS_SpeechToText")

    def stt_with_metadata(self, audio, num_results=1) -> List[Candidate]:
        audio, ptr = _pcm(audio)
        meta = self._lib.DS_SpeechToTextWithMetadata(self._handle(), ptr, len(audio), num_results)
        return self._take_metadata(meta, "DS_SpeechToTextWithMetadata")

    def stream(self) -> "ReferenceStream":
        handle = ctypes.c_void_p()
        self._check("DS_CreateStream", self._lib.DS_CreateStream(self._handle(), ctypes.byref(handle)))
        return ReferenceStream(self, handle)

    def close(self):
        if self._model is not None:
            self._lib.DS_FreeModel(self._model)
            self._model = None


class ReferenceStream(_Closes):
    """A StreamingState; finishing (or close()) frees it. Keep the model open meanwhile."""

    def __init__(self, model, handle):
        self._model = model  # keeps the ModelState alive
        self._lib = model._lib
        self._stream = handle

    def _handle(self):
        if self._stream is None:
            raise ReferenceError("stream", -1, "the stream is finished")
        return self._stream

    def feed(self, audio):
        audio, ptr = _pcm(audio)
        self._lib.DS_FeedAudioContent(self._handle(), ptr, len(audio))

    def intermediate(self) -> str:
        return self._model._take_string(self._lib.DS_IntermediateDecode(self._handle()), "DS_IntermediateDecode")

    def intermediate_with_metadata(self, num_results=1) -> List[Candidate]:
        meta = self._lib.DS_IntermediateDecodeWithMetadata(self._handle(), num_results)
        return self._model._take_metadata(meta, "DS_IntermediateDecodeWithMetadata")

    def finish(self) -> str:
        handle, self._stream = self._handle(), None  # DS_FinishStream frees the stream
        return self._model._take_string(self._lib.DS_FinishStream(handle), "DS_FinishStream")

    def finish_with_metadata(self, num_results=1) -> List[Candidate]:
        handle, self._stream = self._handle(), None
        return self._model._take_metadata(self._lib.DS_FinishStreamWithMetadata(handle, num_results),
                                          "DS_FinishStreamWithMetadata")

    def close(self):
        if self._stream is not None:
            self._lib.DS_FreeStream(self._stream)
            self._stream = None
