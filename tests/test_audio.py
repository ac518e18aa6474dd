"""load_audio: WAV paths and numpy arrays to float32 mono at the model's rate."""
import math
import struct

import numpy as np
import pytest

from conftest import DATA, EVALDATA
from edgestt import EmptyInput, FileError, FormatError, InvalidArgument, InvalidAudio, NonFiniteInput
from edgestt.audio import load_audio, read_wav
from edgestt.resample import resample


def write_pcm16(path, pcm, rate, channels=1):
    """An independent 16-bit PCM writer (struct + numpy)."""
    data = np.asarray(pcm, "<i2").tobytes()
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def write_float32(path, x, rate):
    data = np.asarray(x, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def test_int16_array_scaled_exactly():
    pcm = np.arange(-32768, 32768, dtype=np.int16)
    x = load_audio(pcm, 16000)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.astype(np.float64), pcm.astype(np.float64) / 32768.0)


def test_float_arrays_kept():
    x = np.random.default_rng(0).uniform(-1, 1, 1000).astype(np.float32)
    np.testing.assert_array_equal(load_audio(x, 16000), x)
    np.testing.assert_array_equal(load_audio(x.astype(np.float64), 16000), x)
    np.testing.assert_array_equal(load_audio(x[::2], 16000), x[::2])  # strided views are copied


@pytest.mark.parametrize("bad", [np.zeros(10, np.int32), np.zeros(10, np.uint8), np.zeros(10, np.float16),
                                 np.zeros(10, np.complex64), np.zeros(10, object), np.zeros((10, 2), np.float32),
                                 [0.0, 0.1], b"\0\0", 3.0])
def test_other_inputs_refused(bad):
    with pytest.raises(InvalidAudio):
        load_audio(bad, 16000)


def test_empty_and_non_finite(tmp_path):
    with pytest.raises(EmptyInput):
        load_audio(np.zeros(0, np.float32), 16000)
    with pytest.raises(EmptyInput):
        load_audio(np.zeros(0, np.int16), 16000)
    for bad in (np.nan, np.inf, -np.inf):
        x = np.zeros(100, np.float32)
        x[50] = bad
        with pytest.raises(NonFiniteInput):
            load_audio(x, 16000)
        write_float32(tmp_path / "f.wav", x, 16000)
        with pytest.raises(NonFiniteInput, match="f.wav"):
            load_audio(tmp_path / "f.wav", 16000)
        write_float32(tmp_path / "g.wav", x, 44100)
        with pytest.raises(NonFiniteInput, match="g.wav"):
            load_audio(str(tmp_path / "g.wav"), 16000)
    write_pcm16(tmp_path / "e.wav", [], 16000)
    with pytest.raises(EmptyInput, match="e.wav"):
        load_audio(tmp_path / "e.wav", 16000)
    write_pcm16(tmp_path / "e8.wav", [], 8000)
    with pytest.raises(EmptyInput):
        load_audio(tmp_path / "e8.wav", 16000)


@pytest.mark.parametrize("rate", [0, -16000, 16000.5, "16000", True, None])
def test_bad_sample_rate(rate):
    with pytest.raises(InvalidArgument, match="sample_rate"):
        load_audio(np.zeros(10, np.float32), rate)


def test_whole_float_rate_accepted():
    assert load_audio(np.zeros(10, np.float32), 16000.0).shape == (10,)


def test_file_at_the_model_rate_is_read_exactly(tmp_path):
    pcm = np.random.default_rng(1).integers(-32768, 32768, 5000).astype(np.int16)
    write_pcm16(tmp_path / "x.wav", pcm, 16000)
    np.testing.assert_array_equal(load_audio(tmp_path / "x.wav", 16000), load_audio(pcm, 16000))
    np.testing.assert_array_equal(load_audio(str(tmp_path / "x.wav"), 16000, allow_resample=False),
                                  pcm.astype(np.float64) / 32768)


def test_file_at_another_rate_is_resampled(tmp_path):
    t = np.arange(44100) / 44100
    stereo = np.stack([np.round(8000 * np.sin(2 * np.pi * 440 * t)), np.round(8000 * np.sin(2 * np.pi * 440 * t))], 1)
    write_pcm16(tmp_path / "s.wav", stereo.reshape(-1), 44100, channels=2)
    x = load_audio(tmp_path / "s.wav", 16000)
    assert x.dtype == np.float32 and len(x) == 16000
    np.testing.assert_array_equal(x, resample(read_wav(tmp_path / "s.wav")[0], 44100, 16000))
    want = np.round(8000 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)) / 32768
    assert np.abs(x - want)[1000:-1000].max() < 1e-4  # one int16 step of rounding in the source, plus filter
    with pytest.raises(InvalidAudio, match="44100 Hz.*16000 Hz"):
        load_audio(tmp_path / "s.wav", 16000, allow_resample=False)


def test_real_recordings_at_other_rates():
    clips = [EVALDATA / "audio" / n for n in ("LDC93S1_pcms16le_1_8000.wav", "LDC93S1_pcms16le_2_44100.wav")]
    if not all(p.exists() for p in clips):
        pytest.skip(f"real recordings missing from {EVALDATA}")
    reference = load_audio(EVALDATA / "audio" / "LDC93S1.wav", 16000)
    for path in clips:
        x = load_audio(path, 16000)
        assert x.dtype == np.float32 and abs(len(x) - len(reference)) <= 1
        # The three files are copies of one utterance: after resampling they correlate strongly.
        n = min(len(x), len(reference))
        corr = np.corrcoef(x[:n], reference[:n])[0, 1]
        assert corr > 0.9, (path.name, corr)


def test_synthetic_speech_resampled_length():
    path = DATA / "synth_en_us.wav"
    native, rate = read_wav(path)
    x = load_audio(path, 8000)
    assert len(x) == math.ceil(len(native) * 8000 / rate)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(FileError):
        load_audio(tmp_path / "missing.wav", 16000)
    (tmp_path / "x.wav").write_bytes(b"not a wav")
    with pytest.raises(FormatError):
        load_audio(tmp_path / "x.wav", 16000)
