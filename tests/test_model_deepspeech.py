"""Model/Stream with the DeepSpeech fixture: the native client's data flow, streaming ==
one-shot, settings, results, bad input, threads.

The oracle for the acoustic output is a literal simulation of DeepSpeech 0.9.3's client
(specs/deepspeech.md §1.3, §3) on the model's own feature subgraph: a 512-float input
tensor that keeps its old values, an audio buffer shifted left by 320, 9 zero frames
before and after, 19-frame windows, 16-step batches with the LSTM state carried."""
import threading

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert", reason="LiteRT (ai-edge-litert) is not installed")

import edgestt  # noqa: E402
from edgestt import errors  # noqa: E402
from edgestt.model import Model, default_model_path  # noqa: E402
from edgestt.runtime import Runtime  # noqa: E402

from conftest import DATA, read_wav_int16  # noqa: E402

FIXTURE = DATA / "deepspeech_fixture.tflite"
ALPHABET = " abcdefghijklmnopqrstuvwxyz'"
CLIPS = sorted(DATA.glob("synth_*.wav"))


@pytest.fixture(scope="module")
def model():
    with Model(FIXTURE) as m:
        yield m


@pytest.fixture(scope="module")
def clips():
    return {p.stem: read_wav_int16(p)[0] for p in CLIPS}


class NativeClientOracle:
    """DeepSpeech 0.9.3's TFLite client, step by step, on the graph's own MFCC ops."""

    def __init__(self, path, zero_pad_final=False):
        self.it = Runtime(path, mode="reference").new_interpreter()
        ins = {d["name"]: d["index"] for d in self.it.get_input_details()}
        outs = {d["name"]: d["index"] for d in self.it.get_output_details()}
        self.ins, self.outs = ins, outs
        self.samples_tensor = np.zeros(512, np.float32)  # persists between streams, as the tensor
        self.zero_pad_final = zero_pad_final
        self.hidden = self.it.get_input_details()[[d["name"] for d in self.it.get_input_details()].index(
            "previous_state_c")]["shape"][1]

    def mfcc(self, samples):
        if self.zero_pad_final:
            self.samples_tensor[:] = 0
        self.samples_tensor[: len(samples)] = samples  # only len(samples) values are overwritten
        self.it.set_tensor(self.ins["input_samples"], self.samples_tensor)
        self.it.invoke()
        return self.it.get_tensor(self.outs["mfccs"])[0].copy()

    def run(self, pcm):
        audio = pcm.astype(np.float32) / 32768
        buffer, frames = [], [np.zeros(26, np.float32)] * 9
        for x in audio:
            buffer.append(x)
            if len(buffer) == 512:
                frames.append(self.mfcc(np.array(buffer, np.float32)))
                buffer = buffer[320:]
        frames.append(self.mfcc(np.array(buffer, np.float32)))
        frames += [np.zeros(26, np.float32)] * 9
        windows = np.stack([np.stack(frames[t: t + 19]) for t in range(len(frames) - 18)])
        c = np.zeros((1, self.hidden), np.float32)
        h = np.zeros((1, self.hidden), np.float32)
        out = []
        for start in range(0, len(windows), 16):
            batch = np.zeros((1, 16, 19, 26), np.float32)
            part = windows[start: start + 16]
            batch[0, : len(part)] = part
            self.it.set_tensor(self.ins["input_node"], batch)
            self.it.set_tensor(self.ins["previous_state_c"], c)
            self.it.set_tensor(self.ins["previous_state_h"], h)
            self.it.invoke()
            c = self.it.get_tensor(self.outs["new_state_c"]).copy()
            h = self.it.get_tensor(self.outs["new_state_h"]).copy()
            out.append(self.it.get_tensor(self.outs["logits"])[: len(part)].copy())
        return np.concatenate(out)


def session_probs(model, pcm, chunks=None):
    """The family session's probabilities for pcm fed in chunks of the given sizes."""
    session = model._family.new_session()
    audio = pcm.astype(np.float32) / 32768
    rows, pos = [], 0
    for n in chunks or [len(audio)]:
        rows.append(session.accept(audio[pos: pos + n]))
        pos += n
    rows.append(session.accept(audio[pos:]))
    rows.append(session.finish())
    return np.concatenate(rows)


def test_recognises_the_fixture(model):
    assert model.family == "deepspeech"
    assert model.sample_rate == 16000
    assert "".join(model.labels) == ALPHABET
    assert model.beam_width == 100  # the fixture's metadata_beam_width (DeepSpeech's export default is 500)
    info = model.info()
    assert info["n_steps"] == 16 and info["n_context"] == 9 and info["mode"] == "reference"
    assert repr(model).startswith("Model(")


@pytest.mark.parametrize("length", [100, 511, 512, 513, 832, 833, 5120, 5121, 16000, 21000])
def test_acoustic_output_equals_the_native_client(model, clips, length):
    pcm = clips["synth_en_us"][:length]
    oracle = NativeClientOracle(FIXTURE)
    oracle.samples_tensor[:] = model._family.swap_last_window(None)  # the "tensor" as the model left it
    expected = oracle.run(pcm)
    got = session_probs(model, pcm)
    frames = 1 if length < 512 else 2 + (length - 512) // 320  # full windows + the flush frame
    assert got.shape == expected.shape == (frames, 29)
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6)


def test_results_do_not_depend_on_chunking(model, clips):
    pcm = clips["synth_en_gb_f"]
    whole = session_probs(model, pcm)
    rng = np.random.default_rng(7)
    for trial in range(6):
        limit = [2, 50, 400, 3000, 10000, 40000][trial]
        sizes = rng.integers(0, limit, size=len(pcm) // max(1, limit // 2) + 1).tolist()
        np.testing.assert_array_equal(session_probs(model, pcm, sizes), whole)


def test_streaming_equals_one_shot(model, clips):
    rng = np.random.default_rng(11)
    for name, pcm in clips.items():
        one_shot = model.stt_with_metadata(pcm, 3)
        for _ in range(3):
            with model.stream() as stream:
                pos = 0
                while pos < len(pcm):
                    n = int(rng.integers(0, 4000))
                    stream.feed(pcm[pos: pos + n])
                    pos += n
                    stream.partial()
                assert stream.finish_with_metadata(3) == one_shot, name
        assert model.stt(pcm) == one_shot.text


def test_partials_grow_per_batch_and_end_in_the_final(model, clips):
    pcm = clips["synth_en_us"]
    stream = model.stream()
    assert stream.partial() == ""
    texts = []
    for start in range(0, len(pcm), 1600):
        stream.feed(pcm[start: start + 1600])
        texts.append(stream.partial_with_metadata())
    final = stream.finish_with_metadata()
    assert texts[0].transcripts == ()  # 0.1 s: not one batch of 16 timesteps yet
    assert any(t.text for t in texts)
    # A partial decodes a prefix of the frames: its timesteps end before the last batch.
    last = texts[-1].transcripts[0].tokens
    assert last[-1].timestep < final.transcripts[0].tokens[-1].timestep + 1


def test_int16_float32_and_wav_path_agree(model, clips):
    pcm = clips["synth_en_scotland"]
    text = model.stt(pcm)
    assert text
    assert model.stt(pcm.astype(np.float32) / 32768) == text
    assert model.stt(pcm.astype(np.float64) / 32768) == text
    assert model.stt(str(DATA / "synth_en_scotland.wav")) == text
    assert model.stt(DATA / "synth_en_scotland.wav") == text
    assert model.stt(pcm[::1].copy()) == text
    strided = np.repeat(pcm, 2)[::2]
    assert not strided.flags.c_contiguous
    assert model.stt(strided) == text


def test_metadata_times_and_words(model, clips):
    meta = model.stt_with_metadata(clips["synth_en_gb_f"], num_results=4)
    assert 1 <= len(meta.transcripts) <= 4
    scores = [t.confidence for t in meta.transcripts]
    assert scores == sorted(scores, reverse=True)
    best = meta.transcripts[0]
    assert best.text == meta.text == "".join(t.text for t in best.tokens)
    steps = [t.timestep for t in best.tokens]
    assert steps == sorted(steps)
    for token in best.tokens:
        assert token.start_time == float(np.float32(token.timestep) * np.float32(0.02))
    assert [w.text for w in best.words] == best.text.split()
    for word in best.words:
        assert 0 <= word.start_time <= word.end_time <= len(clips["synth_en_gb_f"]) / 16000 + 0.2
    with pytest.raises(errors.InvalidArgument):
        model.stt_with_metadata(clips["synth_en_gb_f"], num_results=0)


def test_final_window_zeros_is_coqui(clips):
    pcm = clips["synth_en_us"][:21000]
    with Model(FIXTURE, final_window="zeros") as coqui, Model(FIXTURE) as ds093:
        got = session_probs(coqui, pcm)
        np.testing.assert_allclose(got, NativeClientOracle(FIXTURE, zero_pad_final=True).run(pcm), rtol=0, atol=2e-6)
        stale = session_probs(ds093, pcm)
    # Only the flush frame differs, so only the timesteps whose window holds it.
    flush = len(got) - 1
    np.testing.assert_array_equal(got[: flush - 9], stale[: flush - 9])
    assert not np.array_equal(got[flush - 9:], stale[flush - 9:])
    with pytest.raises(errors.InvalidConfig, match="final_window"):
        Model(FIXTURE, final_window="noise")


def test_short_input_takes_the_tail_the_model_left(clips):
    """0.9.3: an input shorter than one window is completed by the previous stream's last window."""
    pcm = clips["synth_en_us"]
    with Model(FIXTURE) as m:
        oracle = NativeClientOracle(FIXTURE)
        oracle.run(pcm[:7000])
        session_probs(m, pcm[:7000])
        expected = oracle.run(pcm[20000:20300])
        np.testing.assert_allclose(session_probs(m, pcm[20000:20300]), expected, rtol=0, atol=2e-6)


def test_settings_are_copied_when_a_stream_is_created(clips):
    pcm = clips["synth_en_gb_f"]
    with Model(FIXTURE) as m:
        wide = m.stt_with_metadata(pcm, 5)
        early = m.stream()
        m.beam_width = 1
        assert m.beam_width == 1
        narrow = m.stt_with_metadata(pcm, 5)
        assert len(narrow.transcripts) == 1 and len(wide.transcripts) == 5
        early.feed(pcm)
        assert early.finish_with_metadata(5) == wide
        for bad in (0, -3, 2.5, True, "8"):
            with pytest.raises(errors.InvalidArgument):
                m.beam_width = bad
        assert m.beam_width == 1


def test_scorer_restricts_words_to_the_vocabulary(clips):
    arpa = DATA / "lm_small.arpa"
    vocab = set()
    section = None
    for line in arpa.read_text().splitlines():
        if line.startswith("\\1-grams"):
            section = 1
        elif line.startswith("\\"):
            section = None
        elif section == 1 and line.strip():
            vocab.add(line.split("\t")[1])
    pcm = clips["synth_en_us"]
    with Model(FIXTURE) as m:
        plain = m.stt(pcm)
        with pytest.raises(errors.StateError):
            m.set_scorer_alpha_beta(1.0, 2.0)
        assert m.scorer_alpha_beta is None
        m.enable_scorer(arpa)
        alpha, beta = m.scorer_alpha_beta
        assert abs(alpha - 0.931289039105002) < 1e-6 and abs(beta - 1.1834137581510284) < 1e-6
        with_lm = m.stt(pcm)
        assert with_lm.split() and set(with_lm.split()) <= vocab
        m.set_scorer_alpha_beta(0.5, 3.0)
        assert m.scorer_alpha_beta == (0.5, 3.0)
        m.disable_scorer()
        assert m.stt(pcm) == plain
    with Model(FIXTURE, scorer=arpa) as m:
        assert m.stt(pcm) == with_lm
    with pytest.raises(errors.FileError):
        Model(FIXTURE, scorer=DATA / "no_such.arpa")


def test_concurrent_streams_in_threads_equal_sequential(clips):
    pcms = list(clips.values()) * 2
    with Model(FIXTURE, num_threads=1) as m:
        expected = [m.stt_with_metadata(p, 2) for p in pcms]
        got = [None] * len(pcms)
        barrier = threading.Barrier(len(pcms))

        def work(i):
            barrier.wait(timeout=30)
            with m.stream() as s:
                for start in range(0, len(pcms[i]), 2048):
                    s.feed(pcms[i][start: start + 2048])
                got[i] = s.finish_with_metadata(2)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(pcms))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert got == expected
        assert m._runtime.interpreters_created <= len(pcms)


def test_fast_mode_runs_and_streams_like_one_shot(clips):
    pcm = clips["synth_en_us"]
    with Model(FIXTURE, mode="fast") as fast:
        assert fast.mode == "fast"
        one_shot = fast.stt_with_metadata(pcm)
        with fast.stream() as s:
            for start in range(0, len(pcm), 999):
                s.feed(pcm[start: start + 999])
            assert s.finish_with_metadata() == one_shot
        probs = session_probs(fast, pcm)
        assert probs.shape[1] == 29 and np.allclose(probs.sum(1), 1, atol=1e-4)


def test_bad_audio(model):
    with pytest.raises(errors.EmptyInput):
        model.stt(np.zeros(0, np.int16))
    for bad in (np.zeros(100, np.int32), np.zeros(100, np.float16), np.zeros(100, np.uint8)):
        with pytest.raises(errors.InvalidAudio, match="dtype"):
            model.stt(bad)
    with pytest.raises(errors.InvalidAudio, match="1-D"):
        model.stt(np.zeros((100, 2), np.int16))
    with pytest.raises(errors.InvalidAudio):
        model.stt([0, 1, 2])
    with pytest.raises(errors.NonFiniteInput):
        model.stt(np.array([0.0, np.nan] * 400, np.float32))
    with pytest.raises(errors.FileError):
        model.stt(DATA / "no_such.wav")


def test_stream_states(model):
    pcm = np.zeros(3000, np.int16)
    s = model.stream()
    s.feed(np.zeros(0, np.int16))
    with pytest.raises(errors.EmptyInput):
        s.finish()
    with pytest.raises(errors.StateError):
        s.feed(pcm)
    s = model.stream()
    s.feed(pcm)
    s.finish()
    assert s.finished
    for call in (lambda: s.feed(pcm), s.partial, s.finish, s.finish_with_metadata):
        with pytest.raises(errors.StateError, match="finish"):
            call()
    s.close()
    s = model.stream()
    s.close()
    s.close()
    with pytest.raises(errors.ClosedError):
        s.feed(pcm)


def test_model_files_that_are_refused(tmp_path, monkeypatch):
    with pytest.raises(errors.ModelError, match="input_node") as info:
        Model(DATA / "oracle_deepspeech_features.tflite")
    assert "signal" in str(info.value) and "Identity" in str(info.value)  # what it found
    bad = tmp_path / "m.tflite"
    bad.write_bytes(FIXTURE.read_bytes()[: 5000])
    with pytest.raises(errors.FormatError):
        Model(bad)
    with pytest.raises(errors.FileError):
        Model(tmp_path / "missing.tflite")
    monkeypatch.delenv("EDGESTT_MODEL", raising=False)
    if default_model_path() is None:
        with pytest.raises(errors.ModelError, match="no default model"):
            Model()
    monkeypatch.setenv("EDGESTT_MODEL", str(FIXTURE))
    with Model() as m:
        assert m.family == "deepspeech"


def test_closed_model(clips):
    m = Model(FIXTURE)
    s = m.stream()
    m.close()
    m.close()
    with pytest.raises(errors.ClosedError):
        m.stt(clips["synth_en_us"])
    with pytest.raises(errors.ClosedError):
        s.feed(clips["synth_en_us"])


def test_exported_names():
    for name in ("Model", "Stream", "Metadata", "CandidateTranscript", "TokenMetadata", "Word"):
        assert hasattr(edgestt, name)


def test_hot_words_follow_the_decoder_and_are_copied_at_stream_creation(clips):
    pcm = clips["synth_en_us"]
    with Model(FIXTURE) as m:
        plain = m.stt(pcm)
        before = m.stream()
        m.add_hot_word("zebra  crossing", 300.0)
        assert m.hot_words == {"zebra crossing": 300.0}
        boosted = m.stt(pcm)
        assert "zebra crossing" in boosted and "zebra crossing" not in plain
        before.feed(pcm)
        assert before.finish() == plain  # created before the hot word
        m.add_hot_word("zebra crossing", -5.0)  # replaces the boost
        assert m.hot_words == {"zebra crossing": -5.0}
        with pytest.raises(errors.InvalidArgument):
            m.add_hot_word("caf\u00e9", 1.0)  # not spellable with the alphabet
        with pytest.raises(errors.InvalidArgument):
            m.add_hot_word("   ", 1.0)
        assert m.hot_words == {"zebra crossing": -5.0}
        m.erase_hot_word("zebra crossing")
        with pytest.raises(errors.InvalidArgument):
            m.erase_hot_word("zebra crossing")
        m.add_hot_word("yak", 3.0)
        m.clear_hot_words()
        assert m.hot_words == {}
        assert m.stt(pcm) == plain


def test_word_confidences_and_times_come_from_the_decoder(model, clips):
    pcm = clips["synth_en_gb_f"]
    best = model.stt_with_metadata(pcm).transcripts[0]
    decoded = model._decoder_for_new_streams().decode(session_probs(model, pcm))
    assert decoded.text == best.text
    assert [(w.text, w.start_time, w.end_time, w.confidence) for w in best.words] == [
        (w.text, w.start_time, w.end_time, w.confidence) for w in decoded.words]
    assert all(0 < w.confidence <= 1 for w in best.words)
    starts = {t.start_time for t in best.tokens}
    assert all(min(abs(w.start_time - s) for s in starts) < 1e-6 for w in best.words)


def test_audio_at_another_rate(model, clips, tmp_path):
    import wave

    pcm = clips["synth_en_us"][:16000]
    with Model(FIXTURE, resample=False) as strict:
        with pytest.raises(errors.InvalidAudio, match="44100"):
            strict.stt(pcm, sample_rate=44100)
        path = tmp_path / "a.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(pcm.tobytes())
        with pytest.raises(errors.InvalidAudio, match="8000"):
            strict.stt(path)
    assert model.stt(pcm, sample_rate=16000) == model.stt(pcm)


def test_wav_files_of_any_layout_and_rate(model, clips, tmp_path):
    import wave

    pcm = clips["synth_en_us"][:32000]
    path = tmp_path / "stereo48k.wav"
    from edgestt.resample import resample

    up = np.round(resample(pcm.astype(np.float32) / 32768, 16000, 48000) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(np.stack([up, up], 1).tobytes())
    got = model.stt_with_metadata(path).transcripts[0]
    # Resampled audio is not bit-identical, so compare what survives: most of the labels.
    want = model.stt_with_metadata(pcm).transcripts[0]
    import difflib

    assert difflib.SequenceMatcher(None, got.text, want.text).ratio() > 0.6
    # An array at 48 kHz with its rate given goes through the same resampler.
    assert model.stt(up, sample_rate=48000) == got.text
