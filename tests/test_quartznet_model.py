"""QuartzNet fixtures end to end through edgestt.Model / Stream."""
import wave
from pathlib import Path

import numpy as np
import pytest

import edgestt
from edgestt.decoder import CTCDecoder
from edgestt.model import Model

pytest.importorskip("ai_edge_litert.interpreter", reason="the QuartzNet families need LiteRT")

DATA = Path(__file__).parent / "data"
FIXTURES = {
    "quartznet_scribosermo_fixture.tflite": ("quartznet_signal", 256),
    "quartznet_nemo_fixture.tflite": ("quartznet_logmel", 128),
    "edgestt_fixture.tflite": ("quartznet_logmel", 64),
}
CLIP = DATA / "synth_en_scotland.wav"


def pcm16(path):
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").copy()


@pytest.fixture(scope="module", params=sorted(FIXTURES))
def model_default_beam(request):
    with Model(DATA / request.param, num_threads=1) as m:
        yield request.param, m


@pytest.fixture
def model(model_default_beam):
    """The model with a narrow beam (the decoder's cost dominates these tests), restored after."""
    name, m = model_default_beam
    default = m.beam_width
    m.beam_width = 16
    yield name, m
    m.beam_width = default


def test_family_and_settings(model_default_beam):
    name, m = model_default_beam
    family, beam = FIXTURES[name]
    assert m.family == family and m.beam_width == beam and m.sample_rate == 16000
    assert "".join(m.labels) == " abcdefghijklmnopqrstuvwxyz'"
    if name == "edgestt_fixture.tflite":
        assert m.info()["name"] == "edgestt QuartzNet test fixture"


def test_stt_decodes_the_family_scores(model):
    """stt = the CTC beam search over the family's scores (a clip shorter than one window:
    streaming and one-shot scores are the same)."""
    name, m = model
    x = pcm16(CLIP)
    f = m._family
    scores = f.scores(x.astype(np.float32) / 32768)
    with CTCDecoder(f.labels, blank_index=f.blank_index, beam_width=m.beam_width, input=f.output) as decoder:
        want = decoder.decode(scores).text
    assert want and m.stt(x) == want
    assert m.stt(str(CLIP)) == want


def test_stream_partials_and_finish(model):
    _name, m = model
    x = pcm16(CLIP)
    whole = m.stt(x)
    partials = []
    with m.stream() as s:
        for i in range(0, x.size, 4000):
            s.feed(x[i: i + 4000])
            partials.append(s.partial())
        final = s.finish()
    assert final == whole
    assert partials[-1] and len(set(partials)) > 1  # partial results grow as audio arrives


def test_long_audio_stream(model):
    """~12 s (several windows), exact_final off: the stream decodes the frames of the family's
    buffered session."""
    name, _ = model
    x = long_recording()
    with Model(DATA / name, exact_final=False) as m:
        m.beam_width = 16
        f = m._family
        session = f.new_session()
        scores = np.concatenate([session.accept(x), session.finish()])
        with CTCDecoder(f.labels, blank_index=f.blank_index, beam_width=m.beam_width, input=f.output) as decoder:
            want = decoder.decode(scores).text
        with m.stream() as s:
            for i in range(0, x.size, 16000):
                s.feed(x[i: i + 16000])
            md = s.finish_with_metadata()
    assert md.text == want
    assert md.transcripts[0].words[-1].end_time > 10.0


def test_long_audio_stt_is_one_shot(model):
    """stt runs the model once over the whole utterance (a non-streaming session)."""
    _name, m = model
    x = np.concatenate([pcm16(p) for p in sorted(DATA.glob("synth_*.wav"))])
    f = m._family
    with CTCDecoder(f.labels, blank_index=f.blank_index, beam_width=m.beam_width, input=f.output) as decoder:
        want = decoder.decode(f.scores(x.astype(np.float32) / 32768)).text
    assert m.stt(x) == want


def test_bad_input(model):
    _name, m = model
    with pytest.raises(edgestt.EmptyInput):
        m.stt(np.zeros(0, np.int16))
    with m.stream() as s:
        s.feed(np.zeros(8000, np.int16))
        s.finish()
        with pytest.raises(edgestt.StateError):
            s.feed(np.zeros(10, np.int16))


def test_streaming_options_through_model():
    """Model(**family_options) reaches the QuartzNet family."""
    x = np.concatenate([pcm16(p) for p in sorted(DATA.glob("synth_*.wav"))])
    texts = {}
    for window in (5.0, 3.0):
        with Model(DATA / "quartznet_nemo_fixture.tflite", num_threads=1, window_seconds=window,
                   hop_seconds=0.5, exact_final=False) as m:
            m.beam_width = 16
            assert m.info()["window_seconds"] == pytest.approx(window)
            assert m.info()["hop_seconds"] == pytest.approx(0.5)
            with m.stream() as s:
                s.feed(x)
                texts[window] = s.finish()
    assert texts[5.0] and texts[3.0] and texts[5.0] != texts[3.0]  # other windows, other frames
    with pytest.raises(edgestt.InvalidConfig):
        Model(DATA / "quartznet_nemo_fixture.tflite", window_seconds=0.5, hop_seconds=1.0)


@pytest.mark.parametrize("hot", [False, True])
def test_partial_equals_decoding_all_final_frames_and_pending(model, hot):
    """A partial (made by copying the live search and decoding the pending frames in a scratch
    stream) equals the plain definition: all final frames so far + the pending ones decoded
    from scratch by a new stream, at several points of a ~12 s stream."""
    _name, m = model
    if hot:
        m.add_hot_word("the", 2.0)
    try:
        x = np.concatenate([pcm16(p) for p in sorted(DATA.glob("synth_*.wav"))])
        f = m._family
        session = f.new_session(streaming=True)  # the reference's own copy of the frames
        final = []
        checked = 0
        with m.stream() as s:
            for i in range(0, x.size, 16000):
                chunk = x[i: i + 16000]
                s.feed(chunk)
                final.append(session.accept(chunk.astype(np.float32) / 32768))
                pending = session.pending()
                got = s.partial_with_metadata(3)
                with m._decoder_for_new_streams().stream() as reference:
                    reference.feed(np.concatenate(final + [pending]))
                    if reference.num_frames == 0:
                        assert got.transcripts == ()
                        continue
                    want = s._metadata(reference.beams(3))
                assert got == want
                checked += pending.shape[0] > 0
            s.finish()
        assert checked >= 5  # most points had pending frames
    finally:
        if hot:
            m.erase_hot_word("the")


def long_recording():
    """11.5 s: longer than a 5 s streaming window, so window edges change frames."""
    return np.concatenate([edgestt.load_audio(DATA / f"synth_{n}.wav", 16000)
                           for n in ("en_us", "en_gb_f", "en_scotland")])


@pytest.mark.parametrize("oneshot", [{}, {"oneshot_window_seconds": 4.0, "oneshot_hop_seconds": 3.0}])
def test_streamed_final_equals_stt_on_a_long_recording(model, oneshot):
    """exact_final (the default): whatever the chunking, finish() gives stt()'s candidates,
    also when stt() itself runs several one-shot windows; partials still come on the way."""
    name, m = model
    path = DATA / name
    x = long_recording()
    with Model(path, **oneshot) as exact:
        exact.beam_width = 16
        want = exact.stt_with_metadata(x, 3)
        rng = np.random.default_rng(len(name))
        with exact.stream() as s:
            i, partials = 0, 0
            while i < len(x):
                n = int(rng.integers(50, 30000))
                s.feed(x[i:i + n])
                i += n
                partials += bool(s.partial())
            got = s.finish_with_metadata(3)
    assert got == want and partials > 0


def test_windowed_final_when_exact_final_is_off(model):
    """exact_final=False: the final transcript is the streaming windows' own (on this
    random-weight model it differs from stt() on a recording longer than a window)."""
    name, _ = model
    x = long_recording()
    with Model(DATA / name, exact_final=False) as windowed:
        windowed.beam_width = 16
        with windowed.stream() as s:
            s.feed(x)
            streamed = s.finish()
        assert streamed != windowed.stt(x)
    with pytest.raises(edgestt.errors.InvalidConfig, match="exact_final"):
        Model(DATA / name, exact_final="yes")


def test_tuned_lm_weights_in_the_metadata_are_the_scorer_defaults(monkeypatch):
    """A model whose metadata carries lm_alpha_beta decodes with those weights whenever a scorer
    is on and the caller set none; without them, DeepSpeech 0.9.3's weights apply."""
    from edgestt.tflite_metadata import read_edgestt_metadata
    path, arpa = DATA / "edgestt_fixture.tflite", DATA / "lm_small.arpa"
    with Model(path, scorer=arpa, num_threads=1) as m:
        deepspeech_defaults = m.scorer_alpha_beta
    assert deepspeech_defaults == pytest.approx((0.931289039105002, 1.1834137581510284))
    meta = dict(read_edgestt_metadata(path), lm_alpha_beta=[0.7, 2.0])
    monkeypatch.setattr(Model, "_read_metadata", lambda self: meta)
    with Model(path, num_threads=1) as m:
        assert m.scorer_alpha_beta is None
        m.enable_scorer(arpa)
        assert m.scorer_alpha_beta == (0.7, 2.0)
        assert m._decoder_for_new_streams().alpha == 0.7
        m.set_scorer_alpha_beta(1.5, 0.5)
        assert m.scorer_alpha_beta == (1.5, 0.5)
        m.enable_scorer(arpa)                      # a new scorer: back to the model's weights
        assert m.scorer_alpha_beta == (0.7, 2.0)
