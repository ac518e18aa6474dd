"""Each feature preset against its reference, over more than a minute of varied audio.

deepspeech and scribosermo: tiny .tflite graphs of the reference ops run by the stock LiteRT
interpreter (tools/make_feature_oracles.py), plus independent numpy references.
nemo: an independent numpy reference (tests/reference_features.py), plus librosa when installed.
"""
from pathlib import Path

import numpy as np
import pytest

import reference_features as ref
from conftest import DATA, int16_to_float
from edgestt.features import Features

SCALE = {"deepspeech": 1 / 32768, "scribosermo": 1 / 32767, "nemo": 1 / 32768}


def test_the_audio_covers_more_than_a_minute_of_every_kind(varied_audio):
    seconds = sum(len(a) for _, a in varied_audio) / 16000
    kinds = {name.split(":")[0] for name, _ in varied_audio}
    assert seconds >= 60
    assert {"real", "synth", "white_noise", "silence", "clipped_speech"} <= kinds


def litert_runner(model_file):
    litert = pytest.importorskip("ai_edge_litert.interpreter")
    path = DATA / model_file
    assert path.is_file(), f"missing oracle {path}: run tools/make_feature_oracles.py"
    # Builtin kernels without the XNNPACK delegate, which refuses zero-frame shapes.
    interp = litert.Interpreter(
        model_path=str(path),
        num_threads=1,
        experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    inp = interp.get_input_details()[0]

    def run(signal):
        shape = [len(signal)] if len(inp["shape"]) == 1 else [1, len(signal)]
        interp.resize_tensor_input(inp["index"], shape)
        interp.allocate_tensors()
        interp.set_tensor(inp["index"], signal.reshape(shape))
        interp.invoke()
        out = interp.get_output_details()[0]
        return interp.get_tensor(out["index"]).reshape(-1, out["shape"][-1])

    return run


def max_diff_per_clip(preset, varied_audio, reference):
    feats = Features(preset)
    worst = {}
    for name, pcm in varied_audio:
        signal = int16_to_float(pcm, SCALE[preset])
        ours = feats.compute(pcm)
        theirs = reference(signal)
        assert ours.shape == theirs.shape, name
        # int16 and float input must agree exactly (same scaling in float).
        np.testing.assert_array_equal(ours, feats.compute(signal))
        worst[name] = float(np.abs(ours - theirs).max())
    return worst


def test_deepspeech_matches_litert_mfcc_ops(varied_audio):
    worst = max_diff_per_clip("deepspeech", varied_audio, litert_runner("oracle_deepspeech_features.tflite"))
    assert max(worst.values()) <= 1e-3, worst


def test_deepspeech_matches_numpy_reference(varied_audio):
    worst = max_diff_per_clip("deepspeech", varied_audio, ref.deepspeech_mfcc)
    assert max(worst.values()) <= 1e-4, worst


def test_deepspeech_silence_gives_the_floor_value():
    out = Features("deepspeech").compute(np.zeros(1600, dtype=np.int16))
    np.testing.assert_allclose(out[:, 0], 40 * np.log(1e-12) * np.sqrt(2 / 40), rtol=1e-6)
    np.testing.assert_allclose(out[:, 1:], 0, atol=1e-4)


def _degenerate(log_mel_std):
    return log_mel_std.min() < 1e-2


def scribosermo_compare(varied_audio, reference):
    """Max |Δ| per clip, on the normalised output where that is well conditioned.

    The reference normalises each mel band by its std over the clip. For a clip whose
    spectrum does not change (digital silence, a square wave) some bands have std ~1e-4
    or 0, and the reference's own float32 rounding, divided by that std, is noise of
    order 1 (see tests/data/ORACLES.md). There the comparison is made in log-mel units,
    |Δ| * (std + 1e-7), the quantity the normalisation divided.
    """
    feats = Features("scribosermo")
    worst = {}
    for name, pcm in varied_audio:
        signal = int16_to_float(pcm, SCALE["scribosermo"])
        ours, theirs = feats.compute(pcm), reference(signal)
        assert ours.shape == theirs.shape, name
        spread = ref.scribosermo_log_mel(signal).std(axis=0)
        diff = np.abs(ours - theirs)
        if _degenerate(spread):
            diff = diff * (spread + 1e-7)
        worst[name] = float(diff.max())
    return worst


def test_scribosermo_matches_litert_graph(varied_audio):
    worst = scribosermo_compare(varied_audio, litert_runner("oracle_scribosermo_features.tflite"))
    assert max(worst.values()) <= 1e-3, worst
    # The well-conditioned clips (all the speech and noise) are compared directly.
    assert sum(1 for name in worst if name.startswith(("real:", "synth:"))) >= 20


def test_scribosermo_matches_numpy_reference(varied_audio):
    worst = scribosermo_compare(varied_audio, ref.scribosermo_logmel)
    assert max(worst.values()) <= 1e-4, worst


def test_nemo_matches_numpy_reference(varied_audio):
    worst = max_diff_per_clip("nemo", varied_audio, ref.nemo_logmel)
    assert max(worst.values()) <= 1e-4, worst


def test_reference_slaney_filterbank_matches_librosa():
    librosa = pytest.importorskip("librosa")
    theirs = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=0, fmax=8000, htk=False, norm="slaney")
    np.testing.assert_allclose(ref.slaney_mel_matrix(), theirs, atol=1e-7)


def test_nemo_matches_a_librosa_pipeline(varied_audio):
    librosa = pytest.importorskip("librosa")
    fb = librosa.filters.mel(sr=16000, n_fft=512, n_mels=64, fmin=0, fmax=8000, norm="slaney").astype(np.float64)
    window = np.hanning(320)
    feats = Features("nemo")
    for name, pcm in varied_audio[:10]:
        x = int16_to_float(pcm, SCALE["nemo"]).astype(np.float64)
        y = np.concatenate([x[:1], x[1:] - 0.97 * x[:-1]])
        spec = librosa.stft(y, n_fft=512, hop_length=160, win_length=320, window=window, center=True,
                            pad_mode="reflect")
        logs = np.log(fb @ np.abs(spec) ** 2 + 2.0**-24).T
        expected = (logs - logs.mean(0)) / (logs.std(0, ddof=1) + 1e-5)
        np.testing.assert_allclose(feats.compute(pcm), expected, atol=1e-4, err_msg=name)


def test_nemo_matches_torch_stft_when_installed(varied_audio):
    torch = pytest.importorskip("torch")
    fb = torch.tensor(ref.slaney_mel_matrix())
    feats = Features("nemo")
    for name, pcm in varied_audio[:10]:
        x = torch.tensor(int16_to_float(pcm, SCALE["nemo"]), dtype=torch.float64)
        y = torch.cat([x[:1], x[1:] - 0.97 * x[:-1]])
        spec = torch.stft(y, n_fft=512, hop_length=160, win_length=320, center=True, pad_mode="reflect",
                          window=torch.hann_window(320, periodic=False, dtype=torch.float64), return_complex=True)
        logs = torch.log(fb @ spec.abs() ** 2 + 2.0**-24).T
        expected = ((logs - logs.mean(0)) / (logs.std(0) + 1e-5)).numpy()
        np.testing.assert_allclose(feats.compute(pcm), expected, atol=1e-4, err_msg=name)
