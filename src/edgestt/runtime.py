"""The TFLite interpreter behind every model: which runtime, which kernels, how many threads.

    from edgestt.runtime import Runtime
    rt = Runtime("model.tflite", num_threads=2, mode="reference")
    with rt.interpreter() as it:          # one interpreter from a small pool, for this thread
        it.set_tensor(...); it.invoke(); it.get_tensor(...)

The runtime is the first of these that imports: `ai_edge_litert.interpreter` (LiteRT),
`tflite_runtime.interpreter`, `tensorflow.lite`.

Modes:
- "reference" (the default): LiteRT's builtin kernels without the default XNNPACK delegate
  (OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES). Its int8 hybrid layers quantise each
  input row at run time exactly as DeepSpeech's own client (TFLite r2.3) does, so DeepSpeech
  models give the reference client's transcripts and timesteps (18 of 18 inputs on the
  fixture and on a full-width n_hidden 2048 model, benchmarks/bench_e2e.py), with the
  int8 weights kept as they are (about 100 MB resident for the 47 MB full-width model).
- "fast": the default delegates (XNNPACK on CPU). About 1.3-1.9x faster on the full-width
  model here, but it computes the int8 hybrid layers with other arithmetic (3 of 18
  transcripts equal the reference client's) and unpacks the weights (about 670 MB resident
  for the same model, and 2.4 s to load instead of 0.6 s): too much for a small board's
  memory to be the default.

The model file is read once and its bytes shared by every interpreter. Interpreters are not
thread-safe, so the runtime keeps a pool: a thread takes one for the time of one call
(`with rt.interpreter()`), and the pool grows to the number of threads running at once.
"""
from __future__ import annotations

import importlib
import os
import struct
import threading
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

from . import constants, errors

MODES = ("reference", "fast")

#: (module, how to install it) in order of preference.
_RUNTIMES = (
    ("ai_edge_litert.interpreter", "pip install ai-edge-litert"),
    ("tflite_runtime.interpreter", "pip install tflite-runtime"),
    ("tensorflow.lite", "pip install tensorflow"),
)

_FLATBUFFER_ID = b"TFL3"
# Root offset (uint32) + file identifier, then at least one table: no real model is smaller.
_MIN_TFLITE_BYTES = 16


def interpreter_module() -> Tuple[object, str]:
    """(the module holding Interpreter and OpResolverType, its name). ModelError with an
    install hint when no TFLite runtime is installed."""
    missing = []
    for name, _hint in _RUNTIMES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            missing.append(f"{name} ({exc})")
            continue
        if hasattr(module, "Interpreter"):
            return module, name
        missing.append(f"{name} (no Interpreter)")
    others = " or ".join(f"`{hint}`" for _name, hint in _RUNTIMES[1:])
    raise errors.ModelError(
        "no TFLite runtime is installed: edgestt runs models with LiteRT. Install it with "
        f"`{_RUNTIMES[0][1]}` (where LiteRT has no wheel, e.g. 32-bit ARM: {others}). Tried: " + ", ".join(missing)
    )


def read_model_bytes(path) -> bytes:
    """The bytes of a .tflite file, checked to be a complete flatbuffer before any runtime
    sees them (a truncated file must never reach the C++ loader)."""
    try:
        fspath = os.fspath(path)
    except TypeError:
        raise errors.InvalidArgument(f"a model path must be str or os.PathLike, got {type(path).__name__}") from None
    if os.path.isdir(fspath):
        raise errors.FileError(f"{fspath}: is a directory, not a .tflite model file")
    try:
        with open(fspath, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise errors.FileError(f"{fspath}: model file not found") from None
    except OSError as exc:
        raise errors.FileError(f"{fspath}: cannot read the model file ({exc.strerror or exc})") from None
    check_tflite_bytes(data, fspath)
    return data


def check_tflite_bytes(data: bytes, name: str = "model") -> None:
    """FormatError unless `data` starts like a TFLite flatbuffer whose root table lies inside it."""
    if len(data) < _MIN_TFLITE_BYTES:
        raise errors.FormatError(f"{name}: {len(data)} bytes is too short to be a .tflite model")
    if data[4:8] != _FLATBUFFER_ID:
        raise errors.FormatError(
            f"{name}: not a .tflite model (file identifier {bytes(data[4:8])!r}, expected {_FLATBUFFER_ID!r})"
        )
    root = struct.unpack_from("<I", data, 0)[0]
    if root + 4 > len(data):
        raise errors.FormatError(f"{name}: truncated .tflite model (root table at {root}, file of {len(data)} bytes)")


class Runtime:
    """A loaded .tflite model: its bytes, the runtime, the kernels (mode) and threads.

    path: the .tflite file (read once). num_threads: threads per interpreter (None: the
    runtime's default). mode: "reference" (default) or "fast", see the module docstring.
    """

    def __init__(self, path=None, *, num_threads: Optional[int] = None, mode: Optional[str] = None,
                 model_bytes: Optional[bytes] = None, name: Optional[str] = None):
        mode = constants.DEFAULT_RUNTIME_MODE if mode is None else mode
        if mode not in MODES:
            raise errors.InvalidConfig(f"mode must be one of {MODES}, got {mode!r}")
        if num_threads is not None and (not isinstance(num_threads, int) or isinstance(num_threads, bool)
                                        or num_threads < 1):
            raise errors.InvalidConfig(f"num_threads must be a positive integer or None, got {num_threads!r}")
        if model_bytes is None:
            if path is None:
                raise errors.InvalidArgument("give a model path or model_bytes")
            model_bytes = read_model_bytes(path)
            name = name or os.fspath(path)
        else:
            check_tflite_bytes(model_bytes, name or "model")
        self.name = name or "model"
        self.model_bytes = model_bytes
        self.num_threads = num_threads
        self.mode = mode
        self._module, self.runtime_name = interpreter_module()
        self._pool: List[object] = []
        self._lock = threading.Lock()
        self._created = 0
        self._pool.append(self.new_interpreter())  # fail at load time, not at the first stream

    def new_interpreter(self):
        """A fresh interpreter with its tensors allocated. Bad models raise ModelError."""
        kwargs = {"model_content": self.model_bytes, "num_threads": self.num_threads}
        resolver = getattr(self._module, "OpResolverType", None)
        if resolver is not None:
            kwargs["experimental_op_resolver_type"] = (
                resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES if self.mode == "reference" else resolver.AUTO
            )
        elif self.mode == "reference":
            raise errors.ModelError(
                f"{self.runtime_name} cannot disable the default delegates (no OpResolverType); "
                "use mode='fast' or install a current runtime (pip install ai-edge-litert)"
            )
        try:
            interpreter = self._module.Interpreter(**kwargs)
            interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            if "not a valid flatbuffer" in str(exc).lower():
                # The runtime's verifier: a header that looks right over a cut or corrupt body.
                raise errors.FormatError(f"{self.name}: truncated or corrupt .tflite model ({exc})") from None
            raise errors.ModelError(f"{self.name}: {self.runtime_name} cannot load this model: {exc}") from None
        self._created += 1
        return interpreter

    @property
    def interpreters_created(self) -> int:
        """How many interpreters the pool has made (one per thread that ran at the same time)."""
        return self._created

    @contextmanager
    def interpreter(self) -> Iterator[object]:
        """An interpreter for this thread alone, until the block ends."""
        with self._lock:
            interpreter = self._pool.pop() if self._pool else None
        if interpreter is None:
            interpreter = self.new_interpreter()
        try:
            yield interpreter
        finally:
            with self._lock:
                self._pool.append(interpreter)

    def close(self) -> None:
        """Drop the interpreters and the model bytes' pool (idempotent)."""
        with self._lock:
            self._pool.clear()


def load_interpreter(path, num_threads: Optional[int] = None, mode: Optional[str] = None):
    """One interpreter for `path` with its tensors allocated (see Runtime for the modes)."""
    runtime = Runtime(path, num_threads=num_threads, mode=mode)
    return runtime.new_interpreter()
