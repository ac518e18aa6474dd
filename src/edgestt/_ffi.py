"""Plumbing between numpy and the C core: status checking and buffer helpers."""
from __future__ import annotations

import numpy as np

from . import errors
from ._native import ffi, lib

ERR_LEN = 512

# es_status -> exception class. The C enum is the single source of the codes.
_STATUS_TO_ERROR = {
    lib.ES_ERR_NULL_ARGUMENT: errors.InvalidArgument,
    lib.ES_ERR_INVALID_ARGUMENT: errors.InvalidArgument,
    lib.ES_ERR_INVALID_CONFIG: errors.InvalidConfig,
    lib.ES_ERR_NOT_FINITE: errors.NonFiniteInput,
    lib.ES_ERR_EMPTY_INPUT: errors.EmptyInput,
    lib.ES_ERR_TOO_SHORT: errors.InputTooShort,
    lib.ES_ERR_BUFFER_TOO_SMALL: errors.BufferTooSmall,
    lib.ES_ERR_BAD_STATE: errors.StateError,
    lib.ES_ERR_OUT_OF_MEMORY: errors.NativeMemoryError,
    lib.ES_ERR_IO: errors.FileError,
    lib.ES_ERR_FORMAT: errors.FormatError,
    lib.ES_ERR_UNSUPPORTED: errors.UnsupportedFormat,
}


def new_err_buffer():
    buf = ffi.new("char[]", ERR_LEN)
    return buf


def check(status: int, err=None, context: str = "") -> None:
    """Raise the exception for a non-OK status; `err` is a detail buffer filled by C."""
    if status == lib.ES_OK:
        return
    detail = ffi.string(err).decode("utf-8", "replace") if err is not None else ""
    text = detail or ffi.string(lib.es_status_str(status)).decode()
    if context:
        text = f"{context}: {text}"
    cls = _STATUS_TO_ERROR.get(status, errors.EdgeSTTError)
    raise cls(text, code=int(status))


def as_audio(audio, what: str = "audio") -> np.ndarray:
    """Validate audio for the C core: a 1-D, C-contiguous int16 or float32/float64 array.

    Returns an int16 or float32 array. float64 is converted (lossless in range); anything
    else is refused, as are strided views: the caller decides how to lay out the samples.
    """
    if not isinstance(audio, np.ndarray):
        raise errors.InvalidAudio(f"{what} must be a numpy array, got {type(audio).__name__}")
    if audio.ndim != 1:
        raise errors.InvalidAudio(
            f"{what} must be 1-D (mono samples), got shape {audio.shape}; mix channels down first"
        )
    if audio.dtype not in (np.int16, np.float32, np.float64):
        raise errors.InvalidAudio(f"{what} must be int16, float32 or float64 samples, got dtype {audio.dtype}")
    if not audio.flags.c_contiguous:
        raise errors.InvalidAudio(
            f"{what} is not contiguous in memory (a strided view?); pass np.ascontiguousarray({what})"
        )
    if audio.dtype == np.float64:
        audio = audio.astype(np.float32)
    return audio


class NativeObject:
    """Owns one C handle: `close()` frees it now (idempotent), the garbage collector
    otherwise; usable as a context manager. Subclasses call `_own(ptr, free_fn)`."""

    _handle = None

    def _own(self, pointer, free_function) -> None:
        self._handle = ffi.gc(pointer, free_function)

    def close(self) -> None:
        """Free the C object now (idempotent)."""
        if self._handle is not None:
            ffi.release(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _live(self):
        if self._handle is None:
            raise errors.ClosedError(f"this {type(self).__name__} is closed")
        return self._handle
