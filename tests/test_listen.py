"""edgestt.listen: the whole pipeline (source -> VAD -> model stream -> events), on a fake
PortAudio replaying WAVs at real time and faster, with a fake model (segmentation, partials)
and with the real edgestt.Model on the DeepSpeech fixture (no audio lost or repeated)."""
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from test_cli import write_wav
from conftest import DATA, REPO
from fake_pyaudio import FakePyAudioModule
from test_vad import SPANS, SPEECH_WITH_PAUSES, build
import edgestt
from edgestt import constants, errors
from edgestt.listen import Final, Overrun, Partial, listen
from edgestt.model import CandidateTranscript, Metadata, Word
from edgestt.sources import IteratorSource, Microphone

pytest.importorskip("webrtcvad", reason="webrtcvad is not installed (pip install 'edgestt[mic]')")

FIXTURE = DATA / "deepspeech_fixture.tflite"
TWO_UTTERANCES = build([0.5, 1, 0.8, 2, 0.8])[0]  # 9 s, for the slower command-line and example tests
RATE = 16000
WORD_SAMPLES = 4000  # the fake model "recognises" one word per 0.25 s of audio


class FakeStream:
    def __init__(self, delay, partial_delay=0.0):
        self.chunks, self.delay, self.partial_delay, self.closed = [], delay, partial_delay, False
        self.partials = 0

    @property
    def samples(self):
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)

    def feed(self, audio):
        assert audio.dtype == np.float32 and not self.closed
        time.sleep(self.delay * len(audio) / RATE)  # a model this many times slower than real time
        self.chunks.append(audio.copy())

    def partial(self):
        self.partials += 1
        time.sleep(self.partial_delay)
        return " ".join(f"w{i}" for i in range(len(self.samples) // WORD_SAMPLES))

    def finish_with_metadata(self, num_results=1):
        n = -(-len(self.samples) // WORD_SAMPLES)
        words = tuple(Word(f"w{i}", i * 0.25, (i + 1) * 0.25) for i in range(n))
        return Metadata((CandidateTranscript(" ".join(w.text for w in words), -1.5, (), words),))

    def close(self):
        self.closed = True


class FakeModel:
    sample_rate = RATE

    def __init__(self, delay=0.0, partial_delay=0.0):
        self.streams, self.delay, self.partial_delay = [], delay, partial_delay

    def stream(self):
        self.streams.append(FakeStream(self.delay, self.partial_delay))
        return self.streams[-1]


def chunks_of(audio, size=320):
    return [audio[i:i + size] for i in range(0, len(audio), size)]


def finals(events):
    return [e for e in events if isinstance(e, Final)]


# ------------------------------------------------------------------ with a fake model


def test_utterances_partials_and_finals_from_an_iterator():
    model = FakeModel()
    events = list(listen(model, chunks_of(SPEECH_WITH_PAUSES)))
    done = finals(events)
    assert [f.utterance for f in done] == [0, 1, 2] and [f.reason for f in done] == ["silence"] * 3
    audio = SPEECH_WITH_PAUSES.astype(np.float32) / 32768
    for final, stream, (first, last) in zip(done, model.streams, SPANS):
        assert first - 0.035 <= final.start_time <= first + 0.1 and last - 0.05 <= final.end_time <= last + 0.25
        # The model got exactly the source audio of the utterance, pre-roll included, once.
        a, b = round(final.audio_start * RATE), round(final.audio_end * RATE)
        np.testing.assert_array_equal(stream.samples, audio[a:b])
        assert final.audio_start == pytest.approx(final.start_time - 0.3)
        assert stream.closed
        # Word times are in the source's timeline.
        assert [w.start_time for w in final.words] == [final.audio_start + i * 0.25 for i in range(len(final.words))]
        assert final.confidence == -1.5


def test_partials_grow_into_the_final():
    events = list(listen(FakeModel(), chunks_of(SPEECH_WITH_PAUSES), partial_interval_ms=200))
    for index in range(3):
        partials = [e for e in events if isinstance(e, Partial) and e.utterance == index]
        final = finals(events)[index]
        assert len(partials) >= 5
        texts = [p.text for p in partials] + [final.text]
        assert all(b.startswith(a) and len(b) > len(a) for a, b in zip(texts, texts[1:]))
        assert all(p.start_time == final.start_time for p in partials)
        ends = [p.end_time for p in partials]
        assert ends == sorted(ends) and final.audio_start < ends[0] and ends[-1] <= final.audio_end
        # Every partial of an utterance comes before its final, and after the previous final.
        positions = [events.index(p) for p in partials]
        assert max(positions) < events.index(final)


def test_expensive_partials_are_spaced_out():
    """A partial costing 0.05 s may run at most every 0.05 / LISTEN_PARTIAL_BUDGET s of audio."""
    cheap, slow = FakeModel(), FakeModel(partial_delay=0.05)
    list(listen(cheap, chunks_of(TWO_UTTERANCES), partial_interval_ms=100))
    list(listen(slow, chunks_of(TWO_UTTERANCES), partial_interval_ms=100))
    for fast_stream, slow_stream in zip(cheap.streams, slow.streams):
        seconds = len(slow_stream.samples) / RATE
        assert fast_stream.partials >= seconds / 0.15  # 100 ms, rounded up to whole 30 ms VAD frames
        assert 1 <= slow_stream.partials <= seconds * constants.LISTEN_PARTIAL_BUDGET / 0.05 + 1


def test_no_partials_while_the_microphone_is_behind():
    # The whole recording arrives at once (a burst): every chunk has a backlog behind it.
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES, rates=(16000,), speed=None)
    mic = Microphone(pyaudio_module=fake, sample_rate=RATE, max_seconds=len(SPEECH_WITH_PAUSES) / RATE)
    model = FakeModel(delay=0.05)
    events = list(listen(model, mic))
    assert len(finals(events)) == 3 and not [e for e in events if isinstance(e, Partial)]
    assert sum(s.partials for s in model.streams) == 0


def test_no_partials_when_not_asked():
    events = list(listen(FakeModel(), chunks_of(SPEECH_WITH_PAUSES), partial_interval_ms=None))
    assert all(isinstance(e, Final) for e in events) and len(events) == 3


def test_silence_and_noise_give_no_events():
    rng = np.random.default_rng(3)
    noise = np.clip(rng.normal(0, 300, 4 * RATE), -32768, 32767).astype(np.int16)
    model = FakeModel()
    assert list(listen(model, chunks_of(np.zeros(4 * RATE, np.int16)))) == []
    assert list(listen(model, chunks_of(noise))) == []
    assert model.streams == []


def test_the_end_of_the_source_finishes_the_open_utterance():
    cut = int(SPANS[1][0] * RATE) + RATE  # one second into the second utterance
    done = finals(listen(FakeModel(), chunks_of(SPEECH_WITH_PAUSES[:cut])))
    assert [f.reason for f in done] == ["silence", "end_of_source"]
    assert done[1].audio_end == cut / RATE


def test_the_maximum_length_cuts_long_speech():
    audio, _ = build([0.5, 0, 0, 0.5])
    done = finals(listen(FakeModel(), chunks_of(audio), max_utterance_seconds=3.0))
    assert [f.reason for f in done][:2] == ["max_length", "max_length"]
    assert done[1].audio_start == done[0].audio_end


class CtrlCWhileFinishing(FakeModel):
    """Ctrl-C arrives while the first utterance is being finished (a real SIGINT)."""

    def stream(self):
        stream = super().stream()
        if len(self.streams) == 1:
            inner = stream.finish_with_metadata

            def finish_with_metadata(num_results=1):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # Python runs the handler here, mid-finish
                return inner(num_results)
            stream.finish_with_metadata = finish_with_metadata
        return stream


def test_ctrl_c_while_an_utterance_is_finished_keeps_its_final():
    listener = listen(CtrlCWhileFinishing(), chunks_of(SPEECH_WITH_PAUSES))
    done = finals(listener)
    assert [f.reason for f in done] == ["silence"] and done[0].text   # the Final is out, then it stops
    assert listener.interrupted
    # afterwards Ctrl-C raises KeyboardInterrupt again (the handler was restored)
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)


def test_stop_from_another_thread_finishes_the_utterance():
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES, rates=(16000,), speed=4.0)
    listener = listen(FakeModel(), Microphone(pyaudio_module=fake, sample_rate=RATE))
    events = []
    for event in listener:
        events.append(event)
        if isinstance(event, Partial) and event.utterance == 1:
            threading.Thread(target=listener.stop).start()
    assert [f.reason for f in finals(events)] == ["silence", "stopped"]
    assert fake.streams[0].closed and not fake.streams[0].thread_alive


def test_ctrl_c_finishes_the_utterance_and_closes_the_microphone():
    # The fake device raises KeyboardInterrupt in the main thread (as Ctrl-C does) in mid-speech.
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES[:int(SPANS[0][0] * RATE) + RATE], rates=(16000,), speed=8.0,
                             after="interrupt")
    model = FakeModel()
    listener = listen(model, Microphone(pyaudio_module=fake, sample_rate=RATE))
    events = list(listener)
    assert listener.interrupted
    assert finals(events)[-1].reason == "interrupted" and isinstance(events[-1], Final)
    assert fake.streams[0].closed and not fake.streams[0].thread_alive and fake.instances[0].terminated
    assert all(s.closed for s in model.streams)
    assert not [t for t in threading.enumerate() if t.name == "fake-portaudio-callback"]


def test_a_device_failure_keeps_what_was_heard_then_raises():
    # The "USB microphone" is unplugged one second into the second utterance.
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES[:int(SPANS[1][0] * RATE) + RATE], rates=(16000,), speed=8.0,
                             after="stop")
    model, events = FakeModel(), []
    with pytest.raises(errors.AudioDeviceError, match="stopped"):
        for event in listen(model, Microphone(pyaudio_module=fake, sample_rate=RATE)):
            events.append(event)
    assert [f.reason for f in finals(events)] == ["silence", "source_error"]
    assert finals(events)[-1].text and all(s.closed for s in model.streams) and fake.streams[0].closed


@pytest.mark.parametrize("where", ["after_start", "after_end"])
def test_ctrl_c_inside_the_endpointer(where):
    """Ctrl-C while the endpointer classifies a chunk loses the events of that chunk: an utterance
    whose start was lost is dropped, one whose end was lost is still finished."""
    audio, _ = build([0.5, 1, 1.0])
    end_frame = round(finals(listen(FakeModel(), [audio]))[0].audio_end / 0.03)
    interrupt_at = {"after_start": round(0.5 / 0.03) + 15, "after_end": end_frame + 2}[where]
    model = FakeModel()
    listener = listen(model, [audio[:len(audio) // 2], audio[len(audio) // 2:]] if where == "after_end" else [audio])
    classify = listener.endpointer._is_speech

    def interrupted(frame):
        if listener.endpointer.frames_classified == interrupt_at:
            raise KeyboardInterrupt
        return classify(frame)

    listener.endpointer._is_speech = interrupted
    events = list(listener)
    assert listener.interrupted and all(s.closed for s in model.streams)
    if where == "after_start":
        assert events == [] and len(model.streams) == 0
    else:
        assert [f.reason for f in finals(events)] == ["interrupted"]


def test_ctrl_c_can_propagate():
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES[:2 * RATE], rates=(16000,), speed=None, after="interrupt")
    model = FakeModel()
    with pytest.raises(KeyboardInterrupt):
        for _ in listen(model, Microphone(pyaudio_module=fake, sample_rate=RATE), catch_interrupt=False):
            pass
    assert fake.streams[0].closed and all(s.closed for s in model.streams)


def test_overruns_become_events_and_recognition_goes_on():
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES, rates=(16000,), speed=None, overflow_blocks={100})
    mic = Microphone(pyaudio_module=fake, sample_rate=RATE, max_seconds=len(SPEECH_WITH_PAUSES) / RATE,
                     on_overrun="report")
    events = list(listen(FakeModel(), mic))
    overruns = [e for e in events if isinstance(e, Overrun)]
    assert len(overruns) == 1 and "input overflow" in overruns[0].message
    assert len(finals(events)) == 3


def test_a_model_slower_than_real_time_loses_audio_visibly():
    audio, _ = build([0.5, 1, 0.5])
    fake = FakePyAudioModule(audio, rates=(16000,), speed=8.0)
    mic = Microphone(pyaudio_module=fake, sample_rate=RATE, buffer_seconds=0.5, on_overrun="report",
                     max_seconds=len(audio) / RATE)
    events = list(listen(FakeModel(delay=0.3), mic))  # audio at 8x real time, a model at 3.3x
    lost = sum(e.lost_samples for e in events if isinstance(e, Overrun))
    assert lost > 0 and lost == mic.stats.dropped
    assert mic.stats.captured == mic.stats.delivered + mic.stats.buffered + mic.stats.dropped


def test_bad_sources():
    with pytest.raises(errors.InvalidArgument, match="8000 Hz"):
        listen(FakeModel(), IteratorSource([], 8000))
    with pytest.raises(errors.InvalidArgument, match="device="):
        listen(FakeModel(), [np.zeros(10, np.int16)], device=1)
    with pytest.raises(errors.InvalidConfig, match="aggressiveness"):
        listen(FakeModel(), [], aggressiveness=5)
    listener = listen(FakeModel(), [])
    assert list(listener) == []
    with pytest.raises(errors.StateError):
        iter(listener)


# ------------------------------------------------------------------ with the real Model (DeepSpeech fixture)


@pytest.fixture(scope="module")
def model():
    if not FIXTURE.is_file():
        pytest.skip(f"{FIXTURE.name} is missing (made by tools/make_test_models.py)")
    with edgestt.Model(FIXTURE) as m:
        yield m


def test_real_model_on_a_fake_microphone_loses_and_repeats_nothing(model):
    fake = FakePyAudioModule(SPEECH_WITH_PAUSES, rates=(16000,), speed=None)
    mic = Microphone(pyaudio_module=fake, sample_rate=model.sample_rate, max_seconds=len(SPEECH_WITH_PAUSES) / RATE)
    events = list(listen(model, mic))
    done = finals(events)
    assert len(done) == 3 and mic.stats.dropped == 0 and mic.stats.delivered == len(SPEECH_WITH_PAUSES)
    audio = SPEECH_WITH_PAUSES.astype(np.float32) / 32768
    for final in done:
        a, b = round(final.audio_start * RATE), round(final.audio_end * RATE)
        meta = model.stt_with_metadata(audio[a:b])  # the same audio in one piece
        assert final.text == meta.text and final.text
        assert final.confidence == pytest.approx(meta.transcripts[0].confidence)
        assert [w.start_time for w in final.words] == pytest.approx(
            [w.start_time + final.audio_start for w in meta.transcripts[0].words])


def test_real_model_partials_are_the_partials_of_the_audio_so_far(model):
    audio, _ = build([0.3, 1, 0.8])
    events = list(listen(model, chunks_of(audio)))
    partials, (final,) = [e for e in events if isinstance(e, Partial)], finals(events)
    assert len(partials) >= 5 and partials[-1].text and final.text
    samples = audio.astype(np.float32) / 32768
    a = round(final.audio_start * RATE)
    for partial in partials[-2:]:
        with model.stream() as stream:
            stream.feed(samples[a:round(partial.end_time * RATE)])
            assert partial.text == stream.partial()


def test_real_model_at_48_khz_with_resampling(model):
    resample = pytest.importorskip("edgestt.resample", reason="the C resampler (helper B) is not merged yet")
    audio16 = SPEECH_WITH_PAUSES.astype(np.float32) / 32768
    audio48 = np.round(resample.resample(audio16, 16000, 48000) * 32767).astype(np.int16)
    fake = FakePyAudioModule(audio48, rates=(48000, 44100), speed=None)
    mic = Microphone(pyaudio_module=fake, sample_rate=RATE, max_seconds=len(audio48) / 48000)
    done = finals(listen(model, mic, partial_interval_ms=None))
    assert mic.capture_rate == 48000 and len(done) == 3
    back = resample.resample(audio48.astype(np.float32) / 32768, 48000, 16000)
    for final, (first, last) in zip(done, SPANS):
        assert abs(final.start_time - first) < 0.1
        a, b = round(final.audio_start * RATE), round(final.audio_end * RATE)
        assert final.text == model.stt(back[a:b])


def test_real_time_replay_never_runs_ahead_of_the_clock(model):
    audio, spans = build([0.3, 1, 1.2])  # 4.3 s
    fake = FakePyAudioModule(audio, rates=(16000,), speed=1.0)
    mic = Microphone(pyaudio_module=fake, sample_rate=RATE, max_seconds=len(audio) / RATE)
    started = time.monotonic()
    timed = [(time.monotonic() - started, e) for e in listen(model, mic, end_silence_ms=500)]
    for wall, event in timed:
        audio_time = event.end_time if isinstance(event, Partial) else getattr(event, "audio_end", 0)
        assert wall >= audio_time - 0.03  # an event never precedes the audio it describes
    (wall, final), = [(w, e) for w, e in timed if isinstance(e, Final)]
    assert final.reason == "silence" and abs(final.start_time - spans[0][0]) < 0.1
    # Latency from the end of speech to the final: the end silence plus recognition time.
    assert 0.5 <= wall - final.end_time < 0.5 + 1.0


def run_cli(args, **kw):
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    return subprocess.run([sys.executable, "-m", "edgestt", "listen", *args], capture_output=True, text=True,
                          env=env, timeout=120, **kw)


def test_cli_listen_refuses_contradictory_options(capsys):
    from edgestt import cli

    assert cli.main(["listen", "--realtime", "--model", str(FIXTURE)]) == 1
    assert "--realtime applies to --file" in capsys.readouterr().err
    assert cli.main(["listen", "--file", "x.wav", "--device", "1", "--model", str(FIXTURE)]) == 1
    assert "exclude each other" in capsys.readouterr().err


def test_cli_listen_to_a_file(model, tmp_path):
    pytest.importorskip("edgestt.audio", reason="edgestt.audio (helper B) is not merged yet")
    path = tmp_path / "pauses.wav"
    write_wav(path, TWO_UTTERANCES)
    done = run_cli(["--model", str(FIXTURE), "--file", str(path), "--timestamps"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    expected = finals(listen(model, str(path)))
    assert lines == [f"[{f.start_time:7.2f} - {f.end_time:7.2f}] {f.text}" for f in expected]
    assert "\r" not in done.stdout  # not a terminal: no partial lines


def test_cli_sigint_finishes_the_utterance(tmp_path):
    pytest.importorskip("edgestt.audio", reason="edgestt.audio (helper B) is not merged yet")
    if not FIXTURE.is_file():
        pytest.skip(f"{FIXTURE.name} is missing")
    path = tmp_path / "speech.wav"
    write_wav(path, build([0.3, 0, 3.0])[0])
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    proc = subprocess.Popen([sys.executable, "-m", "edgestt", "listen", "--model", str(FIXTURE), "--file", str(path),
                             "--realtime", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(3.0)  # model loading plus about two seconds of speech
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert '"reason": "interrupted"' in out and "Traceback" not in err


FAKE_PYAUDIO_MODULE = """
import sys
import numpy as np
sys.path.insert(0, {tests!r})
from fake_pyaudio import FakePyAudioModule, device_info
_fake = FakePyAudioModule(np.load({audio!r}), rates=(48000, 44100, 16000), speed=8.0, after="interrupt",
                          devices=[device_info(0, "Fake USB Microphone")])
PyAudio = _fake.PyAudio
paInt16, paContinue, paInputOverflow = _fake.paInt16, _fake.paContinue, _fake.paInputOverflow
"""


def test_the_mic_dictation_example_on_a_fake_pyaudio(tmp_path):
    """examples/mic_dictation.py as a user runs it; a module named pyaudio on PYTHONPATH replays
    speech, then presses Ctrl-C (KeyboardInterrupt in the main thread)."""
    if not FIXTURE.is_file():
        pytest.skip(f"{FIXTURE.name} is missing")
    audio, _ = build([0.5, 1, 0.8, 1, 0.2])  # the second utterance is cut by the Ctrl-C
    np.save(tmp_path / "audio.npy", audio)
    (tmp_path / "pyaudio.py").write_text(FAKE_PYAUDIO_MODULE.format(tests=str(REPO / "tests"),
                                                                    audio=str(tmp_path / "audio.npy")))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO / "src")]))
    done = subprocess.run([sys.executable, str(REPO / "examples" / "mic_dictation.py"), "--model", str(FIXTURE),
                           "--device", "usb"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")  # text mode turned each \r into \n
    assert lines[0] == "* 0: Fake USB Microphone" and "at 16000 Hz" in lines[1]
    finals_printed = [line for line in lines[2:] if line.endswith("s]\x1b[K")]
    assert len(finals_printed) == 2 and "Traceback" not in done.stderr, done.stdout


def test_cli_on_real_portaudio_stops_cleanly_on_sigint(tmp_path):
    """`edgestt listen` on ALSA's null device through the real PortAudio (see test_sources): its
    unpaced noise arrives far faster than real time, so the capture buffer overflows (reported,
    at most one line per 2 s); SIGINT then ends the utterance, closes the device and exits 130."""
    pytest.importorskip("pyaudio", reason="pyaudio is not installed (pip install 'edgestt[mic]')")
    if not FIXTURE.is_file():
        pytest.skip(f"{FIXTURE.name} is missing")
    from test_sources import ALSA_NULL_DEVICE

    (tmp_path / ".asoundrc").write_text(ALSA_NULL_DEVICE)
    env = dict(os.environ, HOME=str(tmp_path), PYTHONPATH=str(REPO / "src"))
    if "edgestt_null" not in subprocess.run([sys.executable, "-m", "edgestt", "listen", "--list-devices"],
                                            capture_output=True, text=True, env=env).stdout:
        pytest.skip("PortAudio has no ALSA null device here")
    proc = subprocess.Popen([sys.executable, "-m", "edgestt", "listen", "--device", "edgestt_null", "--model",
                             str(FIXTURE), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(4.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "listening on 'edgestt_null' at 16000 Hz" in err
    assert 1 <= err.count("warning: the capture buffer") <= 4
    if out.strip():  # the null device's bytes are whatever its buffer held: speech to webrtcvad here, maybe not elsewhere
        # the last Final is the interrupted utterance's, or, when Ctrl-C came while an utterance
        # cut at its maximum length was being finished, that one's (nothing after it was open)
        last = out.strip().splitlines()[-1]
        assert last.startswith('{"text": ') and ('"reason": "interrupted"' in last or '"reason": "max_length"' in last)


class _Terminal:
    """A stand-in for a terminal's standard output."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


def test_cli_on_a_terminal_rewrites_one_line_with_partials(model, tmp_path, monkeypatch):
    pytest.importorskip("edgestt.audio", reason="edgestt.audio (helper B) is not merged yet")
    from edgestt import cli

    path = tmp_path / "pauses.wav"
    write_wav(path, TWO_UTTERANCES)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert cli.main(["listen", "--model", str(FIXTURE), "--file", str(path)]) == 0
    expected = finals(listen(model, str(path)))
    lines = terminal.text.split("\n")
    assert lines[-1] == "" and len(lines) == len(expected) + 1
    for line, final in zip(lines, expected):
        shown = line.split("\r")
        assert shown[-1] == final.text  # what remains visible: the final over the erased partial
        assert len(shown) > 3 and any(part.strip() for part in shown[:-2])  # partials came first


def test_the_stream_file_example(model, tmp_path):
    pytest.importorskip("edgestt.audio", reason="edgestt.audio (helper B) is not merged yet")
    path = tmp_path / "pauses.wav"
    write_wav(path, TWO_UTTERANCES)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run([sys.executable, str(REPO / "examples" / "stream_file.py"), str(path), "--model",
                           str(FIXTURE)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    expected = finals(listen(model, str(path), end_silence_ms=500))
    printed = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert printed == [f"[{f.start_time:6.2f} - {f.end_time:6.2f}] {f.text}" for f in expected]
    assert "  ... " in done.stdout
