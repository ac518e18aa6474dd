#!/usr/bin/env python3
"""Feature front-end throughput: edgestt's C core against its peers, on one core.

    python benchmarks/bench_features.py [--repeats 9] [--json out.json] [--markdown]

For each preset (deepspeech, scribosermo, nemo) this times, in the same process and
on the same 10 s, 16 kHz clip:

- edgestt            ``edgestt.features.Features(preset).compute(clip)``
- librosa            the same pipeline written with librosa (stft + mel filterbank + log
                     (+ DCT or per-feature normalisation)); filterbank and window built once,
                     outside the timed region, as edgestt builds them in ``Features()``
- python_speech_features  ``mfcc`` with the DeepSpeech framing (deepspeech row only)
- LiteRT oracle      ``tests/data/oracle_{deepspeech,scribosermo}_features.tflite`` run by
                     ``ai_edge_litert`` with ``num_threads=1`` (the reference TF ops)

Everything runs single-threaded: the BLAS/OpenMP/numba thread counts are set to 1 before
numpy is imported and the process is pinned to one CPU when the OS allows it.
Each implementation is run once to warm up, then ``--repeats`` times; the table shows the
median (and the fastest run, "min ms"). "x real time" is clip duration / median time; "edgestt/peer" is how many times
edgestt's throughput is the peer's. "max |diff|" is the largest absolute difference between
the peer's output and edgestt's (informative; frames are aligned on the shorter output).

This is a benchmark, not a test: it never fails on a slow machine. Missing peers (not
installed, oracle file absent) are skipped with a printed note.
"""
from __future__ import annotations

import os

# Single-threaded numerics: must happen before numpy (or anything importing it) loads.
for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import wave  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Dict, List, Optional  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
AUDIO_DIRS = [REPO.parent / "shared" / "evaldata" / "audio", DATA]
SAMPLE_RATE = 16000
CLIP_SECONDS = 10.0
PRESETS = ("deepspeech", "scribosermo", "nemo")
ORACLES = {
    "deepspeech": DATA / "oracle_deepspeech_features.tflite",
    "scribosermo": DATA / "oracle_scribosermo_features.tflite",
}
TARGET_VS_LIBROSA = 50.0
TARGET_REALTIME = 2000.0

NOTES: List[str] = []


def note(msg: str) -> None:
    NOTES.append(msg)


# ---------------------------------------------------------------- set-up


def pin_one_cpu() -> Optional[int]:
    """Pin this process to one CPU of its current affinity set; return it (None if impossible)."""
    if not hasattr(os, "sched_setaffinity"):
        note("os.sched_setaffinity is not available: the process is not pinned to one CPU")
        return None
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return cpu
    except OSError as exc:
        note(f"could not pin to one CPU ({exc})")
        return None


def read_wav_16k_mono(path: Path) -> Optional[np.ndarray]:
    """int16 PCM, 16 kHz, mono WAV as float32 in [-1, 1); None for anything else."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getframerate() != SAMPLE_RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
                return None
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError, OSError):
        return None
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0


def load_clip(seconds: float = CLIP_SECONDS) -> "tuple[np.ndarray, str]":
    """A real recording: 16 kHz mono WAVs concatenated (longest first) and trimmed."""
    need = int(round(seconds * SAMPLE_RATE))
    for folder in AUDIO_DIRS:
        if not folder.is_dir():
            continue
        clips = [(p.name, read_wav_16k_mono(p)) for p in sorted(folder.glob("*.wav"))]
        clips = [(n, x) for n, x in clips if x is not None and x.size > 0]
        clips.sort(key=lambda c: -c[1].size)
        parts, names, have = [], [], 0
        for name, x in clips:
            parts.append(x)
            names.append(name)
            have += x.size
            if have >= need:
                clip = np.concatenate(parts)[:need]
                return np.ascontiguousarray(clip, dtype=np.float32), f"{folder}: " + " + ".join(names)
    note("no 16 kHz mono WAV found: using seeded Gaussian noise instead of speech")
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal(need)).astype(np.float32), "noise (seed 0)"


# ---------------------------------------------------------------- implementations


def make_edgestt(preset: str) -> Callable[[np.ndarray], np.ndarray]:
    from edgestt.features import Features

    feats = Features(preset)
    return feats.compute


def make_librosa(preset: str) -> Callable[[np.ndarray], np.ndarray]:
    """The preset written with librosa; arrays that edgestt builds in Features() are built here."""
    import librosa
    import scipy.signal

    from edgestt.features import FeatureConfig

    cfg = FeatureConfig.preset(preset)
    sr = int(cfg.sample_rate_hz)
    n_fft = cfg.fft_size

    if preset == "deepspeech":
        # TF AudioSpectrogram(512, 320, periodic Hann) -> magnitude -> 40 HTK mel 20-8000
        # -> ln(max(x, 1e-12)) -> DCT-II scaled sqrt(2/40) (TF Mfcc), 26 coefficients.
        mel = librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=cfg.num_mel_bins, fmin=cfg.low_freq_hz, fmax=cfg.high_freq_hz,
            htk=True, norm=None, dtype=np.float32,
        )
        dct_scale = np.float32(np.sqrt(2.0 / cfg.num_mel_bins) / 2.0)  # scipy's unnormalised DCT-II is 2*sum

        def run(y: np.ndarray) -> np.ndarray:
            spec = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=cfg.frame_step_samples,
                                       win_length=cfg.frame_length_samples, window="hann", center=False))
            logmel = np.log(np.maximum(mel @ spec, cfg.log_guard))
            c = librosa.feature.mfcc(S=logmel, n_mfcc=cfg.num_mfcc, dct_type=2, norm=None)
            return (c * dct_scale).T

        return run

    if preset == "scribosermo":
        # pre-emphasis 0.97 (first sample kept) -> 320-sample periodic Hann frames, hop 160,
        # zero-padded to 512 -> magnitude -> 64 HTK mel 20-8000 -> log(x + 1e-6) -> per-feature
        # (x - mean) / (population std + 1e-7).
        mel = librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=cfg.num_mel_bins, fmin=cfg.low_freq_hz, fmax=cfg.high_freq_hz,
            htk=True, norm=None, dtype=np.float32,
        )
        # librosa centres a short window inside the n_fft frame; TF right-pads it. Padding the
        # signal by that offset on both sides gives TF's frames (and TF's frame count).
        off = (n_fft - cfg.frame_length_samples) // 2
        zi = np.zeros(1, dtype=np.float32)

        def run(y: np.ndarray) -> np.ndarray:
            y = librosa.effects.preemphasis(y, coef=cfg.preemphasis, zi=zi)
            y = np.pad(y, (off, off))
            spec = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=cfg.frame_step_samples,
                                       win_length=cfg.frame_length_samples, window="hann", center=False))
            logmel = np.log(mel @ spec + np.float32(cfg.log_guard))
            mean = logmel.mean(axis=1, keepdims=True)
            std = logmel.std(axis=1, keepdims=True)
            return ((logmel - mean) / (std + np.float32(cfg.norm_epsilon))).T

        return run

    if preset == "nemo":
        # NeMo AudioToMelSpectrogramPreprocessor: pre-emphasis 0.97 -> stft n_fft 512, win 320
        # symmetric Hann, hop 160, center=True reflect -> power -> 64 Slaney mel 0-8000 (area
        # normalised) -> log(x + 2**-24) -> per-feature (x - mean) / (unbiased std + 1e-5).
        mel = librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=cfg.num_mel_bins, fmin=cfg.low_freq_hz, fmax=cfg.high_freq_hz,
            htk=False, norm="slaney", dtype=np.float32,
        )
        window = scipy.signal.get_window("hann", cfg.frame_length_samples, fftbins=False).astype(np.float32)
        zi = np.zeros(1, dtype=np.float32)

        def run(y: np.ndarray) -> np.ndarray:
            y = librosa.effects.preemphasis(y, coef=cfg.preemphasis, zi=zi)
            spec = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=cfg.frame_step_samples,
                                       win_length=cfg.frame_length_samples, window=window,
                                       center=True, pad_mode="reflect")) ** 2
            logmel = np.log(mel @ spec + np.float32(cfg.log_guard))
            mean = logmel.mean(axis=1, keepdims=True)
            std = logmel.std(axis=1, ddof=1, keepdims=True)
            return ((logmel - mean) / (std + np.float32(cfg.norm_epsilon))).T

        return run

    raise ValueError(preset)


def make_psf() -> Callable[[np.ndarray], np.ndarray]:
    import python_speech_features as psf

    # periodic Hann, as in the deepspeech preset (psf's default window is rectangular)
    hann = {}

    def winfunc(n: int) -> np.ndarray:
        if n not in hann:
            hann[n] = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)).astype(np.float64)
        return hann[n]

    def run(y: np.ndarray) -> np.ndarray:
        return psf.mfcc(y, samplerate=SAMPLE_RATE, winlen=0.032, winstep=0.02, numcep=26, nfilt=40,
                        nfft=512, lowfreq=20, highfreq=8000, preemph=0, ceplifter=0,
                        appendEnergy=False, winfunc=winfunc)

    return run


def make_litert(path: Path, num_samples: int) -> Callable[[np.ndarray], np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=1)
    inp = interp.get_input_details()[0]
    out = interp.get_output_details()[0]
    shape = [num_samples] if len(inp["shape"]) == 1 else [1, num_samples]
    interp.resize_tensor_input(inp["index"], shape, strict=False)
    interp.allocate_tensors()
    in_index, out_index = inp["index"], out["index"]

    def run(y: np.ndarray) -> np.ndarray:
        interp.set_tensor(in_index, y.reshape(shape))
        interp.invoke()
        res = interp.get_tensor(out_index)
        return res.reshape(res.shape[-2], res.shape[-1])

    return run


# ---------------------------------------------------------------- measuring


def time_it(fn: Callable[[np.ndarray], np.ndarray], clip: np.ndarray, repeats: int) -> "tuple[list, np.ndarray]":
    out = fn(clip)  # warm-up (and the output we compare)
    times = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn(clip)
            times.append(time.perf_counter() - t0)
    finally:
        if gc_was:
            gc.enable()
    return times, np.asarray(out)


def max_abs_diff(ref: np.ndarray, other: np.ndarray) -> "tuple[Optional[float], str]":
    if ref.ndim != 2 or other.ndim != 2 or ref.shape[1] != other.shape[1]:
        return None, f"shapes {ref.shape} vs {other.shape}"
    n = min(ref.shape[0], other.shape[0])
    d = float(np.max(np.abs(ref[:n].astype(np.float64) - other[:n].astype(np.float64)))) if n else 0.0
    extra = "" if ref.shape[0] == other.shape[0] else f"frames {ref.shape[0]} vs {other.shape[0]}"
    return d, extra


DIFF_REMARKS = {
    ("deepspeech", "librosa"): "librosa's HTK mel triangles (Hz space) differ from TF Mfcc's",
    ("scribosermo", "librosa"): "librosa's HTK mel differs from tf.signal.linear_to_mel_weight_matrix",
    ("deepspeech", "python_speech_features"): "psf: power spectrum/NFFT, own filterbank, ortho DCT",
    ("deepspeech", "LiteRT oracle"): "reference TF ops",
    ("scribosermo", "LiteRT oracle"): "reference graph",
    ("nemo", "librosa"): "same pipeline as NeMo",
}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=9, help="timed runs per implementation (>= 7 advised; default 9)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown (for README.md)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    if args.repeats < 7:
        note(f"--repeats {args.repeats} < 7: medians are noisy")

    cpu = pin_one_cpu()
    clip, source = load_clip()
    duration = clip.size / SAMPLE_RATE

    import edgestt

    versions: Dict[str, str] = {"python": platform.python_version(), "numpy": np.__version__,
                                "edgestt": getattr(edgestt, "__version__", "?")}
    peers: Dict[str, bool] = {}
    for mod, label in (("librosa", "librosa"), ("python_speech_features", "python_speech_features"),
                       ("ai_edge_litert", "ai-edge-litert")):
        try:
            m = __import__(mod)
            peers[mod] = True
            v = getattr(m, "__version__", None)
            if v is None:
                try:
                    from importlib.metadata import version

                    v = version(label)
                except Exception:  # noqa: BLE001
                    v = "?"
            versions[label] = v
        except ImportError:
            peers[mod] = False
            note(f"{mod} is not installed: its rows are skipped (pip install {label})")

    print(f"clip: {duration:.2f} s at {SAMPLE_RATE} Hz from {source}")
    print(f"cpu: {platform.machine()}, {os.cpu_count()} logical CPUs, pinned to "
          f"{'CPU ' + str(cpu) if cpu is not None else 'nothing'}; threads = 1; "
          f"warm-up 1, median of {args.repeats}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()))
    print()

    rows = []
    for preset in PRESETS:
        impls = [("edgestt", lambda p=preset: make_edgestt(p))]
        if peers["librosa"]:
            impls.append(("librosa", lambda p=preset: make_librosa(p)))
        if preset == "deepspeech" and peers["python_speech_features"]:
            impls.append(("python_speech_features", make_psf))
        if preset in ORACLES:
            path = ORACLES[preset]
            if not path.exists():
                note(f"{path.relative_to(REPO)} does not exist: LiteRT oracle row for {preset} skipped")
            elif peers["ai_edge_litert"]:
                impls.append(("LiteRT oracle", lambda p=path: make_litert(p, clip.size)))

        ref = None
        ref_median = None
        for name, factory in impls:
            try:
                fn = factory()
                times, out = time_it(fn, clip, args.repeats)
            except Exception as exc:  # noqa: BLE001  a broken peer must not hide the others
                note(f"{preset}/{name} failed and is skipped: {type(exc).__name__}: {exc}")
                continue
            med = statistics.median(times)
            row = {
                "preset": preset,
                "implementation": name,
                "median_ms": med * 1e3,
                "min_ms": min(times) * 1e3,
                "times_ms": [t * 1e3 for t in times],
                "x_realtime": duration / med,
                "output_shape": list(out.shape),
            }
            if name == "edgestt":
                ref, ref_median = out, med
                row.update(edgestt_over_peer=None, max_abs_diff=None, diff_note="")
            elif ref is not None:
                d, extra = max_abs_diff(ref, out)
                remark = DIFF_REMARKS.get((preset, name), "")
                row.update(edgestt_over_peer=med / ref_median, max_abs_diff=d,
                           diff_note="; ".join(s for s in (extra, remark) if s))
            else:
                row.update(edgestt_over_peer=None, max_abs_diff=None, diff_note="edgestt row missing")
            rows.append(row)

    # ---- table
    header = ("preset", "implementation", "ms / 10 s clip", "min ms", "x real time", "edgestt/peer", "max |diff|", "remark")
    table = []
    for r in rows:
        table.append((
            r["preset"], r["implementation"], f"{r['median_ms']:.3f}", f"{r['min_ms']:.3f}", f"{r['x_realtime']:,.0f}",
            "-" if r["edgestt_over_peer"] is None else f"{r['edgestt_over_peer']:,.1f}x",
            "-" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.2e}",
            r["diff_note"],
        ))
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(header)]
    right = {2, 3, 4, 5, 6}

    def fmt(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(fmt(header))
    print(fmt(["-" * w for w in widths]))
    last = None
    for t in table:
        if last is not None and t[0] != last:
            print()
        print(fmt(t))
        last = t[0]

    if args.markdown:
        print()
        print("| " + " | ".join(h.replace("|", "\\|") for h in header) + " |")
        print("|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|")
        for t in table:
            print("| " + " | ".join(t) + " |")

    # ---- targets
    print()
    print(f"targets: edgestt >= {TARGET_VS_LIBROSA:.0f}x librosa's throughput, "
          f">= {TARGET_REALTIME:.0f}x real time on one core")
    targets = []
    for preset in PRESETS:
        e = next((r for r in rows if r["preset"] == preset and r["implementation"] == "edgestt"), None)
        lb = next((r for r in rows if r["preset"] == preset and r["implementation"] == "librosa"), None)
        if e is None:
            continue
        rt_ok = e["x_realtime"] >= TARGET_REALTIME
        t = {"preset": preset, "x_realtime": e["x_realtime"], "realtime_met": rt_ok,
             "vs_librosa": None if lb is None else lb["edgestt_over_peer"],
             "vs_librosa_met": None if lb is None else lb["edgestt_over_peer"] >= TARGET_VS_LIBROSA}
        targets.append(t)
        vs = ("librosa not run" if lb is None else
              f"{lb['edgestt_over_peer']:,.1f}x librosa ({'met' if t['vs_librosa_met'] else 'NOT met'})")
        print(f"  {preset:<12} {e['x_realtime']:>9,.0f}x real time ({'met' if rt_ok else 'NOT met'}); {vs}")

    if NOTES:
        print()
        for n in NOTES:
            print(f"note: {n}")

    if args.json:
        result = {
            "clip": {"seconds": duration, "sample_rate_hz": SAMPLE_RATE, "source": source},
            "machine": {"machine": platform.machine(), "processor": platform.processor(),
                        "logical_cpus": os.cpu_count(), "pinned_cpu": cpu, "platform": platform.platform()},
            "versions": versions,
            "repeats": args.repeats,
            "rows": rows,
            "targets": {"vs_librosa": TARGET_VS_LIBROSA, "x_realtime": TARGET_REALTIME, "per_preset": targets},
            "notes": NOTES,
        }
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
