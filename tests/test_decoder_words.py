"""Words with times and confidences in decoder results (beam search, n-best, greedy), and
non-English alphabets: multi-byte UTF-8 labels with an LM and hot words, and DeepSpeech's
bytes mode (256 classes), where invalid UTF-8 never crashes."""
import math

import numpy as np
import pytest

import edgestt
from edgestt.decoder import CTCDecoder, Word

from test_decoder_lm import spell


def peaky(sequence, classes, p=0.9):
    """One frame per entry: the given class with probability p, the rest spread evenly."""
    m = np.full((len(sequence), classes), (1.0 - p) / (classes - 1))
    m[np.arange(len(sequence)), sequence] = p
    return m.astype(np.float32)


ALPHABET = " acehst"
BLANK = len(ALPHABET)


def frames_for(text, alphabet=ALPHABET):
    """Each character then a blank frame; class indices."""
    blank = len(alphabet)
    out = []
    for ch in text:
        out += [alphabet.index(ch), blank]
    return out


def test_words_have_frames_times_and_confidences():
    seq = frames_for("the cat")  # t _ h _ e _ ' ' _ c _ a _ t _
    m = peaky(seq, len(ALPHABET) + 1)
    m[8] = (1 - 0.6) / 7  # the c of "cat" less certain: 0.6
    m[8, ALPHABET.index("c")] = 0.6
    dec = CTCDecoder(ALPHABET, beam_width=16, frame_seconds=0.03)
    for result in (dec.decode(m), dec.greedy(m)):
        assert result.text == "the cat"
        assert [w.text for w in result.words] == ["the", "cat"]
        the, cat = result.words
        assert (the.start_frame, the.end_frame) == (0, 5)  # t at 0, e at 4
        assert (cat.start_frame, cat.end_frame) == (8, 13)
        assert the.start_time == pytest.approx(0.0) and the.end_time == pytest.approx(5 * 0.03)
        assert cat.start_time == pytest.approx(8 * 0.03) and cat.end_time == pytest.approx(13 * 0.03)
        assert the.confidence == pytest.approx(0.9, rel=1e-5)
        assert cat.confidence == pytest.approx(0.6, rel=1e-5)
        assert isinstance(the, Word)


def test_n_best_words_follow_each_text():
    rng = np.random.default_rng(5)
    x = np.exp(3.0 * rng.random((20, len(ALPHABET) + 1)))
    m = (x / x.sum(axis=1, keepdims=True)).astype(np.float32)
    beams = CTCDecoder(ALPHABET, beam_width=32).decode_beams(m, 10)
    assert len(beams) == 10
    for r in beams:
        assert [w.text for w in r.words] == r.text.split()
        for w in r.words:
            assert 0 < w.confidence <= 1
            assert 0 <= w.start_frame < w.end_frame <= 20
        starts = [w.start_frame for w in r.words]
        assert starts == sorted(starts)
        # The word's frames are its tokens' timesteps.
        k = 0
        for w in r.words:
            while r.tokens[k] == 0:
                k += 1
            assert w.start_frame == r.timesteps[k]
            k += len(w.text)
            assert w.end_frame == r.timesteps[k - 1] + 1
            # confidence = the least probable of its tokens at their frames
            expected = min(m[r.timesteps[j], r.tokens[j]] for j in range(k - len(w.text), k))
            assert w.confidence == pytest.approx(float(expected), rel=1e-5)


def test_log_probs_input_gives_the_same_words():
    m = peaky(frames_for("the cat"), len(ALPHABET) + 1)
    a = CTCDecoder(ALPHABET, beam_width=8).decode(m)
    b = CTCDecoder(ALPHABET, beam_width=8, input="log_probs").decode(np.log(m))
    assert [w.text for w in a.words] == [w.text for w in b.words]
    for x, y in zip(a.words, b.words):
        assert x.confidence == pytest.approx(y.confidence, rel=1e-5)


def test_bad_frame_seconds():
    for bad in (0, -0.02, math.inf, math.nan, "0.02"):
        with pytest.raises(edgestt.InvalidConfig, match="frame_seconds"):
            CTCDecoder(ALPHABET, frame_seconds=bad)


# ---------------------------------------------------------------- non-English alphabets

RU = " абвгдежзийклмнопрстуфхцчшщъыьэюя"
RU_ARPA = """\\data\\
ngram 1=6
ngram 2=3

\\1-grams:
-1.0\t</s>
-99\t<s>\t-0.5
-1.2\tкот\t-0.3
-1.4\tкит\t-0.3
-1.5\tспит\t-0.2
-1.5\tест\t-0.2

\\2-grams:
-0.2\t<s> кот
-0.1\tкот спит
-2.5\tкит спит

\\end\\
"""


def spell_ru(frames):
    return spell(frames, alphabet=RU)


@pytest.fixture(scope="module")
def ru_lm(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm") / "ru.arpa"
    path.write_text(RU_ARPA, encoding="utf-8")
    return edgestt.LanguageModel(path)


def test_multibyte_labels_with_lm_and_hot_words(ru_lm):
    # "к?т спит" with и slightly above о: the LM turns it into "кот спит"; a hot word back.
    m = spell_ru(["к", {"и": 0.5, "о": 0.4}, "т", "_", " ", "с", "п", "и", "т", "_"])
    plain = CTCDecoder(RU, beam_width=16)
    assert plain.decode(m).text == "кит спит"
    fused = CTCDecoder(RU, beam_width=16, lm=ru_lm, alpha=0.5)
    result = fused.decode(m)
    assert result.text == "кот спит"
    assert [w.text for w in result.words] == ["кот", "спит"]
    fused.add_hot_word("кит", 6.0)
    assert fused.decode(m).text == "кит спит"
    with pytest.raises(edgestt.InvalidArgument, match="'q'"):
        fused.add_hot_word("qкот", 1.0)


def utf8_frames(text: str):
    """Bytes-mode classes (byte b is class b - 1, blank 255), each byte then a blank."""
    out = []
    for b in text.encode("utf-8"):
        out += [b - 1, 255]
    return out


def test_bytes_mode_assembles_utf8():
    dec = CTCDecoder(None, bytes_mode=True, beam_width=16)
    assert dec.num_classes == 256 and dec.blank_index == 255 and dec.space_index == 0x20 - 1
    for text in ("привет мир", "grüße", "日本語 テキスト", "a b"):
        m = peaky(utf8_frames(text), 256)
        result = dec.decode(m)
        assert result.text == text
        assert [w.text for w in result.words] == text.split()
        assert dec.greedy(m).text == text


def test_bytes_mode_invalid_utf8_does_not_crash():
    dec = CTCDecoder(None, bytes_mode=True, beam_width=16)
    # A stray continuation byte, a lead byte without its continuation, then "ok".
    seq = [0x80 - 1, 255, 0xD0 - 1, 255, ord("o") - 1, 255, ord("k") - 1, 255]
    result = dec.decode(peaky(seq, 256))
    assert result.text == "\ufffd\ufffdok"
    assert result.tokens == (0x80 - 1, 0xD0 - 1, ord("o") - 1, ord("k") - 1)
    # Any random matrix decodes to some str.
    rng = np.random.default_rng(0)
    x = rng.random((50, 256)).astype(np.float32)
    assert isinstance(dec.decode(x / x.sum(axis=1, keepdims=True)).text, str)


def test_bytes_mode_with_lm_and_hot_words(ru_lm):
    dec = CTCDecoder(None, bytes_mode=True, beam_width=64, lm=ru_lm, alpha=0.5)
    m = peaky(utf8_frames("кот спит"), 256)
    assert dec.decode(m).text == "кот спит"
    dec.add_hot_word("кот", 2.0)
    assert dec.decode(m).text == "кот спит"
    with pytest.raises(edgestt.InvalidConfig, match="alphabet"):
        CTCDecoder("abc", bytes_mode=True)


def test_lm_for_another_alphabet_is_refused(ru_lm):
    with pytest.raises(edgestt.InvalidConfig, match="another alphabet"):
        CTCDecoder(" abcdefghijklmnopqrstuvwxyz'", lm=ru_lm)
