"""The Python feature API: streaming equals one-shot, configs, and bad input."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edgestt
from edgestt.features import FeatureConfig, Features, compute

PRESETS = ["deepspeech", "scribosermo", "nemo"]
RNG = np.random.default_rng(5)
AUDIO = (RNG.standard_normal(12000) * 3000).astype(np.int16)


def stream_in_chunks(feats, audio, cuts):
    feats.reset()
    parts = []
    for chunk in np.split(audio, sorted(cuts)):
        feats.accept(chunk)
        parts.append(feats.pop())
    feats.finish()
    parts.append(feats.pop())
    return np.concatenate(parts)


@settings(max_examples=40, deadline=None)
@given(
    preset=st.sampled_from(PRESETS),
    length=st.integers(600, len(AUDIO)),
    cuts=st.lists(st.integers(0, len(AUDIO)), max_size=12),
    as_float=st.booleans(),
)
def test_streaming_equals_one_shot_for_any_chunking(preset, length, cuts, as_float):
    audio = AUDIO[:length]
    if as_float:
        audio = audio.astype(np.float32) / 32768
    feats = Features(preset)
    expected = feats.compute(audio)
    got = stream_in_chunks(feats, audio, [c for c in cuts if c <= length])
    np.testing.assert_array_equal(got, expected)


def test_frames_stream_out_before_finish_without_utterance_normalisation():
    feats = Features("deepspeech")
    feats.accept(AUDIO[:5000])
    assert feats.ready() == 1 + (5000 - 512) // 320
    first = feats.pop(3)
    assert first.shape == (3, 26)
    nemo = Features("nemo")
    nemo.accept(AUDIO)
    assert nemo.ready() == 0  # per-utterance statistics: nothing until finish
    nemo.finish()
    assert nemo.ready() == nemo.frames_for_samples(len(AUDIO)) == 1 + len(AUDIO) // 160


def test_fixed_normalisation_streams_and_equals_its_formula():
    base = FeatureConfig.preset("nemo")
    plain = dataclasses.replace(base, normalization="none")
    mean = tuple(np.linspace(-12, -8, 64))
    std = tuple(np.linspace(2, 4, 64))
    fixed = dataclasses.replace(base, normalization="fixed", norm_mean=mean, norm_std=std, norm_epsilon=0.0)
    feats = Features(fixed)
    feats.accept(AUDIO[:4000])
    assert feats.ready() > 0
    raw = compute(AUDIO, plain)
    np.testing.assert_allclose(compute(AUDIO, fixed), (raw - np.array(mean)) / np.array(std), atol=1e-5)


def test_presets_are_frozen_dataclasses_with_the_reference_values():
    ds = FeatureConfig.preset("deepspeech")
    assert (ds.frame_length_samples, ds.frame_step_samples, ds.num_mel_bins, ds.num_mfcc) == (512, 320, 40, 26)
    nemo = FeatureConfig.preset("nemo")
    assert (nemo.window, nemo.padding, nemo.mel_scale, nemo.spectrum) == (
        "hann_symmetric", "center_reflect", "slaney", "power")
    assert nemo.log_guard == 2.0**-24 and nemo.norm_std_unbiased
    with pytest.raises(dataclasses.FrozenInstanceError):
        nemo.fft_size = 1024
    assert Features().config == ds


def test_other_configurations_work():
    cfg = dataclasses.replace(FeatureConfig.preset("nemo"), num_mel_bins=80, window="hamming_periodic",
                              padding="none", normalization="none", num_mfcc=13, dct="orthonormal")
    out = compute(AUDIO, cfg)
    assert out.shape == (1 + (len(AUDIO) - 320) // 160, 13) and np.isfinite(out).all()


def test_int16_and_float_input_agree_with_the_preset_scale():
    for preset, scale in [("deepspeech", 32768), ("scribosermo", 32767)]:
        feats = Features(preset)
        as_float = (AUDIO.astype(np.float32) * np.float32(1 / scale)).astype(np.float32)
        np.testing.assert_array_equal(feats.compute(AUDIO), feats.compute(as_float))


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("preset", PRESETS)
def test_empty_audio(preset):
    with pytest.raises(edgestt.EmptyInput):
        Features(preset).compute(np.zeros(0, dtype=np.int16))


@pytest.mark.parametrize("preset,short", [("deepspeech", 511), ("scribosermo", 319), ("nemo", 256)])
def test_shorter_than_one_window(preset, short):
    feats = Features(preset)
    with pytest.raises(edgestt.InputTooShort):
        feats.compute(AUDIO[:short])
    assert feats.compute(AUDIO[: short + 2]).shape[0] >= 1  # one more sample and it works


def test_failed_finish_loses_nothing():
    feats = Features("deepspeech")
    feats.accept(AUDIO[:300])
    with pytest.raises(edgestt.InputTooShort):
        feats.finish()
    feats.accept(AUDIO[300:])
    feats.finish()
    np.testing.assert_array_equal(feats.pop(), Features("deepspeech").compute(AUDIO))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_refused_and_nothing_is_consumed(bad):
    feats = Features("deepspeech")
    audio = AUDIO.astype(np.float32) / 32768
    feats.accept(audio[:1000])
    poisoned = audio[1000:2000].copy()
    poisoned[500] = bad
    with pytest.raises(edgestt.NonFiniteInput):
        feats.accept(poisoned)
    feats.accept(audio[1000:])
    feats.finish()
    np.testing.assert_array_equal(
        np.concatenate([feats.pop()]), Features("deepspeech").compute(audio)[feats.ready():])


@pytest.mark.parametrize("audio", [
    np.zeros(1000, dtype=np.int32),
    np.zeros(1000, dtype=np.uint8),
    np.zeros(1000, dtype=np.complex64),
    np.zeros((2, 1000), dtype=np.int16),
    np.zeros((), dtype=np.float32),
    np.zeros(2000, dtype=np.float32)[::2],
    [0.0] * 1000,
])
def test_wrong_dtype_shape_or_layout(audio):
    feats = Features()
    with pytest.raises(edgestt.InvalidAudio):
        feats.compute(audio)
    with pytest.raises(edgestt.InvalidAudio):
        feats.accept(audio)


def test_float64_is_accepted_and_converted():
    audio = AUDIO.astype(np.float64) / 32768
    np.testing.assert_array_equal(compute(audio), compute(audio.astype(np.float32)))


@pytest.mark.parametrize("change,message", [
    ({"fft_size": 500}, "power of two"),
    ({"num_mel_bins": 300}, "num_mel_bins"),
    ({"fft_size": 64, "frame_length_samples": 64}, "exceeds"),
    ({"sample_rate_hz": 0}, "sample_rate_hz"),
    ({"frame_step_samples": 0}, "frame_step_samples"),
    ({"high_freq_hz": 9000.0}, "high_freq_hz"),
    ({"window": "blackman"}, "window"),
    ({"num_mfcc": 65}, "num_mfcc"),
    ({"frame_step_samples": -1}, "frame_step_samples"),
    ({"normalization": "fixed", "norm_mean": (0.0,) * 3}, "norm_mean"),
    ({"num_mel_bins": 120, "low_freq_hz": 0.0, "high_freq_hz": 500.0}, "covers no FFT bin"),
])
def test_impossible_configs(change, message):
    cfg = dataclasses.replace(FeatureConfig.preset("nemo"), **change)
    with pytest.raises(edgestt.InvalidConfig, match=message):
        Features(cfg)
    with pytest.raises(edgestt.InvalidConfig):
        cfg.check()


def test_unknown_preset():
    with pytest.raises(edgestt.InvalidConfig, match="deepspeech"):
        Features("kaldi")


def test_state_errors_and_close():
    feats = Features()
    feats.accept(AUDIO)
    feats.finish()
    with pytest.raises(edgestt.StateError):
        feats.accept(AUDIO)
    with pytest.raises(edgestt.StateError):
        feats.finish()
    feats.reset()
    feats.accept(AUDIO)
    with Features() as other:
        pass
    with pytest.raises(edgestt.ClosedError):
        other.compute(AUDIO)
    other.close()  # idempotent
    with pytest.raises(edgestt.InvalidArgument):
        feats.pop(-1)


def test_exception_classes_also_derive_from_builtins():
    assert issubclass(edgestt.InvalidConfig, ValueError)
    assert issubclass(edgestt.InputTooShort, ValueError)
    assert issubclass(edgestt.StateError, RuntimeError)
    assert issubclass(edgestt.ModelError, OSError)
    try:
        Features("nemo").compute(np.zeros(0, np.int16))
    except edgestt.EdgeSTTError as exc:
        assert exc.code != 0
