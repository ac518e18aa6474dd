"""LM fusion in the CTC decoder (DeepSpeech's scorer semantics): the LM turns a wrong greedy
reading into the right one, the lexicon removes out-of-vocabulary readings, alpha = beta = 0
without a lexicon changes nothing, streaming == one-shot with an LM, the word-boundary
arithmetic, and LMs that do not suit the alphabet."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edgestt
from edgestt.decoder import CTCDecoder

ALPHABET = " acehpst"  # space = class 0, blank = the last class (8)
LN10 = 1.0 / float(np.float32(0.4342944819))

ARPA = """\\data\\
ngram 1=7
ngram 2=6

\\1-grams:
-1.0\t</s>
-99\t<s>\t-0.5
-1.2\tthe\t-0.3
-1.5\tcat\t-0.2
-1.5\tcap\t-0.2
-1.6\tsat\t-0.1
-1.6\tpet\t-0.1

\\2-grams:
-0.1\t<s> the
-0.1\tthe cat
-2.5\tthe cap
-0.2\tcat sat
-2.0\tcap sat
-0.5\tsat </s>

\\end\\
"""


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm") / "small.arpa"
    path.write_text(ARPA)
    return edgestt.LanguageModel(path)


def spell(frames, alphabet=ALPHABET, floor=0.02):
    """A probability matrix from a list of frames, each a dict label -> probability ("_" is the
    blank); the rest of each frame's mass is spread over the other classes."""
    classes = len(alphabet) + 1
    m = np.zeros((len(frames), classes))
    for t, frame in enumerate(frames):
        if isinstance(frame, str):
            frame = {frame: 0.9}
        rest = (1.0 - sum(frame.values())) / (classes - len(frame))
        m[t, :] = rest
        for label, p in frame.items():
            m[t, classes - 1 if label == "_" else alphabet.index(label)] = p
    return m.astype(np.float32)


def the_cap_sat(p_cap=0.55, p_cat=0.4):
    """'the ca?' with p slightly likelier than t, then ' sat'."""
    return spell(
        ["t", "h", "e", "_", " ", "c", "a", {"p": p_cap, "t": p_cat}, "_", " ", "s", "a", "t", "_"]
    )


def test_lm_turns_the_wrong_greedy_reading_into_the_right_one(lm):
    m = the_cap_sat()
    plain = CTCDecoder(ALPHABET, beam_width=32)
    assert plain.greedy(m).text == "the cap sat"
    assert plain.decode(m).text == "the cap sat"
    fused = CTCDecoder(ALPHABET, beam_width=32, lm=lm, lexicon=False)
    assert fused.alpha == 0.931289039105002 and fused.beta == 1.1834137581510284
    assert fused.decode(m).text == "the cat sat"
    assert fused.lm is lm
    # With the lexicon too (both words are in the vocabulary).
    assert CTCDecoder(ALPHABET, beam_width=32, lm=lm).decode(m).text == "the cat sat"


def test_unfinished_last_word_is_scored(lm):
    """'the ca?' without a following space: only the decode-time term can prefer 'cat'."""
    m = spell(["t", "h", "e", "_", " ", "c", "a", {"p": 0.55, "t": 0.4}, "_"])
    assert CTCDecoder(ALPHABET, beam_width=32).decode(m).text == "the cap"
    assert CTCDecoder(ALPHABET, beam_width=32, lm=lm, lexicon=False).decode(m).text == "the cat"


def test_lexicon_removes_out_of_vocabulary_readings(lm):
    # 'the pat': 'pat' is not a word; with alpha = beta = 0 only the constraint acts.
    m = spell(["t", "h", "e", "_", " ", "p", {"a": 0.6, "e": 0.3}, "t", "_"])
    assert CTCDecoder(ALPHABET, beam_width=32).decode(m).text == "the pat"
    free = CTCDecoder(ALPHABET, beam_width=32, lm=lm, alpha=0.0, beta=0.0, lexicon=False)
    assert free.decode(m).text == "the pat"
    constrained = CTCDecoder(ALPHABET, beam_width=32, lm=lm, alpha=0.0, beta=0.0, lexicon=True)
    beams = constrained.decode_beams(m)
    assert beams[0].text == "the pet"
    for r in beams:
        assert not r.text.startswith(" ") and "  " not in r.text
        words = r.text.split(" ")
        assert all(lm.is_word(w) for w in words[:-1])
        assert lm.has_prefix(words[-1])


def test_word_boundary_arithmetic(lm):
    """Confidence = the LM-free score + alpha ln P(w | context) + beta per word (the last,
    unfinished one included; OOV: -1000) while the beam never fills (no cutoff)."""
    alphabet = " acpst"
    m = spell(["c", "a", "t", " ", "s"], alphabet=alphabet)
    alpha, beta = 0.5, 2.0
    plain = {r.text: r.log_prob for r in CTCDecoder(alphabet, beam_width=10000).decode_beams(m)}
    fused = CTCDecoder(alphabet, beam_width=10000, lm=lm, alpha=alpha, beta=beta, lexicon=False)
    beams = {r.text: r.log_prob for r in fused.decode_beams(m)}
    assert len(beams) == len(plain) < 10000

    def term(log10p):
        return alpha * log10p * LN10 + beta

    cat = term(-0.5 - 1.5)  # P(cat | <s>) by back-off
    oov = alpha * -1000.0 + beta
    assert beams["cat "] == pytest.approx(plain["cat "] + cat, abs=2e-4)
    assert beams["cat"] == pytest.approx(plain["cat"] + cat, abs=2e-4)
    assert beams["cat s"] == pytest.approx(plain["cat s"] + cat + oov, abs=1e-3)
    assert beams["ca"] == pytest.approx(plain["ca"] + oov, abs=1e-3)
    assert beams[" cat"] == pytest.approx(plain[" cat"] + beta + cat, abs=2e-4)  # leading space: + beta
    assert beams["  "] == pytest.approx(plain["  "] + beta + oov, abs=1e-3)  # then the empty word: OOV
    # Ranked by the final score; the best reading is "cat s" only acoustically.
    ranked = [r.log_prob for r in fused.decode_beams(m)]
    assert ranked == sorted(ranked, reverse=True)


def random_probs(rng, frames, classes, peak=4.0):
    x = np.exp(peak * rng.random((frames, classes)))
    return (x / x.sum(axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("seed", range(8))
def test_zero_weights_without_lexicon_equal_the_plain_decoder(lm, seed):
    rng = np.random.default_rng(seed)
    m = random_probs(rng, 5, 6)
    alphabet = " acst"  # at most 3906 prefixes: the beam never fills
    plain = CTCDecoder(alphabet, beam_width=4096).decode_beams(m)
    fused = CTCDecoder(alphabet, beam_width=4096, lm=lm, alpha=0.0, beta=0.0, lexicon=False).decode_beams(m)
    assert fused == plain  # tokens, timesteps and scores, exactly


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    cuts=st.lists(st.integers(0, 30), max_size=6),
    lexicon=st.booleans(),
    beam=st.sampled_from([1, 4, 16]),
)
def test_streaming_equals_one_shot_with_lm(lm, seed, cuts, lexicon, beam):
    rng = np.random.default_rng(seed)
    m = random_probs(rng, 30, len(ALPHABET) + 1)
    dec = CTCDecoder(ALPHABET, beam_width=beam, lm=lm, lexicon=lexicon)
    assert_streaming_equals_one_shot(dec, m, cuts)


def test_lm_for_another_alphabet(tmp_path, lm):
    foreign = tmp_path / "foreign.arpa"
    foreign.write_text("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t</s>\n-99\t<s>\n-1\tжук\n\n\\end\\\n")
    with pytest.raises(edgestt.errors.InvalidConfig, match="another alphabet"):
        CTCDecoder(ALPHABET, lm=edgestt.LanguageModel(foreign))
    # Partly foreign: the words with other characters are never produced.
    mixed = tmp_path / "mixed.arpa"
    mixed.write_text(
        "\\data\\\nngram 1=4\n\n\\1-grams:\n-1\t</s>\n-99\t<s>\n-1\tcat\n-0.1\tcät\n\n\\end\\\n"
    )
    dec = CTCDecoder(ALPHABET, beam_width=16, lm=edgestt.LanguageModel(mixed))
    assert dec.decode(spell(["c", "a", "t", "_"])).text == "cat"


def test_lm_config_errors(lm):
    with pytest.raises(edgestt.errors.InvalidConfig, match="space_index"):
        CTCDecoder("acehpst", lm=lm)
    with pytest.raises(edgestt.errors.InvalidConfig, match="lm must be"):
        CTCDecoder(ALPHABET, lm="lm.arpa")
    with pytest.raises(edgestt.errors.InvalidConfig, match="lm_alpha"):
        CTCDecoder(ALPHABET, lm=lm, alpha=math.inf)


def assert_streaming_equals_one_shot(dec, m, cuts):
    """Feeds m to a stream in the pieces the cut points make (partial() after each), checks
    that the beams and the best result equal the one-shot decode's, and returns the best."""
    one = dec.decode_beams(m)
    with dec.stream() as s:
        bounds = sorted(set([0, m.shape[0]] + [c for c in cuts if c < m.shape[0]]))
        for a, b in zip(bounds, bounds[1:]):
            s.feed(m[a:b])
            s.partial()
        best = s.finish()
        assert s.beams() == one
    assert best == one[0]
    return best
