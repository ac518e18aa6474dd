"""Hot words in the CTC decoder: every beam's score equals the LM-free score plus an
independent Python evaluation of the documented hot-word score H(text); a hot word flips a
result; phrases; an out-of-vocabulary hot word passes the lexicon; a negative boost
suppresses; streams copy the hot words at creation; streaming == one-shot with hot words and
an LM; bad hot words."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edgestt
from edgestt.decoder import CTCDecoder

from test_decoder_lm import ALPHABET, ARPA, assert_streaming_equals_one_shot, random_probs, spell, the_cap_sat


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm") / "small.arpa"
    path.write_text(ARPA)
    return edgestt.LanguageModel(path)


def hot_score(text, phrases):
    """H(text) as documented: + boost per whole-word occurrence (' p ' inside ' ' + text),
    + the largest partial credit boost * k / len(p) over the suffixes of ' ' + text that are a
    proper prefix of ' p ' with k >= 1 labels of p matched."""
    padded = " " + text
    total = 0.0
    for phrase, boost in phrases.items():
        pattern = " " + phrase + " "
        total += boost * sum(padded.startswith(pattern, i) for i in range(len(padded)))
    credits = []
    for phrase, boost in phrases.items():
        pattern = " " + phrase + " "
        for start in range(len(padded)):
            suffix = padded[start:]
            k = len(suffix) - 1
            if k >= 1 and len(suffix) < len(pattern) and pattern.startswith(suffix):
                credits.append(boost * min(1.0, k / len(phrase)))
    return total + (max(credits) if credits else 0.0)


PHRASES = {"cat": 2.5, "a": -1.0, "ca ta": 1.5, "t": 0.7, "ta c": -0.3, "tt": 4.0}


@pytest.mark.parametrize("seed", range(6))
def test_every_beam_score_is_the_plain_score_plus_the_hot_word_score(seed):
    rng = np.random.default_rng(seed)
    m = random_probs(rng, 6, 5, peak=3.0)
    plain = {r.text: r.log_prob for r in CTCDecoder(" act", beam_width=8192).decode_beams(m)}
    dec = CTCDecoder(" act", beam_width=8192)
    for phrase, boost in PHRASES.items():
        dec.add_hot_word(phrase, boost)
    beams = dec.decode_beams(m)
    assert {r.text for r in beams} == set(plain)  # the beam never filled: the same prefixes
    checked = 0
    for r in beams:
        expected = plain[r.text] + hot_score(r.text, PHRASES)
        if plain[r.text] > -30:  # far below, float rounding of the sum dominates
            assert r.log_prob == pytest.approx(expected, abs=2e-4), r.text
            checked += 1
    assert checked > 50
    ranked = [r.log_prob for r in beams]
    assert ranked == sorted(ranked, reverse=True)


def test_hot_word_score_oracle_examples():
    # The oracle itself, on hand-computed cases.
    assert hot_score("the cat sat", {"cat": 2.0}) == 2.0
    assert hot_score("the cats", {"cat": 2.0}) == 0.0
    assert hot_score("the cat", {"cat": 2.0}) == 2.0  # at the end: full credit
    assert hot_score("the ca", {"cat": 3.0}) == 2.0  # 2 of 3 labels
    assert hot_score("cat cat ", {"cat": 1.0}) == 2.0
    assert hot_score("new york", {"new york": 4.0}) == 4.0
    assert hot_score("new ", {"new york": 4.0}) == pytest.approx(4.0 * 4 / 8)


def test_a_hot_word_flips_the_result():
    m = the_cap_sat()
    dec = CTCDecoder(ALPHABET, beam_width=16)
    assert dec.decode(m).text == "the cap sat"
    dec.add_hot_word("cat", 3.0)
    assert dec.hot_words == {"cat": 3.0}
    best = dec.decode(m)
    assert best.text == "the cat sat"
    dec.erase_hot_word("cat")
    assert dec.decode(m).text == "the cap sat"
    # Too small a boost does not flip it: ln(0.55 / 0.4) = 0.32.
    dec.add_hot_word("cat", 0.2)
    assert dec.decode(m).text == "the cap sat"


def test_phrase_hot_word_needs_the_whole_phrase():
    # "the ca? sat" and "pet ca? sat": only after "the" does the phrase "the cat" apply.
    dec = CTCDecoder(ALPHABET, beam_width=16)
    dec.add_hot_word("the   cat", 3.0)  # white space is normalised
    assert dec.hot_words == {"the cat": 3.0}
    assert dec.decode(the_cap_sat()).text == "the cat sat"
    other = spell(["p", "e", "t", "_", " ", "c", "a", {"p": 0.55, "t": 0.4}, "_", " ", "s", "a", "t", "_"])
    assert dec.decode(other).text == "pet cap sat"


def test_negative_boost_suppresses():
    m = the_cap_sat()
    dec = CTCDecoder(ALPHABET, beam_width=16)
    dec.add_hot_word("cap", -3.0)
    assert dec.decode(m).text == "the cat sat"


def test_out_of_vocabulary_hot_word_passes_the_lexicon(lm):
    # "the spat": "spat" is not in the LM; the lexicon forbids it until it is a hot word.
    m = spell(["t", "h", "e", "_", " ", "s", "p", "a", "t", "_"])
    dec = CTCDecoder(ALPHABET, beam_width=32, lm=lm)
    assert "spat" not in dec.decode(m).text
    dec.add_hot_word("spat", 1.0)
    result = dec.decode(m)
    assert result.text == "the spat"
    # Followed by a known word, the LM context restarts (no -1000 for "sat" after an OOV).
    m2 = spell(["t", "h", "e", "_", " ", "s", "p", "a", "t", "_", " ", "s", "a", "t", "_"])
    assert dec.decode(m2).text == "the spat sat"


def test_hot_words_work_with_lm_and_flip(lm):
    # With the LM "the cap sat" is already corrected to "cat": boost "cap" to flip it back. The
    # LM prefers "cat" by alpha * ln(10) * ((2.5 - 0.1) + (2.0 - 0.2)) = 2.9 (alpha 0.3), the
    # acoustics "cap" by ln(0.55 / 0.4) = 0.32: a boost of 2 is not enough, 4 is.
    m = the_cap_sat()
    dec = CTCDecoder(ALPHABET, beam_width=32, lm=lm, alpha=0.3)
    assert dec.decode(m).text == "the cat sat"
    dec.add_hot_word("cap", 2.0)
    assert dec.decode(m).text == "the cat sat"
    dec.add_hot_word("cap", 4.0)
    assert dec.hot_words == {"cap": 4.0}
    assert dec.decode(m).text == "the cap sat"
    # A boost far above what the acoustics allow makes the word appear where it was not said
    # (3 letters at 0.9 vs 0.0125: ln(72) * 3 = 12.8 in this matrix).
    dec.add_hot_word("cap", 16.0)
    forced = dec.decode(m)
    assert forced.text.count("cap") >= 2
    # ... and the word confidences tell: a forced word's least certain letter had P = 0.0125.
    assert min(w.confidence for w in forced.words) < 0.02


def test_streams_copy_hot_words_at_creation():
    m = the_cap_sat()
    dec = CTCDecoder(ALPHABET, beam_width=16)
    before = dec.stream()
    dec.add_hot_word("cat", 3.0)
    after = dec.stream()
    dec.clear_hot_words()
    assert dec.hot_words == {}
    before.feed(m)
    after.feed(m)
    assert before.finish().text == "the cap sat"
    assert after.finish().text == "the cat sat"
    assert dec.decode(m).text == "the cap sat"


def test_set_alpha_beta_equals_construction(lm):
    m = the_cap_sat()
    a = CTCDecoder(ALPHABET, beam_width=16, lm=lm)
    a.set_alpha_beta(0.3, 4.0)
    assert (a.alpha, a.beta) == (0.3, 4.0)
    b = CTCDecoder(ALPHABET, beam_width=16, lm=lm, alpha=0.3, beta=4.0)
    assert a.decode_beams(m) == b.decode_beams(m)
    assert a.decode(m).log_prob != CTCDecoder(ALPHABET, beam_width=16, lm=lm).decode(m).log_prob
    with pytest.raises(edgestt.StateError):
        CTCDecoder(ALPHABET).set_alpha_beta(1.0, 1.0)
    with pytest.raises(edgestt.InvalidArgument):
        a.set_alpha_beta(math.nan, 1.0)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.integers(0, 30), max_size=6),
    use_lm=st.booleans(),
    beam=st.sampled_from([1, 4, 16]),
    boost=st.floats(-5, 5),
)
def test_streaming_equals_one_shot_with_hot_words(lm, seed, cuts, use_lm, beam, boost):
    rng = np.random.default_rng(seed)
    m = random_probs(rng, 30, len(ALPHABET) + 1)
    dec = CTCDecoder(ALPHABET, beam_width=beam, lm=lm if use_lm else None)
    dec.add_hot_word("cat", boost)
    dec.add_hot_word("the pest", 2.0)
    assert_streaming_equals_one_shot(dec, m, cuts)


def test_bad_hot_words():
    dec = CTCDecoder(ALPHABET, beam_width=4)
    for phrase in ("", "   ", "\t"):
        with pytest.raises(edgestt.InvalidArgument, match="empty"):
            dec.add_hot_word(phrase, 1.0)
    with pytest.raises(edgestt.InvalidArgument, match="'x'"):
        dec.add_hot_word("cax", 1.0)  # x is not in the alphabet
    for boost in (math.inf, -math.inf, math.nan, 1e7, "1", None, True):
        with pytest.raises(edgestt.InvalidArgument):
            dec.add_hot_word("cat", boost)
    with pytest.raises(edgestt.InvalidArgument):
        dec.add_hot_word(b"cat", 1.0)
    with pytest.raises(edgestt.InvalidArgument, match="not a hot word"):
        dec.erase_hot_word("cat")
    with pytest.raises(edgestt.InvalidArgument, match="no space"):
        CTCDecoder("acehpst").add_hot_word("the cat", 1.0)
    with pytest.raises(edgestt.InvalidArgument, match="256"):
        dec.add_hot_word("a" * 300, 1.0)
    assert dec.hot_words == {}
