#!/usr/bin/env python3
"""The CTC decoder against pyctcdecode 0.5, side by side in one run, on the same matrices.

    python benchmarks/bench_decoder.py [--beams 16 64 256] [--repeats 3] [--arpa LM.arpa]
                                       [--no-lm] [--json out.json]

pyctcdecode must be installed: `pip install --no-deps pyctcdecode==0.5.0 pygtrie` (its
metadata pins numpy < 2, which would downgrade the numpy that ai-edge-litert needs; it runs
on numpy 2). kenlm comes from the `bench` extra.

The matrices (fixed seed 1234) are synthesised from the reference transcripts of
../shared/evaldata (MANIFEST.tsv rows with use_for_wer = yes: 40 utterances, 154 s), shaped
like the output of a character CTC model (DeepSpeech's alphabet: space, a-z, apostrophe,
blank last; 50 frames per second of audio, the utterance's duration from the manifest):

- the normalised transcript (lower case, characters outside the alphabet dropped) is laid
  out over the utterance's frames: each character (spaces included) gets an equal share of
  the frames (at least 2), and emits a spike of 1 frame (70 %) or 2 frames (30 %) at a
  random position in the first half of its share; every other frame is blank;
- a blank frame gives the blank 0.90-0.999 and spreads the rest over 3 random characters;
- a spike frame gives the right character 0.55-0.99 (uniform), a confusable character
  (a fixed table: a/e, i/e/y, o/u, m/n, b/p, d/t, c/k/s, g/k, f/v, s/z, w/v, r/l, h/the
  next letter, space/blank) 30-90 % of the rest, the blank a share, and the remaining mass
  to 3 random classes;
- errors: with probability 0.025 the confusable character wins the spike (a substitution:
  the right one keeps 0.2-0.4), with probability 0.015 the spike is mostly blank (0.55-0.7,
  a likely deletion);
- rows are normalised and passed as natural-log probabilities (floor 1e-8) to both decoders.

Both decoders get the same log-probability matrices and the same beam width. edgestt runs
with DeepSpeech's semantics (no class pruning: cutoff_prob 1.0; lexicon constraint with an
LM); pyctcdecode with its defaults (beam_prune_logp -10, token_min_logp -5, which prune).
With an LM both use the same ARPA (an order-3 LM estimated by `edgestt lm build` from
../shared/corpus with --prune 0 1 1, cached in benchmarks/.cache/), alpha 0.5, beta 1.0
(pyctcdecode: alpha * ln P + beta per word, as edgestt; its unk_score_offset stays -10).
Times are the median over --repeats runs of decoding the whole set, in milliseconds of
decoding per second of audio; WER is over the whole set against the manifest's normalised
references. Not a timed test.
"""
from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
# ../shared beside the repository (a git worktree may sit one level deeper)
SHARED = next((p / "shared" for p in (REPO.parent, REPO.parent.parent) if (p / "shared").is_dir()), REPO.parent / "shared")
EVALDATA = SHARED / "evaldata"
CORPUS = SHARED / "corpus"
CACHE = Path(__file__).resolve().parent / ".cache"

ALPHABET = " abcdefghijklmnopqrstuvwxyz'"
BLANK = len(ALPHABET)
CLASSES = len(ALPHABET) + 1
FRAMES_PER_SECOND = 50
ALPHA, BETA = 0.5, 1.0

CONFUSABLE = {
    "a": "e", "e": "i", "i": "y", "y": "i", "o": "u", "u": "o", "m": "n", "n": "m",
    "b": "p", "p": "b", "d": "t", "t": "d", "c": "k", "k": "c", "g": "k", "f": "v",
    "v": "f", "s": "z", "z": "s", "w": "v", "r": "l", "l": "r", "q": "k", "x": "s",
    "j": "g", "'": " ",
}


def references():
    rows = []
    with open(EVALDATA / "MANIFEST.tsv", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["use_for_wer"] != "yes":
                continue
            text = "".join(ch for ch in row["transcript_normalized"].lower() if ch in ALPHABET)
            text = " ".join(text.split())
            rows.append((row["file"], float(row["duration_s"]), text))
    return rows


def confusable(ch, rng):
    if ch == " ":
        return BLANK
    if ch in CONFUSABLE:
        return ALPHABET.index(CONFUSABLE[ch])
    if ch == "h":
        return ALPHABET.index("n")
    return int(rng.integers(1, 27))


def synthesise(text, duration_s, rng):
    """A [frames, 29] log-probability matrix shaped like a character CTC model's output."""
    frames = max(int(round(duration_s * FRAMES_PER_SECOND)), 2 * len(text) + 2)
    m = np.zeros((frames, CLASSES))
    # Blank frames first, spikes overwrite.
    for t in range(frames):
        p_blank = rng.uniform(0.90, 0.999)
        m[t, BLANK] = p_blank
        others = rng.choice(BLANK, size=3, replace=False)
        m[t, others] += (1 - p_blank) * rng.dirichlet(np.ones(3))
    share = frames / max(len(text), 1)
    for i, ch in enumerate(text):
        start = int(i * share)
        width = 1 if rng.random() < 0.7 else 2
        offset = int(rng.integers(0, max(1, int(share / 2) - width + 1)))
        right = ALPHABET.index(ch)
        wrong = confusable(ch, rng)
        for t in range(start + offset, min(start + offset + width, frames)):
            row = np.zeros(CLASSES)
            u = rng.random()
            if u < 0.025:  # substitution
                p_right = rng.uniform(0.2, 0.4)
                p_wrong = rng.uniform(0.45, 0.7) * (1 - p_right) / 0.7
                row[right], row[wrong] = p_right, p_wrong
            elif u < 0.04:  # likely deletion
                row[BLANK] = rng.uniform(0.55, 0.7)
                row[right] = (1 - row[BLANK]) * 0.7
            else:
                p_right = rng.uniform(0.55, 0.99)
                row[right] = p_right
                row[wrong] += (1 - p_right) * rng.uniform(0.3, 0.9)
                row[BLANK] += (1 - row.sum()) * rng.uniform(0.2, 0.8)
            rest = 1 - row.sum()
            others = rng.choice(CLASSES, size=3, replace=False)
            row[others] += rest * rng.dirichlet(np.ones(3))
            m[t] = row
    m = np.maximum(m / m.sum(axis=1, keepdims=True), 1e-8)
    m /= m.sum(axis=1, keepdims=True)
    return np.log(m).astype(np.float32)


def word_errors(ref, hyp):
    r, h = ref.split(), hyp.split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(h) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r[i - 1] != h[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(h)], len(r)


def wer(refs, hyps):
    errors = words = 0
    for ref, hyp in zip(refs, hyps):
        e, n = word_errors(ref, hyp)
        errors += e
        words += n
    return errors / max(words, 1)


def default_arpa():
    from edgestt import lm_build

    CACHE.mkdir(exist_ok=True)
    arpa = CACHE / "decoder_order3_pruned.arpa"
    if not arpa.exists():
        print(f"estimating an order-3 LM from {CORPUS} (cached in {arpa}) ...", flush=True)
        lm_build.build_arpa(sorted(CORPUS.rglob("*.txt")), arpa, order=3, prune=[0, 1, 1])
    return arpa


def timed(decode_all, repeats):
    times, hyps = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        hyps = decode_all()
        times.append(time.perf_counter() - start)
    return statistics.median(times), hyps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--beams", type=int, nargs="+", default=[16, 64, 256])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--arpa", type=Path)
    ap.add_argument("--no-lm", action="store_true", help="only the LM-free comparison")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    sys.path.insert(0, str(REPO / "src"))
    import edgestt
    from edgestt.decoder import CTCDecoder

    try:
        import pyctcdecode
    except ImportError:
        pyctcdecode = None
        print("pyctcdecode is not installed: only edgestt is measured "
              "(pip install --no-deps pyctcdecode==0.5.0 pygtrie)")

    rng = np.random.default_rng(1234)
    data = references()
    mats = [synthesise(text, dur, rng) for _, dur, text in data]
    refs = [text for _, _, text in data]
    audio_s = sum(m.shape[0] for m in mats) / FRAMES_PER_SECOND
    print(f"{len(mats)} utterances, {audio_s:.1f} s of audio ({sum(m.shape[0] for m in mats)} frames), "
          f"median of {args.repeats} runs")
    greedy = CTCDecoder(ALPHABET, input="log_probs")
    print(f"greedy WER {100 * wer(refs, [greedy.greedy(m).text for m in mats]):.2f} %")

    modes = [("no LM", None)]
    if not args.no_lm:
        arpa = args.arpa or default_arpa()
        modes.append((f"LM {arpa.name}", arpa))
    labels = list(ALPHABET) + [""]
    rows = []
    for mode, arpa in modes:
        lm = edgestt.LanguageModel(arpa) if arpa else None
        pyc = None
        if pyctcdecode is not None:
            if arpa:
                pyc = pyctcdecode.build_ctcdecoder(labels, kenlm_model_path=str(arpa), alpha=ALPHA, beta=BETA)
            else:
                pyc = pyctcdecode.build_ctcdecoder(labels)
        for beam in args.beams:
            kw = dict(lm=lm, alpha=ALPHA, beta=BETA) if lm else {}
            ours = CTCDecoder(ALPHABET, input="log_probs", beam_width=beam, **kw)
            t_ours, h_ours = timed(lambda: [ours.decode(m).text for m in mats], args.repeats)
            row = {"mode": mode, "beam": beam, "edgestt_ms_per_s": 1000 * t_ours / audio_s,
                   "edgestt_wer": wer(refs, h_ours)}
            if pyc is not None:
                t_pyc, h_pyc = timed(lambda: [pyc.decode(m, beam_width=beam) for m in mats], args.repeats)
                row.update(pyctcdecode_ms_per_s=1000 * t_pyc / audio_s, pyctcdecode_wer=wer(refs, h_pyc),
                           speedup=t_pyc / t_ours)
            rows.append(row)
            print(_format(row), flush=True)
    print()
    print("| mode | beam | edgestt ms/s audio | pyctcdecode ms/s audio | speed-up | edgestt WER | pyctcdecode WER |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['mode']} | {r['beam']} | {r['edgestt_ms_per_s']:.2f} | "
              f"{r.get('pyctcdecode_ms_per_s', float('nan')):.1f} | {r.get('speedup', float('nan')):.0f}x | "
              f"{100 * r['edgestt_wer']:.2f} % | {100 * r.get('pyctcdecode_wer', float('nan')):.2f} % |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


def _format(r):
    s = f"{r['mode']:>10} beam {r['beam']:>4}: edgestt {r['edgestt_ms_per_s']:8.2f} ms/s WER {100 * r['edgestt_wer']:5.2f} %"
    if "pyctcdecode_ms_per_s" in r:
        s += (f" | pyctcdecode {r['pyctcdecode_ms_per_s']:8.1f} ms/s WER {100 * r['pyctcdecode_wer']:5.2f} %"
              f" | {r['speedup']:.1f}x")
    return s


if __name__ == "__main__":
    main()
