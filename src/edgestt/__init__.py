"""edgestt: offline speech-to-text for the Raspberry Pi, a Python API over a C core."""
from ._native import ffi as _ffi_module, lib as _lib
from .errors import (
    BufferTooSmall,
    ClosedError,
    EdgeSTTError,
    EmptyInput,
    FileError,
    FormatError,
    InputTooShort,
    InvalidArgument,
    InvalidAudio,
    InvalidConfig,
    ModelError,
    NativeMemoryError,
    NonFiniteInput,
    StateError,
    UnsupportedFormat,
)
from .decoder import CTCDecoder
from .features import FeatureConfig, Features
from .lm import LanguageModel, LMState

__version__ = _ffi_module.string(_lib.es_version()).decode()

__all__ = [
    "BufferTooSmall",
    "CTCDecoder",
    "ClosedError",
    "EdgeSTTError",
    "EmptyInput",
    "FeatureConfig",
    "FileError",
    "Features",
    "FormatError",
    "InputTooShort",
    "InvalidArgument",
    "InvalidAudio",
    "InvalidConfig",
    "LMState",
    "LanguageModel",
    "ModelError",
    "NativeMemoryError",
    "NonFiniteInput",
    "StateError",
    "UnsupportedFormat",
    "__version__",
]
