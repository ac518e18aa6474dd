"""Model families: which acoustic model a .tflite file holds, recognised from its tensors.

A family is a class deriving from AcousticFamily and registered with @register. detect()
asks each registered family, in registration order, whether it recognises the file's
inputs/outputs (and the edgestt metadata embedded in the file, when there is some); the
first that does is built. A file no family recognises is refused with a ModelError naming
the tensors each family expects and the ones the file has.

A family instance tells the Model what it needs for decoding (labels, blank_index, output
kind, frame_seconds, default_beam_width, sample_rate) and makes sessions: one per stream,
turning audio into class scores.

    session = family.new_session()           # new_session(streaming=False) for one-shot stt
    rows = session.accept(float32_samples)   # [n, classes]: frames that are now final
    rows = session.pending()                 # tentative frames for partial results (may be empty)
    rows = session.finish()                  # [n, classes]: the rest
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Type

import numpy as np

from . import errors
from .runtime import Runtime

#: Modules defining the built-in families; each registers its classes when imported.
_FAMILY_MODULES = ("edgestt.acoustic_deepspeech", "edgestt.acoustic_quartznet")

_REGISTRY: List[Type["AcousticFamily"]] = []


@dataclass(frozen=True)
class TensorInfo:
    """One input or output of the model."""

    name: str
    shape: Tuple[int, ...]
    dtype: str  # numpy dtype name: "float32", "int32", "bytes_" ...
    index: int

    def __str__(self) -> str:
        return f"{self.name}{list(self.shape)} {self.dtype}"


@dataclass(frozen=True)
class ModelIO:
    """The inputs and outputs of a model, by name."""

    inputs: Tuple[TensorInfo, ...]
    outputs: Tuple[TensorInfo, ...]

    @classmethod
    def of(cls, interpreter) -> "ModelIO":
        def infos(details):
            return tuple(
                TensorInfo(d["name"], tuple(int(x) for x in d["shape"]), np.dtype(d["dtype"]).name, int(d["index"]))
                for d in details
            )

        return cls(infos(interpreter.get_input_details()), infos(interpreter.get_output_details()))

    def input(self, name: str) -> Optional[TensorInfo]:
        return next((t for t in self.inputs if t.name == name), None)

    def output(self, name: str) -> Optional[TensorInfo]:
        return next((t for t in self.outputs if t.name == name), None)

    def describe(self) -> str:
        ins = ", ".join(map(str, self.inputs)) or "none"
        outs = ", ".join(map(str, self.outputs)) or "none"
        return f"inputs: {ins}; outputs: {outs}"


class AcousticFamily:
    """Base of the families. Subclasses set `name` and `expected` (the tensors they need, in
    words, for error messages), implement `recognises` and `__init__`, and set the attributes
    below in `__init__`."""

    name: str = ""
    expected: str = ""
    #: Whether sessions may return tentative frames from pending(); when False the Stream
    #: keeps no history of final frames for re-decoding partial results.
    has_pending: bool = True
    #: Whether a stream's final result comes from a second session on the one-shot schedule
    #: (new_session(streaming=False)), so that finish() equals Model.stt() on the same audio,
    #: while partial results come from the streaming session. Such a family's
    #: new_session(streaming=True, lazy=True) gives a session whose accept() only buffers, with
    #: catch_up() (the frames accept would have returned), skip_to(frame), frames_emitted and a
    #: settable `lazy` (see acoustic_quartznet.BufferedSession).
    exact_final: bool = False

    sample_rate: int
    labels: Tuple[str, ...]
    blank_index: int
    output: str  # "probs" or "log_probs"
    frame_seconds: float
    default_beam_width: Optional[int]

    @classmethod
    def recognises(cls, io: ModelIO, metadata: Optional[dict]) -> bool:
        raise NotImplementedError

    def __init__(self, runtime: Runtime, io: ModelIO, metadata: Optional[dict], **options):
        raise NotImplementedError

    def new_session(self, streaming: bool = True):
        """A session for one utterance. streaming=False: all audio arrives before finish()
        (Model.stt), so a family may process it whole instead of in overlapping chunks."""
        raise NotImplementedError

    def describe(self) -> Dict[str, object]:
        """What a user wants to see about the model (name, rate, alphabet ...)."""
        return {
            "family": self.name,
            "sample_rate": self.sample_rate,
            "labels": "".join(self.labels),
            "blank_index": self.blank_index,
            "output": self.output,
            "frame_seconds": self.frame_seconds,
            "default_beam_width": self.default_beam_width,
        }


def register(cls: Type[AcousticFamily]) -> Type[AcousticFamily]:
    """Class decorator: make a family known to detect() (once)."""
    if not cls.name or not cls.expected:
        raise TypeError(f"{cls.__name__} must set `name` and `expected`")
    if cls not in _REGISTRY:
        _REGISTRY.append(cls)
    return cls


def families() -> Sequence[Type[AcousticFamily]]:
    """The registered family classes, built-in ones first."""
    for module in _FAMILY_MODULES:
        importlib.import_module(module)
    return tuple(_REGISTRY)


def by_name(name: str) -> Type[AcousticFamily]:
    for cls in families():
        if cls.name == name:
            return cls
    raise errors.InvalidConfig(f"unknown model family {name!r}; known: {[c.name for c in families()]}")


def detect(runtime: Runtime, metadata: Optional[dict] = None, **options) -> AcousticFamily:
    """The family object for the model in `runtime`; ModelError when no family recognises it."""
    with runtime.interpreter() as interpreter:
        io = ModelIO.of(interpreter)
    wanted = metadata.get("family") if isinstance(metadata, dict) else None
    candidates = families()
    if wanted is not None:
        candidates = [c for c in candidates if c.name == wanted or wanted in getattr(c, "aliases", ())]
        if not candidates:
            raise errors.ModelError(
                f"{runtime.name}: its edgestt metadata names the family {wanted!r}, which this version of edgestt "
                f"does not know (known: {', '.join(c.name for c in families())})"
            )
    for cls in candidates:
        if cls.recognises(io, metadata):
            return cls(runtime, io, metadata, **options)
    expected = "\n".join(f"  - {cls.name}: {cls.expected}" for cls in candidates)
    raise errors.ModelError(
        f"{runtime.name}: not a model of a family edgestt knows.\nExpected one of:\n{expected}\n"
        f"Found {io.describe()}"
    )
