#!/usr/bin/env python3
"""Embed edgestt's metadata (UTF-8 JSON) in a .tflite file, so the file describes itself.

    import sys; sys.path.insert(0, "<repo>/tools")
    from tflite_metadata_writer import embed_edgestt_metadata
    meta = {"format": 1, "family": "quartznet_signal", "alphabet": [" ", *"abcdefghijklmnopqrstuvwxyz", "'"],
            "blank_index": 28, "output": "probs", "feature_preset": None, "stride": 2,
            "sample_rate": 16000, "frame_seconds": 0.02, "default_beam_width": 256,
            "name": "my model", "version": "1", "license": "MPL-2.0", "description": "..."}
    with open("model.tflite", "rb") as f:
        data = embed_edgestt_metadata(f.read(), meta)
    open("model_with_metadata.tflite", "wb").write(data)

or from the shell:  python tools/tflite_metadata_writer.py in.tflite meta.json out.tflite

The keys (edgestt.tflite_metadata documents them; `family` picks how edgestt runs the file):
  format 1; family "deepspeech" | "quartznet_signal" (float signal [1, N] in) |
  "quartznet_logmel" (log-mel [1, mels, T] in, computed by edgestt's `feature_preset`);
  alphabet = the labels in output order without the blank; blank_index; output "probs" |
  "log_probs"; feature_preset (an edgestt preset name, or null when the graph computes its
  own features); stride (feature frames per output frame); sample_rate (Hz); frame_seconds
  (seconds per output frame); default_beam_width (or null); optional name, version,
  license, description (strings) and feature_config (a dict of edgestt.FeatureConfig
  fields put over feature_preset's, or over "nemo" when that is null: for features no
  named preset gives, e.g. a fixed mean/std normalisation).

How: the file is parsed with TensorFlow's generated flatbuffer object API (the TFLite
schema), a Buffer holding the JSON is appended to Model.buffers and a Metadata entry named
"edgestt" pointing at it is added to Model.metadata (an older "edgestt" entry is replaced;
other entries, e.g. "min_runtime_version", are kept). Then the file is serialised again and
read back with edgestt's own pure-Python reader as a check. Needs TensorFlow (its
schema_py_generated and flatbuffer_utils modules; e.g. /work/venvs/tf/bin/python) and
nothing of edgestt beyond the pure-Python modules errors.py and tflite_metadata.py, which
are loaded from src/ without building the C extension.
"""
import argparse
import importlib
import json
import os
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")


def _metadata_module():
    """edgestt.tflite_metadata, without importing the package's C extension when the
    package is not installed (the TensorFlow venv usually lacks it)."""
    try:
        return importlib.import_module("edgestt.tflite_metadata")
    except ImportError:
        package = types.ModuleType("edgestt")
        package.__path__ = [os.path.join(SRC, "edgestt")]
        sys.modules["edgestt"] = package
        return importlib.import_module("edgestt.tflite_metadata")


def embed_edgestt_metadata(tflite_bytes: bytes, meta: dict) -> bytes:
    """The .tflite bytes with `meta` (validated) stored as the "edgestt" metadata entry."""
    from tensorflow.lite.python import schema_py_generated as schema_fb
    from tensorflow.lite.tools import flatbuffer_utils

    reader = _metadata_module()
    reader.validate_metadata(meta, "metadata to embed")
    payload = json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8")

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite_bytes))
    model.metadata = [m for m in (model.metadata or []) if m.name not in (reader.METADATA_NAME,
                                                                          reader.METADATA_NAME.encode())]
    buffer = schema_fb.BufferT()
    buffer.data = np.frombuffer(payload, dtype=np.uint8)
    model.buffers.append(buffer)
    entry = schema_fb.MetadataT()
    entry.name = reader.METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    out = bytes(flatbuffer_utils.convert_object_to_bytearray(model))

    if reader.read_edgestt_metadata(out) != json.loads(payload):
        raise RuntimeError("the embedded metadata does not read back equal")
    return out


def main():
    ap = argparse.ArgumentParser(description="Embed edgestt metadata (a JSON file) in a .tflite model.")
    ap.add_argument("model", help="input .tflite")
    ap.add_argument("metadata", help="JSON file with the keys listed in this script's docstring")
    ap.add_argument("output", help="output .tflite")
    args = ap.parse_args()
    with open(args.model, "rb") as f:
        data = f.read()
    with open(args.metadata, encoding="utf-8") as f:
        meta = json.load(f)
    out = embed_edgestt_metadata(data, meta)
    with open(args.output, "wb") as f:
        f.write(out)
    print(f"wrote {args.output} ({len(out)} bytes, metadata {len(json.dumps(meta))} bytes)")


if __name__ == "__main__":
    main()
