"""A short training probe: does a model variant leave the CTC plateau, and how fast?

    /work/venvs/tf/bin/python tools/train/probe.py [--steps 400] [--kernels small|quartznet]
        [--repeat 1] [--lr 1e-3] [--strength 0] [--run qn5x3k]

Trains a fresh model from scratch for a few hundred steps on short training utterances
(batches of about 30 s, as train.py) and prints the training loss per label character and
the greedy CER on 40 `eval_seen` utterances every 100 steps. Loss per character near 2.8
nats is the letter prior (the plateau); a model that hears something goes below it.
`--overfit N` instead trains on one fixed batch of N utterances: the loss must fall to ~0
within a few dozen steps, otherwise labels, features or loss are broken.
Nothing is saved; it is a diagnostic for choosing hyper-parameters (see README.md, section 5).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BLANK, RUNS_DIR  # noqa: E402
import data as D  # noqa: E402
import model as M  # noqa: E402
from augment import clean_waveform  # noqa: E402
from metrics import ErrorRate, greedy_decode, text_to_labels  # noqa: E402

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

QUARTZNET_KERNELS = {"c1": 33, "blocks": [33, 39, 51, 63, 75], "c2": 87}


def probe_hparams(args) -> dict:
    hp = M.default_hparams()
    hp["repeat"] = args.repeat
    if args.kernels == "quartznet":
        hp["c1"] = dict(hp["c1"], kernel=QUARTZNET_KERNELS["c1"])
        hp["blocks"] = [dict(b, kernel=k) for b, k in zip(hp["blocks"], QUARTZNET_KERNELS["blocks"])]
        hp["c2"] = dict(hp["c2"], kernel=QUARTZNET_KERNELS["c2"])
    return hp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="qn5x3k", help="the run whose feature config to use")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--kernels", choices=("small", "quartznet"), default="small")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--strength", type=float, default=0.0, help="augmentation strength (0: clean)")
    ap.add_argument("--max-seconds", type=float, default=6.0)
    ap.add_argument("--overfit", type=int, default=0, help="train on one fixed batch of N utterances")
    args = ap.parse_args()

    feat_cfg = json.loads((RUNS_DIR / args.run / "config.json").read_text())["feature_config"]
    model = M.build_model(probe_hparams(args))
    print("parameters", model.count_params(), flush=True)
    opt = keras.optimizers.Adam(args.lr)
    maker = D.BatchMaker(D.load_manifests("train_*.tsv", args.max_seconds), feat_cfg, 7, 30.0)
    rng = np.random.default_rng(5)
    evals = D.load_manifests("eval_seen_*.tsv")[:40]
    eval_feats = [maker.fm(clean_waveform(D.load_wav(r["path"]), rng)) for r in evals]
    if args.overfit:
        rows = maker.rows[:: max(1, len(maker.rows) // args.overfit)][: args.overfit]
        fixed = D.pad_batch([maker.fm(D.load_wav(r["path"])) for r in rows],
                            [text_to_labels(r["transcript"]) for r in rows])

    @tf.function(reduce_retracing=True)
    def train_step(x, x_len, y, y_len):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = tf.reduce_mean(tf.nn.ctc_loss(y, logits, y_len, (x_len + 1) // 2, logits_time_major=False,
                                                 blank_index=BLANK))
        grads, _ = tf.clip_by_global_norm(tape.gradient(loss, model.trainable_variables), 5.0)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    t0, per_char, window = time.time(), [], 20 if args.overfit else 100
    for step in range(1, args.steps + 1):
        opt.learning_rate.assign(args.lr * min(1.0, step / 100))
        batch = fixed if args.overfit else maker.make(step, args.max_seconds, args.strength)[0]
        loss = float(train_step(*[tf.constant(a) for a in batch]))
        per_char.append(loss * len(batch[3]) / max(1, int(np.sum(batch[3]))))
        if step % window == 0:
            er = ErrorRate()
            for r, f in zip(evals, eval_feats):
                er.add(r["transcript"], greedy_decode(model(f[None], training=False).numpy()[0]))
            print("step %d loss/char %.3f eval_seen CER %.3f WER %.3f (%.0f s)" % (
                step, np.mean(per_char[-window:]), er.cer, er.wer, time.time() - t0), flush=True)


if __name__ == "__main__":
    main()
