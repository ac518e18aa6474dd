"""edgestt's own model description, embedded in a .tflite file, read without flatbuffers.

A .tflite file is a flatbuffer whose root table, Model, has a `metadata` vector of
(name, buffer index) entries; each names one of the Model's `buffers`. edgestt stores one
entry named "edgestt" whose buffer holds UTF-8 JSON:

    {"format": 1, "family": "quartznet_signal", "alphabet": [" ", "a", ..., "'"],
     "blank_index": 28, "output": "probs", "feature_preset": null, "stride": 2,
     "sample_rate": 16000, "frame_seconds": 0.02, "default_beam_width": 256,
     "name": "...", "version": "...", "license": "...", "description": "..."}

The optional "feature_config" holds edgestt.FeatureConfig fields (all or some; the others come
from feature_preset, or "nemo") for a model whose features no named preset gives. The optional
"lm_alpha_beta" ([alpha, beta]) holds the LM weight and word bonus tuned for this model: Model
uses them whenever a scorer is on and set_scorer_alpha_beta() was not called.

    from edgestt.tflite_metadata import read_edgestt_metadata
    meta = read_edgestt_metadata("model.tflite")   # dict, or None when the file has none

The reader checks every offset against the file size, so a truncated or corrupt file gives
FormatError and never an IndexError, a huge allocation or a hang. tools/tflite_metadata_writer.py
embeds the entry (it needs TensorFlow's flatbuffer schema; the reader does not).
"""
from __future__ import annotations

import json
import math
import os
import struct
from typing import Dict, Optional, Union

from . import errors

#: Name of the Model.metadata entry holding edgestt's JSON.
METADATA_NAME = "edgestt"
#: The one JSON format this version reads and writes.
METADATA_FORMAT = 1
FAMILIES = ("deepspeech", "quartznet_signal", "quartznet_logmel")
OUTPUT_KINDS = ("probs", "log_probs")

_FILE_ID = b"TFL3"
# Model table field numbers (tensorflow/lite/schema/schema.fbs).
_MODEL_BUFFERS, _MODEL_METADATA = 4, 6
# Metadata table: name, buffer. Buffer table: data, offset, size.
_META_NAME, _META_BUFFER = 0, 1
_BUFFER_DATA, _BUFFER_OFFSET, _BUFFER_SIZE = 0, 1, 2

# (key, accepted Python types, required). bool is refused separately where an int is wanted.
_KEYS = (
    ("format", (int,), True),
    ("family", (str,), True),
    ("alphabet", (list,), True),
    ("blank_index", (int,), True),
    ("output", (str,), True),
    ("feature_preset", (str, type(None)), True),
    ("stride", (int,), True),
    ("sample_rate", (int,), True),
    ("frame_seconds", (int, float), True),
    ("default_beam_width", (int, type(None)), True),
    ("feature_config", (dict,), False),
    ("lm_alpha_beta", (list,), False),
    ("name", (str,), False),
    ("version", (str,), False),
    ("license", (str,), False),
    ("description", (str,), False),
)


class _Flatbuffer:
    """Bounds-checked access to the tables and vectors of one flatbuffer."""

    def __init__(self, data: bytes, what: str):
        self.data = memoryview(data)
        self.what = what

    def fail(self, why: str) -> "errors.FormatError":
        return errors.FormatError(f"{self.what}: corrupt .tflite flatbuffer ({why})")

    def _unpack(self, fmt: str, size: int, pos: int) -> int:
        if pos < 0 or pos + size > len(self.data):
            raise self.fail(f"offset {pos} outside the {len(self.data)}-byte file")
        return struct.unpack_from(fmt, self.data, pos)[0]

    def u16(self, pos: int) -> int:
        return self._unpack("<H", 2, pos)

    def u32(self, pos: int) -> int:
        return self._unpack("<I", 4, pos)

    def i32(self, pos: int) -> int:
        return self._unpack("<i", 4, pos)

    def u64(self, pos: int) -> int:
        return self._unpack("<Q", 8, pos)

    def field(self, table: int, index: int) -> Optional[int]:
        """Position of field `index` of the table at `table`, or None when absent."""
        vtable = table - self.i32(table)
        vtable_size = self.u16(vtable)
        if vtable_size < 4 or vtable_size % 2:
            raise self.fail(f"vtable size {vtable_size}")
        slot = 4 + 2 * index
        if slot + 2 > vtable_size:
            return None
        offset = self.u16(vtable + slot)
        return table + offset if offset else None

    def indirect(self, pos: int) -> int:
        """Follow the uoffset stored at `pos` (to a table, vector or string)."""
        return pos + self.u32(pos)

    def vector(self, pos: int, element_size: int):
        """(start, length) of the vector the uoffset at `pos` points to, checked to fit."""
        vec = self.indirect(pos)
        length = self.u32(vec)
        start = vec + 4
        if start + length * element_size > len(self.data):
            raise self.fail(f"vector of {length} elements at {vec} runs past the end of the file")
        return start, length

    def bytes_at(self, pos: int) -> bytes:
        start, length = self.vector(pos, 1)
        return bytes(self.data[start : start + length])


def _as_bytes(source: Union[str, os.PathLike, bytes, bytearray, memoryview]) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    try:
        path = os.fspath(source)
    except TypeError:
        raise errors.InvalidArgument(
            f"expected a .tflite path or its bytes, got {type(source).__name__}"
        ) from None
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise errors.FileError(f"{path}: model file not found") from None
    except OSError as exc:
        raise errors.FileError(f"{path}: cannot read the model file ({exc.strerror or exc})") from None


def read_metadata_entries(source, what: str = "model") -> Dict[str, bytes]:
    """Every Model.metadata entry of a .tflite file: name -> the bytes of its buffer.

    FormatError when the file is not a complete TFLite flatbuffer.
    """
    data = _as_bytes(source)
    if len(data) < 8 or data[4:8] != _FILE_ID:
        raise errors.FormatError(f"{what}: not a .tflite model (no TFL3 file identifier)")
    fb = _Flatbuffer(data, what)
    model = fb.indirect(0)
    meta_field = fb.field(model, _MODEL_METADATA)
    if meta_field is None:
        return {}
    buffers_field = fb.field(model, _MODEL_BUFFERS)
    if buffers_field is None:
        raise fb.fail("metadata entries but no buffers")
    buffers_start, num_buffers = fb.vector(buffers_field, 4)
    meta_start, num_meta = fb.vector(meta_field, 4)
    entries: Dict[str, bytes] = {}
    for i in range(num_meta):
        entry = fb.indirect(meta_start + 4 * i)
        name_field = fb.field(entry, _META_NAME)
        if name_field is None:
            continue
        try:
            name = fb.bytes_at(name_field).decode("utf-8")
        except UnicodeDecodeError:
            raise fb.fail(f"metadata entry {i} has a name that is not UTF-8") from None
        buffer_field = fb.field(entry, _META_BUFFER)
        index = fb.u32(buffer_field) if buffer_field is not None else 0
        if index >= num_buffers:
            raise fb.fail(f"metadata {name!r} names buffer {index} of {num_buffers}")
        entries[name] = _buffer_bytes(fb, fb.indirect(buffers_start + 4 * index), name)
    return entries


def _buffer_bytes(fb: _Flatbuffer, buffer: int, name: str) -> bytes:
    """A Buffer's bytes: inline `data`, or (models over 2 GB) `size` bytes at file `offset`."""
    data_field = fb.field(buffer, _BUFFER_DATA)
    if data_field is not None:
        return fb.bytes_at(data_field)
    offset_field = fb.field(buffer, _BUFFER_OFFSET)
    size_field = fb.field(buffer, _BUFFER_SIZE)
    if offset_field is None or size_field is None:
        return b""
    offset, size = fb.u64(offset_field), fb.u64(size_field)
    if offset <= 1 or offset + size > len(fb.data):  # 0 and 1 are the schema's "no data" markers
        raise fb.fail(f"metadata {name!r}: buffer of {size} bytes at {offset} is outside the file")
    return bytes(fb.data[offset : offset + size])


def read_edgestt_metadata(source, what: Optional[str] = None) -> Optional[dict]:
    """The validated edgestt metadata of a .tflite file (path or bytes), or None if it has none.

    FormatError when the file is not a TFLite flatbuffer, or its "edgestt" entry is not
    valid JSON of a known format (see validate_metadata).
    """
    if what is None:
        what = os.fspath(source) if isinstance(source, (str, os.PathLike)) else "model"
    entries = read_metadata_entries(source, what)
    if METADATA_NAME not in entries:
        return None
    raw = entries[METADATA_NAME]
    try:
        meta = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.FormatError(f"{what}: its edgestt metadata is not UTF-8 JSON ({exc})") from None
    return validate_metadata(meta, what)


def validate_metadata(meta, what: str = "model") -> dict:
    """Check keys, types and ranges; return the metadata (a dict). FormatError names the key.

    Whether the alphabet fits the model's output width is checked by the family, which
    knows the output tensor.
    """
    def bad(why: str) -> errors.FormatError:
        return errors.FormatError(f"{what}: invalid edgestt metadata: {why}")

    if not isinstance(meta, dict):
        raise bad(f"expected a JSON object, got {type(meta).__name__}")
    if meta.get("format") != METADATA_FORMAT or isinstance(meta.get("format"), bool):
        raise errors.UnsupportedFormat(
            f"{what}: edgestt metadata format {meta.get('format')!r}; this version reads format {METADATA_FORMAT}"
        )
    for key, types, required in _KEYS:
        if key not in meta:
            if required:
                raise bad(f"the key {key!r} is missing")
            continue
        value = meta[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise bad(f"{key!r} must be {names}, got {type(value).__name__}")
    alphabet = meta["alphabet"]
    if not alphabet or not all(isinstance(label, str) and label for label in alphabet):
        raise bad("'alphabet' must be a non-empty list of non-empty strings (the labels, blank excluded)")
    if len(set(alphabet)) != len(alphabet):
        raise bad("'alphabet' lists a label twice")
    if not 0 <= meta["blank_index"] <= len(alphabet):
        raise bad(f"'blank_index' {meta['blank_index']} is outside 0..{len(alphabet)} "
                  f"(alphabet of {len(alphabet)} labels)")
    if meta["family"] not in FAMILIES:
        # A family of a newer edgestt: detection names it; here only the spelling is checked.
        if not meta["family"].replace("_", "").isalnum():
            raise bad(f"'family' {meta['family']!r} is not a family name")
    if meta["output"] not in OUTPUT_KINDS:
        raise bad(f"'output' must be one of {OUTPUT_KINDS}, got {meta['output']!r}")
    for key in ("stride", "sample_rate"):
        if meta[key] < 1:
            raise bad(f"{key!r} must be positive, got {meta[key]}")
    if "feature_config" in meta and not all(isinstance(k, str) for k in meta["feature_config"]):
        raise bad("'feature_config' must map FeatureConfig field names to values")
    if "lm_alpha_beta" in meta:
        weights = meta["lm_alpha_beta"]
        if (len(weights) != 2 or not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights)
                or not all(math.isfinite(w) for w in weights) or weights[0] < 0):
            raise bad(f"'lm_alpha_beta' must be [alpha, beta]: two finite numbers, alpha >= 0; got {weights!r}")
    if meta["default_beam_width"] is not None and meta["default_beam_width"] < 1:
        raise bad(f"'default_beam_width' must be positive or null, got {meta['default_beam_width']}")
    if not (math.isfinite(meta["frame_seconds"]) and meta["frame_seconds"] > 0):
        raise bad(f"'frame_seconds' must be a positive number, got {meta['frame_seconds']}")
    return meta
