"""tests/data/deepspeech_fixture.tflite is a faithful DeepSpeech 0.9.x graph (specs/deepspeech.md 1):
checked in LiteRT (tensors, op kinds, hybrid weights, metadata, the feature subgraph against
edgestt's C front-end) and in the reference 0.9.3 client (it loads the file and transcribes)."""
import struct
from collections import Counter

import numpy as np
import pytest

from conftest import DATA, VARIED_AUDIO, read_wav_int16
from edgestt.features import Features
from reference_client import FIXTURE, reference_model

# DeepSpeech's data/alphabet.txt; blank is the extra last class.
ENGLISH = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
CONTEXT_WIDTH, N_INPUT, N_STEPS = 19, 26, 16

# specs/deepspeech.md 1.5: the acoustic ops of a TF 2.x conversion of the graph; plus the
# feature subgraph (1.4: RESHAPE, AudioSpectrogram, Mfcc, RESHAPE) and one RESHAPE per
# metadata output (the producing op the 0.9.3 client needs).
ACOUSTIC_OPS = {"LOGISTIC": 48, "MUL": 48, "TANH": 32, "FULLY_CONNECTED": 21, "CONCATENATION": 17,
                "STRIDED_SLICE": 16, "SPLIT": 16, "ADD": 16, "MINIMUM": 4, "RESHAPE": 2, "SOFTMAX": 1}
FEATURE_OPS = {"RESHAPE": 2, "AudioSpectrogram": 1, "Mfcc": 1}
METADATA = {"metadata_version": 6, "metadata_sample_rate": 16000, "metadata_feature_win_len": 32,
            "metadata_feature_win_step": 20}


@pytest.fixture(scope="module")
def interp():
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    interp = litert.Interpreter(
        model_path=str(FIXTURE), num_threads=1,
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    interp.allocate_tensors()
    return interp


def by_name(details):
    return {d["name"]: d for d in details}


def state_size(interp):
    return int(by_name(interp.get_input_details())["previous_state_c"]["shape"][1])


def deserialise_alphabet(blob):
    """Alphabet::Deserialize (spec 5.5), written independently of the fixture builder."""
    count, = struct.unpack_from("<H", blob, 0)
    pos, labels = 2, {}
    for _ in range(count):
        label, size = struct.unpack_from("<HH", blob, pos)
        labels[label] = blob[pos + 4:pos + 4 + size].decode("utf-8")
        pos += 4 + size
    assert pos == len(blob), "trailing bytes after the alphabet"
    return labels


def test_the_file_is_small():
    assert FIXTURE.stat().st_size <= 2 * 1024 * 1024


def test_tensors_have_the_release_names_shapes_and_dtypes(interp):
    H = state_size(interp)
    assert 64 <= H < 2048  # narrowed n_hidden
    inputs = {n: (list(d["shape"]), d["dtype"]) for n, d in by_name(interp.get_input_details()).items()}
    assert inputs == {
        "input_samples": ([512], np.float32),
        "input_node": ([1, N_STEPS, CONTEXT_WIDTH, N_INPUT], np.float32),
        "previous_state_c": ([1, H], np.float32),
        "previous_state_h": ([1, H], np.float32),
    }
    outputs = {n: (list(d["shape"]), d["dtype"]) for n, d in by_name(interp.get_output_details()).items()}
    assert outputs == {
        "mfccs": ([1, N_INPUT], np.float32),
        "logits": ([N_STEPS, len(ENGLISH) + 1], np.float32),
        "new_state_c": ([1, H], np.float32),
        "new_state_h": ([1, H], np.float32),
        **{name: ([1], np.int32) for name in list(METADATA) + ["metadata_beam_width"]},
        "metadata_alphabet": ([1], np.bytes_),
    }


def test_op_kinds_match_the_spec(interp):
    ops = Counter(op["op_name"] for op in interp._get_ops_details())
    expected = Counter(ACOUSTIC_OPS) + Counter(FEATURE_OPS) + Counter({"RESHAPE": len(METADATA) + 2})
    assert ops == expected


def test_fully_connected_weights_are_int8_hybrid_per_tensor(interp):
    tensors = interp.get_tensor_details()
    fcs = [op for op in interp._get_ops_details() if op["op_name"] == "FULLY_CONNECTED"]
    for op in fcs:
        x, w = (tensors[k] for k in op["inputs"][:2])
        assert x["dtype"] == np.float32 and w["dtype"] == np.int8, op
        assert len(w["quantization_parameters"]["scales"]) == 1, "per-tensor scale, as TF 1.15 wrote"
        assert w["quantization_parameters"]["zero_points"].tolist() == [0]
        assert tensors[op["outputs"][0]]["dtype"] == np.float32
    H = state_size(interp)
    shapes = sorted(tuple(tensors[op["inputs"][1]]["shape"]) for op in fcs)
    # layer_1, layers 2/3/5, the LSTM kernel (once per step), layer_6 (TFLite [out, in] layout)
    assert Counter(shapes) == Counter({(H, CONTEXT_WIDTH * N_INPUT): 1, (H, H): 3, (4 * H, 2 * H): N_STEPS,
                                       (len(ENGLISH) + 1, H): 1})


def test_every_metadata_output_has_a_producing_op(interp):
    produced = {int(t) for op in interp._get_ops_details() for t in op["outputs"]}
    for d in interp.get_output_details():
        assert d["index"] in produced, d["name"]


def test_metadata_values(interp):
    interp.invoke()
    out = {n: interp.get_tensor(d["index"]) for n, d in by_name(interp.get_output_details()).items()}
    for name, value in METADATA.items():
        assert out[name].tolist() == [value], name
    assert 29 < int(out["metadata_beam_width"][0]) <= 500
    labels = deserialise_alphabet(out["metadata_alphabet"][0])
    assert labels == dict(enumerate(ENGLISH))
    # The client checks logits classes == alphabet size + 1 (blank last).
    assert out["logits"].shape[1] == len(labels) + 1


def audio_windows():
    """512-sample windows (int16) of speech, noise, silence and clipping, hop 320."""
    for name, pcm in VARIED_AUDIO:
        for start in range(0, min(len(pcm), 16000) - 512 + 1, 320):
            yield name, pcm[start:start + 512]


def test_feature_subgraph_equals_edgestt_deepspeech_preset(interp):
    idx_in = by_name(interp.get_input_details())["input_samples"]["index"]
    idx_out = by_name(interp.get_output_details())["mfccs"]["index"]
    feats = Features("deepspeech")
    worst, count = 0.0, 0
    for name, window in audio_windows():
        interp.set_tensor(idx_in, window.astype(np.float32) * np.float32(1 / 32768))
        interp.invoke()
        theirs = interp.get_tensor(idx_out)
        ours = feats.compute(window)
        assert ours.shape == theirs.shape == (1, N_INPUT), name
        worst = max(worst, float(np.abs(ours - theirs).max()))
        count += 1
    assert count > 100
    assert worst <= 1e-3


def run_acoustic(interp, windows, H):
    """Probabilities for [T, 494] context windows, 16 steps per invoke, state carried."""
    details = by_name(interp.get_input_details() + interp.get_output_details())
    c = h = np.zeros((1, H), np.float32)
    probs = []
    for start in range(0, len(windows), N_STEPS):
        batch = np.zeros((N_STEPS, CONTEXT_WIDTH * N_INPUT), np.float32)
        n = min(N_STEPS, len(windows) - start)
        batch[:n] = windows[start:start + n]
        interp.set_tensor(details["input_node"]["index"], batch.reshape(1, N_STEPS, CONTEXT_WIDTH, N_INPUT))
        interp.set_tensor(details["previous_state_c"]["index"], c)
        interp.set_tensor(details["previous_state_h"]["index"], h)
        interp.invoke()
        probs.append(interp.get_tensor(details["logits"]["index"])[:n].copy())
        c = interp.get_tensor(details["new_state_c"]["index"]).copy()
        h = interp.get_tensor(details["new_state_h"]["index"]).copy()
    return np.concatenate(probs)


def context_windows(feats):
    pad = np.zeros((9, N_INPUT), np.float32)
    padded = np.concatenate([pad, feats, pad])
    return np.stack([padded[t:t + CONTEXT_WIDTH].reshape(-1) for t in range(len(feats))])


def test_output_is_peaky_and_depends_on_the_audio(interp):
    H = state_size(interp)
    best = {}
    for path in sorted(DATA.glob("synth_*.wav")):
        probs = run_acoustic(interp, context_windows(Features("deepspeech").compute(read_wav_int16(path)[0])), H)
        np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
        assert np.median(probs.max(1)) > 0.6, "a peaky, trained-looking output"
        best[path.name] = probs.argmax(1)
        labels_used = set(best[path.name]) - {len(ENGLISH)}
        assert len(labels_used) >= 8, "many different labels win, not one class everywhere"
        assert 0.1 < np.mean(best[path.name] == len(ENGLISH)) < 0.9, "blank wins on some frames, not all"
    assert len({tuple(b[:100]) for b in best.values()}) == len(best)


# -- the reference client (libdeepspeech.so 0.9.3)

@pytest.fixture(scope="module")
def reference():
    with reference_model() as ref:
        yield ref


def synth_clips():
    return [(p.name, read_wav_int16(p)[0]) for p in sorted(DATA.glob("synth_*.wav"))]


def test_reference_client_loads_the_fixture(reference, interp):
    interp.invoke()
    beam = int(interp.get_tensor(by_name(interp.get_output_details())["metadata_beam_width"]["index"])[0])
    assert reference.version == "0.9.3"
    assert reference.sample_rate == 16000
    assert reference.beam_width == beam


def test_reference_client_transcribes_audio_dependent_text(reference):
    texts = {}
    for name, pcm in synth_clips():
        text = reference.stt(pcm)
        assert len(text) >= 10, name
        assert set(text) <= set(ENGLISH), name
        best = reference.stt_with_metadata(pcm, 3)
        assert best[0].text == text
        assert 1 <= len(best) <= 3
        steps = [t.timestep for t in best[0].tokens]
        assert steps == sorted(steps) and steps[-1] < len(pcm) / 320 + 2
        texts[name] = text
    assert len(set(texts.values())) == len(texts)
    silence = reference.stt(np.zeros(16000, np.int16))
    assert silence not in texts.values()


def test_reference_client_streaming_equals_one_shot(reference):
    rng = np.random.default_rng(5)
    for name, pcm in synth_clips():
        stream = reference.stream()
        pos = 0
        while pos < len(pcm):
            step = int(rng.integers(1, 4000))
            stream.feed(pcm[pos:pos + step])
            pos += step
        assert stream.finish_with_metadata(1) == reference.stt_with_metadata(pcm, 1), name


def test_reference_client_refuses_a_non_model(reference, tmp_path):
    from deepspeech_reference import ReferenceDeepSpeech, ReferenceError, fetch_library

    bogus = tmp_path / "bogus.tflite"
    bogus.write_bytes(b"not a model at all" * 10)
    with pytest.raises(ReferenceError) as err:
        ReferenceDeepSpeech(fetch_library(), bogus)
    assert err.value.code == 0x3000  # DS_ERR_FAIL_INIT_MMAP
