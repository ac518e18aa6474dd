#!/usr/bin/env python3
"""End-to-end speed of edgestt.Model: real-time factor per model family and mode, the share of
time spent outside the interpreter's invoke (split into the CTC decoder and the rest:
features and Python glue), and the wall-time ratio against DeepSpeech 0.9.3's
own client (libdeepspeech.so from PyPI, through tools/deepspeech_reference.py) on the same
model, audio and thread count, in one run. Medians of --runs runs, alternating the contenders.

    python3 benchmarks/bench_e2e.py                       # fixture models from tests/data
    python3 benchmarks/bench_e2e.py --full                # + a full-width (n_hidden 2048) DeepSpeech model
    python3 benchmarks/bench_e2e.py --threads 1 2 4 --runs 7

--full builds benchmarks/.cache/ds2048/deepspeech_fixture.tflite once with the fixture
generator (tools/make_test_models.py with N_HIDDEN = 2048; needs TensorFlow, --tf-python).

The reference client always runs 4 interpreter threads (SetNumThreads(4) in 0.9.3), so the
comparison row is at 4 threads unless --reference-threads says otherwise. Agreement: the
share of inputs (the test clips cut at several lengths) whose transcript and token timesteps
equal the reference client's, per mode.
"""
import argparse
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
CACHE = REPO / "benchmarks" / ".cache"
FULL_MODEL = CACHE / "ds2048" / "deepspeech_fixture.tflite"
sys.path.insert(0, str(REPO / "tools"))

import edgestt  # noqa: E402
from edgestt.model import Model  # noqa: E402


def read_wav(path):
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def bench_audio():
    clips = [read_wav(p) for p in sorted(DATA.glob("synth_*.wav"))]
    return np.concatenate(clips), clips


def build_full_model(tf_python):
    if FULL_MODEL.is_file():
        return FULL_MODEL
    FULL_MODEL.parent.mkdir(parents=True, exist_ok=True)
    code = ("import sys; sys.path.insert(0, 'tools'); import make_test_models as m; m.N_HIDDEN = 2048; "
            f"m.build_deepspeech_fixture({str(FULL_MODEL.parent)!r})")
    print(f"building {FULL_MODEL} (n_hidden 2048) with {tf_python} ...", file=sys.stderr)
    subprocess.run([tf_python, "-c", code], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return FULL_MODEL


class InvokeTimer:
    """Wraps invoke() of every interpreter a model's pool holds, summing the time inside it."""

    def __init__(self, model):
        self.seconds = 0.0
        runtime = model._runtime
        with runtime.interpreter():
            pass
        for interpreter in runtime._pool:
            self._wrap(interpreter)

    def _wrap(self, interpreter):
        invoke = interpreter.invoke

        def timed():
            start = time.perf_counter()
            invoke()
            self.seconds += time.perf_counter() - start

        interpreter.invoke = timed


class DecoderTimer:
    """Sums the time in the CTC decoder's feed/finish/beams (class-level wrappers)."""

    def __init__(self):
        self.seconds = 0.0
        from edgestt.decoder import DecoderStream

        for name in ("feed", "finish", "beams"):
            original = getattr(DecoderStream, name)
            setattr(DecoderStream, name, self._timed(original))

    def _timed(self, method):
        def timed(*a, **k):
            start = time.perf_counter()
            try:
                return method(*a, **k)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


DECODER = DecoderTimer()


def time_edgestt(model, pcm, runs):
    """Medians of (wall seconds, share inside invoke, share in the decoder) of model.stt(pcm)."""
    timer = InvokeTimer(model)
    model.stt(pcm)  # warm-up: first-invoke allocations, page faults
    walls, shares, decoder = [], [], []
    for _ in range(runs):
        timer.seconds = DECODER.seconds = 0.0
        start = time.perf_counter()
        model.stt(pcm)
        wall = time.perf_counter() - start
        walls.append(wall)
        shares.append(timer.seconds / wall)
        decoder.append(DECODER.seconds / wall)
    return statistics.median(walls), statistics.median(shares), statistics.median(decoder)


def agreement(model, ref, clips):
    cuts = (800, 5000, 16000, 16170, 33333, None)
    same = total = 0
    for pcm in clips:
        for cut in cuts:
            x = pcm[:cut]
            ours = model.stt_with_metadata(x).transcripts[0]
            theirs = ref.stt_with_metadata(x, 1)[0]
            same += ours.text == theirs.text and [(t.text, t.timestep) for t in ours.tokens] == [
                (t.text, t.timestep) for t in theirs.tokens]
            total += 1
    return same, total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--reference-threads", type=int, default=4,
                        help="our thread count in the comparison with libdeepspeech (which always uses 4)")
    parser.add_argument("--full", action="store_true", help="also a full-width n_hidden 2048 DeepSpeech model")
    parser.add_argument("--tf-python", default="/work/venvs/tf/bin/python")
    parser.add_argument("--no-reference", action="store_true", help="skip libdeepspeech.so")
    args = parser.parse_args()

    pcm, clips = bench_audio()
    seconds = len(pcm) / 16000
    print(f"edgestt {edgestt.__version__}; audio {seconds:.2f} s (the synth_*.wav clips, concatenated); "
          f"medians of {args.runs} runs")

    models = [("deepspeech fixture (n_hidden 256)", DATA / "deepspeech_fixture.tflite", True)]
    if args.full:
        models.append(("deepspeech full width (n_hidden 2048)", build_full_model(args.tf_python), True))
    for path in sorted(DATA.glob("quartznet_*.tflite")) + sorted(DATA.glob("edgestt_*.tflite")):
        models.append((path.stem, path, False))

    lib = None
    if not args.no_reference:
        from deepspeech_reference import fetch_library

        lib = fetch_library()
        if lib is None:
            print("note: libdeepspeech.so 0.9.3 is not available here; no reference comparison")

    print()
    print("| model | family | mode | threads | RTF | inside invoke | CTC decoder | rest (features, Python) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, path, _is_ds in models:
        for mode in ("reference", "fast"):
            for threads in args.threads:
                try:
                    model = Model(path, num_threads=threads, mode=mode)
                except edgestt.EdgeSTTError as exc:
                    print(f"| {label} | - | {mode} | {threads} | not loadable: {exc} | | |".replace("\n", " "))
                    break
                with model:
                    wall, share, dec = time_edgestt(model, pcm, args.runs)
                    print(f"| {label} | {model.family} | {mode} | {threads} | {wall / seconds:.4f} | "
                          f"{100 * share:.1f}% | {100 * dec:.1f}% | {100 * (1 - share - dec):.1f}% |", flush=True)

    if lib is None:
        return
    from deepspeech_reference import ReferenceDeepSpeech

    print()
    print(f"Against libdeepspeech.so 0.9.3 (4 threads, its fixed setting); edgestt at {args.reference_threads} "
          "threads; same model, audio and beam width (the model's)")
    print()
    print("| model | mode | edgestt s | libdeepspeech s | ratio (edgestt / reference) | agreement with reference |")
    print("|---|---|---|---|---|---|")
    for label, path, is_ds in models:
        if not is_ds:
            continue
        with ReferenceDeepSpeech(lib, str(path)) as ref:
            ref.stt(pcm)  # warm-up
            for mode in ("reference", "fast"):
                with Model(path, num_threads=args.reference_threads, mode=mode) as model:
                    model.stt(pcm)
                    ours, theirs = [], []
                    for _ in range(args.runs):  # alternate, so both see the same machine load
                        start = time.perf_counter()
                        model.stt(pcm)
                        ours.append(time.perf_counter() - start)
                        start = time.perf_counter()
                        ref.stt(pcm)
                        theirs.append(time.perf_counter() - start)
                    same, total = agreement(model, ref, clips)
                    a, b = statistics.median(ours), statistics.median(theirs)
                    print(f"| {label} | {mode} | {a:.3f} | {b:.3f} | {a / b:.3f} | {same}/{total} |", flush=True)


if __name__ == "__main__":
    main()
