"""The C decoder against a plain-Python transcription of DeepSpeech's prefix beam search
(spec deepspeech.md §4.2, no LM), on inputs where the beam fills and prunes: the texts,
scores and timesteps of every beam must agree. The Python version keeps a dict of prefixes
(no tree, no pools, no skipped extensions), so it checks the C core's pruning shortcuts."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgestt.decoder import CTCDecoder


def lse(x, y):
    if x == -math.inf:
        return y
    if y == -math.inf:
        return x
    m = max(x, y)
    return math.log(math.exp(x - m) + math.exp(y - m)) + m


def reference_beams(probs, blank, beam, threshold=0.999):
    """DeepSpeech's algorithm on tuples: prefix -> [b_prev, nb_prev, b_cur, nb_cur, steps]."""
    ninf = -math.inf
    root = ()
    state = {root: [0.0, ninf, ninf, ninf, ()]}
    beams = [root]
    started = False
    for t, row in enumerate(probs):
        if not started and not row[blank] < threshold:
            continue
        started = True
        live = {p: state[p] for p in beams}
        new_steps = {}
        for c in range(len(row)):
            lp = math.log(float(row[c]) + 1.1754943508222875e-38)
            for p in beams:
                s = live[p]
                score = lse(s[0], s[1])
                if score == ninf:
                    continue
                if c == blank:  # a better blank path keeps the old timesteps
                    if s[3] < lp + score:
                        new_steps.pop(p, None)
                    s[2] = lse(s[2], lp + score)
                    continue
                last = p[-1] if p else None
                if c == last:
                    if s[3] < lp + s[1]:
                        new_steps.pop(p, None)
                    s[3] = lse(s[3], lp + s[1])
                child = p + (c,)
                if child not in live:
                    live[child] = [ninf, ninf, ninf, ninf, ()]
                v = (lp + s[0] if s[0] > ninf else ninf) if c == last else lp + score
                cs = live[child]
                if cs[3] < v:
                    new_steps[child] = state.get(p, live[p])[4] + (t,)
                cs[3] = lse(cs[3], v)
        for p, s in live.items():
            s[0], s[1], s[2], s[3] = s[2], s[3], ninf, ninf
            if p in new_steps:
                s[4] = new_steps[p]
        ranked = sorted(live, key=lambda p: (-lse(live[p][0], live[p][1]), p[-1] if p else -1))
        beams = ranked[:beam]
        state = {p: live[p] for p in beams}
    out = [(p, lse(state[p][0], state[p][1]), state[p][4]) for p in beams]
    return [x for x in out if x[1] > -math.inf]


def noisy_peaky(rng, frames, classes, blank):
    m = rng.random((frames, classes)) * 0.3
    for t in range(frames):
        k = blank if rng.random() < 0.5 else int(rng.integers(classes))
        m[t, k] += rng.uniform(1.0, 6.0)
    return (m / m.sum(axis=1, keepdims=True)).astype(np.float32)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), frames=st.integers(1, 40), classes=st.integers(2, 7),
       beam=st.sampled_from([1, 2, 3, 5, 8]))
def test_c_core_equals_the_python_transcription(seed, frames, classes, beam):
    rng = np.random.default_rng(seed)
    blank = classes - 1
    probs = noisy_peaky(rng, frames, classes, blank)
    expected = reference_beams(probs, blank, beam)
    got = CTCDecoder("abcdef"[: classes - 1], beam_width=beam).decode_beams(probs)
    assert len(got) == len(expected)
    for r, (tokens, score, steps) in zip(got, expected):
        assert r.tokens == tokens
        assert r.log_prob == pytest.approx(score, abs=1e-3)
        assert r.timesteps == steps
