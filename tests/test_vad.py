"""The webrtcvad endpointer: utterance boundaries on audio built from speech clips and known
silences, pre-roll, audio conservation, chunking invariance, noise, the maximum length."""
import numpy as np
import pytest

from conftest import DATA, read_wav_int16
from edgestt import errors
from edgestt.vad import Endpointer, SpeechAudio, SpeechEnd, SpeechStart, VADConfig

pytest.importorskip("webrtcvad", reason="webrtcvad is not installed (pip install 'edgestt[mic]')")

RATE = 16000
CLIPS = [read_wav_int16(p)[0] for p in sorted(DATA.glob("synth_*.wav"))]


def build(parts):
    """Concatenate clips (int index) and silences (float seconds); return the audio and, per
    clip, its (first, last) sample above the noise floor in seconds: the expected boundaries."""
    audio, spans, at = [], [], 0
    for part in parts:
        if isinstance(part, float):
            piece = np.zeros(int(part * RATE), np.int16)
        else:
            piece = CLIPS[part]
            loud = np.flatnonzero(np.abs(piece.astype(np.int32)) > 100)
            spans.append(((at + loud[0]) / RATE, (at + loud[-1]) / RATE))
        audio.append(piece)
        at += len(piece)
    return np.concatenate(audio), spans


SPEECH_WITH_PAUSES, SPANS = build([1.0, 0, 1.5, 1, 1.0, 2, 1.0])


def run(audio, chunk=320, **options):
    ep = Endpointer(RATE, **options)
    events = []
    for begin in range(0, len(audio), chunk):
        events += ep.process(audio[begin:begin + chunk])
    return events + ep.flush()


def utterances(events):
    """[(SpeechStart, audio samples, SpeechEnd)] from an event list (checking the order)."""
    out, current = [], None
    for e in events:
        if isinstance(e, SpeechStart):
            assert current is None
            current = [e, [e.samples]]
        elif isinstance(e, SpeechAudio):
            current[1].append(e.samples)
        else:
            assert isinstance(e, SpeechEnd) and current is not None
            out.append((current[0], np.concatenate(current[1]), e))
            current = None
    assert current is None
    return out


@pytest.mark.parametrize("aggressiveness", [0, 1, 2, 3])
def test_utterances_are_cut_at_the_pauses(aggressiveness):
    found = utterances(run(SPEECH_WITH_PAUSES, aggressiveness=aggressiveness))
    assert len(found) == len(SPANS)
    for (start, _, end), (first, last) in zip(found, SPANS):
        assert first - 0.035 <= start.speech_start <= first + 0.1
        assert last - 0.05 <= end.speech_end <= last + 0.25
        assert end.reason == "silence"
        assert end.audio_end - end.speech_end >= 0.7 - 1e-9  # the end-of-utterance silence


def test_a_pause_shorter_than_the_end_silence_does_not_cut():
    audio, spans = build([0.5, 0, 0.3, 1, 0.5])
    assert len(utterances(run(audio, end_silence_ms=700))) == 1
    assert len(utterances(run(audio, end_silence_ms=150))) == 2


def test_pre_roll_keeps_the_audio_before_the_first_voiced_frame():
    for pre_roll_ms in (0, 300, 600):
        start = utterances(run(SPEECH_WITH_PAUSES, pre_roll_ms=pre_roll_ms))[1][0]
        assert start.speech_start - start.audio_start == pytest.approx(pre_roll_ms / 1000)
    # At the very start of the stream the pre-roll is what exists.
    audio, _ = build([0.1, 0, 0.5])
    start = utterances(run(audio, pre_roll_ms=500))[0][0]
    assert start.audio_start == 0.0


def test_every_sample_of_an_utterance_is_the_source_audio_in_order():
    audio = SPEECH_WITH_PAUSES.astype(np.float32) / 32768
    for start, samples, end in utterances(run(audio, chunk=777)):
        a, b = round(start.audio_start * RATE), round(end.audio_end * RATE)
        np.testing.assert_array_equal(samples, audio[a:b])


def test_the_events_do_not_depend_on_the_chunking():
    rng = np.random.default_rng(8)
    cuts = np.sort(rng.choice(len(SPEECH_WITH_PAUSES), 300, replace=False))
    ep = Endpointer(RATE)
    events = []
    for piece in np.split(SPEECH_WITH_PAUSES, cuts):
        events += ep.process(piece)
    events += ep.flush()
    reference = utterances(run(SPEECH_WITH_PAUSES, chunk=len(SPEECH_WITH_PAUSES)))
    found = utterances(events)
    assert len(found) == len(reference) == len(SPANS)
    for (s1, a1, e1), (s2, a2, e2) in zip(found, reference):
        assert (s1.audio_start, s1.speech_start, e1) == (s2.audio_start, s2.speech_start, e2)
        np.testing.assert_array_equal(a1, a2)


def test_int16_and_float_input_agree():
    as_float = SPEECH_WITH_PAUSES.astype(np.float32) / 32768
    ends = [e for e in run(SPEECH_WITH_PAUSES) if isinstance(e, SpeechEnd)]
    assert ends == [e for e in run(as_float) if isinstance(e, SpeechEnd)]


def test_silence_and_quiet_noise_open_no_utterance():
    rng = np.random.default_rng(1)
    assert run(np.zeros(5 * RATE, np.int16)) == []
    for level in (100, 300, 1000):  # room noise up to -30 dBFS
        noise = np.clip(rng.normal(0, level, 5 * RATE), -32768, 32767).astype(np.int16)
        assert run(noise) == [], level


def test_speech_in_noise_is_still_cut_at_the_pauses():
    rng = np.random.default_rng(2)
    noisy = SPEECH_WITH_PAUSES + rng.normal(0, 300, len(SPEECH_WITH_PAUSES))
    found = utterances(run(np.clip(noisy, -32768, 32767).astype(np.int16)))
    assert len(found) == len(SPANS)
    for (start, _, _), (first, _) in zip(found, SPANS):
        assert abs(start.speech_start - first) < 0.1


def test_the_maximum_length_cuts_without_losing_audio():
    audio, _ = build([0.5, 0, 2, 1, 2, 0, 0.5])  # ~12 s of speech with no pause
    found = utterances(run(audio, max_utterance_seconds=3.0))
    assert len(found) >= 4
    assert all(len(samples) <= 3 * RATE for _, samples, _ in found)
    assert [e.reason for _, _, e in found[:-1]] == ["max_length"] * (len(found) - 1)
    for (_, _, end), (start, _, _) in zip(found, found[1:]):
        assert start.audio_start == end.audio_end  # the next utterance starts with the next sample


def test_flush_closes_an_open_utterance_with_the_tail():
    ep = Endpointer(RATE)
    events = ep.process(CLIPS[0][:RATE + 123])
    assert isinstance(events[0], SpeechStart) and ep.in_speech
    events += ep.flush("stopped")
    assert isinstance(events[-2], SpeechAudio) and len(events[-2].samples) == (RATE + 123) % 480
    assert events[-1].reason == "stopped" and events[-1].audio_end == (RATE + 123) / RATE
    assert not ep.in_speech and ep.flush() == []


@pytest.mark.parametrize("options", [dict(aggressiveness=4), dict(frame_ms=25), dict(start_ratio=0),
                                     dict(end_silence_ms=10), dict(pre_roll_ms=-1), dict(start_window_ms=10),
                                     dict(max_utterance_seconds=0.2)])
def test_bad_configurations_name_the_field(options):
    with pytest.raises(errors.InvalidConfig, match=next(iter(options))):
        Endpointer(RATE, **options)


def test_bad_rates_and_options():
    with pytest.raises(errors.InvalidConfig, match="44100"):
        Endpointer(44100)
    with pytest.raises(errors.InvalidArgument, match="unknown VAD option"):
        Endpointer(RATE, agressiveness=2)
    with pytest.raises(errors.InvalidAudio):
        Endpointer(RATE).process(np.zeros((10, 2), np.float32))
    assert VADConfig.from_options(VADConfig(aggressiveness=3), frame_ms=10) == VADConfig(aggressiveness=3, frame_ms=10)
