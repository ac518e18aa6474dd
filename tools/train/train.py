"""Stage 5b: train the CTC model on CPU, seeded and resumable.

    tools/train/launch.sh train [--run qn5x3k] [--total-steps 40000]
    (= nice -n 19 /work/venvs/tf/bin/python tools/train/train.py ..., detached)

State in TRAIN_ROOT/runs/<run>/:
  config.json    model hyper-parameters, schedule, seed, and the exact edgestt FeatureConfig
                 (NeMo log-mel with a fixed mean/std measured once on augmented training audio)
  ckpt/step_NNNNNNN.npz   model + optimizer variables (last 3 kept), written every
                 --ckpt-minutes and on SIGTERM/SIGINT; train.py resumes from the newest
  train.log      loss, learning rate and speed every 25 steps
  eval.tsv       greedy CER/WER on held-out sentences: eval_heldout (held-out voices),
                 eval_seen (training voices), eval_kokoro (a held-out neural voice)
Batches come from default_rng([seed, step]), so a resumed run continues as if never stopped
(apart from new synthesised shards, which are picked up every --refresh-steps).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import queue
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RUNS_DIR, BLANK, log  # noqa: E402
import data as D  # noqa: E402
import model as M  # noqa: E402
from metrics import ErrorRate, greedy_decode  # noqa: E402

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

DEFAULTS = {
    "seed": 1,
    "batch_seconds": 30.0,
    "peak_lr": 1e-3,
    "final_lr": 1e-5,
    "warmup_steps": 1000,
    "hold_fraction": 0.3,
    "total_steps": 40000,
    "weight_decay": 1e-3,
    "clipnorm": 5.0,
    "curriculum_start_seconds": 4.0,
    "curriculum_steps": 4000,
    "max_seconds": 16.0,
    # Augmentation grows from augment_start to full strength over augment_ramp_steps: at full
    # strength from step 0 the model stays longer on the CTC plateau. 0 steps = always full.
    "augment_start": 0.2,
    "augment_ramp_steps": 4000,
}


def learning_rate(step: int, c: dict) -> float:
    """Linear warm-up, hold at the peak, cosine decay to final_lr at total_steps."""
    if step < c["warmup_steps"]:
        return c["peak_lr"] * (step + 1) / c["warmup_steps"]
    hold_end = max(c["warmup_steps"], int(c["hold_fraction"] * c["total_steps"]))
    if step < hold_end:
        return c["peak_lr"]
    frac = min(1.0, (step - hold_end) / max(1, c["total_steps"] - hold_end))
    return c["final_lr"] + 0.5 * (c["peak_lr"] - c["final_lr"]) * (1 + math.cos(math.pi * frac))


def max_duration(step: int, c: dict) -> float:
    """Short utterances first: the longest allowed utterance grows over curriculum_steps."""
    frac = min(1.0, step / max(1, c["curriculum_steps"]))
    return c["curriculum_start_seconds"] + frac * (c["max_seconds"] - c["curriculum_start_seconds"])


def augment_strength(step: int, c: dict) -> float:
    """Augmentation strength in [0, 1] (configs written before the ramp existed: always 1),
    at most the cap of the last `augment_caps` entry [from_step, cap] that has started."""
    ramp = c.get("augment_ramp_steps", 0)
    start = c.get("augment_start", 1.0)
    strength = 1.0 if ramp <= 0 else min(1.0, start + (1.0 - start) * step / ramp)
    started = [cap for from_step, cap in c.get("augment_caps", []) if step >= from_step]
    return min(strength, started[-1]) if started else strength


def init_config(run_dir: Path, args) -> dict:
    path = run_dir / "config.json"
    if path.exists():
        cfg = json.loads(path.read_text())
        if args.total_steps:
            cfg["schedule"]["total_steps"] = args.total_steps
            path.write_text(json.dumps(cfg, indent=1))
        return cfg
    rows = D.load_manifests("train_*.tsv")
    if len(rows) < 200:
        raise SystemExit("only %d training utterances synthesised so far; wait for synth.py" % len(rows))
    sched = dict(DEFAULTS)
    if args.total_steps:
        sched["total_steps"] = args.total_steps
    if args.features_from:
        # the front-end and its fixed normalisation do not depend on the model: reuse them
        feat = json.loads((RUNS_DIR / args.features_from / "config.json").read_text())["feature_config"]
    else:
        feat = D.base_feature_config()
        log("measuring the feature mean/std on augmented training audio")
        mean, std = D.compute_norm_stats(rows, feat, sched["seed"])
        feat.update(normalization="fixed", norm_mean=mean, norm_std=std)
    cfg = {"model": M.default_hparams(), "schedule": sched, "feature_config": feat}
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cfg, indent=1))
    os.replace(tmp, path)
    return cfg


class Checkpoints:
    def __init__(self, run_dir: Path, model, opt, keep: int = 3):
        self.dir = run_dir / "ckpt"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.model, self.opt, self.keep = model, opt, keep

    def latest(self):
        files = sorted(self.dir.glob("step_*.npz"))
        return files[-1] if files else None

    def save(self, step: int) -> Path:
        path = self.dir / ("step_%07d.npz" % step)
        arrays = {"m%04d" % i: v.numpy() for i, v in enumerate(self.model.weights)}
        arrays.update({"o%04d" % i: v.numpy() for i, v in enumerate(self.opt.variables)})
        arrays["step"] = np.array(step)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, path)
        for old in sorted(self.dir.glob("step_*.npz"))[: -self.keep]:
            old.unlink()
        return path

    def restore(self, path: Path) -> int:
        z = np.load(path)
        for i, v in enumerate(self.model.weights):
            v.assign(z["m%04d" % i])
        for i, v in enumerate(self.opt.variables):
            v.assign(z["o%04d" % i])
        return int(z["step"])


def load_weights_only(model, path: Path) -> int:
    z = np.load(path)
    for i, v in enumerate(model.weights):
        v.assign(z["m%04d" % i])
    return int(z["step"])


def evaluate_greedy(infer, rows, feat_cfg, seed: int) -> ErrorRate:
    fm = D.FeatureMaker(feat_cfg)
    er = ErrorRate()
    rng = np.random.default_rng([seed, 12345])
    from augment import clean_waveform
    for r in rows:
        f = fm(clean_waveform(D.load_wav(r["path"]), rng))
        logits = infer(f[None]).numpy()[0]
        er.add(r["transcript"], greedy_decode(logits))
    return er


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="qn5x3k")
    ap.add_argument("--features-from", default="", help="a new run takes this run's feature config")
    ap.add_argument("--total-steps", type=int, default=0, help="override the schedule length (0: keep)")
    ap.add_argument("--ckpt-minutes", type=float, default=8.0)
    ap.add_argument("--eval-steps", type=int, default=500)
    ap.add_argument("--eval-utterances", type=int, default=150)
    ap.add_argument("--refresh-steps", type=int, default=250)
    ap.add_argument("--augment-cap", type=float, default=None,
                    help="cap the augmentation strength from the resumed step on (recorded in config.json)")
    ap.add_argument("--stop-after-steps", type=int, default=0, help="exit after this many steps (testing)")
    args = ap.parse_args()

    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ.get("TF_NUM_INTRAOP_THREADS", "2")))
    tf.config.threading.set_inter_op_parallelism_threads(1)
    run_dir = RUNS_DIR / args.run
    cfg = init_config(run_dir, args)
    c, feat_cfg = cfg["schedule"], cfg["feature_config"]
    keras.utils.set_random_seed(c["seed"])

    model = M.build_model(cfg["model"])
    opt = keras.optimizers.AdamW(learning_rate=c["peak_lr"], weight_decay=c["weight_decay"],
                                 global_clipnorm=c["clipnorm"])
    opt.build(model.trainable_variables)
    ckpts = Checkpoints(run_dir, model, opt)
    step = 0
    if ckpts.latest():
        step = ckpts.restore(ckpts.latest())
        log("resumed %s at step %d" % (ckpts.latest().name, step))
    if args.augment_cap is not None:
        # Recorded with the step it starts at, so the run's history stays reproducible.
        c.setdefault("augment_caps", []).append([step, args.augment_cap])
        (run_dir / "config.json").write_text(json.dumps(cfg, indent=1))
        log("augmentation strength capped at %.2f from step %d" % (args.augment_cap, step))
    log("model %s: %d parameters" % (model.name, model.count_params()))

    @tf.function(input_signature=[tf.TensorSpec([None, None, 64], tf.float32), tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None], tf.int32)],
                 reduce_retracing=True)
    def train_step(x, x_len, y, y_len):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            logit_len = (x_len + 1) // 2
            loss = tf.reduce_mean(tf.nn.ctc_loss(y, logits, y_len, logit_len, logits_time_major=False,
                                                 blank_index=BLANK))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function(input_signature=[tf.TensorSpec([1, None, 64], tf.float32)], reduce_retracing=True)
    def infer(x):
        return model(x, training=False)

    def eval_sets():
        # re-read each time: eval_kokoro appears once its shard is synthesised
        sets = {name: D.load_manifests("%s_*.tsv" % name)[: args.eval_utterances]
                for name in ("eval_heldout", "eval_seen", "eval_kokoro")}
        return {name: rows for name, rows in sets.items() if rows}

    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    rows = D.load_manifests("train_*.tsv", c["max_seconds"])
    maker = D.BatchMaker(rows, feat_cfg, c["seed"], c["batch_seconds"])
    log("training data: %d utterances, %.2f h" % (len(rows), sum(r["duration"] for r in rows) / 3600))

    # Batches are made in a thread one step ahead (numpy and the C front-end release the GIL).
    batches: queue.Queue = queue.Queue(maxsize=2)

    def producer(first_step):
        s = first_step
        while not stop["flag"]:
            batches.put((s, maker.make(s, max_duration(s, c), augment_strength(s, c))))
            s += 1
    threading.Thread(target=producer, args=(step,), daemon=True).start()

    last_ckpt, t_log, audio_log, loss_log, char_loss_log = time.time(), time.time(), 0.0, [], []
    start_step = step
    while step < c["total_steps"] and not stop["flag"]:
        s, (batch, seconds) = batches.get()
        assert s == step, (s, step)
        opt.learning_rate.assign(learning_rate(step, c))
        loss = float(train_step(*[tf.constant(a) for a in batch]))
        step += 1
        audio_log += seconds
        loss_log.append(loss)
        # per label character: comparable across steps whatever the utterance lengths
        char_loss_log.append(loss * len(batch[3]) / max(1, int(np.sum(batch[3]))))
        if not math.isfinite(loss):
            log("non-finite loss at step %d; restoring the last checkpoint" % step)
            step = ckpts.restore(ckpts.latest()) if ckpts.latest() else 0
            raise SystemExit(3)
        if step % 25 == 0:
            dt = time.time() - t_log
            log("step %d loss %.3f (%.3f/char) lr %.2e batch %d utts %.0f s audio/s %.1f maxdur %.1f aug %.2f" % (
                step, float(np.mean(loss_log)), float(np.mean(char_loss_log)), learning_rate(step, c),
                batch[0].shape[0], seconds, audio_log / dt, max_duration(step, c), augment_strength(step, c)))
            t_log, audio_log, loss_log, char_loss_log = time.time(), 0.0, [], []
        if step % args.refresh_steps == 0:
            new_rows = D.load_manifests("train_*.tsv", c["max_seconds"])
            if len(new_rows) > len(maker.rows):
                # the producer may already hold the next batch; that one comes from the old list
                maker.set_rows(new_rows)
                log("training data now %d utterances, %.2f h" % (len(new_rows),
                                                                  sum(r["duration"] for r in new_rows) / 3600))
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            log("saved %s" % ckpts.save(step).name)
            last_ckpt = time.time()
        if step % args.eval_steps == 0:
            t0 = time.time()
            results = {name: evaluate_greedy(infer, rs, feat_cfg, c["seed"]) for name, rs in eval_sets().items()}
            with open(run_dir / "eval.tsv", "a") as f:
                if f.tell() == 0:
                    f.write("time\tstep\tset\tutterances\tcer\twer\n")
                for name, er in results.items():
                    f.write("%s\t%d\t%s\t%d\t%.4f\t%.4f\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), step, name,
                                                             er.utterances, er.cer, er.wer))
            log("eval step %d: " % step + ", ".join("%s CER %.3f WER %.3f" % (n, e.cer, e.wer)
                                                     for n, e in results.items()) + " (%.0f s)" % (time.time() - t0))
        if args.stop_after_steps and step - start_step >= args.stop_after_steps:
            break
    log("saved %s; stopping at step %d" % (ckpts.save(step).name, step))


if __name__ == "__main__":
    main()
