"""edgestt: offline speech-to-text for the Raspberry Pi, a Python API over a C core."""
from ._native import ffi as _ffi_module, lib as _lib
from .errors import (
    BufferTooSmall,
    ClosedError,
    EdgeSTTError,
    EmptyInput,
    FormatError,
    InputTooShort,
    InvalidArgument,
    InvalidAudio,
    InvalidConfig,
    ModelError,
    NativeMemoryError,
    NonFiniteInput,
    StateError,
)
from .features import FeatureConfig, Features

__version__ = _ffi_module.string(_lib.es_version()).decode()

__all__ = [
    "BufferTooSmall",
    "ClosedError",
    "EdgeSTTError",
    "EmptyInput",
    "FeatureConfig",
    "Features",
    "FormatError",
    "InputTooShort",
    "InvalidArgument",
    "InvalidAudio",
    "InvalidConfig",
    "ModelError",
    "NativeMemoryError",
    "NonFiniteInput",
    "StateError",
    "__version__",
]
