"""`edgestt transcribe`: files and directories, JSON lines, options, per-file errors."""
import json
import shutil
import subprocess
import sys

import pytest

pytest.importorskip("ai_edge_litert", reason="LiteRT (ai-edge-litert) is not installed")

from conftest import DATA, read_wav_int16  # noqa: E402
from edgestt import cli  # noqa: E402
from edgestt.model import Model  # noqa: E402

FIXTURE = str(DATA / "deepspeech_fixture.tflite")


@pytest.fixture(scope="module")
def expected():
    with Model(FIXTURE) as m:
        return {p.name: m.stt_with_metadata(read_wav_int16(p)[0]) for p in DATA.glob("synth_*.wav")}


def test_one_file_prints_the_transcript(capsys, expected):
    assert cli.main(["transcribe", str(DATA / "synth_en_us.wav"), "--model", FIXTURE]) == 0
    out, err = capsys.readouterr()
    assert out == expected["synth_en_us.wav"].text + "\n"
    assert err == ""  # no progress bar when stderr is not a terminal


def test_directory_json_lines_with_words(tmp_path, capsys, expected):
    (tmp_path / "sub").mkdir()
    shutil.copy(DATA / "synth_en_gb_f.wav", tmp_path / "sub" / "b.wav")
    shutil.copy(DATA / "synth_en_us.wav", tmp_path / "A.WAV")
    (tmp_path / "notes.txt").write_text("not audio")
    assert cli.main(["transcribe", str(tmp_path), "--model", FIXTURE, "--json", "--threads", "1"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in records] == [str(tmp_path / "A.WAV"), str(tmp_path / "sub" / "b.wav")]
    for record, name in zip(records, ("synth_en_us.wav", "synth_en_gb_f.wav")):
        best = expected[name].transcripts[0]
        assert record["text"] == best.text
        assert record["confidence"] == pytest.approx(best.confidence)
        assert [w["word"] for w in record["words"]] == best.text.split()
        assert all(w["start_time"] <= w["end_time"] for w in record["words"])


def test_errors_on_one_file_do_not_stop_the_rest(tmp_path, capsys, expected):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF junk")
    args = ["transcribe", str(bad), str(tmp_path / "missing.wav"), str(DATA / "synth_en_us.wav"),
            "--model", FIXTURE, "--progress"]
    assert cli.main(args) == 1
    out, err = capsys.readouterr()
    assert out.strip().endswith(expected["synth_en_us.wav"].text)
    assert "bad.wav" in err and "missing.wav" in err and "2 of 3 files failed" in err
    assert "3/3" in err  # the progress bar, forced on


def test_options_reach_the_model(capsys, expected):
    clip = str(DATA / "synth_en_gb_f.wav")
    assert cli.main(["transcribe", clip, "--model", FIXTURE, "--beam", "1", "--json", "--candidates", "3",
                     "--mode", "fast"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert len(record["candidates"]) == 1  # beam width 1 keeps one hypothesis
    assert cli.main(["transcribe", clip, "--model", FIXTURE, "--scorer", str(DATA / "lm_small.arpa")]) == 0
    assert capsys.readouterr().out.strip() != expected["synth_en_gb_f.wav"].text


def test_bad_arguments(capsys):
    with pytest.raises(SystemExit):
        cli.main(["transcribe", "x.wav", "--hot-word", "nocolon"])
    with pytest.raises(SystemExit):
        cli.main(["transcribe", "x.wav", "--mode", "turbo"])
    assert cli.main(["transcribe", str(DATA / "synth_en_us.wav"), "--model", str(DATA / "lm_small.arpa")]) == 1
    assert "not a .tflite" in capsys.readouterr().err


def test_python_dash_m(expected):
    run = subprocess.run([sys.executable, "-m", "edgestt", "transcribe", str(DATA / "synth_en_scotland.wav"),
                          "--model", FIXTURE], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == expected["synth_en_scotland.wav"].text.strip()


def test_hot_word_option(capsys, expected):
    clip = str(DATA / "synth_en_us.wav")
    assert cli.main(["transcribe", clip, "--model", FIXTURE, "--hot-word", "zebra crossing:300"]) == 0
    out = capsys.readouterr().out
    assert "zebra crossing" in out and "zebra crossing" not in expected["synth_en_us.wav"].text
