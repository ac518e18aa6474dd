"""edgestt.Model (mode="reference") against the reference DeepSpeech 0.9.3 client on the same
fixture model and audio: identical transcripts and token timesteps, one-shot and streamed in
random chunks. Skipped visibly when libdeepspeech.so cannot be fetched (tools/deepspeech_reference.py).
tools/measure_parity.py measures the agreement of both modes on more clips."""
import numpy as np
import pytest

from conftest import VARIED_AUDIO
from edgestt.model import Model
from reference_client import FIXTURE, reference_model

NUM_RESULTS = 3


def parity_clips():
    """Real, synthetic, noise, silence and clipped audio, plus speech cut at window boundaries."""
    clips = list(VARIED_AUDIO)
    speech = clips[0][1]
    for n in (512, 513, 831, 832, 833, 512 + 320 * 16, 512 + 320 * 16 + 1, 512 + 320 * 31 - 1):
        clips.append((f"speech[:{n}]", speech[:n]))
    return clips


CLIPS = parity_clips()


def as_tuples(transcripts):
    """(text, [(token text, timestep)]) per candidate, from either side."""
    return [(c.text, [(t.text, t.timestep) for t in c.tokens]) for c in transcripts]


@pytest.fixture(scope="module")
def reference():
    with reference_model() as ref:
        yield ref


@pytest.fixture(scope="module")
def expected(reference):
    """The reference client's candidates for every clip, one-shot."""
    return {name: reference.stt_with_metadata(pcm, NUM_RESULTS) for name, pcm in CLIPS}


@pytest.fixture(scope="module")
def model():
    with Model(FIXTURE, num_threads=1, mode="reference") as m:
        yield m


def test_settings_come_from_the_same_metadata(model, reference):
    assert model.sample_rate == reference.sample_rate
    assert model.beam_width == reference.beam_width


def test_the_clips_give_varied_non_empty_transcripts(expected):
    texts = [cands[0].text for cands in expected.values()]
    assert sum(len(t) > 0 for t in texts) >= len(texts) // 2
    assert len(set(texts)) >= len(texts) // 2


@pytest.mark.parametrize("name", [name for name, _ in CLIPS])
def test_one_shot_equals_the_reference(model, expected, name):
    pcm = dict(CLIPS)[name]
    ours = model.stt_with_metadata(pcm, NUM_RESULTS).transcripts
    theirs = expected[name]
    assert as_tuples(ours) == as_tuples(theirs)  # every candidate, in the same order
    assert model.stt(pcm) == theirs[0].text
    # Times are timestep * 0.02 s in float32 on both sides.
    for ours_token, their_token in zip(ours[0].tokens, theirs[0].tokens):
        assert ours_token.start_time == pytest.approx(their_token.start_time, abs=1e-6)


@pytest.mark.parametrize("seed", [1])
def test_streaming_in_random_chunks_equals_the_reference(model, expected, seed):
    rng = np.random.default_rng(seed)
    for name, pcm in CLIPS:
        stream = model.stream()
        pos = 0
        while pos < len(pcm):
            step = int(rng.choice([1, 7, 160, 320, 511, 512, 513, 1000, 4096, 16000]))
            stream.feed(pcm[pos:pos + step])
            pos += step
        ours = stream.finish_with_metadata(1).transcripts
        assert as_tuples(ours) == as_tuples(expected[name][:1]), name


def test_the_final_window_after_another_stream_matches(model, reference):
    """0.9.3 fills the last partial window's tail from the model's previous window (spec 3.3):
    a short clip right after a long one depends on it, on both sides alike."""
    long_clip, short_clip = CLIPS[0][1], CLIPS[0][1][5000:5400]
    for _ in range(2):
        for pcm in (long_clip, short_clip):
            assert as_tuples(model.stt_with_metadata(pcm, 1).transcripts) == \
                as_tuples(reference.stt_with_metadata(pcm, 1))
