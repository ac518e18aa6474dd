"""edgestt metadata in .tflite files: the pure-Python flatbuffer reader, validation, and
robustness against garbage and truncation."""
import json
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgestt import errors
from edgestt.tflite_metadata import (
    METADATA_NAME,
    read_edgestt_metadata,
    read_metadata_entries,
    validate_metadata,
)

DATA = Path(__file__).parent / "data"
EDGESTT = DATA / "edgestt_fixture.tflite"
MODELS = sorted(DATA.glob("*.tflite"))
LABELS = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]


def good_meta(**changes):
    meta = {
        "format": 1, "family": "quartznet_logmel", "alphabet": list(LABELS), "blank_index": 28,
        "output": "log_probs", "feature_preset": "nemo", "stride": 2, "sample_rate": 16000,
        "frame_seconds": 0.02, "default_beam_width": 64,
    }
    meta.update(changes)
    return meta


# ---- a hand-made flatbuffer: Model{buffers, metadata}, laid out byte by byte (independent of the reader)
def _vtable(fields):
    """The vtable of a table whose fields are all 4-byte slots (absent ones get offset 0)."""
    n = len(fields)
    vtable = struct.pack("<HH", 4 + 2 * n, 4 + 4 * n) + b"".join(
        struct.pack("<H", 4 + 4 * i if present else 0) for i, present in enumerate(fields))
    if len(vtable) % 4:
        vtable += b"\0\0"
    return vtable


def build_model(metadata_entries, buffers, *, buffer_as_offset=False):
    """bytes of a TFLite-like flatbuffer with Model.buffers (field 4) and Model.metadata (field 6).

    metadata_entries: [(name, buffer index)], buffers: [bytes]. With buffer_as_offset the
    buffers' bytes are stored after the flatbuffer and referenced by Buffer.offset/size."""
    out = bytearray(b"\0" * 8)  # root offset + file identifier, patched below
    out[4:8] = b"TFL3"

    def here():
        return len(out)

    def align(n=4):
        while len(out) % n:
            out.append(0)

    # Model table: 7 slots (version, opcodes, subgraphs, description, buffers, metadata_buffer, metadata).
    vt = _vtable([False, False, False, False, True, False, True])
    vt_pos = here()
    out += vt
    model_pos = here()
    out += struct.pack("<i", model_pos - vt_pos) + b"\0" * 28
    out[0:4] = struct.pack("<I", model_pos)
    slots = {4: model_pos + 4 + 4 * 4, 6: model_pos + 4 + 4 * 6}

    def vector_of_tables(slot_pos, count):
        align()
        vec = here()
        struct.pack_into("<I", out, slot_pos, vec - slot_pos)
        out.extend(struct.pack("<I", count) + b"\0" * (4 * count))
        return [vec + 4 + 4 * i for i in range(count)]

    def point(slot_pos, target):
        struct.pack_into("<I", out, slot_pos, target - slot_pos)

    def bytes_vector(slot_pos, data):
        align()
        vec = here()
        point(slot_pos, vec)
        out.extend(struct.pack("<I", len(data)) + data + b"\0")

    trailing = []
    for elem_pos, data in zip(vector_of_tables(slots[4], len(buffers)), buffers):
        align(8)
        if buffer_as_offset:
            bvt = struct.pack("<HHHHH", 10, 20, 0, 4, 12) + b"\0"  # data absent; offset@4, size@12
            while (here() + len(bvt)) % 8 != 4:
                out.append(0)
            bvt_pos = here()
            out += bvt
            buf_pos = here()
            out += struct.pack("<i", buf_pos - bvt_pos) + b"\0" * 16
            point(elem_pos, buf_pos)
            trailing.append((buf_pos, data))
        else:
            bvt_pos = here()
            out += struct.pack("<HHH", 6, 8, 4) + b"\0\0"
            buf_pos = here()
            out += struct.pack("<i", buf_pos - bvt_pos) + b"\0" * 4
            point(elem_pos, buf_pos)
            if data:
                bytes_vector(buf_pos + 4, data)
    for elem_pos, (name, index) in zip(vector_of_tables(slots[6], len(metadata_entries)), metadata_entries):
        align()
        mvt_pos = here()
        out += struct.pack("<HHHH", 8, 12, 4, 8)
        meta_pos = here()
        out += struct.pack("<i", meta_pos - mvt_pos) + b"\0" * 4 + struct.pack("<I", index)
        point(elem_pos, meta_pos)
        bytes_vector(meta_pos + 4, name.encode())
    for buf_pos, data in trailing:
        align(16)
        start = here()
        out += data
        struct.pack_into("<QQ", out, buf_pos + 4, start, len(data))
    return bytes(out)


def test_hand_built_flatbuffer_entries():
    payload = json.dumps(good_meta()).encode()
    model = build_model([("min_runtime_version", 1), (METADATA_NAME, 2)], [b"", b"1.5.0", payload])
    assert read_metadata_entries(model) == {"min_runtime_version": b"1.5.0", METADATA_NAME: payload}
    assert read_edgestt_metadata(model) == good_meta()


def test_buffer_stored_after_the_flatbuffer():
    """Models over 2 GB keep buffers outside the flatbuffer (Buffer.offset/size)."""
    payload = json.dumps(good_meta(name="big")).encode()
    model = build_model([(METADATA_NAME, 1)], [b"", payload], buffer_as_offset=True)
    assert read_edgestt_metadata(model)["name"] == "big"


def test_model_without_metadata_vector_or_edgestt_entry():
    assert read_metadata_entries(build_model([], [b""])) == {}
    assert read_edgestt_metadata(build_model([("other", 1)], [b"", b"x"])) is None


def test_metadata_naming_a_missing_buffer():
    with pytest.raises(errors.FormatError, match="buffer 5"):
        read_metadata_entries(build_model([(METADATA_NAME, 5)], [b""]))


# ---- the committed fixtures, checked against LiteRT's generated flatbuffer schema
def _schema_entries(data):
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated", reason="needs LiteRT's flatbuffer schema")
    model = schema.Model.GetRootAsModel(data, 0)
    entries = {}
    for i in range(model.MetadataLength()):
        m = model.Metadata(i)
        buf = model.Buffers(m.Buffer())
        entries[m.Name().decode()] = buf.DataAsNumpy().tobytes() if buf.DataLength() else b""
    return entries


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.name)
def test_fixture_entries_equal_the_schema_reader(path):
    data = path.read_bytes()
    assert read_metadata_entries(data) == _schema_entries(data)


def test_edgestt_fixture_metadata():
    meta = read_edgestt_metadata(EDGESTT)
    assert meta == json.loads(_schema_entries(EDGESTT.read_bytes())[METADATA_NAME])
    assert meta["family"] == "quartznet_logmel" and meta["feature_preset"] == "nemo"
    assert meta["alphabet"] == LABELS and meta["blank_index"] == 28
    assert read_edgestt_metadata(str(EDGESTT)) == read_edgestt_metadata(EDGESTT.read_bytes())


def test_other_fixtures_have_none():
    assert read_edgestt_metadata(DATA / "quartznet_nemo_fixture.tflite") is None
    assert read_edgestt_metadata(DATA / "quartznet_scribosermo_fixture.tflite") is None


# ---- validation
@pytest.mark.parametrize("key", ["format", "family", "alphabet", "blank_index", "output", "feature_preset",
                                 "stride", "sample_rate", "frame_seconds", "default_beam_width"])
def test_required_key_missing(key):
    meta = good_meta()
    del meta[key]
    with pytest.raises(errors.FormatError, match=key):
        validate_metadata(meta)


@pytest.mark.parametrize("changes, match", [
    ({"alphabet": "abc"}, "alphabet"),
    ({"alphabet": []}, "alphabet"),
    ({"alphabet": ["a", ""]}, "alphabet"),
    ({"alphabet": ["a", "a"]}, "twice"),
    ({"blank_index": 29}, "blank_index"),
    ({"blank_index": -1}, "blank_index"),
    ({"blank_index": True}, "blank_index"),
    ({"blank_index": 2.0}, "blank_index"),
    ({"output": "logits"}, "output"),
    ({"stride": 0}, "stride"),
    ({"sample_rate": "16000"}, "sample_rate"),
    ({"frame_seconds": 0}, "frame_seconds"),
    ({"frame_seconds": float("nan")}, "frame_seconds"),
    ({"default_beam_width": 0}, "default_beam_width"),
    ({"feature_preset": 3}, "feature_preset"),
    ({"family": "no such family!"}, "family"),
    ({"name": 5}, "name"),
    ({"feature_config": [1]}, "feature_config"),
    ({"lm_alpha_beta": [0.7]}, "lm_alpha_beta"),
    ({"lm_alpha_beta": [0.7, 2.0, 1.0]}, "lm_alpha_beta"),
    ({"lm_alpha_beta": [-0.1, 2.0]}, "lm_alpha_beta"),
    ({"lm_alpha_beta": [0.7, float("inf")]}, "lm_alpha_beta"),
    ({"lm_alpha_beta": [True, 2.0]}, "lm_alpha_beta"),
    ({"lm_alpha_beta": ["0.7", 2.0]}, "lm_alpha_beta"),
    ({"lm_alpha_beta": {"alpha": 0.7}}, "lm_alpha_beta"),
])
def test_invalid_values(changes, match):
    with pytest.raises(errors.FormatError, match=match):
        validate_metadata(good_meta(**changes))


def test_nulls_and_unknown_family_spelling_are_allowed():
    assert validate_metadata(good_meta(feature_preset=None, default_beam_width=None))
    assert validate_metadata(good_meta(family="conformer_ctc"))["family"] == "conformer_ctc"
    assert validate_metadata(good_meta(feature_config={"normalization": "none"}))
    assert validate_metadata(good_meta(lm_alpha_beta=[0, -1.5]))["lm_alpha_beta"] == [0, -1.5]


def test_other_format_is_unsupported():
    with pytest.raises(errors.UnsupportedFormat, match="format 2"):
        validate_metadata(good_meta(format=2))
    with pytest.raises(errors.FormatError):
        validate_metadata([1, 2])


@pytest.mark.parametrize("payload", [b"{not json", b"\xff\xfe", json.dumps([1]).encode()])
def test_bad_payload(payload):
    with pytest.raises(errors.FormatError):
        read_edgestt_metadata(build_model([(METADATA_NAME, 1)], [b"", payload]))


def test_not_a_model(tmp_path):
    with pytest.raises(errors.FormatError, match="TFL3"):
        read_edgestt_metadata(b"hello world, this is not a model")
    with pytest.raises(errors.FileError):
        read_edgestt_metadata(tmp_path / "missing.tflite")
    with pytest.raises(errors.InvalidArgument):
        read_edgestt_metadata(12)


# ---- garbage never crashes: it reads, or it is a FormatError
def _read_or_format_error(data):
    try:
        result = read_edgestt_metadata(data)
    except errors.FormatError:
        return None
    assert result is None or isinstance(result, dict)
    return result


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes(data):
    _read_or_format_error(data)
    _read_or_format_error(data[:4] + b"TFL3" + data[8:])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=EDGESTT.stat().st_size))
def test_truncations_of_the_fixture(length):
    full = EDGESTT.read_bytes()
    got = _read_or_format_error(full[:length])
    if length == len(full):
        assert got == read_edgestt_metadata(full)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), min_size=1, max_size=8))
def test_corrupted_bytes_of_the_fixture(changes):
    # Change bytes among the first 4 KB (the tables and the JSON: TF's converter writes the weights
    # after them) and anywhere.
    data = bytearray(EDGESTT.read_bytes())
    for where, value in changes:
        data[where % 4096] = value
        data[where % len(data)] = value
    _read_or_format_error(bytes(data))


def test_writer_round_trip():
    """tools/tflite_metadata_writer.py (needs TensorFlow) embeds, replaces and keeps entries."""
    pytest.importorskip("tensorflow", reason="the metadata writer needs TensorFlow's flatbuffer schema")
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "tools"))
    from tflite_metadata_writer import embed_edgestt_metadata

    base = (DATA / "quartznet_nemo_fixture.tflite").read_bytes()
    once = embed_edgestt_metadata(base, good_meta(name="one"))
    twice = embed_edgestt_metadata(once, good_meta(name="two"))
    assert read_edgestt_metadata(twice)["name"] == "two"
    entries = read_metadata_entries(twice)
    assert set(entries) == set(read_metadata_entries(base)) | {METADATA_NAME}
    with pytest.raises(errors.FormatError):
        embed_edgestt_metadata(base, {"format": 1})
