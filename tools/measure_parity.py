#!/usr/bin/env python3
"""How often edgestt's DeepSpeech runtime agrees with the reference 0.9.3 client, per mode.

Runs N clips through libdeepspeech.so 0.9.3 (tools/deepspeech_reference.py) and through
edgestt.Model in mode="reference" (LiteRT builtin kernels) and mode="fast" (XNNPACK), on
the same .tflite (default: the DeepSpeech fixture), and reports per mode how many clips give

  - the same best transcript with the same token timesteps ("exact"),
  - the same best transcript text,
  - the same top-3 candidates (texts and timesteps, in order),

plus the largest difference in the best candidate's confidence and the wall time of each
side. Clips: every 16 kHz mono recording in ../shared/evaldata, the synth_*.wav fixtures,
noise, silence, and random excerpts (0.1-8 s) of the recordings up to N (seeded).
Not a test: prints a table. Run from the repo root, after `pip install -e .`:

    python3 tools/measure_parity.py [--clips 135] [--threads 1] [--model tests/data/deepspeech_fixture.tflite]
"""
import argparse
import sys
import time
import wave
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from deepspeech_reference import ReferenceDeepSpeech, fetch_library  # noqa: E402

from edgestt.model import Model  # noqa: E402

EVALDATA = REPO.parent / "shared" / "evaldata"
RATE = 16000


def read_int16_mono_16k(path):
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1 or w.getframerate() != RATE:
            return None
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def make_clips(count, seed):
    files = sorted((EVALDATA / "audio").glob("*.wav")) + sorted((REPO / "tests" / "data").glob("synth_*.wav"))
    clips = [(p.name, pcm) for p in files if (pcm := read_int16_mono_16k(p)) is not None]
    rng = np.random.default_rng(seed)
    clips.append(("white_noise", np.clip(rng.normal(0, 5000, 3 * RATE), -32768, 32767).astype(np.int16)))
    clips.append(("silence", np.zeros(RATE, np.int16)))
    speech = [pcm for _, pcm in clips[:-2]]
    while len(clips) < count:
        source = speech[rng.integers(len(speech))]
        n = int(rng.integers(RATE // 10, 8 * RATE))
        start = int(rng.integers(0, max(1, len(source) - n)))
        clips.append((f"excerpt{len(clips)}", source[start:start + n]))
    return clips[:count]


def as_tuples(transcripts):
    return [(c.text, [(t.text, t.timestep) for t in c.tokens]) for c in transcripts]


def run(fn, clips):
    start = time.perf_counter()
    out = [fn(pcm) for _, pcm in clips]
    return out, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=135)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--model", default=str(REPO / "tests" / "data" / "deepspeech_fixture.tflite"))
    parser.add_argument("--show-mismatches", action="store_true")
    args = parser.parse_args()

    lib = fetch_library()
    if lib is None:
        sys.exit("libdeepspeech.so 0.9.3 is unavailable (pip download failed, or not x86_64 Linux)")
    clips = make_clips(args.clips, args.seed)
    seconds = sum(len(pcm) for _, pcm in clips) / RATE
    print(f"{len(clips)} clips, {seconds:.1f} s of audio, model {args.model}, {args.threads} thread(s) for edgestt "
          "(libdeepspeech 0.9.3 always sets 4 interpreter threads)")

    with ReferenceDeepSpeech(lib, args.model) as ref:
        theirs, ref_time = run(lambda pcm: as_tuples(ref.stt_with_metadata(pcm, 3)), clips)
        ref_conf, _ = run(lambda pcm: ref.stt_with_metadata(pcm, 1)[0].confidence, clips)
    print(f"reference client: {ref_time:.2f} s")
    print(f"{'mode':10} {'exact':>9} {'text':>9} {'top-3':>9} {'max |dconf|':>12} {'time s':>8}")
    for mode in ("reference", "fast"):
        with Model(args.model, num_threads=args.threads, mode=mode) as model:
            results, elapsed = run(lambda pcm: model.stt_with_metadata(pcm, 3).transcripts, clips)
        ours = [as_tuples(r) for r in results]
        exact = sum(o[:1] == t[:1] for o, t in zip(ours, theirs))
        text = sum(o[0][0] == t[0][0] for o, t in zip(ours, theirs))
        top3 = sum(o == t for o, t in zip(ours, theirs))
        dconf = max(abs(r[0].confidence - c) for r, c in zip(results, ref_conf))
        n = len(clips)
        print(f"{mode:10} {exact:>4}/{n:<4} {text:>4}/{n:<4} {top3:>4}/{n:<4} {dconf:>12.4f} {elapsed:>8.2f}")
        if args.show_mismatches:
            for (name, _), o, t in zip(clips, ours, theirs):
                if o[:1] != t[:1]:
                    print(f"    {name}: ours {o[0][0]!r}\n    {' ' * len(name)}  ref  {t[0][0]!r}")


if __name__ == "__main__":
    main()
