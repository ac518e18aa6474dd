"""Stage 6a: export a training checkpoint to an int8 TFLite file with edgestt metadata.

    /work/venvs/tf/bin/python tools/train/export.py --run qn5x3k [--ckpt PATH] --out model.tflite
        [--quant dynamic|int8|float]

The exported graph is the `quartznet_logmel` family of the contract: input float32
[1, 64, T] (shape signature [1, 64, -1]) = edgestt features with the run's FeatureConfig,
output float32 [1, ceil(T/2), 29] log-probabilities (log_softmax), blank = 28 (last).
Path: Keras model -> ExportArchive SavedModel -> TFLiteConverter.from_saved_model
(from_concrete_functions once wrote a model without weights on this machine).
dynamic (default): int8 weights, float activations; int8: weights and activations int8 (float
input/output), calibrated on training utterances. At step 1459 of qn5x3, dynamic agreed with
Keras on 26 of 30 greedy transcripts (max probability difference 0.013), full int8 on 3 of 30
(0.135), so full int8 needs a look (e.g. keep log_softmax in float) before it is used.
The metadata carries the full FeatureConfig as `feature_config` (feature_preset is null,
since no named preset has this fixed normalisation). The file is checked after export:
the TFLite output must agree with the Keras model on held-out utterances.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))            # tools/: tflite_metadata_writer
from common import ALPHABET, BLANK, RUNS_DIR, SAMPLE_RATE, log  # noqa: E402
from common import use_edgestt  # noqa: E402
use_edgestt(prefer_repo=True)      # before data.py imports it: the repo has the newest modules
import data as D  # noqa: E402
import model as M  # noqa: E402
from metrics import ErrorRate, greedy_decode  # noqa: E402

import tensorflow as tf  # noqa: E402
import keras  # noqa: E402


def load_keras(run_dir: Path, ckpt: Path | None):
    from train import load_weights_only
    cfg = json.loads((run_dir / "config.json").read_text())
    model = M.build_model(cfg["model"])
    if ckpt is None:
        ckpt = sorted((run_dir / "ckpt").glob("step_*.npz"))[-1]
    step = load_weights_only(model, ckpt)
    return cfg, model, step, ckpt


def saved_model(model, num_features: int, out_dir: str) -> None:
    archive = keras.export.ExportArchive()
    archive.track(model)

    def serve(audio_signal):
        # NeMo layout [1, features, T] in; log-probabilities [1, T', classes] out.
        return tf.nn.log_softmax(model(tf.transpose(audio_signal, [0, 2, 1]), training=False))
    archive.add_endpoint("serving_default", serve,
                         input_signature=[tf.TensorSpec([1, num_features, None], tf.float32, name="audio_signal")])
    archive.write_out(out_dir)


def convert(sm_dir: str, quant: str, calibration: list[np.ndarray]) -> bytes:
    conv = tf.lite.TFLiteConverter.from_saved_model(sm_dir)
    if quant in ("int8", "dynamic"):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if quant == "int8":
        def rep():
            for f in calibration:
                yield [f.T[None].astype(np.float32)]
        conv.representative_dataset = rep
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
    return conv.convert()


def run_tflite(model_bytes: bytes, feats: np.ndarray) -> np.ndarray:
    """feats [T, F] -> log-probs [T', classes] with the TFLite interpreter."""
    interp = tf.lite.Interpreter(model_content=model_bytes, num_threads=1)
    inp = interp.get_input_details()[0]
    interp.resize_tensor_input(inp["index"], [1, feats.shape[1], feats.shape[0]])
    interp.allocate_tensors()
    interp.set_tensor(inp["index"], feats.T[None].astype(np.float32))
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])[0]


def metadata(cfg: dict, step: int, quant: str, name: str) -> dict:
    return {
        "format": 1, "family": "quartznet_logmel", "alphabet": ALPHABET, "blank_index": BLANK,
        "output": "log_probs", "feature_preset": None, "feature_config": cfg["feature_config"],
        "stride": cfg["model"]["c1"]["stride"], "sample_rate": SAMPLE_RATE, "frame_seconds": 0.02,
        "default_beam_width": 256, "name": name, "version": "step%d-%s" % (step, quant), "license": "MIT",
        "description": "edgestt English QuartzNet-style CTC model trained on synthetic speech only "
                       "(tools/train/); features: edgestt log-mel, see feature_config",
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="qn5x3k")
    ap.add_argument("--ckpt", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--quant", choices=["int8", "dynamic", "float"], default="dynamic")
    ap.add_argument("--calibration", type=int, default=100)
    ap.add_argument("--check", type=int, default=40, help="held-out utterances to compare Keras and TFLite on")
    ap.add_argument("--name", default="edgestt-en-quartznet-small")
    args = ap.parse_args()

    run_dir = RUNS_DIR / args.run
    cfg, model, step, ckpt = load_keras(run_dir, args.ckpt)
    log("loaded %s (step %d, %d parameters)" % (ckpt, step, model.count_params()))
    fm = D.FeatureMaker(cfg["feature_config"])
    rng = np.random.default_rng(7)
    from augment import clean_waveform
    train_rows = D.load_manifests("train_*.tsv", 12.0)
    pick = rng.choice(len(train_rows), size=min(args.calibration, len(train_rows)), replace=False)
    calibration = [fm(clean_waveform(D.load_wav(train_rows[i]["path"]), rng)) for i in pick]

    with tempfile.TemporaryDirectory(prefix="edgestt_export_") as tmp:
        saved_model(model, cfg["model"]["num_features"], tmp)
        tfl = convert(tmp, args.quant, calibration)

    sys.path.insert(0, str(HERE.parent))
    from tflite_metadata_writer import embed_edgestt_metadata
    tfl = embed_edgestt_metadata(tfl, metadata(cfg, step, args.quant, args.name))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(args.out.name + ".tmp")
    tmp_out.write_bytes(tfl)
    os.replace(tmp_out, args.out)
    log("wrote %s: %.2f MB" % (args.out, len(tfl) / 1e6))

    # Check: TFLite agrees with Keras (greedy text and CER on held-out utterances).
    rows = D.load_manifests("eval_heldout_*.tsv")[: args.check]
    er_k, er_t, same, max_diff = ErrorRate(), ErrorRate(), 0, 0.0
    for r in rows:
        f = fm(clean_waveform(D.load_wav(r["path"]), rng))
        ref = tf.nn.log_softmax(model(f[None], training=False)).numpy()[0]
        got = run_tflite(tfl, f)
        if got.shape != ref.shape:
            raise SystemExit("TFLite output shape %s != Keras %s" % (got.shape, ref.shape))
        max_diff = max(max_diff, float(np.max(np.abs(np.exp(got) - np.exp(ref)))))
        tk, tt = greedy_decode(ref), greedy_decode(got)
        same += tk == tt
        er_k.add(r["transcript"], tk)
        er_t.add(r["transcript"], tt)
    log("check on %d held-out utterances: same greedy text %d, max |dp| %.3f, CER keras %.3f tflite %.3f, "
        "WER keras %.3f tflite %.3f" % (len(rows), same, max_diff, er_k.cer, er_t.cer, er_k.wer, er_t.wer))


if __name__ == "__main__":
    main()
