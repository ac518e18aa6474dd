#!/usr/bin/env python3
"""QuartzNet buffered streaming against one-shot, and the real-time factor of the QuartzNet
fixtures (or any QuartzNet-family .tflite given with --model).

Agreement: for each recording (tests/data/synth_*.wav and, when present,
/work/shared/evaldata/audio/*.wav; other rates resampled with scipy's resample_poly, stereo
mixed down), the model's frames from a buffered stream (default 5 s window, 1 s hop, fed in
1 s chunks) and from one run over the whole recording: frame count (must be equal), share
of frames whose argmax agrees, greedy transcripts identical, and the character edit rate
between the greedy transcripts.

Speed: one interpreter thread, median of --runs runs over the concatenated synth clips
(11.5 s), for one-shot (one invoke), for streaming (a window every hop) fed 1 s at a time,
and fed 0.1 s at a time with pending() (the tentative frames of a partial result) after each
feed, in LiteRT's reference (builtin kernels) and fast (XNNPACK) modes. RTF = processing time / audio time;
the decoder is not included (acoustic model and features only).

Stream cost: edgestt.Model.stream() (model, front-end and beam search at the model's default
beam width, exact_final on as by default) over --stream-seconds (60) of the synth clips
repeated, fed 0.1 s at a time: the process CPU time of feed() + finish() with no partial
requested, and, with partial() after every 0.5 s of audio, the total CPU time and the median
and 90th-percentile wall time of one partial() call; medians over --runs runs.

    python3 benchmarks/bench_quartznet_stream.py [--runs 5] [--model M.tflite ...] [--only-stream]
"""
import argparse
import statistics
import sys
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
EVALDATA = Path("/work/shared/evaldata/audio")
FIXTURES = [DATA / "quartznet_scribosermo_fixture.tflite", DATA / "quartznet_nemo_fixture.tflite"]

from edgestt.families import detect  # noqa: E402
from edgestt.model import Model  # noqa: E402
from edgestt.runtime import Runtime  # noqa: E402
from edgestt.tflite_metadata import read_edgestt_metadata  # noqa: E402


def read_wav(path, rate=16000):
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            return None
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
        x = x.reshape(-1, w.getnchannels()).mean(axis=1)
        if w.getframerate() != rate:
            try:
                from scipy.signal import resample_poly
            except ImportError:
                return None
            g = np.gcd(w.getframerate(), rate)
            x = resample_poly(x, rate // g, w.getframerate() // g)
        return np.clip(x, -1, 1).astype(np.float32)


def greedy(scores, family):
    out, prev = [], family.blank_index
    for p in scores.argmax(axis=1):
        if p != family.blank_index and p != prev:
            out.append(family.labels[p if p < family.blank_index else p - 1])
        prev = p
    return "".join(out)


def edits(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        diag, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            diag, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diag + (ca != cb))
    return row[-1]


def streamed(family, x, chunk):
    session = family.new_session()
    rows = [session.accept(x[i: i + chunk]) for i in range(0, x.size, chunk)]
    rows.append(session.finish())
    return np.concatenate(rows)


def agreement(path, options, clips, chunk):
    family = detect(Runtime(path, num_threads=1), read_edgestt_metadata(path), **options)
    frames = agree = same = n_edits = n_chars = 0
    long_rows = []
    for name, x in clips:
        one = family.scores(x)
        got = streamed(family, x, chunk)
        assert got.shape == one.shape, (name, got.shape, one.shape)
        frames += one.shape[0]
        agree += int((one.argmax(1) == got.argmax(1)).sum())
        g1, g2 = greedy(one, family), greedy(got, family)
        same += g1 == g2
        e = edits(g1, g2)
        n_edits, n_chars = n_edits + e, n_chars + len(g1)
        if x.size >= family.schedule.window * family.frame_seconds * family.sample_rate:
            long_rows.append((name, x.size / family.sample_rate, (one.argmax(1) == got.argmax(1)).mean(), e, len(g1)))
    return family, frames, agree, same, n_edits, n_chars, long_rows


def with_partials(family, x, chunk):
    """A stream fed in small chunks with pending() (what partial() asks) after each."""
    session = family.new_session()
    for i in range(0, x.size, chunk):
        session.accept(x[i: i + chunk])
        session.pending()
    session.finish()


def speed(path, mode, audio, runs):
    family = detect(Runtime(path, num_threads=1, mode=mode), read_edgestt_metadata(path))
    family.scores(audio[:16000])  # allocate once
    times = {"one": [], "stream": [], "partials": []}
    for _ in range(runs):
        for key, run in (("one", lambda: family.scores(audio)), ("stream", lambda: streamed(family, audio, 16000)),
                         ("partials", lambda: with_partials(family, audio, 1600))):
            t = time.perf_counter()
            run()
            times[key].append(time.perf_counter() - t)
    seconds = audio.size / family.sample_rate
    return tuple(statistics.median(times[k]) / seconds for k in ("one", "stream", "partials"))


def stream_cost(path, audio, runs, feed=1600, partial_every=8000):
    """Model.stream() over `audio`: CPU seconds of feed()+finish() without partials; CPU
    seconds with a partial() every `partial_every` samples, and that partial's wall latency
    (median and 90th percentile over all calls); each the median over `runs` runs."""
    quiet, busy, latency = [], [], []
    with Model(path, num_threads=1) as model:
        model.stt(audio[:16000])  # allocate once
        for _ in range(runs):
            t = time.process_time()
            with model.stream() as s:
                for i in range(0, audio.size, feed):
                    s.feed(audio[i: i + feed])
                s.finish()
            quiet.append(time.process_time() - t)
            t, calls = time.process_time(), []
            with model.stream() as s:
                for i in range(0, audio.size, feed):
                    s.feed(audio[i: i + feed])
                    if (i + feed) % partial_every == 0:
                        w = time.perf_counter()
                        s.partial()
                        calls.append(time.perf_counter() - w)
                s.finish()
            busy.append(time.process_time() - t)
            latency.append((statistics.median(calls), float(np.percentile(calls, 90))))
    med = statistics.median
    return med(quiet), med(busy), med(a for a, _ in latency), med(b for _, b in latency)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", nargs="*", type=Path, default=FIXTURES)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--chunk", type=int, default=16000, help="samples per feed (default 1 s)")
    ap.add_argument("--stream-seconds", type=float, default=60.0, help="length of the Model.stream() runs")
    ap.add_argument("--only-stream", action="store_true", help="only the Model.stream() cost table")
    args = ap.parse_args()

    synth = np.concatenate([read_wav(p) for p in sorted(DATA.glob("synth_*.wav"))])
    n = int(args.stream_seconds * 16000)
    long = np.tile(synth, -(-n // synth.size))[:n]
    print(f"Model.stream() over {n / 16000:.0f} s fed 0.1 s at a time, 1 thread, default beam, exact_final on, "
          f"median of {args.runs} runs:\n")
    print("| model | CPU s, no partials | CPU s, partial every 0.5 s | partial() latency median / p90 ms |")
    print("|---|---|---|---|")
    for path in args.model:
        quiet, busy, lat, p90 = stream_cost(path, long, args.runs)
        print(f"| {path.name} | {quiet:.2f} | {busy:.2f} | {lat * 1000:.1f} / {p90 * 1000:.1f} |")
    if args.only_stream:
        return
    print()

    files = sorted(DATA.glob("synth_*.wav")) + (sorted(EVALDATA.glob("*.wav")) if EVALDATA.is_dir() else [])
    clips = [(p.name, x) for p in files if (x := read_wav(p)) is not None and x.size]
    long = sum(x.size >= 80000 for _n, x in clips)
    print(f"{len(clips)} recordings ({sum(x.size for _n, x in clips) / 16000:.1f} s, {long} of 5 s or more)\n")
    print("| model | stream normalisation | frames | frame argmax agreement | identical greedy transcripts "
          "| char edit rate (stream vs one-shot greedy) |")
    print("|---|---|---|---|---|---|")
    details = []
    for path in args.model:
        variants = [{}]
        if "logmel" in detect(Runtime(path), read_edgestt_metadata(path)).name:
            variants = [{"stream_normalization": "cumulative"}, {"stream_normalization": "window"}]
        for options in variants:
            family, frames, agree, same, n_edits, n_chars, long_rows = agreement(path, options, clips, args.chunk)
            norm = options.get("stream_normalization", "window (in the graph)")
            print(f"| {path.name} | {norm} | {frames} | {agree / frames:.4f} | {same}/{len(clips)} "
                  f"| {n_edits / max(n_chars, 1):.4f} |")
            details += [(path.name, norm) + r for r in long_rows]
    print("\nrecordings of 5 s or more:\n")
    print("| model | normalisation | recording | seconds | frame agreement | greedy edits / chars |")
    print("|---|---|---|---|---|---|")
    for model, norm, name, seconds, a, e, n in details:
        print(f"| {model} | {norm} | {name} | {seconds:.2f} | {a:.3f} | {e}/{n} |")

    audio = np.concatenate([read_wav(p) for p in sorted(DATA.glob("synth_*.wav"))])
    print(f"\nreal-time factor, 1 thread, median of {args.runs} runs, {audio.size / 16000:.1f} s of audio "
          "(acoustic model + features, no decoder):\n")
    print("| model | mode | one-shot RTF | streaming RTF (5 s window / 1 s hop, 1 s feeds) "
          "| streaming, 0.1 s feeds, partial after each |")
    print("|---|---|---|---|---|")
    for path in args.model:
        for mode in ("reference", "fast"):
            one, stream, partials = speed(path, mode, audio, args.runs)
            print(f"| {path.name} | {mode} | {one:.4f} | {stream:.4f} | {partials:.4f} |")


if __name__ == "__main__":
    sys.exit(main())
