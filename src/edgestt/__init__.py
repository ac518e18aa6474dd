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
from .model import CandidateTranscript, Metadata, Model, Stream, TokenMetadata, Word
from .errors import AudioDeviceError, AudioOverrun
from .listen import Final, Listener, Overrun, Partial, listen
from .sources import AudioDevice, AudioSource, IteratorSource, Microphone, WavFileSource, list_devices
from .vad import Endpointer, VADConfig
from .audio import load_audio
from .resample import Resampler
from .wav import read_wav

__version__ = _ffi_module.string(_lib.es_version()).decode()

__all__ = [
    "BufferTooSmall",
    "CTCDecoder",
    "CandidateTranscript",
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
    "Metadata",
    "Model",
    "ModelError",
    "NativeMemoryError",
    "NonFiniteInput",
    "StateError",
    "Stream",
    "TokenMetadata",
    "UnsupportedFormat",
    "Word",
    "__version__",
]

# Live dictation: sources, voice activity detection, listen().
__all__ += [
    "AudioDevice", "AudioDeviceError", "AudioOverrun", "AudioSource", "Endpointer", "Final", "IteratorSource",
    "Listener", "Microphone", "Overrun", "Partial", "VADConfig", "WavFileSource", "list_devices", "listen",
]

# Audio in: WAV reading, resampling in C.
__all__ += ["Resampler", "load_audio", "read_wav"]  # edgestt.resample.resample: the module keeps the name
