"""The TFLite runtime shim: runtime choice, install hint, bad files, modes, the interpreter pool."""
import builtins
import threading

import numpy as np
import pytest

from edgestt import errors, runtime
from edgestt.runtime import Runtime

pytest.importorskip("ai_edge_litert", reason="LiteRT (ai-edge-litert) is not installed")

from conftest import DATA  # noqa: E402

ORACLE = DATA / "oracle_deepspeech_features.tflite"  # a small valid model: the MFCC ops alone


def _block_imports(monkeypatch, blocked):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    for name in list(__import__("sys").modules):
        if any(name == b or name.startswith(b + ".") for b in blocked):
            monkeypatch.delitem(__import__("sys").modules, name)


def test_prefers_litert():
    _module, name = runtime.interpreter_module()
    assert name == "ai_edge_litert.interpreter"


def test_falls_back_in_order(monkeypatch):
    _block_imports(monkeypatch, ["ai_edge_litert"])
    try:
        _module, name = runtime.interpreter_module()
    except errors.ModelError:
        pytest.skip("neither tflite_runtime nor tensorflow is installed to fall back to")
    assert name in ("tflite_runtime.interpreter", "tensorflow.lite")


def test_no_runtime_gives_install_hint(monkeypatch):
    _block_imports(monkeypatch, ["ai_edge_litert", "tflite_runtime", "tensorflow"])
    with pytest.raises(errors.ModelError, match="pip install ai-edge-litert"):
        runtime.interpreter_module()
    with pytest.raises(errors.ModelError, match="no TFLite runtime"):
        Runtime(ORACLE)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(errors.FileError, match="not found"):
        Runtime(tmp_path / "nope.tflite")
    with pytest.raises(errors.FileError, match="directory"):
        Runtime(tmp_path)


def test_not_a_tflite(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(100))
    with pytest.raises(errors.FormatError, match="not a .tflite"):
        Runtime(bad)
    bad.write_bytes(b"TFL3")
    with pytest.raises(errors.FormatError, match="too short"):
        Runtime(bad)


def test_truncated_files_are_refused_not_crashed(tmp_path):
    data = ORACLE.read_bytes()
    cuts = sorted(set(list(range(8, min(len(data), 400), 13)) + list(range(400, len(data), max(1, len(data) // 150)))))
    for cut in cuts:
        with pytest.raises((errors.FormatError, errors.ModelError)):
            Runtime(model_bytes=data[:cut], name=f"cut at {cut}")


def test_garbage_after_a_valid_header_is_refused():
    data = bytearray(ORACLE.read_bytes())
    rng = np.random.default_rng(5)
    data[8:] = rng.integers(0, 256, len(data) - 8, dtype=np.uint8).tobytes()
    with pytest.raises((errors.FormatError, errors.ModelError)):
        Runtime(model_bytes=bytes(data))


def test_bad_options():
    with pytest.raises(errors.InvalidConfig, match="mode"):
        Runtime(ORACLE, mode="turbo")
    for threads in (0, -1, 1.5, True):
        with pytest.raises(errors.InvalidConfig, match="num_threads"):
            Runtime(ORACLE, num_threads=threads)


@pytest.mark.parametrize("mode", runtime.MODES)
def test_modes_compute_the_oracle(mode):
    rt = Runtime(ORACLE, mode=mode, num_threads=1)
    with rt.interpreter() as it:
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        x = np.random.default_rng(1).normal(0, 0.1, inp["shape"]).astype(np.float32)
        it.set_tensor(inp["index"], x)
        it.invoke()
        assert np.isfinite(it.get_tensor(out["index"])).all()
    assert rt.mode == mode


def test_pool_grows_only_with_concurrency():
    rt = Runtime(ORACLE)
    for _ in range(5):
        with rt.interpreter():
            pass
    assert rt.interpreters_created == 1
    barrier = threading.Barrier(3)

    def hold():
        with rt.interpreter():
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=hold) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rt.interpreters_created == 3


def test_load_interpreter():
    it = runtime.load_interpreter(ORACLE, num_threads=1, mode="reference")
    assert it.get_input_details()
