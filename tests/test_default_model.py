"""The default model: its manifest and integrity check, and how Model() finds it and its LM."""
import hashlib
import shutil

import pytest

from edgestt import constants, errors
from edgestt.default_model import (MANIFEST_NAME, default_model_path, default_scorer_path, model_folders,
                                   read_manifest, verify_folder)
from edgestt.lm import LanguageModel

from conftest import DATA


def write_manifest(folder, names):
    lines = ["%s  %s" % (hashlib.sha256((folder / n).read_bytes()).hexdigest(), n) for n in names]
    (folder / MANIFEST_NAME).write_text("\n".join(lines) + "\n")


@pytest.fixture
def shipped(tmp_path):
    """A models/ folder as tools/ship_model.py writes it, with a test model and LM."""
    shutil.copy(DATA / "deepspeech_fixture.tflite", tmp_path / constants.DEFAULT_MODEL_FILENAME)
    with LanguageModel(DATA / "lm_small.arpa") as lm:
        lm.save(tmp_path / constants.DEFAULT_SCORER_FILENAME)
    write_manifest(tmp_path, [constants.DEFAULT_MODEL_FILENAME, constants.DEFAULT_SCORER_FILENAME])
    return tmp_path


def test_manifest_is_read_and_verified(shipped):
    entries = verify_folder(shipped)
    assert sorted(entries) == sorted([constants.DEFAULT_MODEL_FILENAME, constants.DEFAULT_SCORER_FILENAME])
    assert all(len(h) == 64 for h in entries.values())


def test_a_changed_byte_is_caught(shipped):
    model = shipped / constants.DEFAULT_MODEL_FILENAME
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 1
    model.write_bytes(bytes(data))
    with pytest.raises(errors.ModelError, match="differs"):
        verify_folder(shipped)


def test_a_missing_file_is_caught(shipped):
    (shipped / constants.DEFAULT_SCORER_FILENAME).unlink()
    with pytest.raises(errors.ModelError, match="missing"):
        verify_folder(shipped)


@pytest.mark.parametrize("line", ["not a manifest line", "abc  file", "%s  ../escape" % ("0" * 64),
                                  "%s  a  b" % ("0" * 64), "%s  f" % ("G" * 64)])
def test_malformed_manifest_lines_are_refused(tmp_path, line):
    (tmp_path / MANIFEST_NAME).write_text(line + "\n")
    with pytest.raises(errors.ModelError):
        read_manifest(tmp_path)


def test_no_manifest_means_nothing_shipped(tmp_path):
    assert read_manifest(tmp_path) == {} and verify_folder(tmp_path) == {}


def test_sha256sum_binary_marker_is_accepted(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    (tmp_path / MANIFEST_NAME).write_text("%s *f\n" % hashlib.sha256(b"x").hexdigest())
    assert verify_folder(tmp_path) == {"f": hashlib.sha256(b"x").hexdigest()}


def test_scorer_beside_the_default_model(shipped, tmp_path_factory):
    assert default_scorer_path(shipped / constants.DEFAULT_MODEL_FILENAME) == shipped / constants.DEFAULT_SCORER_FILENAME
    other = tmp_path_factory.mktemp("bare")
    assert default_scorer_path(other / "m.tflite") is None


def test_model_without_arguments_uses_the_default_model_and_its_lm(shipped, monkeypatch):
    pytest.importorskip("ai_edge_litert", reason="LiteRT (ai-edge-litert) is not installed")
    from edgestt.model import Model
    monkeypatch.setenv("EDGESTT_MODEL", str(shipped / constants.DEFAULT_MODEL_FILENAME))
    assert default_model_path() == shipped / constants.DEFAULT_MODEL_FILENAME
    with Model() as model:
        assert model.scorer_alpha_beta is not None        # the LM beside it is on
        model.disable_scorer()
        assert model.scorer_alpha_beta is None
    with Model(shipped / constants.DEFAULT_MODEL_FILENAME) as model:
        assert model.scorer_alpha_beta is None            # an explicit path: no implicit LM


def test_shipped_models_are_intact():
    """Every models/ folder with a manifest (the source tree's, an installed package's) must
    match it byte for byte."""
    folders = [f for f in model_folders() if (f / MANIFEST_NAME).is_file()]
    if not folders:
        pytest.skip("no model is shipped yet (models/%s absent)" % MANIFEST_NAME)
    for folder in folders:
        assert verify_folder(folder), "%s lists no file" % (folder / MANIFEST_NAME)


def word_errors(reference: str, hypothesis: str) -> int:
    ref, hyp = reference.split(), hypothesis.split()
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def test_word_errors():
    assert word_errors("a b c", "a b c") == 0
    assert word_errors("a b c", "a x c d") == 2
    assert word_errors("a b", "") == 2


def test_shipped_model_transcribes_held_out_voices():
    """The default model, with its LM, on two committed clips of voices and sentences held out
    of its training (tools/train: festival ked and flite rms): at most 1 word in 5 wrong."""
    pytest.importorskip("ai_edge_litert", reason="LiteRT (ai-edge-litert) is not installed")
    from edgestt.model import Model
    source_tree = model_folders()[1]
    if not (source_tree / constants.DEFAULT_MODEL_FILENAME).is_file():
        pytest.skip("no default model is shipped yet (models/%s absent)" % constants.DEFAULT_MODEL_FILENAME)
    rows = [line.split("\t") for line in (DATA / "heldout_clips.tsv").read_text().splitlines()[1:]]
    errors_, words = 0, 0
    with Model(source_tree / constants.DEFAULT_MODEL_FILENAME,
               source_tree / constants.DEFAULT_SCORER_FILENAME) as model:
        for name, _voice, reference in rows:
            errors_ += word_errors(reference, model.stt(DATA / name))
            words += len(reference.split())
    assert errors_ / words <= 0.2, "%d of %d words wrong" % (errors_, words)
