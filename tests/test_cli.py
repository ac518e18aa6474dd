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
    write_wav(tmp_path / "wide.wav", np.zeros(8000, np.int32), width=4)
    with pytest.raises(FormatError):
        read_pcm16(tmp_path / "x.wav")
    with pytest.raises(FormatError, match="32-bit"):
        read_pcm16(tmp_path / "wide.wav")
    assert cli.main(["features", str(tmp_path / "missing.wav")]) == 1
    assert cli.main(["features", str(tmp_path / "x.wav")]) == 1


def test_features_of_other_rates_and_layouts_are_resampled(tmp_path, capsys):
    """A 44.1 kHz float WAV: read by edgestt's reader, resampled to the preset's 16 kHz."""
    from edgestt.audio import load_audio
    from edgestt.resample import resample
    from edgestt.wav import read_wav, write_wav as write_any_wav

    speech, rate = read_wav(DATA / "synth_en_us.wav")
    write_any_wav(tmp_path / "f44.wav", resample(speech, rate, 44100), 44100)
    out = tmp_path / "f.npy"
    assert cli.main(["features", str(tmp_path / "f44.wav"), "-o", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), compute(load_audio(tmp_path / "f44.wav", 16000), "deepspeech"))
    assert f"({len(speech) / rate:.2f} s)" in capsys.readouterr().out
    (tmp_path / "u.wav").write_bytes(b"RIFF\x30\0\0\0WAVEfmt \x10\0\0\0\x07\0\x01\0\x40\x1f\0\0\x40\x1f\0\0"
                                     b"\x01\0\x08\0data\x04\0\0\0\0\0\0\0")
    assert cli.main(["features", str(tmp_path / "u.wav")]) == 1
    assert "mu-law" in capsys.readouterr().err


# ---------------------------------------------------------------- edgestt lm

BOOK = """It was the best of times, it was the worst of times. It was the age of wisdom.

It was the age of foolishness. It was the epoch of belief, it was the epoch of incredulity.
It was the season of Light, it was the season of Darkness."""


def test_lm_build_compile_query_perplexity(tmp_path, capsys):
    kenlm = pytest.importorskip("kenlm")
    corpus = tmp_path / "book.txt"
    corpus.write_text(BOOK * 3)
    arpa, binary, quantised = tmp_path / "lm.arpa", tmp_path / "lm.eslm", tmp_path / "lm.q8.eslm"
    assert cli.main(["lm", "build", str(corpus), "-o", str(arpa), "--order", "3"]) == 0
    assert "order 3" in capsys.readouterr().out
    assert cli.main(["lm", "compile", str(arpa), "-o", str(binary)]) == 0
    assert cli.main(["lm", "compile", str(arpa), "-o", str(quantised), "--quantize"]) == 0
    assert "bytes per n-gram" in capsys.readouterr().out

    sentence = "it was the age of light"
    assert cli.main(["lm", "query", str(binary), sentence, "--words"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines[:-1]] == sentence.split() + ["</s>"]
    total = float(lines[-1].split("\t")[0])
    assert total == pytest.approx(kenlm.Model(str(arpa)).score(sentence), abs=1e-4)
    assert total == pytest.approx(sum(float(line.split("\t")[1]) for line in lines[:-1]), abs=1e-4)

    held_out = tmp_path / "held_out.txt"
    held_out.write_text("It was the age of belief.\nIt was the season of wisdom.\n")
    assert cli.main(["lm", "perplexity", str(quantised), str(held_out), "--text-mode", "lines"]) == 0
    assert "over 2 sentences" in capsys.readouterr().out


def test_lm_errors_are_reported_not_raised(tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    assert cli.main(["lm", "build", str(tmp_path / "missing.txt"), "-o", str(tmp_path / "x.arpa")]) == 1
    assert cli.main(["lm", "build", str(tmp_path / "empty.txt"), "-o", str(tmp_path / "x.arpa")]) == 1
    assert cli.main(["lm", "query", str(tmp_path / "empty.txt"), "a b"]) == 1
    assert cli.main(["lm", "build", str(tmp_path / "empty.txt"), "-o", "x", "--order", "9"]) == 1
    err = capsys.readouterr().err
    assert err.count("edgestt: error:") == 4
