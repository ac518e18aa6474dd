"""The `edgestt` command line and its WAV reading."""
import subprocess
import sys
import wave

import numpy as np
import pytest

from conftest import DATA
from edgestt import FormatError, cli
from edgestt.features import compute
from edgestt.wav import read_pcm16


def write_wav(path, samples, rate=16000, width=2, channels=1):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def test_features_command_saves_what_the_api_computes(tmp_path, capsys):
    clip = DATA / "synth_en_us.wav"
    out = tmp_path / "f.npy"
    assert cli.main(["features", str(clip), "--preset", "nemo", "-o", str(out)]) == 0
    assert "64 nemo features" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(out), compute(read_pcm16(clip)[0], "nemo"))


def test_python_dash_m_works():
    done = subprocess.run([sys.executable, "-m", "edgestt", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("edgestt ")


def test_stereo_is_mixed_down(tmp_path):
    left = np.arange(-500, 500, dtype=np.int16)
    stereo = np.stack([left, -left + 2], axis=1).reshape(-1)
    write_wav(tmp_path / "s.wav", stereo, channels=2)
    mono, rate = read_pcm16(tmp_path / "s.wav")
    assert rate == 16000 and (mono == 1).all()


def test_bad_files_give_a_clear_error(tmp_path, capsys):
    (tmp_path / "x.wav").write_bytes(b"not a wav at all")
    write_wav(tmp_path / "eight_khz.wav", np.zeros(8000, np.int16), rate=8000)
    write_wav(tmp_path / "wide.wav", np.zeros(8000, np.int32), width=4)
    with pytest.raises(FormatError):
        read_pcm16(tmp_path / "x.wav")
    with pytest.raises(FormatError, match="32-bit"):
        read_pcm16(tmp_path / "wide.wav")
    assert cli.main(["features", str(tmp_path / "eight_khz.wav")]) == 1
    assert "8000 Hz" in capsys.readouterr().err
    assert cli.main(["features", str(tmp_path / "missing.wav")]) == 1
    assert cli.main(["features", str(tmp_path / "x.wav")]) == 1
