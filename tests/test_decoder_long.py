"""Long streams: 30 minutes of frames fed in chunks keep the C decoder's pools bounded (the
stem all prefixes share is committed and popped), the text is right, and streaming equals
one-shot across commits. partial() time is measured in benchmarks, not asserted here."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edgestt._native import lib
from edgestt.decoder import CTCDecoder
from test_decoder_lm import assert_streaming_equals_one_shot

ALPHABET = " abcdefghijklmnopqrstuvwxyz'"
BLANK = len(ALPHABET)


def speech_like(rng, text, noise=0.05):
    """Each character: a spike frame (0.7-0.95) then 2 blank frames; noise on 3 other classes."""
    n = 3 * len(text)
    m = np.zeros((n, BLANK + 1), dtype=np.float32)
    m[:, BLANK] = 1.0
    idx = np.array([ALPHABET.index(ch) for ch in text])
    spikes = np.arange(0, n, 3)
    m[spikes, BLANK] = 0.0
    m[spikes, idx] = rng.uniform(0.7, 0.95, len(text))
    m[spikes, BLANK] = 1.0 - m[spikes, idx]
    other = rng.integers(0, BLANK + 1, (n, 3))
    for k in range(3):
        m[np.arange(n), other[:, k]] += noise / 3
    return m / m.sum(axis=1, keepdims=True)


WORDS = "the quick brown fox jumps over a lazy dog while seven wizards hex bold jackals".split()


def test_thirty_minutes_in_chunks_keep_the_pools_bounded():
    rng = np.random.default_rng(0)
    sentence = " ".join(rng.choice(WORDS, 60)) + " "
    block = speech_like(rng, sentence)  # about 7 s of frames at 50 per second
    frames_wanted = 30 * 60 * 50
    reps = frames_wanted // block.shape[0] + 1
    dec = CTCDecoder(ALPHABET, beam_width=16)
    memory = None
    in_use = []
    with dec.stream() as s:
        handle = s._live()
        memory = lib.es_ctc_decoder_memory_bytes(handle)
        for _ in range(reps):
            for start in range(0, block.shape[0], 160):
                s.feed(block[start : start + 160])
                assert lib.es_ctc_decoder_committed_length(handle) == 0  # popped by the stream
            in_use.append(lib.es_ctc_decoder_nodes_in_use(handle))
            assert s.partial().text.startswith(sentence[:50])
        assert lib.es_ctc_decoder_memory_bytes(handle) == memory
        result = s.finish()
        assert s.num_frames >= frames_wanted
        capacity = lib.es_ctc_decoder_max_prefixes(handle)
    assert result.text.rstrip() == (sentence * reps).rstrip()
    # Nodes in use stay within the pool and do not grow with the stream's length.
    assert max(in_use) <= capacity // 2 + 16 * 16 * 29
    assert max(in_use[len(in_use) // 2 :]) <= 2 * max(in_use[: len(in_use) // 2]) + 100
    assert len(result.words) == len((sentence * reps).split())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 400), max_size=8),
       beam=st.sampled_from([2, 8, 32]))
def test_streaming_equals_one_shot_across_commits(seed, cuts, beam):
    rng = np.random.default_rng(seed)
    sentence = " ".join(rng.choice(WORDS, 25))
    m = speech_like(rng, sentence, noise=0.3)
    dec = CTCDecoder(ALPHABET, beam_width=beam)
    dec.add_hot_word("lazy dog", 2.0)
    best = assert_streaming_equals_one_shot(dec, m, cuts)
    assert [w.text for w in best.words] == best.text.split()


def unigram_arpa(path, words):
    lines = ["\\data\\", f"ngram 1={len(words) + 2}", "", "\\1-grams:", "-1.0\t</s>", "-99\t<s>"]
    lines += [f"-{1.0 + 0.1 * i:.1f}\t{w}" for i, w in enumerate(sorted(set(words)))]
    path.write_text("\n".join(lines + ["", "\\end\\", ""]))
    return path


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 400), max_size=6),
       beam=st.sampled_from([4, 16]))
def test_streaming_equals_one_shot_across_commits_with_lm(tmp_path_factory, seed, cuts, beam):
    import edgestt

    lm = edgestt.LanguageModel(unigram_arpa(tmp_path_factory.mktemp("lm") / "u.arpa", WORDS))
    rng = np.random.default_rng(seed)
    sentence = " ".join(rng.choice(WORDS, 25))
    m = speech_like(rng, sentence, noise=0.3)
    dec = CTCDecoder(ALPHABET, beam_width=beam, lm=lm, alpha=0.5, beta=1.0)
    dec.add_hot_word("wizards", 1.0)
    best = assert_streaming_equals_one_shot(dec, m, cuts)
    assert best.text.split() == sentence.split()
