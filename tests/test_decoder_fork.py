"""DecoderStream.copy_to: a copy of a running stream, fed the same rest, gives exactly what
the original gives (texts, tokens, timesteps, words, confidences), across stem commits and
popped labels, without and with an LM and hot words; the original is not disturbed; a copy
between differently set up streams is refused."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edgestt
from edgestt import errors
from edgestt.decoder import CTCDecoder

from test_decoder_lm import ALPHABET, ARPA  # the LM suite's toy alphabet and bigram LM

BLANK = len(ALPHABET)


@pytest.fixture(scope="module")
def lm(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm") / "fork.arpa"
    path.write_text(ARPA)
    return edgestt.LanguageModel(path)


def random_frames(seed, n):
    """Peaky random frames: a likely class per frame, blanks and spaces common."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.0, (n, BLANK + 1))
    top = np.where(rng.random(n) < 0.45, BLANK, rng.integers(0, BLANK, n))
    logits[np.arange(n), top] += 4.0
    m = np.exp(logits)
    return (m / m.sum(axis=1, keepdims=True)).astype(np.float32)


def make_decoder(lm, hot):
    dec = CTCDecoder(ALPHABET, beam_width=8, lm=lm, alpha=0.7, beta=1.0) if lm else CTCDecoder(ALPHABET, beam_width=8)
    if hot:
        dec.add_hot_word("the cap", 2.0)
        dec.add_hot_word("pest", 1.5)
    return dec


def feed_in_chunks(stream, frames, sizes):
    start = 0
    for size in sizes:
        stream.feed(frames[start : start + size])
        start += size
    if start < len(frames):
        stream.feed(frames[start:])


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 400),
    cut=st.floats(0.0, 1.0),
    with_lm=st.booleans(),
    hot=st.booleans(),
    finish=st.booleans(),
    chunks=st.lists(st.integers(1, 90), max_size=8),
)
def test_fork_then_rest_equals_original_then_rest(lm, seed, n, cut, with_lm, hot, finish, chunks):
    frames = random_frames(seed, n)
    at = int(cut * n)
    dec = make_decoder(lm if with_lm else None, hot)
    with dec.stream() as orig, dec.stream() as scratch:
        scratch.feed(random_frames(seed + 1, 50))  # something else first: copy_to overwrites it
        feed_in_chunks(orig, frames[:at], chunks)
        before = orig.beams()
        orig.copy_to(scratch)
        assert scratch.beams() == before
        assert scratch.num_frames == orig.num_frames
        feed_in_chunks(scratch, frames[at:], chunks)
        assert orig.beams() == before  # the original is untouched by the copy's feeding
        feed_in_chunks(orig, frames[at:], chunks)
        assert scratch.beams() == orig.beams()
        if finish and n > 0:
            assert scratch.finish() == orig.finish()
            assert scratch.beams() == orig.beams()


def test_fork_across_commits_many_times(lm):
    """One scratch stream reused for many forks of a long stream with popped labels."""
    frames = random_frames(7, 3000)
    dec = make_decoder(lm, True)
    with dec.stream() as orig, dec.stream() as scratch, dec.stream() as reference:
        popped_seen = False
        for start in range(0, 3000, 250):
            orig.feed(frames[start : start + 250])
            popped_seen = popped_seen or len(orig._committed.tokens) > 0
            orig.copy_to(scratch)
            pending = frames[start + 250 : start + 300]
            scratch.feed(pending)
            reference.reset()
            reference.feed(frames[: start + 250 + len(pending)])
            assert scratch.beams(3) == reference.beams(3)
        assert popped_seen  # the copies shared labels popped by the original


def test_copy_refused_between_different_setups(lm):
    frames = random_frames(3, 60)
    a = make_decoder(lm, True)
    b = make_decoder(lm, False)
    c = make_decoder(None, True)
    with a.stream() as s:
        s.feed(frames)
        for other in (b.stream(), c.stream(), CTCDecoder(ALPHABET, beam_width=9).stream()):
            other.feed(frames[:5])
            with pytest.raises(errors.InvalidArgument):
                s.copy_to(other)
            assert other.num_frames == 5  # unchanged
        with pytest.raises(errors.InvalidArgument):
            s.copy_to("not a stream")
        a.add_hot_word("sat", 1.0)  # streams made after this change differ
        with pytest.raises(errors.InvalidArgument):
            s.copy_to(a.stream())
