"""Exceptions. Each C status maps to one class; every class also derives from the builtin
exception a Python user would catch for that kind of problem."""


class EdgeSTTError(Exception):
    """Base of every edgestt error. `code` is the C es_status value (0 when raised in Python)."""

    def __init__(self, message: str, code: int = 0):
        super().__init__(message)
        self.code = code


class InvalidArgument(EdgeSTTError, ValueError):
    """An argument is out of its valid range."""


class InvalidConfig(InvalidArgument):
    """A configuration is impossible; the message names the field."""


class InvalidAudio(InvalidArgument):
    """Audio of the wrong dtype, shape or memory layout."""


class NonFiniteInput(InvalidArgument):
    """The input contains NaN or infinity; nothing was consumed."""


class EmptyInput(InvalidArgument):
    """No input at all was given."""


class InputTooShort(InvalidArgument):
    """The input is too short to produce a result (for example shorter than one window)."""


class BufferTooSmall(EdgeSTTError, ValueError):
    """An output buffer is smaller than needed (an internal error if raised by edgestt itself)."""


class StateError(EdgeSTTError, RuntimeError):
    """The call is not allowed in the object's current state (for example accept after finish)."""


class ClosedError(StateError):
    """The object was closed."""


class ModelError(EdgeSTTError, OSError):
    """A model file cannot be used."""


class FormatError(EdgeSTTError, ValueError):
    """A file is not in the expected format."""


class UnsupportedFormat(FormatError):
    """A file is valid but uses something this version does not support (binary version,
    byte order, n-gram order above 6)."""


class FileError(EdgeSTTError, OSError):
    """A file cannot be opened, read, written or memory-mapped."""


class NativeMemoryError(EdgeSTTError, MemoryError):
    """The C core could not allocate memory; the object is unchanged."""


class AudioDeviceError(EdgeSTTError, OSError):
    """An audio device cannot be found, opened or read (no sound card, unknown device name,
    unsupported rate, stream stopped by the driver); the message lists what exists."""


class AudioOverrun(EdgeSTTError, RuntimeError):
    """Captured audio was lost: the driver reported an input overflow, or the consumer fell so
    far behind that the capture ring buffer filled up. `lost_samples` is the count when known."""

    def __init__(self, message: str, lost_samples: int = 0):
        super().__init__(message)
        self.lost_samples = lost_samples
