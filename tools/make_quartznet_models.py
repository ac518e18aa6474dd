#!/usr/bin/env python3
"""Build the QuartzNet fixture models in tests/data/ (committed; CI never runs this).

  tests/data/quartznet_scribosermo_fixture.tflite
      The I/O of a Scribosermo QuartzNet export (specs/quartznet.md 4.5): input 0 `x` float32
      [1, N] (shape signature [-1, -1] as the Keras export's [None, None]; batch 1, N resized
      per call), the in-graph features of
      tools/make_feature_oracles.py (pre-emphasis, 320/160 frames, periodic Hann, DFT by
      constant [512, 257] matrices as Scribosermo's export has them (1 MB of the file),
      magnitude, HTK mel 64, log(+1e-6), per-feature normalisation over the whole input),
      the network, log_softmax then softmax: output float32 [1, T, 29] probabilities,
      T = ceil(F / 2), F = 1 + (N - 320) // 160; blank = 28 (last).
  tests/data/quartznet_nemo_fixture.tflite
      A NeMo QuartzNet exported without its preprocessor: input 0 `audio_signal` float32
      [1, 64, T] (shape signature [-1, 64, -1], NeMo's dynamic batch and time axes) = log-mel
      from edgestt's `nemo` preset,
      transposed; the network; log_softmax (NeMo's ConvASRDecoder applies it in export too):
      output float32 [1, ceil(T / 2), 29] log-probabilities, blank last.
  tests/data/edgestt_fixture.tflite
      The NeMo-style model with edgestt metadata embedded (tools/tflite_metadata_writer.py):
      family quartznet_logmel, feature_preset nemo, its own beam width and name.

The network is a narrow QuartzNet (specs/quartznet.md 2.1) with the real layer kinds and
kernels: C1 separable k33 stride 2, residual blocks B1 (k33) and B2 (k39) of R sub-blocks
(separable conv, folded BN, ReLU except after the last; 1x1 conv + BN residual; add; ReLU),
C2 separable k87 dilation 2, C3 1x1, decoder 1x1 with bias -> 29 classes. BN is folded into
the pointwise convolutions (what the converter does with a trained Keras model). Layout
channels-last [1, 1, T, C] so each conv is one TFLite op (PAD + DEPTHWISE_CONV_2D + CONV_2D).

Weights: seeded Gaussian (numpy default_rng(SEED)), scaled layer by layer on the features of
tests/data/synth_*.wav plus noise and silence: each conv's output channels get zero mean and
unit std there (a data-dependent init standing in for BN statistics), the decoder's logits a
std of LOGIT_STD and a blank bias that makes blank the top class on about BLANK_SHARE of
the frames. So outputs are peaky, the top class follows the audio, transcripts vary.

Requirements: TensorFlow in a venv of its own (e.g. /work/venvs/tf, TensorFlow 2.21) and the
repo's src/ importable (the edgestt C extension built; it computes the `nemo` features for
calibration and the self-check). Run from the repo root:

    /work/venvs/tf/bin/python tools/make_quartznet_models.py [--out-dir tests/data]

tools/make_test_models.py calls build_quartznet_fixtures(out_dir).
"""
import argparse
import os
import sys
import wave

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402
from tensorflow.lite.python import schema_py_generated as schema_fb  # noqa: E402
from tensorflow.lite.tools import flatbuffer_utils  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "src"))

import make_feature_oracles as oracles  # noqa: E402  (the Scribosermo feature graph)
from tflite_metadata_writer import embed_edgestt_metadata  # noqa: E402

SEED = 20261123
SAMPLE_RATE = 16000
NUM_MELS = 64
LABELS = [" "] + [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["'"]
NUM_CLASSES = len(LABELS) + 1  # blank last
BLANK = NUM_CLASSES - 1
# (name, kernel, stride, dilation, channels out, sub-blocks, residual)
LAYERS = (
    ("C1", 33, 2, 1, 128, 1, False),
    ("B1", 33, 1, 1, 128, 2, True),
    ("B2", 39, 1, 1, 128, 2, True),
    ("C2", 87, 1, 2, 160, 1, False),
)
C3_CHANNELS = 192
LOGIT_STD = 4.0
BLANK_SHARE = 0.55

SCRIBOSERMO_NAME = "quartznet_scribosermo_fixture.tflite"
NEMO_NAME = "quartznet_nemo_fixture.tflite"
EDGESTT_NAME = "edgestt_fixture.tflite"

EDGESTT_METADATA = {
    "format": 1,
    "family": "quartznet_logmel",
    "alphabet": LABELS,
    "blank_index": BLANK,
    "output": "log_probs",
    "feature_preset": "nemo",
    "stride": 2,
    "sample_rate": SAMPLE_RATE,
    "frame_seconds": 0.02,
    "default_beam_width": 64,
    "name": "edgestt QuartzNet test fixture",
    "version": "0",
    "license": "MPL-2.0",
    "description": "random weights, for tests only (tools/make_quartznet_models.py)",
}


# ----------------------------------------------------------------------------
# The network, channels-last [1, 1, T, C]


def separable(x, dw, pw, bias, stride, dilation, relu):
    """Depthwise (zero 'same' padding, stride, dilation) -> pointwise + folded-BN bias."""
    k = dw.shape[0]
    pad = dilation * (k // 2)
    x = tf.pad(x, [[0, 0], [0, 0], [pad, pad], [0, 0]])
    x = tf.nn.depthwise_conv2d(x, dw.reshape(1, k, -1, 1), strides=[1, 1, stride, 1], padding="VALID",
                               dilations=[1, dilation])
    return pointwise(x, pw, bias, relu)


def pointwise(x, w, bias, relu):
    x = tf.nn.conv2d(x, w.reshape(1, 1, *w.shape), strides=1, padding="VALID") + bias
    return tf.nn.relu(x) if relu else x


def network(feats, weights):
    """[1, T, 64] features -> [1, ceil(T/2), 29] logits."""
    x = tf.expand_dims(feats, 1)
    for (name, _k, stride, dilation, _c, repeat, residual) in LAYERS:
        block_in = x
        for r in range(repeat):
            dw, pw, b = weights[f"{name}.{r}"]
            last = r == repeat - 1
            x = separable(x, dw, pw, b, stride, dilation, relu=not (residual and last))
        if residual:
            w, b = weights[f"{name}.res"]
            x = tf.nn.relu(x + pointwise(block_in, w, b, relu=False))
    w, b = weights["C3"]
    x = pointwise(x, w, b, relu=True)
    w, b = weights["decoder"]
    return pointwise(x, w, b, relu=False)[:, 0]


# ----------------------------------------------------------------------------
# Weights


def _normalised(rng, fan_in_shape, out_channels, compute):
    """Random weights whose outputs `compute(w, b)` have zero mean, unit std per channel on
    the calibration input."""
    w = rng.standard_normal((*fan_in_shape, out_channels)).astype(np.float32)
    w /= np.sqrt(np.prod(fan_in_shape))
    z = compute(w, np.zeros(out_channels, np.float32)).numpy().reshape(-1, out_channels)
    gain = 1.0 / (z.std(axis=0) + 1e-6)
    return (w * gain).astype(np.float32), (-z.mean(axis=0) * gain).astype(np.float32)


def make_weights(calibration):
    """Weights scaled on `calibration` ([1, T, 64] features) as the module docstring says."""
    rng = np.random.default_rng(SEED)
    weights = {}
    x = tf.expand_dims(tf.constant(calibration), 1)
    channels = NUM_MELS
    for (name, k, stride, dilation, out, repeat, residual) in LAYERS:
        block_in, block_channels = x, channels
        for r in range(repeat):
            dw = (rng.standard_normal((k, channels)) / np.sqrt(k)).astype(np.float32)
            relu = not (residual and r == repeat - 1)
            pw, b = _normalised(rng, (channels,), out,
                                lambda w, b, x=x, dw=dw: separable(x, dw, w, b, stride, dilation, False))
            weights[f"{name}.{r}"] = (dw, pw, b)
            x = separable(x, dw, pw, b, stride, dilation, relu)
            channels = out
        if residual:
            w, b = _normalised(rng, (block_channels,), out,
                               lambda w, b, i=block_in: pointwise(i, w, b, False))
            weights[f"{name}.res"] = (w, b)
            x = tf.nn.relu(x + pointwise(block_in, w, b, relu=False))
    weights["C3"] = _normalised(rng, (channels,), C3_CHANNELS, lambda w, b: pointwise(x, w, b, False))
    x = pointwise(x, *weights["C3"], relu=True)
    w, b = _normalised(rng, (C3_CHANNELS,), NUM_CLASSES, lambda w, b: pointwise(x, w, b, False))
    w, b = w * LOGIT_STD, b * LOGIT_STD
    logits = pointwise(x, w, b, relu=False).numpy().reshape(-1, NUM_CLASSES)
    # Blank bias: blank wins where its logit plus the bias beats the best other class.
    margin = logits[:, :BLANK].max(axis=1) - logits[:, BLANK]
    b[BLANK] += np.quantile(margin, BLANK_SHARE)
    weights["decoder"] = (w, b.astype(np.float32))
    return weights


# ----------------------------------------------------------------------------
# The two graphs


def signal_model(weights):
    re, im = (tf.constant(m) for m in oracles.dft_matrices_reference())

    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32, name="x")])
    def scribosermo(x):
        # Constant [512, 257] DFT matrices as in Scribosermo's tflite_tools (the converter
        # makes FULLY_CONNECTED ops of them), not the oracle's gathered tables: the fixture
        # should run the same kernels as the real export.
        feats = oracles.scribosermo_graph(x, re, im)["features"]
        return tf.nn.softmax(tf.nn.log_softmax(network(feats, weights)))

    return scribosermo


def logmel_model(weights):
    @tf.function(input_signature=[tf.TensorSpec([None, NUM_MELS, None], tf.float32, name="audio_signal")])
    def nemo(audio_signal):
        return tf.nn.log_softmax(network(tf.transpose(audio_signal, [0, 2, 1]), weights))

    return nemo


def convert(fn):
    conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return conv.convert()


# ----------------------------------------------------------------------------
# Calibration audio and checks


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1 and w.getframerate() == SAMPLE_RATE, path
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0


def calibration_audio():
    data = os.path.join(REPO, "tests", "data")
    clips = {name: read_wav(os.path.join(data, name)) for name in sorted(os.listdir(data))
             if name.startswith("synth_") and name.endswith(".wav")}
    rng = np.random.default_rng(SEED + 1)
    clips["noise"] = (0.05 * rng.standard_normal(2 * SAMPLE_RATE)).astype(np.float32)
    clips["silence"] = np.zeros(SAMPLE_RATE, np.float32)
    return clips


def scribosermo_features(audio):
    return oracles.scribosermo_features(tf.constant(audio[None, :]))["features"].numpy()[0]


def nemo_features(audio):
    from edgestt.features import compute
    return compute(audio, "nemo")


def greedy_text(scores):
    best = scores.argmax(axis=1)
    out, prev = [], BLANK
    for p in best:
        if p != BLANK and p != prev:
            out.append(LABELS[p])
        prev = p
    return "".join(out)


def describe(model_bytes):
    interp = tf.lite.Interpreter(model_content=model_bytes)
    for kind, details in (("input", interp.get_input_details()), ("output", interp.get_output_details())):
        for d in details:
            print(f"  {kind} {d['index']} {d['name']!r} {np.dtype(d['dtype']).name} shape {list(d['shape'])} "
                  f"signature {list(d['shape_signature'])}")
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    names = {v: k for k, v in vars(schema_fb.BuiltinOperator).items() if not k.startswith("_")}
    counts = {}
    for op in model.subgraphs[0].operators:
        code = model.operatorCodes[op.opcodeIndex]
        name = names[max(code.builtinCode, code.deprecatedBuiltinCode)]
        counts[name] = counts.get(name, 0) + 1
    print("  ops: " + ", ".join(f"{k} x{v}" for k, v in sorted(counts.items())))


def self_check(model_bytes, clips, make_input, reference, to_probs):
    for name, audio in clips.items():
        x = make_input(audio)
        got = oracles.run_tflite(model_bytes, x)[0]
        ref = reference(x)[0]
        probs = to_probs(got)
        print(f"  {name:24} frames {len(got):4}  max|tflite-tf| {np.abs(got - ref).max():.2e}  "
              f"median top p {np.median(probs.max(1)):.3f}  blank {(probs.argmax(1) == BLANK).mean():.2f}  "
              f"greedy {greedy_text(probs)!r}")


def build_quartznet_fixtures(out_dir):
    """Write the three QuartzNet fixtures into out_dir and print their I/O, ops and checks."""
    clips = calibration_audio()
    written = {}

    # One set of weights per front-end: each calibrated on the features it will see.
    scribo_calibration = np.concatenate([scribosermo_features(a) for a in clips.values()])[None]
    scribo = signal_model(make_weights(scribo_calibration))
    written[SCRIBOSERMO_NAME] = convert(scribo)

    nemo_calibration = np.concatenate([nemo_features(a) for a in clips.values()])[None]
    nemo = logmel_model(make_weights(nemo_calibration))
    written[NEMO_NAME] = convert(nemo)
    written[EDGESTT_NAME] = embed_edgestt_metadata(written[NEMO_NAME], EDGESTT_METADATA)

    for name, data in written.items():
        path = os.path.join(out_dir, name)
        with open(path, "wb") as f:
            f.write(data)
        print(f"wrote {path} ({len(data):,} bytes)")
        describe(data)
    print("self-check, Scribosermo-style (TF's TFLite interpreter vs the TF graph):")
    self_check(written[SCRIBOSERMO_NAME], clips, lambda a: a[None, :],
               lambda x: scribo(tf.constant(x)).numpy(), lambda p: p)
    print("self-check, NeMo-style:")
    self_check(written[NEMO_NAME], clips, lambda a: nemo_features(a).T[None].copy(),
               lambda x: nemo(tf.constant(x)).numpy(), np.exp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(REPO, "tests", "data"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    print("TensorFlow", tf.__version__)
    build_quartznet_fixtures(args.out_dir)


if __name__ == "__main__":
    main()
