#!/usr/bin/env python3
"""Resampling: edgestt's C resampler against scipy.signal.resample_poly and soxr, on one core.

    python benchmarks/bench_resample.py [--seconds 60] [--repeats 7] [--markdown] [--json out.json]

For 44.1 kHz -> 16 kHz, 48 kHz -> 16 kHz and 8 kHz -> 16 kHz this times, in one process, on
the same `--seconds` of audio (white noise: the cost does not depend on the content):

- edgestt            ``edgestt.resample.resample(x, from_hz, to_hz)`` (filter table built inside)
- edgestt 20 ms      the same through ``Resampler.process`` in 20 ms chunks, then ``flush``
                     (how a microphone stream uses it)
- resample_poly      ``scipy.signal.resample_poly(x, up, down)`` with scipy's default filter
                     (Kaiser beta 5, 20 taps per zero crossing span, cutoff at the lower Nyquist)
- soxr HQ / VHQ      ``soxr.resample(x, from_hz, to_hz, quality)`` (optional peer: pip install soxr)

and measures each one's filter on sines (1 s each, the middle 80 % of the output analysed):

- stop-band attenuation: the worst output level of unit sines from the lower Nyquist frequency
  (and from 1.1x it) up to 3x it or the input Nyquist, i.e. how loud aliasing gets (downsampling);
  for upsampling, the worst level of everything but the sine itself (the images)
- passband ripple: max - min gain (dB, least-squares fitted amplitude) of sines from 40 Hz to
  0.8x and to 0.9x the lower Nyquist

Each implementation runs once to warm up, then `--repeats` times; the table shows the median
(and the fastest run, "min ms": on a shared machine the spread is wide).
"x real time" is audio seconds per second of computing; "peer/edgestt" is the peer's median time
over edgestt's (above 1: edgestt is faster). A benchmark, not a test: it never fails.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"  # single-threaded numerics, set before numpy loads

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from edgestt.resample import Resampler, resample  # noqa: E402

PAIRS = [(44100, 16000), (48000, 16000), (8000, 16000)]
CHUNK_MS = 20


def implementations():
    """name -> function(x float32, from_hz, to_hz) -> output; peers that are missing are noted."""
    impls = {"edgestt": resample}

    def streamed(x, from_hz, to_hz):
        r = Resampler(from_hz, to_hz)
        step = from_hz * CHUNK_MS // 1000
        parts = [r.process(x[i : i + step]) for i in range(0, len(x), step)]
        parts.append(r.flush())
        return np.concatenate(parts)

    impls[f"edgestt {CHUNK_MS} ms"] = streamed
    notes = []
    try:
        from scipy.signal import resample_poly

        def poly(x, from_hz, to_hz):
            g = math.gcd(from_hz, to_hz)
            return resample_poly(x, to_hz // g, from_hz // g)

        impls["resample_poly"] = poly
    except ImportError:
        notes.append("scipy not installed: resample_poly skipped (pip install scipy)")
    try:
        import soxr

        impls["soxr HQ"] = lambda x, a, b: soxr.resample(x, a, b, "HQ")
        impls["soxr VHQ"] = lambda x, a, b: soxr.resample(x, a, b, "VHQ")
    except ImportError:
        notes.append("soxr not installed: skipped (pip install soxr)")
    return impls, notes


def pin_one_cpu():
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        except OSError:
            pass


def timings(fn, x, from_hz, to_hz, repeats):
    """(median, fastest) seconds of `repeats` runs after one warm-up."""
    fn(x, from_hz, to_hz)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(x, from_hz, to_hz)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def _middle(y):
    m = len(y) // 10
    return np.asarray(y[m : len(y) - m], dtype=np.float64)


def _fit(y, rate, freq):
    """(gain in dB of the `freq` component, level in dB of everything else)."""
    t = (np.arange(len(y)) + len(y) // 8) / rate  # phase is irrelevant to the amplitude fit
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)], axis=1)
    coef = np.linalg.lstsq(basis, y, rcond=None)[0]
    rest = y - basis @ coef
    return 20 * np.log10(np.hypot(*coef)), 10 * np.log10(2 * np.mean(rest**2) + 1e-300)


def quality(fn, from_hz, to_hz):
    lower = min(from_hz, to_hz) / 2
    t = np.arange(from_hz) / from_hz
    sine = lambda f: np.sin(2 * np.pi * f * t).astype(np.float32)  # noqa: E731
    result = {}
    gains, residual = {}, -np.inf
    for f in np.linspace(40, 0.9 * lower, 46):
        gain, rest = _fit(_middle(fn(sine(f), from_hz, to_hz)), to_hz, f)
        gains[f] = gain
        residual = max(residual, rest)
    for edge in (0.8, 0.9):
        g = [v for f, v in gains.items() if f <= edge * lower + 1e-9]
        result[f"ripple_{edge}_db"] = max(g) - min(g)
    if from_hz > to_hz:
        for start in (1.0, 1.1):
            top = min(from_hz / 2, 3 * lower)
            levels = [10 * np.log10(2 * np.mean(_middle(fn(sine(f), from_hz, to_hz)) ** 2) + 1e-300)
                      for f in np.linspace(start * lower, top, 41)[:-1]]
            result[f"stopband_{start}_db"] = -max(levels)
    else:
        result["stopband_1.0_db"] = result["stopband_1.1_db"] = -residual  # image rejection
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args(argv)
    pin_one_cpu()
    impls, notes = implementations()
    for note in notes:
        print(f"note: {note}")
    print(f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{args.seconds:g} s of audio, median of {args.repeats} runs, one core")
    rows = []
    rng = np.random.default_rng(0)
    for from_hz, to_hz in PAIRS:
        x = rng.uniform(-0.5, 0.5, int(args.seconds * from_hz)).astype(np.float32)
        base = None
        for name, fn in impls.items():
            seconds, fastest = timings(fn, x, from_hz, to_hz, args.repeats)
            base = seconds if name == "edgestt" else base
            q = quality(fn, from_hz, to_hz)
            rows.append(dict(pair=f"{from_hz // 1000 if from_hz % 1000 == 0 else from_hz / 1000:g}k -> "
                                  f"{to_hz // 1000}k", name=name, ms=seconds * 1e3, min_ms=fastest * 1e3,
                             realtime=args.seconds / seconds, ratio=seconds / base, **q))
    header = ["rates", "implementation", "median ms", "min ms", "x real time", "peer/edgestt",
              "stop band >= Nyq (dB)", ">= 1.1 Nyq (dB)", "ripple to 0.8 Nyq (dB)", "to 0.9 Nyq (dB)"]
    lines = [[r["pair"], r["name"], f"{r['ms']:.1f}", f"{r['min_ms']:.1f}", f"{r['realtime']:.0f}", f"{r['ratio']:.2f}",
              f"{r['stopband_1.0_db']:.1f}", f"{r['stopband_1.1_db']:.1f}", f"{r['ripple_0.8_db']:.4f}",
              f"{r['ripple_0.9_db']:.4f}"] for r in rows]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for line in lines:
            print("| " + " | ".join(line) + " |")
    else:
        widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
        print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        for line in lines:
            print("  ".join(v.ljust(w) for v, w in zip(line, widths)))
    print("upsampling rows (8k -> 16k): the stop-band columns are the image rejection of passband sines")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
