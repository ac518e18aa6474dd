"""The CTC decoder (no LM): prefix probabilities against a brute-force oracle over all
alignments, beam width 1 against greedy, streaming == one-shot, and bad input."""
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edgestt
from edgestt.decoder import CTCDecoder, Result


def random_probs(rng, frames, classes, peak=3.0):
    x = np.exp(peak * rng.random((frames, classes)))
    return (x / x.sum(axis=1, keepdims=True)).astype(np.float32)


def brute_force(probs, blank):
    """Sum of the probabilities of all alignments, per collapsed labelling (float64)."""
    frames, classes = probs.shape
    sums = {}
    for path in itertools.product(range(classes), repeat=frames):
        p = 1.0
        for t, k in enumerate(path):
            p *= float(probs[t, k])
        label, prev = [], blank
        for k in path:
            if k != blank and k != prev:
                label.append(k)
            prev = k
        sums[tuple(label)] = sums.get(tuple(label), 0.0) + p
    return sums


def peaky(rng, frames, classes, blank):
    """One dominant class per frame (blank half the time), like a trained model's output."""
    probs = np.full((frames, classes), 0.02, dtype=np.float64)
    for t in range(frames):
        k = blank if rng.random() < 0.5 else int(rng.integers(classes))
        probs[t, k] = 1.0
    return (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("frames", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("classes,blank", [(2, 1), (3, 2), (4, 3), (4, 0), (3, 1)])
def test_prefix_probabilities_equal_brute_force(frames, classes, blank):
    rng = np.random.default_rng(100 * frames + 10 * classes + blank)
    probs = random_probs(rng, frames, classes)
    labels = "abc"[: classes - 1]
    # A beam wide enough for every labelling; the delayed start off.
    dec = CTCDecoder(labels, blank_index=blank, beam_width=2048, start_blank_threshold=2.0)
    oracle = brute_force(probs, blank)
    beams = dec.decode_beams(probs)
    assert len(beams) == len(oracle)
    for result in beams:
        assert math.exp(result.log_prob) == pytest.approx(oracle[result.tokens], abs=1e-6)
    assert [r.log_prob for r in beams] == sorted((r.log_prob for r in beams), reverse=True)
    best = max(oracle, key=oracle.get)
    assert oracle[beams[0].tokens] == pytest.approx(oracle[best], abs=1e-6)


def test_log_probs_input_matches_probs():
    rng = np.random.default_rng(1)
    probs = random_probs(rng, 6, 4)
    a = CTCDecoder("abc", beam_width=2048, start_blank_threshold=2.0).decode_beams(probs)
    b = CTCDecoder("abc", beam_width=2048, start_blank_threshold=2.0, input="log_probs").decode_beams(
        np.log(probs)
    )
    assert [r.tokens for r in a] == [r.tokens for r in b]
    np.testing.assert_allclose([r.log_prob for r in a], [r.log_prob for r in b], atol=1e-4)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 60), classes=st.integers(2, 8))
def test_beam_width_one_equals_greedy_on_peaky_input(seed, frames, classes):
    rng = np.random.default_rng(seed)
    blank = classes - 1
    probs = peaky(rng, frames, classes, blank)
    dec = CTCDecoder("abcdefg"[: classes - 1], beam_width=1, start_blank_threshold=2.0)
    greedy, beam = dec.greedy(probs), dec.decode(probs)
    assert beam.tokens == greedy.tokens
    assert beam.timesteps == greedy.timesteps
    assert beam.text == greedy.text


def test_greedy_and_timesteps():
    # a a _ b b _ _ a -> "aba" at frames 0, 3, 7
    argmax = [0, 0, 2, 1, 1, 2, 2, 0]
    probs = np.full((8, 3), 0.05, dtype=np.float32)
    probs[np.arange(8), argmax] = 0.9
    dec = CTCDecoder("ab", beam_width=16)
    for result in (dec.greedy(probs), dec.decode(probs)):
        assert result.text == "aba" and result.tokens == (0, 1, 0) and result.timesteps == (0, 3, 7)
    assert dec.greedy(probs).log_prob == pytest.approx(8 * math.log(0.9), rel=1e-6)
    assert isinstance(dec.decode(probs), Result)


def test_delayed_start_skips_confident_blank_frames():
    probs = np.array(
        [[0.0005, 0.0005, 0.999], [0.0, 0.0, 1.0], [0.9, 0.05, 0.05], [0.05, 0.05, 0.9], [0.05, 0.9, 0.05]],
        dtype=np.float32,
    )
    dec = CTCDecoder("ab", beam_width=8)
    result = dec.decode(probs)
    assert result.text == "ab" and result.timesteps == (2, 4)
    oracle = brute_force(probs[2:], 2)
    assert math.exp(result.log_prob) == pytest.approx(oracle[(0, 1)], abs=1e-6)


def test_text_uses_the_alphabet_around_the_blank():
    probs = np.full((3, 4), 0.01, dtype=np.float32)
    probs[[0, 1, 2], [0, 1, 3]] = 0.97
    dec = CTCDecoder(["x", "yy", "z"], blank_index=2)  # classes: x, yy, blank, z
    assert dec.decode(probs).text == "xyyz"
    assert dec.labels == ("x", "yy", None, "z")


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    frames=st.integers(1, 80),
    cuts=st.lists(st.integers(0, 80), max_size=10),
    beam=st.sampled_from([1, 4, 16, 64]),
)
def test_streaming_equals_one_shot(seed, frames, cuts, beam):
    rng = np.random.default_rng(seed)
    probs = random_probs(rng, frames, 6, peak=4.0)
    dec = CTCDecoder("abcde", beam_width=beam)
    expected = dec.decode_beams(probs)
    with dec.stream() as s:
        for chunk in np.split(probs, sorted(c for c in cuts if c <= frames)):
            s.feed(chunk)
            assert isinstance(s.partial(), Result)
        best = s.finish()
        assert s.beams() == expected
        assert best == expected[0]
        assert s.num_frames == frames
        s.reset()
        s.feed(probs)
        assert s.finish() == expected[0]


def test_space_label_and_exports():
    assert edgestt.CTCDecoder is CTCDecoder
    dec = CTCDecoder(" abcdefghijklmnopqrstuvwxyz'")  # DeepSpeech's alphabet: 29 classes, blank 28
    assert dec.num_classes == 29 and dec.blank_index == 28 and dec.beam_width == 500
    assert dec._config.space_index == 0


def test_bad_input_raises_specific_errors():
    dec = CTCDecoder("ab", beam_width=4)
    good = np.array([[0.6, 0.1, 0.3]], dtype=np.float32)
    with pytest.raises(edgestt.NonFiniteInput):
        dec.decode(np.array([[np.nan, 0.5, 0.5]], dtype=np.float32))
    with pytest.raises(edgestt.NonFiniteInput):
        dec.decode(np.array([[np.inf, 0.5, 0.5]]))
    with pytest.raises(edgestt.InvalidArgument, match="shape"):
        dec.decode(np.ones((2, 4), dtype=np.float32) / 4)  # alphabet size mismatch
    with pytest.raises(edgestt.InvalidArgument, match="shape"):
        dec.decode(np.ones(3, dtype=np.float32))
    with pytest.raises(edgestt.InvalidArgument):
        dec.decode(np.array([[1.5, 0.0, 0.0]], dtype=np.float32))  # not a probability
    with pytest.raises(edgestt.InvalidArgument):
        dec.decode([[0.6, 0.1, 0.3]])
    with pytest.raises(edgestt.InvalidArgument):
        dec.decode(np.array([[1, 0, 0]]))  # integers
    with pytest.raises(edgestt.EmptyInput):
        dec.decode(np.zeros((0, 3), dtype=np.float32))
    with pytest.raises(edgestt.InvalidArgument):
        CTCDecoder("ab", input="log_probs").decode(np.array([[0.5, -1.0, -1.0]], dtype=np.float32))
    with pytest.raises(edgestt.NonFiniteInput):
        CTCDecoder("ab").greedy(np.array([[np.nan, 0.5, 0.5]], dtype=np.float32))
    with pytest.raises(edgestt.InvalidConfig, match="beam_width"):
        CTCDecoder("ab", beam_width=0)
    with pytest.raises(edgestt.InvalidConfig, match="blank_index"):
        CTCDecoder("ab", blank_index=3)
    with pytest.raises(edgestt.InvalidConfig, match="input"):
        CTCDecoder("ab", input="logits")
    with pytest.raises(edgestt.InvalidConfig, match="cutoff_prob"):
        CTCDecoder("ab", cutoff_prob=0.0)
    with pytest.raises(edgestt.InvalidConfig):
        CTCDecoder("")
    with pytest.raises(edgestt.InvalidArgument):
        dec.decode_beams(good, 0)
    s = dec.stream()
    s.feed(good)
    s.finish()
    with pytest.raises(edgestt.StateError):
        s.feed(good)
    s.close()
    with pytest.raises(edgestt.ClosedError):
        s.partial()
    # A refused chunk leaves the stream untouched.
    s = dec.stream()
    s.feed(good)
    with pytest.raises(edgestt.NonFiniteInput):
        s.feed(np.array([[0.6, 0.1, 0.3], [np.nan, 0.5, 0.5]], dtype=np.float32))
    assert s.num_frames == 1


def test_pool_limit_is_reported():
    # "a" or "b" (equally likely), then "c c c ...": the prefixes starting with a and with b
    # stay in the beam with equal scores, so they share no stem that could be committed, and
    # the tree outgrows the pool.
    probs = np.zeros((401, 4), dtype=np.float32)
    probs[0, :2] = 0.5
    probs[1::2, 2] = 1.0
    probs[2::2, 3] = 1.0
    dec = CTCDecoder("abc", beam_width=4, max_prefixes=300)
    with pytest.raises(edgestt.NativeMemoryError):
        dec.decode(probs)
    # Without the ambiguity (and with some noise, so that recent alternatives fill the beam)
    # the stem is committed and the same pool suffices.
    probs = np.full((401, 4), 0.05, dtype=np.float32)
    probs[0, 0] = 0.85
    probs[1::2, 2] = 0.85
    probs[2::2, 3] = 0.85
    small = dec.decode_beams(probs)
    assert small == CTCDecoder("abc", beam_width=4).decode_beams(probs)  # the default, large pool
    assert small[0].text.startswith("accc")
    with pytest.raises(edgestt.InvalidConfig, match="max_prefixes"):
        CTCDecoder("abcde", beam_width=4, max_prefixes=10)
