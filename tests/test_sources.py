"""Audio sources: the microphone on a fake PortAudio (and on the real one, as far as a machine
without a sound card allows), WAV files at real time or faster, iterators of chunks."""
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from test_cli import write_wav
from conftest import DATA, read_wav_int16
from fake_pyaudio import FakePyAudioModule, device_info
from edgestt import errors
from edgestt.sources import IteratorSource, Microphone, WavFileSource, list_devices

SPEECH, RATE = read_wav_int16(DATA / "synth_en_us.wav")


def collect(source):
    chunks = list(source)
    return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


def as_float(pcm):
    return pcm.astype(np.float32) * np.float32(1 / 32768)


# ------------------------------------------------------------------ microphone on a fake PortAudio


def test_nothing_is_lost_through_the_ring_buffer():
    fake = FakePyAudioModule(SPEECH, rates=(16000,), speed=None)
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, max_seconds=len(SPEECH) / 16000)
    out = collect(mic)
    np.testing.assert_array_equal(out, as_float(SPEECH))  # same rate: no resampling, exact
    s = mic.stats
    assert (s.captured, s.dropped, s.input_overflows) >= (len(SPEECH), 0, 0)
    assert s.delivered == len(SPEECH) and s.captured == s.delivered + s.buffered + s.dropped
    assert fake.streams[0].closed and not fake.streams[0].thread_alive and fake.instances[0].terminated


def test_a_48_khz_device_is_resampled_in_c_to_the_model_rate():
    resample = pytest.importorskip("edgestt.resample", reason="the C resampler (helper B) is not merged yet")
    audio48 = np.round(resample.resample(as_float(SPEECH), 16000, 48000) * 32767).astype(np.int16)
    fake = FakePyAudioModule(audio48, rates=(48000, 44100), speed=None)
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, max_seconds=len(audio48) / 48000)
    assert (mic.capture_rate, mic.channels) == (48000, 1)
    out = collect(mic)
    expected = resample.resample(as_float(audio48), 48000, 16000)
    assert len(out) == len(expected)
    np.testing.assert_allclose(out, expected, atol=1e-6)  # streaming == one-shot


def test_the_model_rate_is_preferred_when_the_device_takes_it():
    fake = FakePyAudioModule(SPEECH, rates=(44100, 16000, 48000))
    with Microphone(pyaudio_module=fake, sample_rate=16000) as mic:
        assert mic.capture_rate == 16000
    fake = FakePyAudioModule(SPEECH, rates=(44100,), devices=[device_info(0, "mic", rate=44100)])
    with Microphone(pyaudio_module=fake, sample_rate=16000) as mic:
        assert mic.capture_rate == 44100


def test_a_stereo_only_device_is_mixed_down():
    stereo = np.stack([SPEECH[:16000], np.zeros(16000, np.int16)], axis=1)
    fake = FakePyAudioModule(stereo, rates=(16000,), channels=(2,), devices=[device_info(0, "stereo", inputs=2)])
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, max_seconds=1.0)
    assert mic.channels == 2
    np.testing.assert_allclose(collect(mic), as_float(SPEECH[:16000]) / 2, atol=1e-7)


def test_no_rate_the_device_takes():
    fake = FakePyAudioModule(rates=(96000,), devices=[device_info(0, "odd", rate=96000.0)])
    with pytest.raises(errors.AudioDeviceError, match="accepts none of the rates"):
        Microphone(pyaudio_module=fake, sample_rate=16000, capture_rate=44100)


DEVICES = [device_info(0, "HDA Intel PCH: ALC3246 Analog (hw:0,0)"), device_info(1, "HDMI 0 (hw:0,3)", inputs=0),
           device_info(2, "USB PnP Sound Device: Audio (hw:1,0)"), device_info(3, "pulse"),
           device_info(4, "default")]


@pytest.mark.parametrize("device, index", [(None, 4), (2, 2), ("2", 2), ("usb pnp", 2), ("pulse", 3),
                                           ("default", 4)])
def test_devices_by_index_or_name(device, index):
    fake = FakePyAudioModule(devices=DEVICES, default_index=4, rates=(16000,))
    with Microphone(device, pyaudio_module=fake) as mic:
        assert mic.device.index == index
    assert fake.streams[-1].closed


@pytest.mark.parametrize("device, message", [(1, "is not an input device"), (7, "does not exist"),
                                             (-1, "does not exist"), ("hw:", "matches 2"),
                                             ("Blue Yeti", "matches no")])
def test_bad_devices_are_refused_before_portaudio_sees_them(device, message):
    fake = FakePyAudioModule(devices=DEVICES, default_index=4)
    with pytest.raises(errors.AudioDeviceError, match=message) as info:
        Microphone(device, pyaudio_module=fake)
    assert "2: 'USB PnP Sound Device: Audio (hw:1,0)'" in str(info.value)  # the error lists the choices
    assert not fake.streams and fake.instances[0].terminated


def test_no_default_device():
    fake = FakePyAudioModule(devices=[], default_index=None)
    with pytest.raises(errors.AudioDeviceError, match="no default input device; no input devices exist"):
        Microphone(pyaudio_module=fake)
    assert list_devices(pyaudio_module=fake) == []


def test_list_devices_lists_inputs_only():
    fake = FakePyAudioModule(devices=DEVICES, default_index=4)
    devices = list_devices(pyaudio_module=fake)
    assert [d.index for d in devices] == [0, 2, 3, 4]
    assert [d.is_default for d in devices] == [False, False, False, True]
    assert devices[1].host_api == "ALSA" and devices[1].default_sample_rate == 48000.0


def test_a_driver_overflow_is_raised_not_hidden():
    fake = FakePyAudioModule(SPEECH, rates=(16000,), overflow_blocks={3})
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, max_seconds=1.0)
    with pytest.raises(errors.AudioOverrun, match="input overflow"):
        collect(mic)
    assert mic.stats.input_overflows == 1
    assert fake.streams[0].closed


def test_a_driver_overflow_can_be_reported_and_counted():
    fake = FakePyAudioModule(SPEECH, rates=(16000,), overflow_blocks={3, 10})
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, max_seconds=1.0, on_overrun="report")
    assert len(collect(mic)) == 16000
    reported = mic.take_overruns()
    assert 1 <= len(reported) <= 2 and all("input overflow" in str(o) for o in reported)
    assert mic.take_overruns() == [] and mic.stats.input_overflows == 2


def test_a_full_ring_buffer_counts_every_lost_sample():
    fake = FakePyAudioModule(np.tile(SPEECH, 4), rates=(16000,), speed=None)
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, buffer_seconds=0.25, on_overrun="report")
    received = 0
    for chunk in mic:       # a consumer much slower than the device
        received += len(chunk)
        time.sleep(0.01)
        if received >= 16000:
            mic.stop()
    lost = sum(o.lost_samples for o in mic.take_overruns())
    s = mic.stats
    assert lost > 0 and s.dropped == lost
    assert s.captured == s.delivered + s.buffered + s.dropped
    assert s.delivered == received


def test_a_stream_that_stops_is_an_error():
    fake = FakePyAudioModule(SPEECH[:4800], rates=(16000,), speed=None, after="stop")
    with pytest.raises(errors.AudioDeviceError, match="stopped"):
        collect(Microphone(pyaudio_module=fake, sample_rate=16000))


def test_stop_from_another_thread_ends_capture_and_joins_the_callback_thread():
    fake = FakePyAudioModule(SPEECH, rates=(16000,), speed=1.0)
    mic = Microphone(pyaudio_module=fake, sample_rate=16000)
    threading.Timer(0.3, mic.stop).start()
    started = time.monotonic()
    out = collect(mic)
    assert time.monotonic() - started < 2.0
    assert 0 < len(out) < len(SPEECH)
    assert not fake.streams[0].thread_alive and fake.streams[0].closed
    assert not [t for t in threading.enumerate() if t.name == "fake-portaudio-callback"]


def test_capture_starts_with_the_iteration_and_only_once():
    fake = FakePyAudioModule(SPEECH, rates=(16000,))
    mic = Microphone(pyaudio_module=fake, sample_rate=16000, max_seconds=0.1)
    assert not fake.streams[0].is_active()  # opened, not started: nothing piles up while a model loads
    collect(mic)
    with pytest.raises(errors.ClosedError):
        collect(mic)


def test_bad_arguments():
    fake = FakePyAudioModule()
    with pytest.raises(errors.InvalidArgument):
        Microphone(pyaudio_module=fake, on_overrun="ignore")
    with pytest.raises(errors.InvalidArgument):
        Microphone(pyaudio_module=fake, sample_rate=0)
    with pytest.raises(errors.InvalidArgument):
        Microphone(3.5, pyaudio_module=fake)


# ------------------------------------------------------------------ the real PortAudio


def test_real_portaudio_lists_devices():
    pytest.importorskip("pyaudio", reason="pyaudio is not installed (pip install 'edgestt[mic]')")
    devices = list_devices()
    assert isinstance(devices, list)
    assert all(d.max_input_channels > 0 and d.name for d in devices)


def test_real_portaudio_refuses_a_missing_device_without_crashing():
    """PortAudio itself segfaults when opened on an out-of-range index; edgestt must refuse first.
    Run in a subprocess so that a crash fails this test instead of killing pytest."""
    pytest.importorskip("pyaudio", reason="pyaudio is not installed (pip install 'edgestt[mic]')")
    code = (
        "import edgestt\n"
        "for device in (9999, 'no such microphone'):\n"
        "    try:\n"
        "        edgestt.Microphone(device)\n"
        "    except edgestt.AudioDeviceError as exc:\n"
        "        print('refused:', exc)\n"
        "if not edgestt.list_devices():\n"
        "    try:\n"
        "        edgestt.Microphone()\n"
        "    except edgestt.AudioDeviceError as exc:\n"
        "        print('refused:', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "refused: audio device 9999 does not exist" in lines[0]
    assert "refused: the device name 'no such microphone' matches no input devices" in lines[1]
    assert "ALSA lib" not in done.stderr  # PortAudio's start-up noise is kept off the terminal


ALSA_NULL_DEVICE = """
pcm.edgestt_null {
    type null
    hint { show on description "edgestt test: ALSA's null plugin" }
}
"""

CAPTURE_FROM_NULL_DEVICE = """
import json, os, threading
import numpy as np
import edgestt
names = [d.name for d in edgestt.list_devices()]
if "edgestt_null" not in names:
    print(json.dumps({"skip": names}))
    raise SystemExit(0)
tasks = lambda: len(os.listdir("/proc/self/task"))  # native threads too (PortAudio's callback thread)
before = tasks()
mic = edgestt.Microphone("edgestt_null", 16000, max_seconds=0.5, buffer_seconds=60)
during, total = None, 0
for chunk in mic:
    during = during or tasks()
    assert chunk.dtype == np.float32 and np.abs(chunk).max() <= 1.0
    total += len(chunk)
s = mic.stats
print(json.dumps({"rate": mic.capture_rate, "total": total, "captured": s.captured, "delivered": s.delivered,
                  "buffered": s.buffered, "dropped": s.dropped, "before": before, "during": during,
                  "after": tasks(), "python_threads": threading.active_count()}))
"""


def test_real_portaudio_captures_from_an_alsa_null_device(tmp_path):
    """Real PortAudio, real callback thread: ALSA's null plugin (declared in a private
    ~/.asoundrc) is an input device on a machine without a sound card. Its capture is neither
    audio nor paced in real time, but it exercises opening, the callback, the ring buffer and
    closing (PortAudio's thread must be gone afterwards)."""
    pytest.importorskip("pyaudio", reason="pyaudio is not installed (pip install 'edgestt[mic]')")
    (tmp_path / ".asoundrc").write_text(ALSA_NULL_DEVICE)
    env = dict(os.environ, HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", CAPTURE_FROM_NULL_DEVICE], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    if "skip" in result:
        pytest.skip(f"PortAudio has no ALSA null device here (devices: {result['skip']})")
    assert result["rate"] == 16000 and result["total"] == result["delivered"] == 8000
    assert result["captured"] == result["delivered"] + result["buffered"] + result["dropped"]
    assert result["during"] > result["before"] == result["after"] and result["python_threads"] == 1


# ------------------------------------------------------------------ files and iterators


def test_wav_file_as_fast_as_possible_and_at_real_time(tmp_path):
    pytest.importorskip("edgestt.audio", reason="edgestt.audio (helper B) is not merged yet")
    path = tmp_path / "half_second.wav"
    write_wav(path, SPEECH[:8000])
    fast = WavFileSource(path, 16000)
    started = time.monotonic()
    np.testing.assert_array_equal(collect(fast), as_float(SPEECH[:8000]))
    assert time.monotonic() - started < 0.2
    realtime = WavFileSource(path, 16000, realtime=True, chunk_ms=50)
    started, arrivals = time.monotonic(), []
    for chunk in realtime:
        arrivals.append((time.monotonic() - started, len(chunk)))
    seen = np.cumsum([n for _, n in arrivals]) / 16000
    assert all(t >= s - 0.005 for (t, _), s in zip(arrivals, seen))  # never ahead of the audio clock
    assert 0.5 <= arrivals[-1][0] < 0.8


def test_iterator_source_converts_and_mixes_down():
    chunks = [SPEECH[:100], SPEECH[100:300].astype(np.float64) / 32768, np.stack([SPEECH[300:400]] * 2, axis=1)]
    out = collect(IteratorSource(chunks, 16000))
    np.testing.assert_allclose(out, as_float(SPEECH[:400]), atol=1e-7)
    with pytest.raises(errors.InvalidAudio, match="chunk 1"):
        collect(IteratorSource([SPEECH[:10], SPEECH[:10].astype(np.int32)], 16000))
    with pytest.raises(errors.InvalidArgument):
        IteratorSource(SPEECH, 16000)


def test_iterator_source_resamples():
    resample = pytest.importorskip("edgestt.resample", reason="the C resampler (helper B) is not merged yet")
    audio = as_float(SPEECH)
    out = collect(IteratorSource(np.array_split(audio, 37), 16000, source_rate=44100))
    np.testing.assert_allclose(out, resample.resample(audio, 44100, 16000), atol=1e-6)
